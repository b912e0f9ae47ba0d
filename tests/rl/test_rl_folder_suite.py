"""Suites from a folder of N++ files (issue 17): evaluate.levels_dir, and the bad-input lines."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from rl_support import tiny_checkpoint

from imitation_pipeline.errors import DatasetError, user_error_types

_checkpoint = tiny_checkpoint


def _folder(root: Path) -> Path:
    """One raw map in simple/, a v2 replay of another level, a duplicate of the raw map, a junk file."""
    from npp_sim.formats import write_demo
    from npp_sim.levelgen import generate_level

    root.mkdir(parents=True)
    (root / "simple").mkdir()
    raw = generate_level("simple", 1).map_data
    (root / "simple" / "level.map").write_bytes(raw)
    (root / "zz_copy.map").write_bytes(raw)  # sorts after simple/level.map: the copy is the one left out
    other = generate_level("very_simple", 2).map_data
    write_demo(root / "played.replay", other, np.zeros(20, dtype=np.uint8), success=None)
    (root / "notes.bin").write_bytes(b"this is not a map\n" * 100)
    return root


def _evaluate(cfg, tmp_path: Path, levels_dir: Path) -> dict:
    from imitation_pipeline.stages import evaluate

    pt = _checkpoint(tmp_path / "final.pt")
    return evaluate.run(cfg("stage=evaluate", f"evaluate.checkpoint={pt}", f"evaluate.levels_dir={levels_dir}",
                            "evaluate.max_episode_frames=8", f"run_dir={tmp_path / 'r'}"))


def test_evaluate_on_a_folder(cfg, tmp_path, caplog) -> None:
    folder = _folder(tmp_path / "maps")
    with caplog.at_level(logging.INFO, logger="imitation_pipeline"):
        returned = _evaluate(cfg, tmp_path, folder)
    result = json.loads((tmp_path / "r" / "evaluation.json").read_text())
    assert result["levels"] == returned["levels"]
    assert result["suite"] == "folder" and result["levels_dir"] == str(folder.resolve())
    levels = {lv["file"]: lv for lv in result["levels"]}
    assert set(levels) == {"simple/level.map", "played.replay"}  # the duplicate counts once
    assert levels["simple/level.map"]["category"] == "simple" and levels["simple/level.map"]["format"] == "map"
    assert levels["played.replay"]["category"] == "custom" and levels["played.replay"]["format"] == "v2"
    assert all(lv["skipped_entity_types"] == {} for lv in levels.values())
    assert result["suite_counts"] == {"simple": 1, "custom": 1}
    assert {r["level"] for r in result["episodes"]} == {"simple/level.map", "played.replay"}
    skipped = {s["file"]: s["reason"] for s in result["skipped"]}
    assert set(skipped) == {"notes.bin", "zz_copy.map"}
    assert "not a map" in skipped["notes.bin"] and "simple/level.map" in skipped["zz_copy.map"]
    assert any("notes.bin: not a map" in m for m in caplog.messages)  # one line naming the file and the reason


def test_empty_folder_is_one_error_line(cfg, tmp_path) -> None:
    """A user error (the CLI prints it as one ``error:`` line, exit status 2) naming the option."""
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError) as err:
        _evaluate(cfg, tmp_path, tmp_path / "empty")
    msg = str(err.value)
    assert isinstance(err.value, user_error_types()) and "\n" not in msg
    assert "evaluate.levels_dir" in msg and "no N++ map" in msg


def test_folder_without_maps_and_skipped_entity_types(tmp_path) -> None:
    from npp_sim.levelgen import generate_level

    from imitation_pipeline.rl.folder_suite import folder_level_set

    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.txt").write_text("hello")
    with pytest.raises(DatasetError, match="no N\\+\\+ map in folder"):
        folder_level_set(tmp_path / "junk", "evaluate.levels_dir")
    # a map with a record of a type the simulator does not model (23): evaluated, the type reported
    raw = bytearray(generate_level("very_simple", 3).map_data)
    raw[1150 + 2 * 23] = 1  # count[23]
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "m").write_bytes(bytes(raw) + bytes([23, 30, 30, 0, 0]))
    levels = folder_level_set(tmp_path / "odd", "suites.eval_dir")
    assert levels.names == ["m"] and levels.categories == ["custom"]
    assert levels.skipped_entity_types == [{"23": 1}]
