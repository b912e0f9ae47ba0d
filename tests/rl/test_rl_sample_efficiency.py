"""compare's sample-efficiency figure, and the notes that say when it means nothing."""

from __future__ import annotations

import pytest

from imitation_pipeline.stages.compare import BASELINE, PRETRAINED, sample_efficiency


def _curve(per_seed: list[list[float]], steps=(0, 100, 200, 300)) -> dict:
    mean = [sum(col) / len(col) for col in zip(*per_seed, strict=True)]
    return {"steps": list(steps), "mean": mean, "per_seed": per_seed,
            "final_per_seed": [r[-1] for r in per_seed], "final_mean": mean[-1]}


def test_steps_to_the_baselines_final_success() -> None:
    eff = sample_efficiency({PRETRAINED: _curve([[0.2, 0.4, 0.6, 0.6], [0.2, 0.3, 0.6, 0.7]]),
                             BASELINE: _curve([[0.0, 0.1, 0.3, 0.5], [0.0, 0.0, 0.2, 0.5]])})
    assert eff["target_success"] == pytest.approx(0.5)
    assert eff["env_steps_to_target"] == {PRETRAINED: 200, BASELINE: 300}
    assert eff["env_steps_to_target_per_seed"] == {PRETRAINED: [200, 200], BASELINE: [300, 300]}
    assert eff["speedup"] == pytest.approx(1.5) and eff["note"] is None
    assert eff["pretrained_steps_to_baseline_best"] == 200


def test_a_baseline_that_ends_where_it_started_gets_a_note() -> None:
    eff = sample_efficiency({PRETRAINED: _curve([[0.22, 0.22, 0.22, 0.22]]),
                             BASELINE: _curve([[0.06, 0.0, 0.03, 0.03]])})
    assert eff["env_steps_to_target"] == {PRETRAINED: 0, BASELINE: 0}
    assert "no better than its untrained start" in eff["note"]
    assert eff["baseline_best_success"] == pytest.approx(0.06) and eff["pretrained_initial_success"] == 0.22


def test_a_baseline_that_never_succeeds_gets_a_note() -> None:
    eff = sample_efficiency({PRETRAINED: _curve([[0.2, 0.2, 0.1, 0.3]]), BASELINE: _curve([[0.0, 0.0, 0.0, 0.0]])})
    assert "never succeeded" in eff["note"] and eff["speedup"] is None
