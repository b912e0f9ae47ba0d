"""Shared fixtures. `npp_reference` points at ../shared/npp_reference (read-only real N++ data).

Tests that need it skip when it is absent, except under CI=true, where its absence is a failure.
`cfg(*overrides)` composes the app's config with `debug=tiny` for a stage run in-process.
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


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    """``cfg(*overrides)``: the app's config (Hydra compose, validated) with ``debug=tiny``, ``run_dir``
    ``tmp_path/run`` unless an override sets it, and the working directory and cache under ``tmp_path``
    (as the CLI tests run), for ``stages.<name>.run(cfg)`` in this process."""
    from app_support import compose

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IMITATION_PIPELINE_CACHE", str(tmp_path / "cache"))

    def make(*overrides: str, debug: str = "tiny"):
        defaults = [] if any(o.startswith("run_dir=") for o in overrides) else [f"run_dir={tmp_path / 'run'}"]
        return compose(*([f"debug={debug}"] if debug else []), *defaults, *overrides)

    return make
