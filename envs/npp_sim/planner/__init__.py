"""Search-based expert for N++ levels: :func:`solve` (plan a whole level) and :class:`PlannerExpert`.

See :mod:`npp_sim.planner.search` for the search design and :mod:`npp_sim.planner.expert` for the
online (DAgger) expert.
"""

from .search import DEFAULT_ATTEMPTS, MapContext, PlanResult, SearchConfig, plan, solve, verify

__all__ = ["DEFAULT_ATTEMPTS", "MapContext", "PlanResult", "SearchConfig", "plan", "solve",
           "verify"]
