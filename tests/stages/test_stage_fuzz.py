"""A small, fast version of `make fuzz`: mutated replays and maps through verify, generate and the env
give only the project's own errors, never a traceback (the long run: `make fuzz`, out of CI)."""

from __future__ import annotations

import warnings

import numpy as np
from pipeline_fuzz import mutate_map, run_fuzz, seed_levels


def test_small_fuzz_run_has_no_tracebacks(tmp_path) -> None:
    res = run_fuzz(replays=150, maps=40, seed=1, batch=50, env_steps=150, workdir=tmp_path)
    assert res.replays == 150 and res.maps == 40
    assert res.tracebacks == [], res.tracebacks[:3]
    assert sum(res.verify_rows.values()) >= 150 and res.generate_rows["shard"] > 0
    assert sum(res.env_outcomes.values()) == 40


def test_map_mutations_reach_the_simulator() -> None:
    """The map mutations keep most maps loadable (they exercise physics, not only the parser)."""
    from npp_sim.errors import MapFormatError
    from npp_sim.map_data import parse_map

    rng = np.random.default_rng(0)
    levels = seed_levels()
    ok = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(40):
            try:
                parse_map(mutate_map(levels[i % len(levels)][1], rng), "m")
                ok += 1
            except MapFormatError:
                pass
    assert ok >= 20
