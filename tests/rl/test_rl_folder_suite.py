"""Suites from a folder of N++ files (issue 17): evaluate.levels_dir, and the bad-input lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rl_support import tiny_checkpoint

from imitation_pipeline.errors import DatasetError

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


def _evaluate(tmp_path: Path, levels_dir: Path) -> subprocess.CompletedProcess:
    pt = _checkpoint(tmp_path / "final.pt")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "imitation_pipeline", "stage=evaluate", f"evaluate.checkpoint={pt}",
                           f"evaluate.levels_dir={levels_dir}", "evaluate.max_episode_frames=8",
                           "evaluate.progress=false", f"hydra.run.dir={tmp_path / 'r'}"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)


def test_evaluate_on_a_folder(tmp_path) -> None:
    folder = _folder(tmp_path / "maps")
    proc = _evaluate(tmp_path, folder)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((tmp_path / "r" / "evaluation.json").read_text())
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
    out = proc.stdout + proc.stderr
    assert "notes.bin: not a map" in out  # one line naming the file and the reason


def test_empty_folder_is_one_error_line(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    proc = _evaluate(tmp_path, tmp_path / "empty")
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "evaluate.levels_dir" in lines[0] and "no N++ map" in lines[0], proc.stderr


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
