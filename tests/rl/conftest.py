"""Fixtures of the RL tests: a tiny planner-made demonstration set."""

from __future__ import annotations

from pathlib import Path

import pytest
from rl_support import build_demos


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    return build_demos(tmp_path_factory.mktemp("demos"), {"very_simple": 4, "simple": 2})
