"""stage=self_demos: the student's won episodes become replays (shortest distinct first, every block labelled,
checked in the simulator); rounds are replaced, not mixed; a win that does not replay is an error."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from npp_sim.formats import read_demo
from npp_sim.planner import block_constant
from npp_sim.relabel import decision_labels, labels_of_input_bytes
from npp_sim.simulator import run_inputs
from rl_support import tiny_checkpoint

from imitation_pipeline.dagger import self_demos
from imitation_pipeline.dagger.takeover import demo_levels


def _rec(level: str, episode: int, outcome: str, actions: list[int], category: str = "simple") -> dict:
    return {"level": level, "category": category, "episode": episode, "outcome": outcome, "actions": actions}


def test_kept_wins_are_the_shortest_distinct_wins_per_level() -> None:
    records = [_rec("a", 0, "won", [1, 2, 3]), _rec("a", 1, "won", [1, 2]), _rec("a", 2, "dead", [1]),
               _rec("a", 3, "won", [1, 2]), _rec("a", 4, "won", [5, 5, 5, 5]), _rec("b", 0, "timeout", [0] * 9),
               _rec("c", 0, "won", [3])]
    kept = self_demos.kept_wins(records, keep=2)
    assert [r["episode"] for r in kept["a"]] == [1, 0]  # the shortest; episode 3 repeats episode 1's actions
    assert "b" not in kept and [r["episode"] for r in kept["c"]] == [0]
    assert [r["episode"] for r in self_demos.kept_wins(records, keep=5)["a"]] == [1, 0, 4]


def _demo_wins(demos) -> list[dict]:
    """Won 'episodes' whose actions are the clean demos' decision-rate labels (a perfect student's play)."""
    maps, names, cats = demo_levels(demos)
    out = []
    for path in sorted(demos.glob("*.replay")):
        demo = read_demo(path)
        if "." in path.stem:  # noisy variants: the clean demo of each level is enough
            continue
        name = names[maps.index(demo.map_data)]
        decided = decision_labels(demo.map_data, np.asarray(demo.inputs), 4)  # held for 4 frames, they win
        assert decided.executable, path.name
        labels = decided.labels
        out.append(_rec(name, 0, "won", [int(a) for a in labels], cats[maps.index(demo.map_data)]))
    return out


def test_a_won_episode_becomes_a_labelled_replay_that_wins(demo_dir, tmp_path) -> None:
    record = _demo_wins(demo_dir)[0]
    maps, names, _ = demo_levels(demo_dir)
    row = self_demos.write_win(tmp_path, maps[names.index(record["level"])], record, 3, 4, "ab" * 32)
    demo = read_demo(tmp_path / row["file"])
    assert row["file"].endswith(".self3-0.replay") and demo.meta["recorder"] == "student-wins"
    assert demo.meta["extra"]["decision_frame_skip"] == 4 and "noise_blocks" not in demo.meta["extra"]
    inputs = np.asarray(demo.inputs)
    assert block_constant(inputs, 4) and run_inputs(demo.map_data, inputs).outcome == "won"
    assert labels_of_input_bytes(inputs, 4).tolist() == record["actions"] and row["decisions"] == len(record["actions"])


def test_a_win_that_does_not_replay_is_an_error(demo_dir, tmp_path) -> None:
    record = _demo_wins(demo_dir)[0]
    maps, names, _ = demo_levels(demo_dir)
    fake = {**record, "actions": [0] * 10}  # NOOP for 40 frames wins nothing
    with pytest.raises(self_demos.NotReplayableError, match="won episode 0 neither wins nor dies in 40 frames"):
        self_demos.write_win(tmp_path, maps[names.index(record["level"])], fake, 1, 4, "00")
    assert not list(tmp_path.glob("*.replay"))


@pytest.fixture(scope="module")
def self_demo_run(module_cfg, demo_dir, tmp_path_factory):
    """The stage with its play replaced by the clean demos' labels (two wins per level, one loss), rounds 1, 1, 2."""
    from imitation_pipeline.stages import self_demos as stage

    root = tmp_path_factory.mktemp("self_demos")
    demos = root / "demos"
    shutil.copytree(demo_dir, demos)
    wins = {r["level"]: r for r in _demo_wins(demos)}
    played = []

    def plays(cfg, section, levels, checkpoint, rnd, episodes):
        played.append((list(levels[1]), episodes, rnd))
        recs = []
        for name, cat in zip(levels[1], levels[2], strict=True):
            win = {**wins[name], "category": cat}
            recs += [{**win, "episode": 0}, {**win, "episode": 1}, _rec(name, 2, "dead", [0, 0], cat)]
        return recs, 4, 0.0

    mp = pytest.MonkeyPatch()
    mp.setattr(self_demos, "student_plays", plays)
    ckpt = tiny_checkpoint(root / "student.pt")
    args = ("stage=self_demos", f"self_demos.checkpoint={ckpt}", f"dataset.path={demos}", "self_demos.episodes=3")
    try:
        first = stage.run(module_cfg(*args, "self_demos.skip_categories=[simple]", f"run_dir={root / 'r1'}"))
        manifest1 = json.loads((demos / "self_demos.json").read_text())
        again = stage.run(module_cfg(*args, "self_demos.skip_categories=[simple]", f"run_dir={root / 'r1b'}"))
        second = stage.run(module_cfg(*args, "self_demos.skip_categories=[]", "self_demos.round=2",
                                      f"run_dir={root / 'r2'}"))
    finally:
        mp.undo()
    return {"demos": demos, "first": first, "manifest1": manifest1, "again": again, "second": second,
            "played": played}


def test_self_demos_are_the_kept_wins_of_the_levels_played(self_demo_run) -> None:
    demos, first, manifest = self_demo_run["demos"], self_demo_run["first"]["rounds"][0], self_demo_run["manifest1"]
    levels, episodes, rnd = self_demo_run["played"][0]
    assert len(levels) == 4 and all(n.startswith("very_simple") for n in levels) and (episodes, rnd) == (3, 1)
    per = first["per_category"]
    assert per == {"very_simple": {"levels": 4, "episodes": 12, "won": 8, "written": 4}}  # equal wins kept once
    assert first["written"] == len(manifest["demos"]) == 4 and manifest["format"] == "npp-self-demos"
    for row in manifest["demos"]:
        demo = read_demo(demos / row["file"])
        assert demo.meta["level_id"] == row["level_id"] and row["round"] == 1
        assert run_inputs(demo.map_data, np.asarray(demo.inputs)).outcome == "won"
    assert len(demo_levels(demos)[0]) == 6  # self demos are not levels of their own


def test_rerunning_a_round_replaces_it_and_later_rounds_add(self_demo_run) -> None:
    demos = self_demo_run["demos"]
    manifest = json.loads((demos / "self_demos.json").read_text())
    round1 = sorted(r["file"] for r in manifest["demos"] if r["round"] == 1)
    assert round1 == sorted(r["file"] for r in self_demo_run["manifest1"]["demos"])
    assert len([r for r in manifest["demos"] if r["round"] == 2]) == 6  # skip_categories=[]: every level
    assert {r["file"] for r in manifest["demos"]} == {p.name for p in demos.glob("*.self*.replay")}
    assert self_demo_run["second"]["self_demos"] == 10


def test_an_untrained_student_plays_every_level(module_cfg, demo_dir, tmp_path) -> None:
    from imitation_pipeline.stages import self_demos as stage

    demos = tmp_path / "demos"
    shutil.copytree(demo_dir, demos)
    out = stage.run(module_cfg("stage=self_demos", f"self_demos.checkpoint={tiny_checkpoint(tmp_path / 's.pt')}",
                               f"dataset.path={demos}", "self_demos.episodes=2", "self_demos.skip_categories=[]",
                               "self_demos.max_episode_frames=300", "self_demos.progress=false",
                               f"run_dir={tmp_path / 'run'}"))
    per = out["rounds"][0]["per_category"]
    assert {c: (p["levels"], p["episodes"]) for c, p in per.items()} == {"very_simple": (4, 8), "simple": (2, 4)}
    assert out["self_demos"] == sum(p["written"] for p in per.values()) <= sum(p["won"] for p in per.values())
    assert (tmp_path / "run" / "self_demos_summary.json").is_file()


def test_bad_input_is_one_clear_error(cfg, demo_dir, tmp_path) -> None:
    from imitation_pipeline.errors import UserFacingError
    from imitation_pipeline.stages import self_demos as stage

    with pytest.raises(UserFacingError, match="nowhere: replay directory not found"):
        stage.run(cfg("stage=self_demos", f"dataset.path={tmp_path / 'nowhere'}"))
    with pytest.raises(UserFacingError, match="use env=npp"):
        stage.run(cfg("stage=self_demos", "env=pokemon_standin", "dataset=pokemon_npz", f"dataset.path={tmp_path}"))
    with pytest.raises(UserFacingError, match=r"skip_categories=\['simple', 'very_simple'\] leaves none of the 6"):
        stage.run(cfg("stage=self_demos", f"dataset.path={demo_dir}"))
