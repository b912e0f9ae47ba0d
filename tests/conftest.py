"""Shared fixtures. `npp_reference` points at ../shared/npp_reference (read-only real N++ data).

Tests that need it skip when it is absent, except under CI=true, where its absence is a failure.
`cfg(*overrides)` composes the app's config with `debug=tiny` for a stage run in-process;
`module_cfg` is the same for module-scoped fixtures (artefacts that several tests of a module read).
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


def _configs(root: Path, mp: pytest.MonkeyPatch):
    """The working directory and cache under ``root`` (as the CLI tests run), and ``make(*overrides)``."""
    from app_support import compose

    mp.chdir(root)
    mp.setenv("IMITATION_PIPELINE_CACHE", str(root / "cache"))

    def make(*overrides: str, debug: str = "tiny", hydra: bool = False):
        defaults = [] if any(o.startswith("run_dir=") for o in overrides) else [f"run_dir={root / 'run'}"]
        return compose(*([f"debug={debug}"] if debug else []), *defaults, *overrides, hydra=hydra)

    return make


def _forget_hydra_config() -> None:
    """``cfg(..., hydra=True)`` sets Hydra's global HydraConfig (``${hydra:...}``, the task overrides): unset it."""
    from hydra.core.hydra_config import HydraConfig

    HydraConfig.instance().cfg = None


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    """``cfg(*overrides)``: the app's config (Hydra compose, validated) with ``debug=tiny``, ``run_dir``
    ``tmp_path/run`` unless an override sets it, and the working directory and cache under ``tmp_path``
    (as the CLI tests run), for ``stages.<name>.run(cfg)`` in this process. ``hydra=True`` keeps the
    ``hydra`` node (the task overrides a stage may read), unset again after the test."""
    yield _configs(tmp_path, monkeypatch)
    _forget_hydra_config()


@pytest.fixture(scope="module")
def module_cfg(tmp_path_factory):
    """``cfg`` for a module-scoped fixture: one folder per module (working directory, cache, default
    ``run_dir``), kept while the module's tests run."""
    with pytest.MonkeyPatch.context() as mp:
        yield _configs(tmp_path_factory.mktemp("module"), mp)
    _forget_hydra_config()
