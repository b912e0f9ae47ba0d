"""Parsing of raw N++ map data into plain numpy arrays (:class:`LevelData`).

Layout of the map data (all offsets in bytes):

* 0-183: header (name etc.), not used by the physics.
* 184-1149: 966 tile ids, 42 columns x 23 rows, row-major. The simulator wraps this inner grid in a
  one-tile solid border, giving a 44 x 25 grid where inner tile (x, y) becomes cell (x+1, y+1).
* 1150-1229: 40 little-endian uint16 entity counts indexed by type. Only two are consulted: the
  number of exit doors (byte 1156, used to pair each door with its switch record) and the low byte
  of the death-ball count (byte 1200, which limits ball-vs-ball bounces).
* 1230-end: entity records of 5 bytes (type, x, y, orientation, mode); x and y are in 6-px units.
  The first record is the ninja spawn. Locked doors (6) and trap doors (8) carry their switch
  position in the following bytes (+6, +7) and occupy 10 bytes when byte +7 is non-zero and bytes
  +8, +9 are zero (door record + switch record), 9 bytes otherwise. An exit door (3) takes its
  switch position from the record ``5 * exit_door_count`` bytes further on.

Entity types the simulator does not model are skipped with a :func:`warnings.warn`; type-0
records after the first, and the stand-alone switch records (4, 7, 9), are skipped silently.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from .errors import MapFormatError
from .map_layout import (  # noqa: F401  (the layout constants are also read from here)
    COUNTS_OFFSET,
    ENTITY_NAMES,
    ENTITY_OFFSET,
    ERR_DOOR_SWITCH,
    ERR_EXIT_SWITCH,
    ERR_SHORT,
    GRID_H,
    GRID_W,
    INNER_H,
    INNER_W,
    MIN_MAP_BYTES,
    SILENT_LOOKUP,
    SILENT_TYPES,
    SUPPORTED_LOOKUP,
    SUPPORTED_TYPES,
    TILE_OFFSET,
)


@dataclass(frozen=True)
class LevelData:
    """A parsed map: tiles plus one row per simulated entity, in nclone's load order.

    Entity rows: an exit door record yields two rows, the door (type 3) immediately followed by
    its switch (type 4); ``ent_link`` points from each to the other (-1 elsewhere). For doors
    (5, 6, 8) ``ent_x, ent_y`` is the door itself and ``ent_sw_x, ent_sw_y`` its switch (for a
    regular door both are the same point). Positions are in pixels.
    """

    source: str
    map_bytes: np.ndarray  # uint8, the data as given
    tiles: np.ndarray  # uint8 (25, 44), [row, column], border included
    spawn_x: float
    spawn_y: float
    facing: int
    exit_door_count: int
    death_ball_count: int
    ent_type: np.ndarray  # int16 (N,)
    ent_x: np.ndarray  # float64 (N,)
    ent_y: np.ndarray
    ent_orientation: np.ndarray  # int16
    ent_mode: np.ndarray  # int16
    ent_sw_x: np.ndarray  # float64
    ent_sw_y: np.ndarray
    ent_link: np.ndarray  # int32
    ent_offset: np.ndarray  # int32, byte offset of the record
    records: np.ndarray  # int64 (N, 9): the same table in map units (used by the simulator)
    skipped_types: dict = field(default_factory=dict)

    @property
    def n_entities(self) -> int:
        return int(self.ent_type.shape[0])

    @property
    def inner_tiles(self) -> np.ndarray:
        """The 23 x 42 playable tile grid as stored in the map."""
        return self.tiles[1:-1, 1:-1]


def _as_bytes(data) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return np.ascontiguousarray(data, dtype=np.uint8).copy()
    return np.frombuffer(bytes(data), dtype=np.uint8).copy()


def _raise_for(err: int, at: int, source: str) -> None:
    if err == ERR_SHORT:
        raise MapFormatError(source, f"map data too short: {at} bytes, need at least {MIN_MAP_BYTES}")
    if err == ERR_EXIT_SWITCH:
        raise MapFormatError(source, f"exit door record at byte {at} has no switch record")
    if err == ERR_DOOR_SWITCH:
        raise MapFormatError(source, f"door record at byte {at} has no switch position")
    raise MapFormatError(source, f"unknown map loading error {err}")


def warn_skipped(skipped: np.ndarray, source: str, stacklevel: int = 3) -> dict:
    """Issue the warning for unsupported entity types; return {type: count}."""
    idx = np.flatnonzero(skipped)
    if idx.size == 0:
        return {}
    counts = {int(t): int(skipped[t]) for t in idx}
    desc = ", ".join(f"type {k} x{v}" for k, v in counts.items())
    warnings.warn(f"{source}: skipping entity types the simulator does not model: {desc}",
                  stacklevel=stacklevel)
    return counts


def parse_map(data, source: str = "<map>") -> LevelData:
    """Parse raw map data (bytes, bytearray or uint8 array) of any length into a :class:`LevelData`.

    Raises :class:`MapFormatError` when the data is too short or a record points past its end;
    warns (``UserWarning``) about entity types the simulator does not model.
    """
    from .world import parse_records  # numba is imported on first parse, not with this module

    md = _as_bytes(data)
    err, at, tiles, exit_count, db_count, rec, skipped = parse_records(md, SUPPORTED_LOOKUP, SILENT_LOOKUP)
    if err:
        _raise_for(int(err), int(at), source)
    counts = warn_skipped(skipped, source)
    return LevelData(
        source=source,
        map_bytes=md,
        tiles=tiles,
        spawn_x=float(md[ENTITY_OFFSET + 1]) * 6.0,
        spawn_y=float(md[ENTITY_OFFSET + 2]) * 6.0,
        facing=1 if md[ENTITY_OFFSET + 3] == 1 else -1,
        exit_door_count=int(exit_count),
        death_ball_count=int(db_count),
        ent_type=rec[:, 0].astype(np.int16),
        ent_x=rec[:, 1] * 6.0,
        ent_y=rec[:, 2] * 6.0,
        ent_orientation=rec[:, 3].astype(np.int16),
        ent_mode=rec[:, 4].astype(np.int16),
        ent_sw_x=rec[:, 5] * 6.0,
        ent_sw_y=rec[:, 6] * 6.0,
        ent_link=rec[:, 7].astype(np.int32),
        ent_offset=rec[:, 8].astype(np.int32),
        records=rec,
        skipped_types=counts,
    )
