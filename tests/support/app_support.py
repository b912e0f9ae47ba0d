"""The app as the tests drive it: composed configs (``debug=tiny``) and the command line.

Test modules import this (``tests/support`` is on the pytest pythonpath; conftest modules cannot be
imported under --import-mode=importlib); ``tests/conftest.py`` wraps :func:`compose` as the ``cfg``
fixture.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "conf"
DEMOS = REPO / "demos" / "npp"  # the built-in planner-made demonstrations
ARCH_NAMES = sorted(p.stem for p in (CONF / "arch").glob("*.yaml"))  # the options of the arch group


def compose(*overrides: str, validate: bool = True, hydra: bool = False):
    """The app's config for ``overrides`` (Hydra's compose API), checked like the CLI checks it.
    Without ``hydra`` it has no run directory of its own (pass ``run_dir=...``); with it the ``hydra``
    node is kept and set as the current HydraConfig, so ``${hydra:...}`` resolves."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.hydra_config import HydraConfig

    from imitation_pipeline.configs import register
    from imitation_pipeline.configs.validate import validate as check

    register()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = hydra_compose(config_name="config", overrides=list(overrides), return_hydra_config=hydra)
        if hydra:
            HydraConfig.instance().set_config(cfg)
    if validate:
        check(cfg)
    return cfg


def run_cli(args: list[str], cwd: Path, env_extra: dict | None = None, timeout: int = 1200,
            cache: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m imitation_pipeline *args`` in ``cwd``, its cache under ``cwd/cache`` (or ``cache``)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg",
           "IMITATION_PIPELINE_CACHE": str(cache or Path(cwd) / "cache"), **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "imitation_pipeline", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)


def error_lines(stderr: str) -> list[str]:
    """stderr without log lines (``[time][logger][LEVEL] ...``) and blank lines."""
    return [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("[")]


@contextmanager
def app_log(level: int = logging.INFO):
    """The messages the app logs (``imitation_pipeline.*``, what the CLI prints) while inside, as a list:
    for an in-process stage run whose log a module-scoped fixture keeps (``caplog`` is per test)."""

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    lines: list[str] = []
    logger, handler = logging.getLogger("imitation_pipeline"), Keep(level)
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
