"""A frame-level demonstration whose raw labels are not executable at frame_skip 4 (for the relabel
and generate tests): the frame-level planner's solution of a generated very_simple level."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

STRIDE = 4


@lru_cache(maxsize=1)
def frame_level_case() -> tuple[bytes, np.ndarray, str]:
    """``(map bytes, input bytes, level name)``: the first very_simple seed whose frame-level plan
    wins but whose input sampled every 4th frame and held for 4 frames does not."""
    from npp_sim.levelgen import generate_level
    from npp_sim.planner.search import solve
    from npp_sim.relabel import check_executable
    from npp_sim.simulator import run_inputs

    for seed in range(40):
        level = generate_level("very_simple", seed)
        res = solve(level.map_data, max_nodes=3000, budget_s=30.0, frame_skip=1)
        if not res.success:
            continue
        assert run_inputs(level.map_data, res.inputs).outcome == "won"
        if not check_executable(level.map_data, res.inputs, STRIDE).executable:
            return level.map_data, np.asarray(res.inputs, dtype=np.uint8), f"very_simple-{seed}"
    raise AssertionError("no frame-level plan among 40 very_simple levels changes input inside a window")
