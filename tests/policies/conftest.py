"""Fixtures for the policy tests: arch configs composed by Hydra from conf/arch, one thread."""

from __future__ import annotations

from pathlib import Path

import pytest

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def arch_cfgs() -> dict:
    """name -> the `arch` node of the composed root config (validated by its schema)."""
    from hydra import compose, initialize_config_dir

    from imitation_pipeline.configs import register

    register()
    out = {}
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        for name in sorted(p.stem for p in (CONF_DIR / "arch").glob("*.yaml")):
            out[name] = compose(config_name="config", overrides=[f"arch={name}"]).arch
    return out
