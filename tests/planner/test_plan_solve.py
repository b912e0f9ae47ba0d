"""solve(): finds verified plans on easy levels within small node budgets, deterministically."""

from __future__ import annotations

import numpy as np
import pytest
from npp_sim.planner import PlanResult, solve
from npp_sim.planner.search import MapContext, SearchConfig, plan
from npp_sim.simulator import Simulator, run_inputs


def _check_plan(map_data: bytes, res: PlanResult) -> None:
    assert res.success, res
    assert res.inputs.dtype == np.uint8 and res.frames == len(res.inputs) > 0
    assert set(np.unique(res.inputs).tolist()) <= {0, 1, 2, 3, 4, 5}
    tr = run_inputs(map_data, res.inputs)
    assert tr.outcome == "won" and tr.outcome_frame == res.frames  # wins on the last byte


def test_solves_generated_levels(easy_level, simple_level):
    for data, budget in ((easy_level, 200), (simple_level, 2000)):
        res = solve(data, max_nodes=budget, budget_s=120)
        _check_plan(data, res)
        assert res.nodes <= budget and res.stop == "solved"


@pytest.mark.parametrize("name", ["simple-walk", "switch-simple", "jump-then-fall", "only-jump"])
def test_solves_hand_made_maps(test_maps, name):
    data = (test_maps / name).read_bytes()
    res = solve(data, max_nodes=500, budget_s=120)
    _check_plan(data, res)


def test_deterministic(simple_level):
    a = solve(simple_level, max_nodes=2000, budget_s=120)
    b = solve(simple_level, max_nodes=2000, budget_s=120)
    assert a.success and b.success
    assert np.array_equal(a.inputs, b.inputs)
    assert (a.nodes, a.generated, a.attempt) == (b.nodes, b.generated, b.attempt)


def test_node_budget_respected_and_partial(simple_level):
    res = solve(simple_level, max_nodes=5, budget_s=120)
    assert not res.success and res.inputs is None
    assert res.nodes <= 5 and res.stop == "nodes"
    # the partial path never dies
    if res.partial is not None and len(res.partial):
        assert run_inputs(simple_level, res.partial).outcome == "neither"


def test_plan_from_mid_episode_state(simple_level):
    ctx = MapContext(simple_level)
    sim = Simulator(simple_level)
    for _ in range(20):
        sim.tick(1, 0)
    snap = sim.snapshot()
    res = plan(ctx, snap, max_nodes=2000)
    assert res.success
    sim.restore(snap)
    b = res.inputs.astype(np.int64)
    tr = sim.run(((b >> 1) & 1) - ((b >> 2) & 1), b & 1)
    assert tr.outcome == "won"
    full = np.concatenate([np.full(20, 2, np.uint8), res.inputs])
    assert run_inputs(simple_level, full).outcome == "won"


def test_no_exit_map_fails_cleanly(test_maps):
    res = solve((test_maps / "slopes").read_bytes(), max_nodes=50)
    assert not res.success and res.stop == "no exit"


def test_custom_attempts(easy_level):
    res = solve(easy_level, max_nodes=300, attempts=(SearchConfig(weight=3.0, k_far=4, pos_q=4.0),))
    _check_plan(easy_level, res)


@pytest.mark.parametrize("k", [2, 4])
def test_plans_at_the_decision_rate(simple_level, k):
    """frame_skip k: the plan holds one byte per k-frame block, so its sampled labels held win."""
    from npp_sim.planner import block_constant

    res = solve(simple_level, max_nodes=4000, budget_s=120, frame_skip=k)
    _check_plan(simple_level, res)
    assert block_constant(res.inputs, k)
    held = np.repeat(res.inputs[::k], k)[:res.frames]
    assert np.array_equal(held, res.inputs)
    # from a mid-level snapshot too (what DAgger and relabelling plan from): blocks count from there
    sim = Simulator(simple_level)
    for b in res.inputs[:37]:
        sim.tick(((int(b) >> 1) & 1) - ((int(b) >> 2) & 1), int(b) & 1)
    ctx = MapContext(simple_level)
    sub = plan(ctx, sim.snapshot(), max_nodes=4000, budget_s=120, frame_skip=k)
    assert sub.success and block_constant(sub.inputs, k)


def test_block_constant():
    from npp_sim.planner import block_constant

    assert block_constant(np.array([1, 1, 1, 1, 2, 2, 2, 2, 0], np.uint8), 4)
    assert not block_constant(np.array([1, 1, 1, 2, 2, 2, 2, 2], np.uint8), 4)
    assert block_constant(np.array([1, 2, 3], np.uint8), 1)


def test_frame_skip_must_be_positive(easy_level):
    with pytest.raises(ValueError, match="frame_skip"):
        plan(MapContext(easy_level), frame_skip=0)
