"""Canonical labels: jumps that change nothing are cleared; the trajectory's outcome is kept exactly."""

from __future__ import annotations

import numpy as np
import pytest
from npp_sim.canonical import canonical_inputs
from npp_sim.planner import block_constant, solve
from npp_sim.simulator import Simulator, run_inputs


@pytest.fixture(scope="module")
def plan4(simple_level):
    res = solve(simple_level, max_nodes=4000, budget_s=120, frame_skip=4)
    assert res.success
    return res.inputs


def test_keeps_outcome_and_blocks_and_drops_useless_jumps(simple_level, plan4):
    canon, cleared = canonical_inputs(simple_level, plan4, 4)
    assert block_constant(canon, 4) and len(canon) == len(plan4)
    before, after = run_inputs(simple_level, plan4), run_inputs(simple_level, canon)
    assert after.outcome == "won" and after.outcome_frame == before.outcome_frame
    jumps = lambda b: int((b[::4] & 1).sum())  # noqa: E731
    assert cleared > 0 and jumps(canon) == jumps(plan4) - cleared
    # only the jump bit changes, never the direction
    assert np.array_equal(canon & 0xFE, plan4 & 0xFE)
    # every jump left matters: clearing any one of them changes the trajectory
    for blk in np.flatnonzero(canon[::4] & 1)[:10]:
        alt = canon.copy()
        alt[blk * 4:blk * 4 + 4] &= 0xFE
        a, b = Simulator(simple_level), Simulator(simple_level)
        ta = a.run(((alt >> 1) & 1).astype(np.int64) - ((alt >> 2) & 1), (alt & 1).astype(np.int64))
        tb = b.run(((canon >> 1) & 1).astype(np.int64) - ((canon >> 2) & 1), (canon & 1).astype(np.int64))
        assert not (np.array_equal(ta.x, tb.x) and np.array_equal(ta.y, tb.y)), blk


def test_from_a_snapshot_and_bad_input(simple_level, plan4):
    sim = Simulator(simple_level)
    for b in plan4[:40]:
        sim.tick(((int(b) >> 1) & 1) - ((int(b) >> 2) & 1), int(b) & 1)
    rest, _ = canonical_inputs(simple_level, plan4[40:], 4, start=sim.snapshot())
    assert block_constant(rest, 4)
    with pytest.raises(ValueError, match="not constant"):
        canonical_inputs(simple_level, np.array([1, 1, 0, 1], np.uint8), 4)
    assert len(canonical_inputs(simple_level, np.zeros(0, np.uint8), 4)[0]) == 0
