"""The committed planner demonstrations (demos/npp) replay as won and match their manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from npp_sim.formats import read_demo
from npp_sim.simulator import run_inputs

DEMO_DIR = Path(__file__).resolve().parents[2] / "demos" / "npp"
MANIFEST = DEMO_DIR / "manifest.json"

pytestmark = pytest.mark.skipif(not MANIFEST.is_file(), reason="demos/npp not built")


def _manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def _takeover_rows() -> list[dict]:
    """The expert takeover demos (stage=takeover, ``make takeover-demos``) listed in takeover.json, if any."""
    path = DEMO_DIR / "takeover.json"
    return json.loads(path.read_text())["demos"] if path.is_file() else []


def _self_demo_rows() -> list[dict]:
    """The student's own wins (stage=self_demos, ``make self-demos``) listed in self_demos.json, if any."""
    path = DEMO_DIR / "self_demos.json"
    return json.loads(path.read_text())["demos"] if path.is_file() else []


def test_manifest_lists_exactly_the_replays():
    m = _manifest()
    assert m["format"] == "npp-planner-demos" and m["version"] == 1
    listed = sorted(d["file"] for d in m["demos"])
    noisy = sorted(d["file"] for d in m.get("noisy", []))
    derived = sorted(d["file"] for d in _takeover_rows() + _self_demo_rows())
    assert sorted(listed + noisy + derived) == sorted(p.name for p in DEMO_DIR.glob("*.replay"))
    assert len(listed) == len(set(listed)) > 0
    assert len({d["level_id"] for d in m["demos"]}) == len(listed)
    # every noisy, takeover and self demo is of a level with a clean demo
    derived_levels = {d["level_id"] for d in m.get("noisy", []) + _takeover_rows() + _self_demo_rows()}
    assert derived_levels <= {d["level_id"] for d in m["demos"]}


def test_every_demo_replays_as_won_and_matches_manifest():
    for d in _manifest()["demos"]:
        demo = read_demo(DEMO_DIR / d["file"])
        assert demo.format == "v2" and demo.success is True
        assert demo.meta["recorder"] == "planner"
        assert str(demo.meta["level_id"]) == d["level_id"]
        assert demo.meta["category"] == d["category"]
        assert demo.frames == d["frames"]
        assert hashlib.sha256(demo.map_data).hexdigest() == d["map_sha256"]
        inputs = np.asarray(demo.inputs, dtype=np.uint8)
        assert hashlib.sha256(inputs.tobytes()).hexdigest() == d["inputs_sha256"]
        assert set(np.unique(inputs).tolist()) <= {0, 1, 2, 3, 4, 5}
        tr = run_inputs(demo.map_data, inputs)
        assert tr.outcome == "won", d["file"]
        assert tr.outcome_frame == d["frames"], d["file"]  # wins on the last input


def test_every_demo_is_executable_at_its_decision_rate():
    """The label sampled every k frames, held for k frames (what an env with frame_skip k does), wins."""
    m = _manifest()
    k = int(m["frame_skip"])
    assert k == 4  # the pipeline's env.frame_skip
    for d in m["demos"]:
        demo = read_demo(DEMO_DIR / d["file"])
        assert demo.meta["extra"]["decision_frame_skip"] == k
        inputs = np.asarray(demo.inputs, dtype=np.uint8)
        held = np.repeat(inputs[::k], k)[:len(inputs)]
        assert np.array_equal(held, inputs), d["file"]  # block-constant: nothing to lose by holding
        assert run_inputs(demo.map_data, held).outcome == "won", d["file"]


def test_noisy_demos_win_and_list_their_noise():
    m = _manifest()
    k = int(m["frame_skip"])
    for d in m.get("noisy", []):
        demo = read_demo(DEMO_DIR / d["file"])
        assert demo.meta["recorder"] == "planner-noisy" and demo.meta["extra"]["decision_frame_skip"] == k
        blocks = demo.meta["extra"]["noise_blocks"]
        assert len(blocks) == d["noise_blocks"] and all(0 <= b < -(-d["frames"] // k) for b in blocks)
        inputs = np.asarray(demo.inputs, dtype=np.uint8)
        assert hashlib.sha256(inputs.tobytes()).hexdigest() == d["inputs_sha256"]
        held = np.repeat(inputs[::k], k)[:len(inputs)]
        assert np.array_equal(held, inputs), d["file"]
        tr = run_inputs(demo.map_data, inputs)
        assert tr.outcome == "won" and tr.outcome_frame == d["frames"], d["file"]


def test_builtin_set_is_big_enough_to_learn_from():
    m = _manifest()
    cats = {}
    for d in m["demos"]:
        cats[d["category"]] = cats.get(d["category"], 0) + 1
    assert len(m["demos"]) >= 300
    assert set(cats) == {"very_simple", "simple", "medium", "complex", "mine_heavy", "exploration"}
    assert min(cats.values()) >= 50


def test_demo_maps_are_the_train_suite_levels():
    m = _manifest()
    if m["suite"] != "train":
        pytest.skip("built from the reference maps")
    from npp_sim.levelgen import GENERATOR_VERSION, generate_level

    if m["generator_version"] != GENERATOR_VERSION:
        pytest.skip("level generator changed since the demos were built")
    for d in m["demos"][::5]:  # a sample: generation is cheap but not free
        lvl = generate_level(d["category"], d["seed"])
        assert lvl.level_id == d["level_id"]
        assert hashlib.sha256(lvl.map_data).hexdigest() == d["map_sha256"]


def test_takeover_demos_win_and_leave_the_student_blocks_unlabelled():
    k = int(_manifest()["frame_skip"])
    for d in _takeover_rows():
        demo = read_demo(DEMO_DIR / d["file"])
        extra = demo.meta["extra"]
        assert demo.meta["recorder"] == "planner-takeover" and extra["decision_frame_skip"] == k
        assert extra["noise_blocks"] == list(range(d["branch"])) == list(range(d["student_blocks"]))
        assert hashlib.sha256((DEMO_DIR / d["file"]).read_bytes()).hexdigest() == d["file_sha256"]
        inputs = np.asarray(demo.inputs, dtype=np.uint8)
        held = np.repeat(inputs[::k], k)[:len(inputs)]
        assert np.array_equal(held, inputs), d["file"]
        tr = run_inputs(demo.map_data, inputs)
        assert tr.outcome == "won" and tr.outcome_frame == d["frames"], d["file"]
