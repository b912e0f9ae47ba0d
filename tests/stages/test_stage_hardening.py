"""verify and generate under hostile input: per-replay failures as rows, duplicate replays, damaged
shards, the simulator fingerprint, manifests and non-files in replay folders, over-long replays."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imitation_pipeline.data import generation
from imitation_pipeline.data.generation import ObsConfig, generate_shards
from imitation_pipeline.stages.verify import verify_file

GOOD = "20251022_142001_train_very_simple_100001.replay"
CFG = ObsConfig(modalities=("game_state",))


@pytest.fixture()
def replay_dir(npp_reference, tmp_path) -> Path:
    d = tmp_path / "replays"
    d.mkdir()
    shutil.copy(npp_reference / "replays" / GOOD, d / GOOD)
    return d


def _boom(*args, **kwargs):
    raise ZeroDivisionError("division by zero")


def test_verify_reports_a_simulator_failure_as_the_replays_row(replay_dir, monkeypatch) -> None:
    import npp_sim.simulator

    monkeypatch.setattr(npp_sim.simulator, "run_inputs", _boom)
    rec = verify_file(replay_dir / GOOD, lr_rule="cancel", play_inconsistent=False)
    assert rec["outcome"] is None and "ZeroDivisionError" in rec["error"] and rec["error"].startswith(GOOD)


def test_generate_reports_a_simulator_failure_and_still_writes_the_manifest(replay_dir, tmp_path,
                                                                            monkeypatch) -> None:
    import npp_sim.simulator

    shutil.copy(replay_dir / GOOD, replay_dir / "other.replay")
    (replay_dir / "other.replay").write_bytes((replay_dir / GOOD).read_bytes()[:-1] + b"\x00")
    monkeypatch.setattr(npp_sim.simulator, "run_inputs", _boom)
    path, manifest = generate_shards(replay_dir, tmp_path / "cache", CFG, workers=1, progress=False)
    assert path.is_file() and manifest["shards"] == []
    reasons = {e["file"]: e["reason"] for e in manifest["excluded"]}
    assert set(reasons) == {GOOD, "other.replay"} and all("ZeroDivisionError" in r for r in reasons.values())
    monkeypatch.undo()  # a crash is not cached: once fixed, the replay is processed
    _, manifest = generate_shards(replay_dir, tmp_path / "cache", CFG, workers=1, progress=False)
    assert GOOD in [s["file"] for s in manifest["shards"]]


def test_identical_replays_under_two_names_each_listed_once(replay_dir, tmp_path) -> None:
    for name in ("b_copy.replay", "z_copy.replay"):
        shutil.copy(replay_dir / GOOD, replay_dir / name)
    keys = []
    for _ in range(3):  # computed, then from cache (twice)
        _, manifest = generate_shards(replay_dir, tmp_path / "cache", CFG, workers=1, progress=False)
        assert [s["file"] for s in manifest["shards"]] == sorted([GOOD, "b_copy.replay", "z_copy.replay"])
        keys.append(manifest["dataset_key"])
    assert len(set(keys)) == 1


def test_a_shard_with_damaged_arrays_is_rebuilt(replay_dir, tmp_path) -> None:
    path, manifest = generate_shards(replay_dir, tmp_path / "cache", CFG, workers=1, progress=False)
    shard = path.parent / manifest["shards"][0]["shard"]
    good = shard.read_bytes()
    data = bytearray(good)
    data[200] ^= 0xFF  # inside the first (observation) member; the metadata still reads fine
    shard.write_bytes(bytes(data))
    _, manifest = generate_shards(replay_dir, tmp_path / "cache", CFG, workers=1, progress=False)
    assert manifest["run"]["computed"] == 1 and manifest["run"]["cached"] == 0
    assert shard.read_bytes() == good


def test_fingerprint_covers_every_module_of_the_observation_path(tmp_path, monkeypatch) -> None:
    sources = generation.simulator_sources()
    for name in ("world.py", "env.py", "kernel.py", "observations.py", "relabel.py", "planner/search.py",
                 "simulator.py", "map_data.py", "tiles.py"):
        assert name in sources, name
    # a new module imported by the observation path is covered without editing a list
    import npp_sim

    pkg = tmp_path / "npp_sim"
    shutil.copytree(Path(npp_sim.__file__).parent, pkg, ignore=shutil.ignore_patterns("__pycache__", "*.nb*"))
    (pkg / "newdep.py").write_text("X = 1\n")
    world = pkg / "world.py"
    world.write_text(world.read_text() + "\nfrom npp_sim import newdep  # noqa\n")
    monkeypatch.setattr(npp_sim, "__file__", str(pkg / "__init__.py"))
    assert "newdep.py" in generation.simulator_sources()


def test_fingerprint_changes_when_world_changes(tmp_path, monkeypatch) -> None:
    import npp_sim

    pkg = tmp_path / "npp_sim"
    shutil.copytree(Path(npp_sim.__file__).parent, pkg, ignore=shutil.ignore_patterns("__pycache__", "*.nb*"))
    monkeypatch.setattr(npp_sim, "__file__", str(pkg / "__init__.py"))
    generation.simulator_fingerprint.cache_clear()
    before = generation.simulator_fingerprint()
    (pkg / "world.py").write_text((pkg / "world.py").read_text() + "\n# edited\n")
    generation.simulator_fingerprint.cache_clear()
    after = generation.simulator_fingerprint()
    monkeypatch.undo()
    generation.simulator_fingerprint.cache_clear()
    assert before != after


def test_non_files_and_json_are_not_replays(replay_dir, tmp_path) -> None:
    (replay_dir / "manifest.json").write_text("{}")
    (replay_dir / "subdir").mkdir()
    os.mkfifo(replay_dir / "pipe")
    (replay_dir / "dangling").symlink_to(tmp_path / "nowhere")
    rows = {r["file"]: r for r in _verify_records(replay_dir, tmp_path)}
    assert "manifest.json" not in rows
    assert rows[GOOD]["outcome"] == "won"
    assert "directory" in rows["subdir"]["error"] and "dangling link" in rows["dangling"]["error"]
    assert "skipped" in rows["pipe"]["error"]
    _, manifest = generate_shards(replay_dir, tmp_path / "cache", CFG, workers=1, progress=False)
    excluded = {e["file"]: e["reason"] for e in manifest["excluded"]}
    assert set(excluded) == {"subdir", "pipe", "dangling"} and all("skipped" in r for r in excluded.values())


def test_overlong_replay_is_refused_before_simulating(tmp_path, monkeypatch) -> None:
    import npp_sim.simulator
    from npp_sim.formats import write_demo
    from npp_sim.levelgen import generate_level

    d = tmp_path / "long"
    write_demo(d / "long.replay", generate_level("very_simple", 100_000_000).map_data,
               np.zeros(50_001, np.uint8), success=False)
    monkeypatch.setattr(npp_sim.simulator, "run_inputs", _boom)  # must not be reached
    rec = verify_file(d / "long.replay", lr_rule="cancel", play_inconsistent=False, max_frames=20_000)
    assert "50001 frames" in rec["error"] and "ZeroDivision" not in rec["error"]
    _, manifest = generate_shards(d, tmp_path / "cache", ObsConfig(modalities=("game_state",), max_frames=20_000),
                                  workers=1, progress=False)
    assert "more than the limit of 20000" in manifest["excluded"][0]["reason"]


def _verify_records(replay_dir: Path, cwd: Path, *extra: str) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "imitation_pipeline", "stage=verify",
                           f"verify.replay_dir={replay_dir}", "hydra.run.dir=run", *extra],
                          capture_output=True, text=True, cwd=cwd, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads((cwd / "run" / "verify_report.json").read_text())


def test_relative_verify_report_goes_into_the_run_directory(replay_dir, tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "imitation_pipeline", "stage=verify",
                           f"verify.replay_dir={replay_dir}", "verify.report=report.json", "hydra.run.dir=run"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "run" / "report.json").is_file() and not (tmp_path / "report.json").exists()
