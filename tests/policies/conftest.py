"""Fixtures for the policy tests: arch configs composed by Hydra from conf/arch, one thread."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def arch_cfgs() -> dict:
    """name -> the `arch` node of the composed root config (validated by its schema)."""
    from app_support import ARCH_NAMES, compose

    return {name: compose(f"arch={name}", validate=False).arch for name in ARCH_NAMES}
