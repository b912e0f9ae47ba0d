"""Plans keep their distance from deadly mines where they can (``plan(..., mine_margin=m)``)."""

import numpy as np
import pytest
from npp_sim.inputs import decode_inputs
from npp_sim.levelgen import SUITE_BASE_SEEDS, generate_level
from npp_sim.levelgen.suite import CATEGORY_INDEX, CATEGORY_STRIDE
from npp_sim.planner.rollout import MINE_CONTACT_PX, mine_clearance
from npp_sim.planner.search import MapContext, plan
from npp_sim.simulator import Simulator


@pytest.fixture(scope="module")
def mine_level() -> bytes:
    # the first mine_heavy training level: the plan without a margin passes within a few px of a mine
    return generate_level("mine_heavy", SUITE_BASE_SEEDS["train"] + CATEGORY_INDEX["mine_heavy"] * CATEGORY_STRIDE).map_data


def _min_clearance(map_data: bytes, inputs) -> float:
    ctx = MapContext(map_data)
    sim = Simulator(map_data)
    sim.reset()
    hor, jump = decode_inputs(inputs)
    best = np.inf
    for h, j in zip(hor, jump, strict=True):
        sim.tick(int(h), int(j))
        if sim.won:
            break
        best = min(best, mine_clearance(sim._state[0], sim._state[2], sim._state[3], ctx.mine_rows))
    assert sim.won
    return best


def test_clearance_is_edge_to_edge_distance(mine_level):
    ctx = MapContext(mine_level)
    st = ctx.initial
    ef, ei = st[2], st[3]
    deadly = [r for r in ctx.mine_rows if ei[r, 1] != 0 and ei[r, 2] == 0]
    expect = min(np.hypot(ef[r, 0] - st[0][0], ef[r, 1] - st[0][1]) for r in deadly) - MINE_CONTACT_PX
    assert mine_clearance(st[0], ef, ei, ctx.mine_rows) == pytest.approx(expect)
    assert mine_clearance(st[0], ef, ei, ctx.mine_rows[:0]) == np.inf


def test_margin_is_kept_on_every_frame(mine_level):
    tight = plan(MapContext(mine_level), max_nodes=10000, frame_skip=4, refine=False)
    safe = plan(MapContext(mine_level), max_nodes=10000, frame_skip=4, refine=False, mine_margin=12.0)
    assert tight.success and safe.success
    assert tight.mine_margin == 0.0 and safe.mine_margin == 12.0
    assert _min_clearance(mine_level, tight.inputs) < 12.0
    assert _min_clearance(mine_level, safe.inputs) >= 12.0


def test_an_impossible_margin_falls_back_to_none(mine_level):
    res = plan(MapContext(mine_level), max_nodes=6000, frame_skip=4, mine_margin=400.0, refine=False)
    assert res.success and res.mine_margin == 0.0
    assert any(a.get("mine_margin") == 400.0 for a in res.attempts)
