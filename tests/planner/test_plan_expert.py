"""PlannerExpert: valid actions, plan cache, replanning off the plan, counted fallbacks."""

from __future__ import annotations

import numpy as np
from npp_sim.env import ACTION_CONTROLS, ACTION_INPUT_BYTES
from npp_sim.planner import PlannerExpert
from npp_sim.planner import expert as expert_mod
from npp_sim.simulator import Simulator


def test_action_tables_match_env():
    assert tuple(ACTION_INPUT_BYTES) == expert_mod.ACTION_INPUT_BYTES
    assert tuple(tuple(c) for c in ACTION_CONTROLS) == expert_mod.ACTION_CONTROLS


def _play(data, expert, perturb=0.0, limit=3000, seed=0):
    sim = Simulator(data)
    rng = np.random.default_rng(seed)
    actions = []
    while not (sim.won or sim.dead) and sim.frame < limit:
        a = expert.act(sim)
        assert isinstance(a, int) and 0 <= a < 6
        if perturb and rng.random() < perturb:
            a = int(rng.integers(6))
        actions.append(a)
        sim.tick(*ACTION_CONTROLS[a])
    return sim, actions


def test_following_the_expert_solves(simple_level):
    ex = PlannerExpert(simple_level, max_nodes=3000)
    sim, actions = _play(simple_level, ex)
    assert sim.won
    assert ex.stats["replans"] == 1 and ex.stats["cache_hits"] == len(actions) - 1
    assert ex.stats["fallbacks"] == 0


def test_expert_recovers_from_perturbations(easy_level):
    ex = PlannerExpert(max_nodes=500, replan_nodes=500)
    sim, _ = _play(easy_level, ex, perturb=0.1, seed=3)
    assert sim.won
    assert ex.stats["replans"] >= 1


def test_snapshot_queries_and_terminal(easy_level):
    ex = PlannerExpert(easy_level, max_nodes=500)
    sim = Simulator(easy_level)
    snap = sim.snapshot()
    a = ex.act(snap)
    assert 0 <= a < 6
    assert ex.act(snap) == a and ex.stats["cache_hits"] == 1
    for b in ex.plan_inputs():  # play the cached plan to the end: terminal -> NOOP
        sim.tick(((int(b) >> 1) & 1) - ((int(b) >> 2) & 1), int(b) & 1)
    assert sim.won and ex.act(sim) == 0 and ex.stats["terminal"] == 1


def test_fallback_is_counted(easy_level):
    ex = PlannerExpert(easy_level, max_nodes=0, replan_nodes=0)
    a = ex.act(Simulator(easy_level))
    assert 0 <= a < 6
    assert ex.stats["fallbacks"] == 1 and ex.stats["greedy"] == 1


def test_expert_at_the_decision_rate_is_followed_by_a_frame_skip_env(simple_level):
    """Asked every 4 frames and held for 4 (NppEnv frame_skip 4), the expert wins with one plan."""
    from npp_sim.env import NppEnv

    ex = PlannerExpert(max_nodes=3000, frame_skip=4)
    env = NppEnv([simple_level], observation=["game_state"], frame_skip=4)
    env.reset(seed=0)
    done, steps, info = False, 0, {}
    while not done:
        _, _, term, trunc, info = env.step(ex.act(env.unwrapped.sim))
        done, steps = term or trunc, steps + 1
    assert info["is_success"]
    assert ex.stats["replans"] == 1 and ex.stats["fallbacks"] == 0
    assert ex.stats["cache_hits"] == steps - 1
    assert ex.lookahead % 4 == 0
