"""stage=generate at the decision rate: executable labels, observations from the held states, the
manifest's executability fields, generate.relabel / generate.require_executable, the cache key."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from npp_sim.env import NppEnv
from npp_sim.formats import write_demo
from npp_sim.observations import ObservationBuilder
from npp_sim.regenerate import actions_of_inputs, regenerate
from npp_sim.relabel import decision_labels, held_input_bytes
from relabel_support import STRIDE, frame_level_case

from imitation_pipeline.data import generation
from imitation_pipeline.data.generation import ObsConfig, generate_shards
from imitation_pipeline.data.shards import read_shard

MODALITIES = ("game_state", "entities")
FRAME_LEVEL = "a_frame_level.replay"  # raw labels not executable at stride 4
BLOCKS = "b_blocks.replay"  # the same level played at the decision rate: raw labels win
UNFINISHED = "c_unfinished.replay"  # half of the frame-level run: not won


@pytest.fixture(scope="module")
def replay_dir(tmp_path_factory) -> Path:
    map_data, inputs, name = frame_level_case()
    d = tmp_path_factory.mktemp("replays")
    write_demo(d / FRAME_LEVEL, map_data, inputs, success=True, level_id=name, category="very_simple")
    held = decision_labels(map_data, inputs, STRIDE)
    write_demo(d / BLOCKS, map_data, held_input_bytes(held.labels, STRIDE)[: len(held.hor)], success=True,
               level_id=name, category="very_simple", frame_skip=STRIDE)
    write_demo(d / UNFINISHED, map_data, inputs[: len(inputs) // 2], success=False, level_id=name,
               category="very_simple")
    return d


def _generate(replay_dir: Path, cache: Path, **kw):
    cfg = ObsConfig(modalities=MODALITIES, stride=kw.pop("stride", STRIDE), **kw)
    path, manifest = generate_shards(replay_dir, cache, cfg, progress=False, include_unsuccessful=False)
    return path, manifest, {r["file"]: r for r in manifest["shards"]}


def _env_observations(map_data: bytes, labels) -> tuple[list[dict], dict]:
    env = NppEnv([map_data], observation=MODALITIES, frame_skip=STRIDE)
    obs, info = env.reset(options={"level_index": 0})
    seen = []
    for a in labels:
        seen.append({k: v.copy() for k, v in obs.items()})
        obs, _, term, trunc, info = env.step(int(a))
        if term or trunc:
            break
    return seen, info


def test_relabelled_shard_is_executable_and_observed_on_its_own_states(replay_dir, tmp_path) -> None:
    map_data, inputs, _ = frame_level_case()
    path, manifest, recs = _generate(replay_dir, tmp_path / "cache")
    rec = recs[FRAME_LEVEL]
    assert rec["executable"] is True and rec["relabelled"] is True and rec["reason"] is None
    dl = decision_labels(map_data, inputs, STRIDE)  # the record reports the relabelling's own figures
    assert isinstance(rec["search_share"], float) and rec["search_share"] == round(dl.search_share, 6)
    assert rec["label_source"] == dl.source and rec["label_source"] in ("tracking", "tracking+search", "search")
    assert recs[BLOCKS]["executable"] and not recs[BLOCKS]["relabelled"] and recs[BLOCKS]["search_share"] == 0.0
    shard = read_shard(path.parent / rec["shard"])
    assert np.array_equal(shard.actions, dl.labels)
    assert shard.frames.tolist() == list(range(0, STRIDE * len(shard.actions), STRIDE))
    # the env holding each label 4 frames sees exactly the shard's observations, and wins on the last
    seen, info = _env_observations(map_data, shard.actions)
    assert info["is_success"] and len(seen) == len(shard.actions)
    for key in MODALITIES:
        assert np.array_equal(np.stack([o[key] for o in seen]), shard.obs[key]), key
    # the manifest: executability summary and the unfinished replay left out as before
    e = manifest["executability"]
    assert e == {**e, "stride": STRIDE, "checked": 2, "executable": 2, "executable_raw": 1, "relabelled": 1,
                 "not_executable": 0, "not_executable_left_out": 0}
    assert [(x["file"], x["reason"], x["executable"]) for x in manifest["excluded"]] == \
        [(UNFINISHED, "not won (neither)", False)]


def test_require_executable_leaves_out_with_the_reason_or_keeps_raw_labels(replay_dir, tmp_path) -> None:
    map_data, inputs, _ = frame_level_case()
    _, manifest, recs = _generate(replay_dir, tmp_path / "on", relabel=False)
    assert FRAME_LEVEL not in recs and recs[BLOCKS]["executable"]
    left = {x["file"]: x for x in manifest["excluded"]}[FRAME_LEVEL]
    assert left["reason"].startswith(f"not executable at stride {STRIDE}: held labels ")
    assert left["executable"] is False and left["relabelled"] is False
    e = manifest["executability"]
    assert (e["checked"], e["executable"], e["not_executable"], e["not_executable_left_out"]) == (2, 1, 1, 1)
    assert e["not_executable_files"] == [{"file": FRAME_LEVEL, "reason": left["reason"]}]

    path, manifest, recs = _generate(replay_dir, tmp_path / "off", relabel=False, require_executable=False)
    rec = recs[FRAME_LEVEL]
    assert rec["executable"] is False and rec["reason"] == left["reason"] and rec["label_source"] == "raw"
    assert manifest["executability"]["not_executable_left_out"] == 0
    shard = read_shard(path.parent / rec["shard"])  # raw labels on the human's states, as before
    obs, actions, frames = regenerate(map_data, inputs, ObservationBuilder(MODALITIES), stride=STRIDE)
    assert np.array_equal(shard.actions, actions) and np.array_equal(shard.frames, frames)
    assert np.array_equal(shard.obs["game_state"], obs["game_state"])


def test_stride_one_is_unchanged(replay_dir, tmp_path) -> None:
    _, inputs, _ = frame_level_case()
    path, manifest, recs = _generate(replay_dir, tmp_path / "one", stride=1)
    rec = recs[FRAME_LEVEL]
    assert rec["executable"] and not rec["relabelled"] and rec["search_share"] == 0.0
    shard = read_shard(path.parent / rec["shard"])
    assert np.array_equal(shard.actions, actions_of_inputs(inputs))
    assert manifest["executability"]["executable"] == 2


def test_cache_key_and_fingerprint_cover_the_new_settings() -> None:
    cfg = ObsConfig(modalities=MODALITIES, stride=STRIDE)
    keys = {cfg.key(), replace(cfg, relabel=False).key(), replace(cfg, require_executable=False).key()}
    assert len(keys) == 3
    sources = generation.simulator_sources()
    assert "relabel.py" in sources and "planner/search.py" in sources
    import npp_sim

    root = Path(npp_sim.__file__).parent
    assert all((root / name).is_file() for name in sources)


def test_summary_reports_the_executable_share(replay_dir, cfg, tmp_path, caplog) -> None:
    from imitation_pipeline.stages import generate

    def run(*extra: str) -> str:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="imitation_pipeline"):
            generate.run(cfg("stage=generate", f"dataset.path={replay_dir}", f"generate.cache_dir={tmp_path / 'cache'}",
                             f"env.frame_skip={STRIDE}", *extra))
        return "\n".join(caplog.messages)

    out = run()
    assert "executable at stride 4: 2/2 won replays (100.0%; raw labels 1, relabelled 1" in out
    out = run("generate.relabel=false")
    assert "executable at stride 4: 1/2 won replays" in out
    assert "not executable: 1 (1 left out, 0 kept with raw labels)" in out
    assert f"left out {FRAME_LEVEL}: not executable at stride 4: held labels " in out
