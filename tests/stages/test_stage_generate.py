"""stage=generate: shards from real replays, the cache, worker-count independence, SIGKILL safety."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from npp_sim.formats import read_demo
from npp_sim.regenerate import actions_of_inputs

from imitation_pipeline.data.generation import ObsConfig, generate_shards, load_manifest
from imitation_pipeline.data.shards import read_shard

REPLAYS = [
    "20251022_142001_train_very_simple_100001.replay",
    "20251022_142003_train_mine_heavy_100002.replay",
    "20251022_142012_train_simple_100005.replay",
]
DAMAGED = "20251022_151333_train_simple_100001.replay"


@pytest.fixture()
def replay_dir(npp_reference, tmp_path) -> Path:
    d = tmp_path / "replays"
    d.mkdir()
    for name in [*REPLAYS, DAMAGED]:
        shutil.copy(npp_reference / "replays" / name, d / name)
    shutil.copy(npp_reference / "attract" / "11", d / "attract_11")  # dies: not a success
    return d


def _cli(args: list[str], cwd: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "imitation_pipeline", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_shard_actions_equal_recorded_inputs(replay_dir, tmp_path) -> None:
    cfg = ObsConfig(modalities=("player_frame", "game_state"))
    path, manifest = generate_shards(replay_dir, tmp_path / "cache", cfg, workers=1, progress=False)
    assert [s["file"] for s in manifest["shards"]] == sorted(REPLAYS)
    excluded = {e["file"]: e["reason"] for e in manifest["excluded"]}
    assert "map block" in excluded[DAMAGED] and "not won (died)" in excluded["attract_11"]
    for rec in manifest["shards"]:
        demo = read_demo(replay_dir / rec["file"])
        shard = read_shard(path.parent / rec["shard"])
        assert np.array_equal(shard.actions, actions_of_inputs(demo.inputs))  # pairing: obs t with input t
        assert shard.frames.tolist() == list(range(len(demo.inputs)))
        assert shard.obs["player_frame"].shape == (len(demo.inputs), 1, 84, 84)
        assert shard.meta["outcome"] == "won" and shard.meta["category"] in ("very_simple", "mine_heavy", "simple")
    assert manifest["totals"]["observation_bytes"] / manifest["totals"]["replay_bytes"] > 200
    assert load_manifest(path) == {k: v for k, v in manifest.items() if k != "run"}


def test_cache_and_worker_count_give_identical_bytes(replay_dir, tmp_path) -> None:
    cfg = ObsConfig(modalities=("player_frame", "game_state", "entities"), stride=2)
    p1, m1 = generate_shards(replay_dir, tmp_path / "a", cfg, workers=1, progress=False)
    p2, m2 = generate_shards(replay_dir, tmp_path / "b", cfg, workers=2, progress=False)
    assert m1["run"]["computed"] == 5 and m2["run"]["computed"] == 5  # 3 shards + 2 exclusion verdicts
    assert p1.read_bytes() == p2.read_bytes() and p1.name == p2.name
    for rec in m1["shards"]:
        assert (p1.parent / rec["shard"]).read_bytes() == (p2.parent / rec["shard"]).read_bytes()
    _, m3 = generate_shards(replay_dir, tmp_path / "a", cfg, workers=2, progress=False)
    assert m3["run"] == {**m3["run"], "computed": 0, "cached": 5}  # nothing redone, exclusions included
    _, m4 = generate_shards(replay_dir, tmp_path / "a", ObsConfig(modalities=("game_state",)), progress=False)
    assert m4["run"]["computed"] == 5  # another observation config never reuses shards
    assert include_flag_changes_selection(replay_dir, tmp_path)


def include_flag_changes_selection(replay_dir: Path, tmp_path: Path) -> bool:
    cfg = ObsConfig(modalities=("game_state",))
    _, m = generate_shards(replay_dir, tmp_path / "c", cfg, include_unsuccessful=True, progress=False)
    return "attract_11" in [s["file"] for s in m["shards"]]


def test_sigkill_midway_leaves_no_partial_shard_and_rerun_is_identical(npp_reference, cfg, tmp_path) -> None:
    """The reference and the rerun in this process, the killed run as the CLI (SIGKILL needs a process)."""
    from imitation_pipeline.stages import generate

    src = tmp_path / "many"
    src.mkdir()
    names = sorted(p.name for p in (npp_reference / "replays").iterdir() if p.name != DAMAGED)[:24]
    for n in names:
        shutil.copy(npp_reference / "replays" / n, src / n)
    args = ["stage=generate", f"dataset.path={src}", "arch=hgt", "generate.workers=1"]

    generate.run(cfg(*args, f"generate.cache_dir={tmp_path / 'ref'}"))
    cache = tmp_path / "killed"
    proc = _cli([*args, f"generate.cache_dir={cache}", f"hydra.run.dir={tmp_path / 'run'}"], tmp_path,
                env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.time() + 600
    while time.time() < deadline and not list(cache.rglob("*.npz")):
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    visible = list(cache.rglob("*.npz"))
    assert 0 < len(visible) < len(names), "the kill must land part-way through the run"
    assert not list(cache.rglob("manifest-*.json"))
    ref_dir = next((tmp_path / "ref").iterdir())
    for shard in visible:  # every shard a reader can see is complete and final
        assert shard.read_bytes() == (ref_dir / shard.name).read_bytes()

    generate.run(cfg(*args, f"generate.cache_dir={cache}"))
    got_dir = next(cache.iterdir())
    ref_files = sorted(p.name for p in ref_dir.iterdir() if not p.name.startswith("."))
    assert sorted(p.name for p in got_dir.iterdir() if not p.name.startswith(".")) == ref_files
    for name in ref_files:
        assert (got_dir / name).read_bytes() == (ref_dir / name).read_bytes(), name
    manifest = json.loads(next(got_dir.glob("manifest-*.json")).read_text())
    assert manifest["totals"]["replays"] == len(names)


def test_missing_dataset_dir_is_one_line(tmp_path) -> None:
    proc = _cli(["stage=generate", f"dataset.path={tmp_path / 'nope'}"], tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert [ln for ln in err.splitlines() if ln.strip()] == [f"error: {tmp_path / 'nope'}: replay directory not found"]


def test_a_replay_limit_spreads_over_levels(tmp_path) -> None:
    """``limit`` (bc.max_replays) takes one replay of every level before a second of any, the clean
    ``<level>.replay`` first, so a tiny budget on a folder with many noisy demos per level still has levels
    to split (the first 8 by name were once 7 files of one level)."""
    from imitation_pipeline.data.generation import spread_over_levels

    names = [f"a_{i}.noisy{k}.replay" for i in range(3) for k in range(6)] + [f"a_{i}.replay" for i in range(3)]
    names += ["human.v1", "zz.replay"]
    order = [p.name for p in spread_over_levels([tmp_path / n for n in sorted(names)])]
    assert order[:5] == ["a_0.replay", "a_1.replay", "a_2.replay", "human.v1", "zz.replay"]
    assert order[5:8] == ["a_0.noisy0.replay", "a_1.noisy0.replay", "a_2.noisy0.replay"]
    assert sorted(order) == sorted(names)
