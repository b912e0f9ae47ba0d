"""Shared fixtures for the DAgger / Pokemon-BC tests: a tiny scripted-expert dataset and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_demos(tmp_path_factory) -> Path:
    """4 scripted-expert episodes of the stand-in (at most 40 steps each), collected in-process."""
    from pokemon_env.collect import collect
    from pokemon_env.expert import ScriptedExpert

    out = tmp_path_factory.mktemp("demos")
    collect("PokemonStandIn-v0", ScriptedExpert(), 4, out, seed=0, env_kwargs={"max_steps": 40})
    return out


def run_cli(args: list[str], cwd: Path, env_extra: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "IMITATION_PIPELINE_CACHE": str(cwd / "cache"), **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "imitation_pipeline", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)


def error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("[")]


@pytest.fixture
def cli():
    """``cli(args, cwd)`` runs ``python -m imitation_pipeline`` (test modules cannot import conftest
    under --import-mode=importlib); ``cli.error_lines(stderr)`` drops log lines."""
    run_cli.error_lines = error_lines
    return run_cli
