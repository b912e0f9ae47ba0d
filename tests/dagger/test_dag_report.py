"""dagger.report: the README's BC-vs-DAgger table (several noise levels, unseen worlds) from one call."""

from __future__ import annotations

from imitation_pipeline.dagger.report import perturbed_modes, summary_table


def _cell(success: float, milestones: float) -> dict:
    return {"success_rate": success, "milestones": milestones, "return": 0.0, "length": 1.0}


def test_noise_levels_become_columns() -> None:
    assert perturbed_modes(0.0) == [] and perturbed_modes(0.25) == [("perturbed", 0.25)]
    assert perturbed_modes([0.25, 0.5]) == [("perturbed@0.25", 0.25), ("perturbed@0.5", 0.5)]


def test_summary_table_has_every_column_of_the_readme() -> None:
    results = []
    for method, base in (("bc (beta=1)", 1.0), ("dagger (exponential)", 0.9)):
        for seed in (0, 1):
            results.append({"method": method, "seed": seed, "labels": 2000, "noise": [0.25, 0.5], "heldout": 8,
                            "argmax": _cell(base, 3.0), "sampled": _cell(base, 3.0),
                            "perturbed@0.25": _cell(0.5, 2.0), "perturbed@0.5": _cell(0.1 * (seed + 1), 1.0),
                            "heldout_sampled": _cell(0.0, 0.0)})
    lines = summary_table(results).splitlines()
    assert lines[0] == ("| policy | argmax | sampled | argmax, 25% random buttons | argmax, 50% random buttons | "
                        "8 unseen worlds |")
    assert lines[2] == "| bc (beta=1) | 1.00 (3.00) | 1.00 (3.00) | 0.50 (2.00) | 0.15 (1.00) | 0.00 (0.00) |"
    assert lines[3].startswith("| dagger (exponential) | 0.90 (3.00) |")
