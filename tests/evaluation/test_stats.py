"""IQM, stratified-bootstrap intervals (rliable's definitions) and steps-to-reach in evaluation.stats."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from imitation_pipeline.evaluation.stats import (
    aggregate_mean,
    iqm,
    robust_summary,
    steps_or_not_reached,
    stratified_bootstrap_ci,
)


def test_iqm_and_mean_of_a_known_matrix() -> None:
    # 8 scores 0.0 .. 0.7: the lowest 2 and highest 2 dropped, IQM = mean(0.2, 0.3, 0.4, 0.5)
    x = np.arange(8).reshape(2, 4) / 10
    assert iqm(x) == pytest.approx(0.35)
    assert aggregate_mean(x) == pytest.approx(0.35)
    # 12 scores, 3 cut from each end; the outliers do not move it
    y = np.array([[0.0, 0.0, 0.0, 1.0], [0.5, 0.5, 0.6, 0.4], [0.5, 0.9, 1.0, 1.0]])
    assert iqm(y) == pytest.approx(np.mean([0.4, 0.5, 0.5, 0.5, 0.6, 0.9]))
    assert aggregate_mean(y) == pytest.approx(y.mean())
    # vectorised over leading axes (how the bootstrap calls it)
    assert iqm(np.stack([x, y[:2, :4]])).shape == (2,)


def test_matches_rliable_on_a_reference_matrix() -> None:
    # reference values from rliable 1.2.0: metrics.aggregate_iqm / aggregate_mean, and
    # library.get_interval_estimates(reps=50_000, np.random.seed(0)), rounded to 4 places
    x = np.array([[1.0, 0.5, 0.0, 0.25, 0.0, 0.0], [0.75, 0.5, 0.25, 0.0, 0.0, 0.0],
                  [1.0, 0.25, 0.5, 0.25, 0.25, 0.0]])
    assert iqm(x) == pytest.approx(0.225) and aggregate_mean(x) == pytest.approx(0.30556, abs=1e-5)
    assert stratified_bootstrap_ci(x, iqm, reps=20_000) == pytest.approx((0.125, 0.325), abs=0.01)
    assert stratified_bootstrap_ci(x, aggregate_mean, reps=20_000) == pytest.approx((0.25, 0.3611), abs=0.01)


def test_two_seeds_zero_and_one_give_the_whole_unit_interval() -> None:
    # resampled means are 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4: the 95% percentile interval is [0, 1]
    assert stratified_bootstrap_ci(np.array([[0.0], [1.0]]), aggregate_mean, reps=2000) == (0.0, 1.0)


def test_stratified_bootstrap_keeps_each_task() -> None:
    # runs are resampled within each task: a task where every seed agrees adds no width
    x = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]])
    lo, hi = stratified_bootstrap_ci(x, aggregate_mean, reps=2000)
    assert 0.5 <= lo <= x.mean() <= hi <= 1.0


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_constant_scores_give_a_point_interval(value: float) -> None:
    s = robust_summary(np.full((3, 4), value), reps=200)
    assert s["iqm"] == value and s["iqm_ci"] == [value, value] and s["mean_bootstrap_ci"] == [value, value]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(np.float64, st.tuples(st.integers(2, 6), st.integers(1, 6)),
              elements=st.sampled_from([0.0, 1.0, 0.25, 1 / 3, 0.5, 0.9])),
       st.floats(0.5, 0.99))
def test_bootstrap_intervals_stay_in_the_unit_range(x: np.ndarray, confidence: float) -> None:
    s = robust_summary(x, confidence, reps=200, seed=1)
    assert s["n_seeds"] == x.shape[0] and s["interval_note"] is None
    for key, centre in (("iqm_ci", s["iqm"]), ("mean_bootstrap_ci", float(aggregate_mean(x)))):
        lo, hi = s[key]
        assert 0.0 <= lo <= hi <= 1.0
        assert 0.0 <= centre <= 1.0


def test_one_seed_gives_no_interval_and_says_why() -> None:
    s = robust_summary(np.array([[0.0, 1.0, 1.0, 1.0]]))
    assert s["iqm"] == 1.0 and s["n_seeds"] == 1
    assert s["iqm_ci"] is None and s["mean_bootstrap_ci"] is None
    assert "no interval" in s["interval_note"]
    assert stratified_bootstrap_ci(np.ones((1, 3)), iqm) is None


def test_steps_to_reach_or_not_reached_in_the_budget() -> None:
    steps, values = [0, 100, 200, 300], [0.1, 0.2, 0.5, 0.4]
    assert steps_or_not_reached(steps, values, 0.5) == 200
    assert steps_or_not_reached(steps, values, 0.1) == 0
    assert steps_or_not_reached(steps, values, 0.6) == "not reached in 300 steps"
