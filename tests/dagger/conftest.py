"""Shared fixtures for the DAgger / Pokemon-BC tests: a tiny scripted-expert dataset and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_support import error_lines, run_cli


@pytest.fixture(scope="session")
def tiny_demos(tmp_path_factory) -> Path:
    """4 scripted-expert episodes of the stand-in (at most 40 steps each), collected in-process."""
    from pokemon_env.collect import collect
    from pokemon_env.expert import ScriptedExpert

    out = tmp_path_factory.mktemp("demos")
    collect("PokemonStandIn-v0", ScriptedExpert(), 4, out, seed=0, env_kwargs={"max_steps": 40})
    return out


@pytest.fixture
def cli():
    """``cli(args, cwd)`` runs ``python -m imitation_pipeline`` (:func:`app_support.run_cli`);
    ``cli.error_lines(stderr)`` drops log lines."""
    run_cli.error_lines = error_lines
    return run_cli
