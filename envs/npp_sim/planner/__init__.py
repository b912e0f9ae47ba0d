"""Search-based expert for N++ levels.

* :func:`solve` (map bytes -> :class:`PlanResult` with verified input bytes) and :func:`plan`
  (from any simulator snapshot, with a reusable :class:`MapContext`); design in
  :mod:`npp_sim.planner.search`.
* :class:`PlannerExpert`: the online expert for DAgger (plan cache, replanning, counted fallback);
  see :mod:`npp_sim.planner.expert`.
* ``python -m npp_sim.planner.build_demos``: solve train-suite levels and write v2 replays plus a
  manifest (:mod:`npp_sim.planner.build_demos`).
"""

from .expert import PlannerExpert
from .search import (
    DEFAULT_ATTEMPTS,
    MapContext,
    PlanResult,
    SearchConfig,
    block_constant,
    plan,
    solve,
    verify,
)

__all__ = ["DEFAULT_ATTEMPTS", "MapContext", "PlanResult", "PlannerExpert", "SearchConfig",
           "block_constant", "plan", "solve", "verify"]
