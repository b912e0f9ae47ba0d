"""A BC checkpoint records its level split, and ``stage=evaluate evaluate.bc_levels=train|val`` plays exactly
those levels (the cheap invariant: does the policy win the levels it was trained on?)."""

from __future__ import annotations

import json
import shutil

import pytest
from rl_support import tiny_checkpoint

from imitation_pipeline.checkpoint import load_checkpoint
from imitation_pipeline.errors import CheckpointError, DatasetError, UserFacingError

BC = ["stage=bc", "arch=simple_cnn", "bc.rollout_every_n_epochs=0", "trainer.max_epochs=1",
      "dataset.val_fraction=0.34"]


@pytest.fixture(scope="module")
def bc_run(module_cfg, demo_dir, tmp_path_factory):
    """A one-epoch BC on a copy of the tiny demo set (6 levels, split by level): (checkpoint, demo folder)."""
    from imitation_pipeline.stages import bc

    demos = tmp_path_factory.mktemp("bc-levels") / "demos"
    shutil.copytree(demo_dir, demos)
    run = demos.parent / "run"
    summary = bc.run(module_cfg(*BC, f"dataset.path={demos}", f"run_dir={run}"))
    return summary["best_checkpoint"], demos


def _demo_levels(demos) -> dict[str, set[str]]:
    """{"<category>/<level_id>": {replay files}} of the demo folder (from each replay's metadata)."""
    from npp_sim.formats import read_demo

    out: dict[str, set[str]] = {}
    for f in sorted(demos.glob("*.replay")):
        meta = read_demo(f).meta
        out.setdefault(f"{meta['category']}/{meta['level_id']}", set()).add(f.name)
    return out


def test_the_checkpoint_records_a_level_split_of_the_demos(bc_run) -> None:
    ckpt, demos = bc_run
    split = load_checkpoint(ckpt)["provenance"]["split"]
    levels = _demo_levels(demos)
    assert split["replay_dir"] == str(demos.resolve()) and split["split_by"] == "level"
    train, val = split["train"], split["val"]
    assert train and val and not set(train) & set(val)  # by level: no level on both sides
    assert set(train) | set(val) == set(levels)
    assert all(file in levels[key] for side in (train, val) for key, file in side.items())
    assert len(val) == round(len(levels) * 0.34)


@pytest.mark.parametrize("side", ["train", "val"])
def test_evaluate_plays_exactly_the_levels_of_one_side(bc_run, cfg, tmp_path, side) -> None:
    from imitation_pipeline.stages import evaluate

    ckpt, _ = bc_run
    split = load_checkpoint(ckpt)["provenance"]["split"][side]
    out = evaluate.run(cfg("stage=evaluate", f"evaluate.checkpoint={ckpt}", f"evaluate.bc_levels={side}",
                           "evaluate.episodes=2", "evaluate.max_episode_frames=40",
                           f"evaluate.output={tmp_path / 'e.json'}"))
    assert out["suite"] == f"bc_{side}" and out["bc_split"]["levels"] == sorted(split)
    assert out["bc_split"]["side"] == side and "levels" not in out  # "levels" is the folder suites' record list
    assert sorted({ep["level"] for ep in out["episodes"]}) == sorted(split)
    assert len(out["episodes"]) == 2 * len(split)
    counts: dict[str, int] = {}
    for key in split:
        counts[key.split("/")[0]] = counts.get(key.split("/")[0], 0) + 1
    assert out["suite_counts"] == counts
    assert json.loads((tmp_path / "e.json").read_text())["bc_split"] == out["bc_split"]


def test_a_checkpoint_without_a_split_is_one_clear_error(cfg, tmp_path) -> None:
    from imitation_pipeline.stages import evaluate

    pt = tiny_checkpoint(tmp_path / "final.pt")  # a PPO checkpoint: no BC split
    with pytest.raises(CheckpointError, match=r"final\.pt: records no BC data split") as info:
        evaluate.run(cfg("stage=evaluate", f"evaluate.checkpoint={pt}", "evaluate.bc_levels=train"))
    assert "\n" not in str(info.value)


def test_bc_levels_with_levels_dir_or_an_unknown_side_is_refused(bc_run, cfg) -> None:
    from imitation_pipeline.configs.validate import validate
    from imitation_pipeline.stages import evaluate

    ckpt, demos = bc_run
    with pytest.raises(UserFacingError, match="evaluate.bc_levels and evaluate.levels_dir both set"):
        evaluate.run(cfg("stage=evaluate", f"evaluate.checkpoint={ckpt}", "evaluate.bc_levels=train",
                         f"evaluate.levels_dir={demos}"))
    with pytest.raises(UserFacingError, match=r"invalid option evaluate\.bc_levels.*must be one of null, train, val"):
        validate(cfg("stage=evaluate", f"evaluate.checkpoint={ckpt}", "evaluate.bc_levels=test"))


def test_a_missing_replay_names_the_file(bc_run, cfg) -> None:
    from imitation_pipeline.stages import evaluate

    ckpt, demos = bc_run
    split = load_checkpoint(ckpt)["provenance"]["split"]["val"]
    key, file = next(iter(split.items()))
    (demos / file).rename(demos / (file + ".away"))
    try:
        with pytest.raises(DatasetError, match=rf"{file}: replay of val level {key} is missing") as info:
            evaluate.run(cfg("stage=evaluate", f"evaluate.checkpoint={ckpt}", "evaluate.bc_levels=val"))
        assert str(demos) in str(info.value) and "\n" not in str(info.value)
    finally:
        (demos / (file + ".away")).rename(demos / file)
