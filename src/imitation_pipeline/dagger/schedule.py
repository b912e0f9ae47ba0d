"""The beta schedule: probability that the *expert's* action is executed at a rollout step.

``beta_i`` for DAgger iteration ``i`` (0-based):

* ``constant``:     ``beta0`` every iteration (``beta0=1`` is behavioural cloning with online expert
  demonstrations: the same loop, the same labels, never the student's actions).
* ``linear``:       ``beta0 * max(0, 1 - i / n)`` with ``n = linear_iterations`` (0: the last
  iteration, so beta reaches 0 at the end).
* ``exponential``:  ``beta0 * decay ** i`` (Ross et al. 2011 use ``beta_i = p ** i``).

Every schedule starts at ``beta0`` (1.0 by default: iteration 0 is pure expert data).
"""

from __future__ import annotations

from imitation_pipeline.errors import UserFacingError

SCHEDULES = ("constant", "linear", "exponential")


def beta_for(iteration: int, schedule: str = "exponential", beta0: float = 1.0, decay: float = 0.5,
             iterations: int = 1, linear_iterations: int = 0) -> float:
    if schedule not in SCHEDULES:
        raise UserFacingError(f"dagger.beta_schedule must be one of {', '.join(SCHEDULES)}; got {schedule!r}")
    if not 0.0 <= beta0 <= 1.0:
        raise UserFacingError(f"dagger.beta0 must lie in [0, 1]; got {beta0}")
    if iteration < 0:
        raise ValueError(f"iteration must be >= 0, got {iteration}")
    if schedule == "constant":
        return float(beta0)
    if schedule == "linear":
        n = int(linear_iterations) if linear_iterations > 0 else max(int(iterations) - 1, 1)
        return float(beta0 * max(0.0, 1.0 - iteration / n))
    if not 0.0 <= decay <= 1.0:
        raise UserFacingError(f"dagger.beta_decay must lie in [0, 1]; got {decay}")
    return float(beta0 * decay**iteration)


def betas_from_config(dcfg) -> list[float]:
    """beta for every iteration of a ``dagger`` config block."""
    n = int(dcfg.iterations)
    return [beta_for(i, str(dcfg.beta_schedule), float(dcfg.beta0), float(dcfg.beta_decay), n,
                     int(dcfg.beta_linear_iterations)) for i in range(n)]
