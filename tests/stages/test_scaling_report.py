"""The BC data-scaling report: grouping by demonstrated levels, stratified bootstrap intervals, files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from imitation_pipeline.evaluation import scaling


def _episodes(rate_by_cat: dict[str, float], n: int = 10) -> list[dict]:
    out = []
    for cat, rate in rate_by_cat.items():
        k = int(round(rate * n))
        out += [{"category": cat, "level": f"{cat}/{i}", "success": i < k} for i in range(n)]
    return out


def _run(root, name, levels, seed, rates):
    d = root / name
    d.mkdir(parents=True)
    ev = d / "evaluation.json"
    eps = _episodes(rates)
    ev.write_text(json.dumps({"episodes": eps}))
    macro = float(np.mean(list(rates.values())))
    (d / "bc_summary.json").write_text(json.dumps({
        "seed": seed, "max_levels": levels, "train_levels": levels - 2, "val_levels": 2,
        "train_replays": 2 * levels, "val_replays": 4, "train_samples": 100 * levels,
        "rollouts": [{"epoch": 0, "rollout/train_success_rate": 0.5}],
        "evaluation": {"file": str(ev), "macro": {"success_rate": macro}, "per_category": rates}}))


def test_bootstrap_interval_is_inside_unit_interval_and_absent_for_one_seed():
    runs = [_episodes({"a": 1.0, "b": 0.0}), _episodes({"a": 0.9, "b": 0.1}), _episodes({"a": 1.0, "b": 0.2})]
    lo, hi = scaling.bootstrap_macro(runs, reps=500)
    assert 0.0 <= lo <= np.mean([0.5, 0.5, 0.6]) <= hi <= 1.0
    assert scaling.bootstrap_macro(runs[:1]) is None
    all_won = [_episodes({"a": 1.0})] * 3
    assert scaling.bootstrap_macro(all_won, reps=100) == (1.0, 1.0)


def test_report_groups_by_levels_and_writes_files(tmp_path):
    for s in range(3):
        _run(tmp_path / "runs", f"small_{s}", 30, s, {"a": 0.5, "b": 0.1 * s})
        _run(tmp_path / "runs", f"big_{s}", 300, s, {"a": 1.0, "b": 0.5})
    out = tmp_path / "docs" / "scaling"
    assert scaling.main([str(tmp_path / "runs"), "--out", str(out)]) == 0
    rep = json.loads(out.with_suffix(".json").read_text())
    assert [r["levels"] for r in rep["rows"]] == [30, 300]
    small, big = rep["rows"]
    assert small["n_seeds"] == 3 and small["macro_per_seed"] == pytest.approx([0.25, 0.3, 0.35])
    assert big["macro_mean"] == pytest.approx(0.75)
    lo, hi = big["macro_ci95"]  # identical seeds: the width left comes from resampling the test levels
    assert 0.0 <= lo < 0.75 < hi <= 1.0
    assert small["train_level_success_mean"] == 0.5
    assert out.with_suffix(".png").stat().st_size > 1000


def test_cli_errors_in_one_line(tmp_path, capsys):
    assert scaling.main([str(tmp_path / "nope"), "--out", str(tmp_path / "x")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert scaling.main([str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    assert "no BC run" in capsys.readouterr().err


def _eval_file(path, seed, rates):
    eps = _episodes(rates)
    path.write_text(json.dumps({"seed": seed, "episodes": eps,
                                "macro": {"success_rate": float(np.mean(list(rates.values())))},
                                "per_category": {c: {"success_rate": v} for c, v in rates.items()}}))
    return path


def test_arms_report(tmp_path, capsys):
    from imitation_pipeline.evaluation import arms

    a = [_eval_file(tmp_path / f"a{s}.json", s, {"x": 1.0, "y": 0.2}) for s in range(3)]
    b = [_eval_file(tmp_path / "b0.json", 0, {"x": 0.5, "y": 0.0})]
    out = tmp_path / "cmp"
    assert arms.main([f"dagger={','.join(map(str, a))}", f"bc={b[0]}", "--out", str(out)]) == 0
    rep = json.loads(out.with_suffix(".json").read_text())["arms"]
    assert rep["dagger"]["macro_mean"] == pytest.approx(0.6) and rep["dagger"]["n_seeds"] == 3
    lo, hi = rep["dagger"]["macro_ci95"]
    assert 0.0 <= lo <= 0.6 <= hi <= 1.0
    assert rep["bc"]["macro_ci95"] is None  # one seed: no interval
    assert rep["bc"]["per_category_mean"] == {"x": 0.5, "y": 0.0}
    assert out.with_suffix(".png").stat().st_size > 1000
    assert arms.main(["bad", "--out", str(out)]) == 2
    assert arms.main([f"x={tmp_path / 'missing.json'}", "--out", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err


def test_arms_reads_an_npp_dagger_summary(tmp_path):
    from imitation_pipeline.evaluation import arms

    eps = [{"episode": "simple/1", "success": True}, {"episode": "simple/2", "success": False},
           {"episode": "medium/3", "success": False}]
    ev = arms.as_evaluation({"seed": 4, "final_eval": {"episodes": eps, "success_rate": 1 / 3}})
    assert ev["per_category"] == {"medium": {"success_rate": 0.0}, "simple": {"success_rate": 0.5}}
    assert ev["macro"]["success_rate"] == 0.25 and ev["seed"] == 4 and len(ev["episodes"]) == 3


def test_planner_ceiling_on_a_folder(tmp_path, capsys):
    from npp_sim.levelgen import generate_level

    from imitation_pipeline.evaluation import planner_ceiling

    d = tmp_path / "maps"
    (d / "easy").mkdir(parents=True)
    (d / "easy" / "a").write_bytes(generate_level("very_simple", 100000000).map_data)
    (d / "junk.txt").write_text("not a map")
    out = tmp_path / "planner.json"
    assert planner_ceiling.main([str(d), "--out", str(out), "--max-nodes", "2000"]) == 0
    rep = json.loads(out.read_text())
    assert rep["per_category"] == {"easy": {"success_rate": 1.0, "levels": 1}}
    assert rep["episodes"][0]["success"] and rep["skipped"][0]["file"] == "junk.txt"
    assert planner_ceiling.main([str(tmp_path / "nope"), "--out", str(out)]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_planner_ceiling_on_the_test_suite(tmp_path, capsys, monkeypatch):
    from npp_sim.levelgen import CATEGORIES

    from imitation_pipeline.evaluation import planner_ceiling
    from imitation_pipeline.rl.levels import level_set

    planned = []

    def fake_plan(levels, **kw):  # the planning itself is tested above; here: which levels are planned
        planned.extend(levels.names)
        return [{"level": n, "category": c, "success": c == "simple"} for n, c in zip(levels.names, levels.categories, strict=True)]

    monkeypatch.setattr(planner_ceiling, "plan_levels", fake_plan)
    out = tmp_path / "planner.json"
    assert planner_ceiling.main(["--suite", "test", "--per-category", "2", "--out", str(out)]) == 0
    counts = dict.fromkeys(CATEGORIES, 2)
    assert planned == level_set({"train": counts, "test": counts}, "test").names  # the evaluate stage's test levels
    rep = json.loads(out.read_text())
    assert rep["suite"] == "test" and rep["per_category"]["simple"] == {"success_rate": 1.0, "levels": 2}
    assert rep["macro"]["success_rate"] == 1 / len(CATEGORIES)
    assert planner_ceiling.main([str(tmp_path), "--suite", "test", "--out", str(out)]) == 2
    assert "not both" in capsys.readouterr().err
