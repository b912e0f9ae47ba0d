"""Shared fixtures. `npp_reference` points at ../shared/npp_reference (read-only real N++ data).

Tests that need it skip when it is absent, except under CI=true, where its absence is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
NPP_REFERENCE = (REPO_ROOT / ".." / "shared" / "npp_reference").resolve()

os.environ.setdefault("OMP_NUM_THREADS", "1")


def require_npp_reference() -> Path:
    if NPP_REFERENCE.is_dir():
        return NPP_REFERENCE
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"reference data missing under CI: {NPP_REFERENCE}")
    pytest.skip(f"reference data not present: {NPP_REFERENCE}")


@pytest.fixture(scope="session")
def npp_reference() -> Path:
    return require_npp_reference()
