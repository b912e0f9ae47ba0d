"""Fixtures for the planner tests: a few easy levels (generated and hand-made)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def easy_level() -> bytes:
    """The first very_simple level of the train suite."""
    from npp_sim.levelgen import generate_level
    from npp_sim.levelgen.suite import SUITE_BASE_SEEDS, suite_seeds

    (cat, seed), = suite_seeds({"very_simple": 1}, SUITE_BASE_SEEDS["train"])
    return generate_level(cat, seed).map_data


@pytest.fixture(scope="session")
def simple_level() -> bytes:
    """The first simple level of the train suite (needs a few hundred frames)."""
    from npp_sim.levelgen import generate_level
    from npp_sim.levelgen.suite import SUITE_BASE_SEEDS, suite_seeds

    (cat, seed), = suite_seeds({"simple": 1}, SUITE_BASE_SEEDS["train"])
    return generate_level(cat, seed).map_data


@pytest.fixture(scope="session")
def test_maps(npp_reference):
    return npp_reference / "maps" / "test_maps"
