"""Intervals over seeds: a success rate's interval stays in [0, 1]; one seed has no interval."""

from __future__ import annotations

import json

import pytest

from imitation_pipeline.evaluation.stats import mean_ci


def test_rate_interval_is_clipped_to_the_unit_range() -> None:
    raw = mean_ci([0.0, 0.0, 0.167])  # the README's "-0.058-0.114" kind of case
    assert raw["ci_low"] < 0  # a plain Student-t interval leaves [0, 1]
    ci = mean_ci([0.0, 0.0, 0.167], bounds=(0.0, 1.0))
    assert ci["ci_low"] == 0.0 and 0 < ci["ci_high"] <= 1 and ci["mean"] == pytest.approx(0.167 / 3)
    hi = mean_ci([1.0, 1.0, 0.8], bounds=(0.0, 1.0))
    assert hi["ci_high"] == 1.0


def test_one_seed_gives_no_interval() -> None:
    ci = mean_ci([0.25], bounds=(0.0, 1.0))
    assert ci["mean"] == 0.25 and ci["ci_low"] is None and ci["ci_high"] is None and ci["n"] == 1


def test_compare_and_its_plot_with_rates_near_zero_and_one_seed(tmp_path) -> None:
    from omegaconf import OmegaConf

    from imitation_pipeline.stages import compare

    def ev(name: str, rates: list[float]) -> str:
        cats = {c: {"success_rate": r} for c, r in zip(("very_simple", "simple"), rates, strict=True)}
        doc = {"per_category": cats, "macro": {"success_rate": sum(rates) / 2, "mean_return": 0.0, "mean_length": 1.0},
               "suite_counts": {"very_simple": 1, "simple": 1}}
        (tmp_path / name).write_text(json.dumps(doc))
        return str(tmp_path / name)

    cfg = OmegaConf.create({"compare": {
        "pretrained": [ev("p0.json", [0.0, 0.0]), ev("p1.json", [0.0, 0.0]), ev("p2.json", [0.5, 0.0])],
        "baseline": [ev("b0.json", [1.0, 0.0]), ev("b1.json", [1.0, 1.0])], "bc": ev("bc.json", [0.5, 0.5]),
        "confidence": 0.95, "output": str(tmp_path / "compare.json"), "plots_dir": str(tmp_path)}})
    result = compare.run(cfg)
    for name, group in result["groups"].items():
        for cell in [group["macro_success"], *group["per_category"].values()]:
            if name == "bc":
                assert cell["ci_low"] is None and cell["ci_high"] is None
            else:
                assert 0.0 <= cell["ci_low"] <= cell["mean"] <= cell["ci_high"] <= 1.0
    assert (tmp_path / "success_by_category.png").is_file()
