"""Fixtures of the RL tests: a tiny planner-made demonstration set."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # rl_support (--import-mode=importlib)

from rl_support import build_demos  # noqa: E402


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    return build_demos(tmp_path_factory.mktemp("demos"), {"very_simple": 4, "simple": 2})

