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


def test_manifest_lists_exactly_the_replays():
    m = _manifest()
    assert m["format"] == "npp-planner-demos" and m["version"] == 1
    listed = sorted(d["file"] for d in m["demos"])
    assert listed == sorted(p.name for p in DEMO_DIR.glob("*.replay"))
    assert len(listed) == len(set(listed)) > 0
    assert len({d["level_id"] for d in m["demos"]}) == len(listed)


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
