"""BC data selection: category-stratified demo subsets (the data-scaling curve) and held-out eval levels."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from imitation_pipeline.data.npp_datamodule import split_replays, stratified_sample


def _records(counts: dict[str, int]) -> list[dict]:
    out = []
    for cat, n in counts.items():
        for i in range(n):
            out.append({"category": cat, "sha256": hashlib.sha256(f"{cat}{i}".encode()).hexdigest(),
                        "level_id": f"{cat}_{i}"})
    return out


def test_stratified_sample_keeps_category_shares():
    recs = _records({"very_simple": 90, "simple": 90, "medium": 60, "complex": 60})
    ids = stratified_sample(recs, 30, seed=0)
    assert len(ids) == len(set(ids)) == 30  # one replay per level here
    got = {}
    for i in ids:
        got[recs[i]["category"]] = got.get(recs[i]["category"], 0) + 1
    assert got == {"very_simple": 9, "simple": 9, "medium": 6, "complex": 6}
    assert stratified_sample(recs, 30, seed=0) == ids  # deterministic
    assert stratified_sample(recs, 30, seed=1) != ids  # the seed picks another sample
    # a larger sample of the same seed contains the smaller one (nested data-scaling subsets)
    assert set(ids) <= set(stratified_sample(recs, 100, seed=0))
    assert stratified_sample(recs, 0, seed=0) == list(range(len(recs)))
    assert stratified_sample(recs, 10_000, seed=0) == list(range(len(recs)))


def test_sample_takes_whole_levels():
    recs = _records({"a": 10, "b": 10})
    recs += [{**r, "sha256": r["sha256"] + "n"} for r in recs]  # a noisy demo of every level
    ids = stratified_sample(recs, 4, seed=0)
    levels = {recs[i]["level_id"] for i in ids}
    assert len(levels) == 4 and len(ids) == 8


def test_split_of_a_sample_stays_inside_it():
    recs = _records({"a": 20, "b": 10})
    pool = stratified_sample(recs, 12, seed=3)
    tr, va = split_replays([recs[i] for i in pool], 0.25, 3)
    assert sorted(tr + va) == list(range(12)) and len(va) == 3


def test_eval_levels_are_not_demo_or_training_levels():
    from omegaconf import OmegaConf

    from imitation_pipeline.rl.levels import EVAL_OFFSET, level_set

    suites = OmegaConf.create({"train": {"very_simple": 2}, "eval": {"very_simple": 2}, "test": {"very_simple": 1}})
    train, ev = level_set(suites, "train"), level_set(suites, "eval")
    assert not set(train.names) & set(ev.names)
    assert all(int(n.rsplit("_", 1)[1]) % 1_000_000 >= EVAL_OFFSET for n in ev.names)
    from imitation_pipeline.errors import UserFacingError

    with pytest.raises(UserFacingError, match="at most"):
        level_set(OmegaConf.create({"train": {"very_simple": EVAL_OFFSET + 1}, "eval": {"very_simple": 1}}), "eval")


def test_rollout_env_observes_like_the_shards_and_cuts_at_rollout_max_frames():
    """The time-remaining feature must use env.max_frames (as generate does), not the rollout cap."""
    from npp_sim.levelgen import generate_level
    from npp_sim.observation_spec import GAME_STATE_FIELDS
    from omegaconf import OmegaConf

    from imitation_pipeline.training.bc_data import rollout_spec

    cfg = OmegaConf.create({"env": {"frame_skip": 4, "max_frames": 20000, "reward_shaping": "path_distance",
                                    "reward": {"win": 1.0, "death": -0.5, "switch": 0.1, "time_penalty": 0.0}},
                            "arch": {"modalities": ["player_frame", "game_state"]}})
    lvl = generate_level("very_simple", 100000000)
    spec = rollout_spec(cfg, ["game_state"], 40)
    assert spec.shaping == "none" and rollout_spec(cfg, ["game_state"], 10**6).max_episode_steps == 20000 // 4
    env = replace(spec, maps=[lvl.map_data], names=["a"])()
    obs, _ = env.reset(options={"level_index": 0})
    t = GAME_STATE_FIELDS.index("time_remaining")
    steps, done = 0, False
    while not done:
        obs, _, term, trunc, _ = env.step(0)
        steps, done = steps + 1, term or trunc
    assert steps == 10  # 40 frames at frame_skip 4
    assert obs["game_state"][t] == pytest.approx(1.0 - 40 / 20000)
