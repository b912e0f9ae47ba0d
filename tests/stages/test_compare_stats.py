"""stage=compare end to end on synthetic evaluation JSONs: IQM and bootstrap intervals per arm, category and
macro; one seed without intervals; steps to reach in both directions; plots that say n."""

from __future__ import annotations

import json
import logging

import pytest
from omegaconf import OmegaConf

from imitation_pipeline.stages import compare

CATS = ("very_simple", "simple")
STEPS = [0, 100, 200, 300]


def _evaluation(tmp_path, name: str, won: dict[str, list[bool]], curve: list[float] | None = None) -> str:
    """An evaluation.json like stage=evaluate's (3 levels per category, one episode each), with an eval log."""
    episodes = [{"level": f"{c}/{i}", "category": c, "episode": 0, "success": w, "return": 0.0, "length": 10}
                for c in CATS for i, w in enumerate(won[c])]
    per = {c: {"success_rate": sum(won[c]) / len(won[c])} for c in CATS}
    doc = {"per_category": per, "episodes": episodes, "suite_counts": {c: 3 for c in CATS},
           "macro": {"success_rate": sum(p["success_rate"] for p in per.values()) / len(CATS),
                     "mean_return": 0.0, "mean_length": 10.0}}
    if curve is not None:
        log = tmp_path / f"{name}-eval_log.json"
        log.write_text(json.dumps({"evaluations": [{"timesteps": s, "success_rate": v}
                                                   for s, v in zip(STEPS, curve, strict=True)]}))
        doc["eval_log"] = str(log)
    (tmp_path / f"{name}.json").write_text(json.dumps(doc))
    return str(tmp_path / f"{name}.json")


def _run(tmp_path, pretrained: list[str], baseline: list[str], bc: str | None = None) -> dict:
    return compare.run(OmegaConf.create({"compare": {
        "pretrained": pretrained, "baseline": baseline, "bc": bc, "confidence": 0.95, "bootstrap_reps": 500,
        "bootstrap_seed": 0, "output": str(tmp_path / "compare.json"), "plots_dir": str(tmp_path)}}))


T, F = True, False


def test_compare_reports_iqm_bootstrap_and_both_directions(tmp_path, caplog) -> None:
    pre = [_evaluation(tmp_path, "ft0", {"very_simple": [T, T, F], "simple": [T, F, F]}, [0.4, 0.4, 0.5, 0.5]),
           _evaluation(tmp_path, "ft1", {"very_simple": [T, T, T], "simple": [F, F, F]}, [0.4, 0.3, 0.4, 0.6]),
           _evaluation(tmp_path, "ft2", {"very_simple": [T, F, F], "simple": [T, T, F]}, [0.4, 0.5, 0.5, 0.5])]
    base = [_evaluation(tmp_path, "b0", {"very_simple": [T, F, F], "simple": [F, F, F]}, [0.0, 0.1, 0.2, 0.3]),
            _evaluation(tmp_path, "b1", {"very_simple": [F, F, F], "simple": [F, F, F]}, [0.0, 0.0, 0.1, 0.1])]
    bc = _evaluation(tmp_path, "bc", {"very_simple": [T, T, F], "simple": [T, F, F]})
    with caplog.at_level(logging.INFO, logger=compare.__name__):
        result = _run(tmp_path, pre, base, bc)
    assert json.loads((tmp_path / "compare.json").read_text())["groups"] == result["groups"]

    for name, n in (("bc+ppo", 3), ("ppo", 2), ("bc", 1)):
        g = result["groups"][name]
        assert g["n_seeds"] == n
        cells = [g["macro_success"], *g["per_category"].values()]
        assert g["macro_success"]["bootstrap_tasks"] == "categories"
        assert all(c["bootstrap_tasks"] == "levels" and c["n_tasks"] == 3 for c in g["per_category"].values())
        for cell in cells:
            assert cell["n_seeds"] == n
            for key, point in (("iqm_ci", "iqm"), ("mean_bootstrap_ci", "mean")):
                if n == 1:  # one seed: its rate is the IQM and the mean
                    assert cell[key] is None and "no interval" in cell["interval_note"]
                    assert cell[point] == pytest.approx(cell["mean"])
                else:  # each interval holds its own estimate
                    assert 0.0 <= cell[key][0] <= cell[point] <= cell[key][1] <= 1.0, (name, key, cell)
                    assert cell["interval_note"] is None
    macro = result["groups"]["bc+ppo"]["macro_success"]
    assert macro["mean"] == pytest.approx(0.5)  # t-interval fields unchanged next to the new ones
    assert macro["mean_bootstrap_ci"][0] <= macro["mean"] <= macro["mean_bootstrap_ci"][1]
    # macro IQM over the 3 seeds x 2 categories: rates 2/3, 1/3, 1, 0, 1/3, 2/3 -> middle four
    assert macro["iqm"] == pytest.approx((1 / 3 + 1 / 3 + 2 / 3 + 2 / 3) / 4)

    eff = result["sample_efficiency"]
    # scratch ends at mean 0.2; BC -> PPO's mean curve 0.4, 0.4, 0.467, 0.533 is above it from step 0
    assert eff["pretrained_steps_to_reach_scratch_final"] == 0
    assert eff["bc_starting_success"] == pytest.approx(0.4)
    assert eff["scratch_steps_to_reach_bc"] == "not reached in 300 steps"
    assert eff["scratch_steps_to_reach_bc_per_seed"] == ["not reached in 300 steps"] * 2
    text = caplog.text
    assert "BC->PPO env steps to reach scratch's final held-out success 0.200: 0" in text
    assert "PPO from scratch env steps to reach BC's starting held-out success 0.400: not reached in 300 steps" in text
    assert "bc: test macro success" in text and "n=1 seed [1 seed: no interval" in text
    assert len(result["summary"]) == 5  # one line per arm, one per direction

    for png in ("success_by_category.png", "iqm_by_category.png", "learning_curves.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"


def test_scratch_that_catches_up_and_a_finetune_that_never_gets_there(tmp_path) -> None:
    won = {"very_simple": [T, F, F], "simple": [F, F, F]}
    pre = [_evaluation(tmp_path, "ft0", won, [0.2, 0.2, 0.2, 0.2]), _evaluation(tmp_path, "ft1", won, [0.2, 0.1, 0.2, 0.3])]
    base = [_evaluation(tmp_path, "b0", won, [0.0, 0.3, 0.6, 0.9]), _evaluation(tmp_path, "b1", won, [0.0, 0.1, 0.5, 0.7])]
    eff = _run(tmp_path, pre, base)["sample_efficiency"]
    assert eff["target_success"] == pytest.approx(0.8)
    assert eff["pretrained_steps_to_reach_scratch_final"] == "not reached in 300 steps"
    assert eff["scratch_steps_to_reach_bc"] == 100  # mean 0.2 at step 100 reaches BC's 0.2
    assert eff["scratch_steps_to_reach_bc_per_seed"] == [100, 200]
    assert eff["scratch_steps_to_reach_bc_note"] is None


def test_scratch_that_starts_above_bc_gets_a_note() -> None:
    curve = {"steps": STEPS, "per_seed": [[0.2, 0.2, 0.2, 0.2]], "mean": [0.2, 0.2, 0.2, 0.2], "final_mean": 0.2}
    scratch = {"steps": STEPS, "per_seed": [[0.3, 0.3, 0.3, 0.5]], "mean": [0.3, 0.3, 0.3, 0.5], "final_mean": 0.5}
    eff = compare.sample_efficiency({compare.PRETRAINED: curve, compare.BASELINE: scratch})
    assert eff["scratch_steps_to_reach_bc"] == 0 and "started at or above BC's" in eff["scratch_steps_to_reach_bc_note"]
    assert eff["pretrained_steps_to_reach_scratch_final_per_seed"] == ["not reached in 300 steps"]
    assert "started at or above" in compare.efficiency_lines(eff)[1]


def test_evaluations_without_episode_records_bootstrap_the_category_rates(tmp_path) -> None:
    def ev(name: str, rates: list[float]) -> str:
        (tmp_path / name).write_text(json.dumps({
            "per_category": {c: {"success_rate": r} for c, r in zip(CATS, rates, strict=True)},
            "macro": {"success_rate": sum(rates) / 2, "mean_return": 0.0, "mean_length": 1.0}}))
        return str(tmp_path / name)

    result = _run(tmp_path, [ev("p0.json", [1.0, 1.0]), ev("p1.json", [1.0, 1.0])],
                  [ev("b0.json", [0.0, 0.0]), ev("b1.json", [0.0, 0.5])])
    cell = result["groups"]["bc+ppo"]["per_category"]["simple"]
    assert cell["bootstrap_tasks"] == "category success rate" and cell["iqm_ci"] == [1.0, 1.0]
    assert result["groups"]["ppo"]["macro_success"]["mean_bootstrap_ci"][0] == 0.0
    assert result["sample_efficiency"] is None


def test_iqm_plot_draws_an_interval_that_does_not_hold_its_estimate(tmp_path) -> None:
    """A percentile-bootstrap interval of an IQM over few seeds can miss the IQM itself (measured: the
    bc_vs_ppo experiment's compare stage crashed in matplotlib's errorbar on such a cell)."""
    from imitation_pipeline.evaluation import plots

    cell = {"iqm": 0.30, "iqm_ci": [0.32, 0.40], "mean": 0.35, "mean_bootstrap_ci": [0.31, 0.39], "n_seeds": 3}
    one_seed = {"iqm": 0.5, "iqm_ci": None, "mean": 0.5, "mean_bootstrap_ci": None, "n_seeds": 1}
    groups = {"bc+ppo": {"per_category": {"simple": cell}, "macro_success": cell},
              "bc": {"per_category": {"simple": one_seed}, "macro_success": one_seed}}
    out = plots.iqm_by_category(groups, ["simple"], tmp_path / "iqm.png", 0.95)
    assert out.read_bytes()[:4] == b"\x89PNG"
