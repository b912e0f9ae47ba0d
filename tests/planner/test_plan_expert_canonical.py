"""The planner expert answers a state with the same (canonical) label whether it has just planned from it or
finds it in its plan cache: a replan's first action is not the raw plan's (which may hold a jump that changes
nothing), so labels from student states (DAgger, takeover) are as canonical as the demos'."""

from __future__ import annotations

from npp_sim.planner import solve
from npp_sim.planner.expert import ACTION_CONTROLS, ACTION_OF_BYTE, PlannerExpert
from npp_sim.simulator import Simulator


def test_replan_answer_equals_cached_answer_on_every_state_of_a_path(simple_level):
    plan = solve(simple_level, max_nodes=4000, budget_s=120, frame_skip=4).inputs
    sim = Simulator(simple_level)
    for b in range(len(plan) // 4):
        expert = PlannerExpert(simple_level, frame_skip=4, replan_nodes=2000, max_nodes=2000)
        state = sim.snapshot()
        first = expert.act(state)  # plans from here
        again = expert.act(state)  # the same state, now answered from the cached (canonical) plan
        assert first == again, f"block {b}: planned {first}, cached {again}"
        hor, jump = ACTION_CONTROLS[ACTION_OF_BYTE[int(plan[4 * b])]]
        for _ in range(4):
            sim.tick(hor, jump)
        if sim.won or sim.dead:
            break


def test_consistency_counts_the_decisions_it_asks(simple_level):
    from npp_sim.planner.consistency import demo_agreement

    plan = solve(simple_level, max_nodes=4000, budget_s=120, frame_skip=4).inputs
    agree, asked = demo_agreement(simple_level, plan, every=5, replan_nodes=2000)
    blocks = len(plan) // 4
    assert asked == (blocks - 1) // 5 and 0 <= agree <= asked
    # the fresh expert's answer at each state wins from there: an easy level leaves little to disagree on
    assert agree >= asked // 2


def test_nudged_agreement_asks_the_same_states_and_a_zero_nudge_agrees_everywhere(simple_level):
    from npp_sim.planner.consistency import nudged_agreement

    plan = solve(simple_level, max_nodes=4000, budget_s=120, frame_skip=4).inputs
    same, asked = nudged_agreement(simple_level, plan, nudge_px=0.0, every=6, replan_nodes=1000)
    assert asked == (len(plan) // 4 - 1) // 6 and same == asked  # deterministic: the same state, the same answer
    moved, asked2 = nudged_agreement(simple_level, plan, nudge_px=30.0, every=6, replan_nodes=1000)
    assert asked2 == asked and moved < asked  # a ninja moved by more than a cell is somewhere else
