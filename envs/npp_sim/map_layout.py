"""Byte layout of raw N++ map data and the entity types the simulator models.

Shared by :mod:`npp_sim.map_data` (Python-level parsing, errors, warnings) and :mod:`npp_sim.world`
(the compiled loader); it imports neither, so neither has to import the other for these constants
(the layout itself is described in :mod:`npp_sim.map_data`).
"""

from __future__ import annotations

import numpy as np

TILE_OFFSET = 184
COUNTS_OFFSET = 1150
ENTITY_OFFSET = 1230
INNER_W, INNER_H = 42, 23
GRID_W, GRID_H = 44, 25
MIN_MAP_BYTES = ENTITY_OFFSET + 4  # the spawn record's x, y and facing bytes must exist

#: entity types with a simulated behaviour
SUPPORTED_TYPES = frozenset({1, 2, 3, 5, 6, 8, 10, 11, 14, 17, 20, 21, 24, 25, 26, 28})
#: records that are consumed as part of another entity (ninja spawn, switch records)
SILENT_TYPES = frozenset({0, 4, 7, 9})

ENTITY_NAMES = {
    1: "mine", 2: "gold", 3: "exit door", 4: "exit switch", 5: "regular door",
    6: "locked door", 8: "trap door", 10: "launch pad", 11: "one-way platform",
    14: "zap drone", 17: "bounce block", 20: "thwump", 21: "toggle mine", 24: "boost pad",
    25: "death ball", 26: "mini drone", 28: "shove thwump",
}

# lookup tables (256 bins by type) of the entity types that are simulated / skipped without a
# warning, in the form the compiled loader takes them
SUPPORTED_LOOKUP = np.zeros(256, dtype=np.bool_)
SUPPORTED_LOOKUP[sorted(SUPPORTED_TYPES)] = True
SILENT_LOOKUP = np.zeros(256, dtype=np.bool_)
SILENT_LOOKUP[sorted(SILENT_TYPES)] = True

# error codes of world.parse_records
ERR_OK, ERR_SHORT, ERR_EXIT_SWITCH, ERR_DOOR_SWITCH = 0, 1, 2, 3
