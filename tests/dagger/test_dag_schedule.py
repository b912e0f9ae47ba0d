"""The beta schedule: constant / linear / exponential, starting at beta0, and clear errors."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from imitation_pipeline.dagger.schedule import beta_for, betas_from_config
from imitation_pipeline.errors import UserFacingError


def test_schedules_start_at_beta0_and_decay() -> None:
    assert [beta_for(i, "constant", 1.0) for i in range(3)] == [1.0, 1.0, 1.0]
    assert [beta_for(i, "exponential", 1.0, decay=0.5) for i in range(4)] == [1.0, 0.5, 0.25, 0.125]
    assert [beta_for(i, "linear", 1.0, iterations=5) for i in range(5)] == [1.0, 0.75, 0.5, 0.25, 0.0]
    assert [beta_for(i, "linear", 0.8, iterations=9, linear_iterations=2) for i in range(4)] == pytest.approx(
        [0.8, 0.4, 0.0, 0.0])


def test_betas_from_config_block() -> None:
    cfg = OmegaConf.create({"iterations": 3, "beta_schedule": "exponential", "beta0": 1.0, "beta_decay": 0.3,
                            "beta_linear_iterations": 0})
    assert betas_from_config(cfg) == pytest.approx([1.0, 0.3, 0.09])


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"schedule": "cosine"}, "beta_schedule must be one of"),
    ({"beta0": 1.5}, "beta0 must lie in [0, 1]"),
    ({"decay": -0.1}, "beta_decay must lie in [0, 1]"),
])
def test_bad_schedule_settings_are_user_errors(kwargs, fragment) -> None:
    with pytest.raises(UserFacingError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        beta_for(1, **{"schedule": "exponential", **kwargs})
