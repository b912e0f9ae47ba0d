"""evaluation.label_fit: teacher-forced fit of a checkpoint to demo labels, per category."""

from __future__ import annotations

import json

import numpy as np
from app_support import DEMOS
from rl_support import write_bc_checkpoint

from imitation_pipeline.evaluation.label_fit import main, summarise, timing_of_errors


def test_errors_are_classed_late_early_or_other() -> None:
    labels = np.array([1, 1, 4, 4, 4, 2, 2])
    # t=2: argmax 1 = previous label while the label changes -> late; t=4: argmax 2 = next label -> early;
    # t=6: argmax 3 -> other
    argmax = np.array([1, 1, 1, 4, 2, 2, 3])
    assert timing_of_errors(labels, argmax) == {"late": 1, "early": 1, "other": 1}
    assert timing_of_errors(labels, labels) == {"late": 0, "early": 0, "other": 0}


def test_summary_pools_decisions_per_category() -> None:
    recs = [{"category": "a", "decisions": 10, "correct": 8, "p_label_sum": 7.0, "low_p": 1, "first_error": 3,
             "late": 2, "early": 0, "other": 0},
            {"category": "a", "decisions": 30, "correct": 12, "p_label_sum": 15.0, "low_p": 9, "first_error": 0,
             "late": 6, "early": 6, "other": 6}]
    s = summarise(recs)["a"]
    assert s["accuracy"] == 0.5 and s["mean_p_label"] == 22 / 40 and s["low_p_share"] == 0.25
    assert s["late_error_share"] == 8 / 20 and s["first_error"] == [3, 0]


def test_cli_on_built_in_demos(tmp_path, capsys) -> None:
    """``main(argv)``, the command line's entry (``python -m imitation_pipeline.evaluation.label_fit``)."""
    ckpt = tmp_path / "bc.pt"
    write_bc_checkpoint(ckpt, "simple_cnn")
    out = tmp_path / "fit.json"
    assert main([str(ckpt), str(DEMOS), "--out", str(out), "--per-category", "1"]) == 0, capsys.readouterr().err
    result = json.loads(out.read_text())
    assert len(result["per_category"]) == 6
    assert all(".noisy" not in r["demo"] for r in result["records"])
    for r in result["records"]:
        s = result["per_category"][r["category"]]
        assert s["demos"] == 1 and s["decisions"] == r["decisions"] > 0
        assert s["accuracy"] == r["correct"] / r["decisions"]
        assert r["late"] + r["early"] + r["other"] == r["decisions"] - r["correct"]
    capsys.readouterr()
    assert main([str(ckpt), str(tmp_path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.strip().startswith("error: ") and "no clean" in err
