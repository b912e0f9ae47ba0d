"""Level generation and fixed level suites for the N++ simulator.

* :func:`generate_level` (category, seed) -> :class:`Level`, byte-identical for the same inputs.
* :func:`encode_map` / :func:`decode_map_summary`: raw N++ map data in the nclone layout.
* :func:`build_suite`, :func:`save_suite`, :func:`load_suite`, :func:`load_map_dir`: fixed suites
  stored as one ``<level_id>.map`` file per level plus ``suite.json`` (no pickle).
* :func:`assess_map`: structural validation plus the conservative reachability ("solvable-looking")
  check described in :mod:`npp_sim.levelgen.reach`.
"""

from .check import Assessment, assess_map, plan_ok
from .errors import SuiteError
from .generator import CATEGORIES, GENERATOR_VERSION, Level, generate_level, level_id_for
from .mapfile import MapSummary, cell_center_units, decode_map_summary, encode_map, units_to_cell
from .suite import (
    DEFAULT_TEST_COUNTS,
    DEFAULT_TRAIN_COUNTS,
    SUITE_BASE_SEEDS,
    build_named_suite,
    build_suite,
    check_disjoint_seeds,
    load_map_dir,
    load_suite,
    save_suite,
    suite_seeds,
)

__all__ = [
    "Assessment",
    "CATEGORIES",
    "DEFAULT_TEST_COUNTS",
    "DEFAULT_TRAIN_COUNTS",
    "SUITE_BASE_SEEDS",
    "build_named_suite",
    "build_suite",
    "check_disjoint_seeds",
    "load_map_dir",
    "load_suite",
    "save_suite",
    "suite_seeds",
    "GENERATOR_VERSION",
    "Level",
    "MapSummary",
    "SuiteError",
    "assess_map",
    "cell_center_units",
    "decode_map_summary",
    "encode_map",
    "generate_level",
    "level_id_for",
    "plan_ok",
    "units_to_cell",
]
