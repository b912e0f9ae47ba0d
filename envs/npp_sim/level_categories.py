"""The level categories, in their fixed order (stdlib only, so configs can import it without numba).

The one definition: :mod:`npp_sim.levelgen` generates levels of these categories and the app's
suite configs (``suites.*``) count levels per category in this order.
"""

CATEGORIES = ("very_simple", "simple", "medium", "complex", "mine_heavy", "exploration")
