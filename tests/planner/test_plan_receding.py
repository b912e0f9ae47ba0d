"""The receding-horizon expert (PlannerExpert(memory=False)) and build_demos --expert receding."""

from __future__ import annotations

import json

import numpy as np
import pytest
from npp_sim.formats import read_demo
from npp_sim.planner import PlannerExpert, build_demos
from npp_sim.planner.expert import ACTION_CONTROLS, ACTION_OF_BYTE
from npp_sim.planner.noisy import noisy_expert_episode
from npp_sim.simulator import Simulator, run_inputs

FS = 4
SETTINGS = dict(frame_skip=FS, max_nodes=500, replan_nodes=500, budget_s=20.0, mine_margin=12.0)
EPISODE = dict(frame_skip=FS, max_nodes=500, replan_nodes=500, budget_s=10.0, mine_margin=12.0)  # build's


def _fresh(level: bytes, state: tuple) -> int:
    return PlannerExpert(level, **SETTINGS).act(state)


def test_receding_expert_answers_every_state_as_a_fresh_search(easy_level):
    receding = PlannerExpert(easy_level, **SETTINGS, memory=False)
    remembering = PlannerExpert(easy_level, **SETTINGS)
    sim = Simulator(easy_level)
    rng = np.random.default_rng(0)
    asked = 0
    while not (sim.won or sim.dead) and asked < 40:
        state = sim.snapshot()
        a = receding.act(state)
        assert a == _fresh(easy_level, state)  # a function of the state alone
        remembering.act(state)
        asked += 1
        if rng.random() < 0.2:  # leave the path now and then: still a fresh search, not a replan
            a = int(rng.integers(len(ACTION_CONTROLS)))
        for _ in range(FS):
            sim.tick(*ACTION_CONTROLS[a])
    assert receding.stats["replans"] == receding.stats["calls"] == asked and receding.stats["cache_hits"] == 0
    assert remembering.stats["cache_hits"] > 0  # the default expert follows its cached plan instead


def test_build_receding_demos(tmp_path):
    out = tmp_path / "demos"
    m = build_demos.build(out, 1, categories=["very_simple"], easy_factor=2, expert="receding",
                          noisy_per_level=1, replan_nodes=500, log=lambda s: None)
    assert m["planner"]["expert"] == "receding" and m["planner"]["replan_nodes"] == 500
    assert len(m["demos"]) == 2 and len(m["noisy"]) >= 1
    for row in m["demos"]:
        demo = read_demo(out / row["file"])
        assert demo.meta["recorder"] == "planner-receding" and row["nodes"] > 0  # one search per decision
        inputs = np.asarray(demo.inputs, dtype=np.uint8)
        labels = [ACTION_OF_BYTE[int(b)] for b in inputs[::FS]]
        assert run_inputs(demo.map_data, np.repeat(inputs[::FS], FS)[:len(inputs)]).outcome == "won"
        raw, _, outcome = noisy_expert_episode(demo.map_data, noise=0.0, memory=False, **EPISODE)
        assert outcome == "won"
        raw_labels = [ACTION_OF_BYTE[int(b)] for b in raw[::FS]]
        sim = Simulator(demo.map_data)
        for label in raw_labels:  # the episode: at every decision, what a fresh expert answers on that state
            assert label == _fresh(demo.map_data, sim.snapshot())
            for _ in range(FS):
                sim.tick(*ACTION_CONTROLS[label])
                if sim.won:
                    break
        # the demo is that episode with the jumps that changed nothing cleared (npp_sim.canonical)
        differ = [(r, d) for r, d in zip(raw_labels, labels, strict=True) if r != d]
        assert len(differ) == row["jumps_cleared"]
        assert all(ACTION_CONTROLS[d] == (ACTION_CONTROLS[r][0], 0) for r, d in differ)
    lines: list[str] = []
    again = build_demos.build(out, 1, categories=["very_simple"], easy_factor=2, expert="receding",
                              noisy_per_level=1, replan_nodes=500, log=lines.append)
    assert lines[0].startswith(f"resuming: {2 + len(m['noisy'])} demos")
    assert again["demos"] == m["demos"] and again["noisy"] == m["noisy"]


def test_a_plan_build_keeps_its_manifest_form_and_experts_are_checked(tmp_path):
    m = build_demos.build(tmp_path / "plan", 1, categories=["very_simple"], easy_factor=1, max_nodes=2000,
                          log=lambda s: None)
    assert "expert" not in m["planner"]  # the committed demos' manifests still resume
    assert json.loads((tmp_path / "plan" / "manifest.json").read_text())["demos"][0]["file"].endswith(".replay")
    with pytest.raises(ValueError, match="expert must be one of plan, receding"):
        build_demos.build(tmp_path / "x", 1, expert="mpc")


def test_takeover_with_the_receding_expert_searches_at_every_decision(easy_level, monkeypatch):
    from npp_sim.planner import takeover

    made = []
    real = takeover.PlannerExpert

    def spy(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(takeover, "PlannerExpert", spy)
    inputs, student, outcome = takeover.takeover_episode(easy_level, [2, 2], 2, frame_skip=FS, max_nodes=20000,
                                                         replan_nodes=500, memory=False)
    assert outcome == "won" and student == [0, 1]
    (expert,) = made
    assert not expert.memory
    assert expert.stats["replans"] == expert.stats["calls"] == -(-len(inputs) // FS) - 2
