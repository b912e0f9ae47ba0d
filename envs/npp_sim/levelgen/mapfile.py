"""Writing and summarising raw N++ map data (the nclone ``map_data`` layout).

Layout (all offsets in bytes, integers little-endian):

=========  ======================================================================================
0-183      header: bytes 4-7 hold the total length (as nclone's ``.map`` files do), bytes 38-165
           the NUL-padded level name; the rest is zero. The simulator reads none of it.
184-1149   966 tile ids, 42 columns x 23 rows, row-major: tile (x, y) is byte 184 + x + 42 * y.
1150-1229  40 uint16 entity counts indexed by entity type. The simulator reads only count[3]
           (exit doors), which pairs each exit door with the switch record 5 * count[3] bytes on.
1230-end   5-byte entity records (type, x, y, orientation, mode), x and y in 6-px map units.
=========  ======================================================================================

:func:`encode_map` writes records in the order official maps use: the ninja spawn (type 0) first,
then the remaining records grouped by type in ascending order, with all exit doors (3) followed by
their switches (4) in the same order, and every locked door (6) / trap door (8) immediately followed
by its switch record (7 / 9), giving the 10-byte door layout (switch position at door +6 and +7,
switch orientation and mode bytes zero). Every count is filled in.

Map units: inner tile (x, y) becomes grid cell (x + 1, y + 1) inside the simulator's solid border,
so its centre is at map units ``(4 * x + 6, 4 * y + 6)`` (see :func:`cell_center_units`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from .errors import SuiteError

__all__ = [
    "MAP_W",
    "MAP_H",
    "TILES_OFFSET",
    "COUNTS_OFFSET",
    "ENTITIES_OFFSET",
    "N_ENTITY_TYPES",
    "MapSummary",
    "cell_center_units",
    "units_to_cell",
    "encode_map",
    "decode_map_summary",
]

MAP_W, MAP_H = 42, 23
TILES_OFFSET = 184
COUNTS_OFFSET = TILES_OFFSET + MAP_W * MAP_H  # 1150
N_ENTITY_TYPES = 40
ENTITIES_OFFSET = COUNTS_OFFSET + 2 * N_ENTITY_TYPES  # 1230
NAME_OFFSET, NAME_BYTES = 38, 128
N_TILE_IDS = 38  # 0-37 (34-37 are glitched tiles without collision)

# Inclusive bounds of the playable area in map units (pixels 24..1032 x 24..576).
X_UNITS_RANGE = (4, 4 * (MAP_W + 1))  # 4..172
Y_UNITS_RANGE = (4, 4 * (MAP_H + 1))  # 4..96

T_NINJA, T_MINE, T_GOLD, T_EXIT, T_EXIT_SWITCH = 0, 1, 2, 3, 4
T_LOCKED_DOOR, T_LOCKED_SWITCH, T_TRAP_DOOR, T_TRAP_SWITCH = 6, 7, 8, 9
T_TOGGLE_MINE = 21
_DOOR_SWITCH = {T_LOCKED_DOOR: T_LOCKED_SWITCH, T_TRAP_DOOR: T_TRAP_SWITCH}


def cell_center_units(cx: int, cy: int) -> tuple[int, int]:
    """Map units (6 px) of the centre of inner tile (cx, cy)."""
    return 4 * cx + 6, 4 * cy + 6


def units_to_cell(ux: int, uy: int) -> tuple[int, int]:
    """Inner tile containing map-unit position (ux, uy) (may lie outside 0..41 x 0..22)."""
    return ux // 4 - 1, uy // 4 - 1


@dataclass(frozen=True)
class MapSummary:
    """What :func:`decode_map_summary` reads back from map data.

    Positions are in map units (6 px). ``records`` are every 5-byte record as stored, in file order
    (for a 9-byte door layout the switch is reported only through ``door_pairs``).
    """

    name: str
    length: int
    tiles: np.ndarray  # uint8 (23, 42), [row, column]
    spawn: tuple[int, int]
    facing: int
    counts: tuple[int, ...]  # 40 entity counts as stored
    records: tuple[tuple[int, int, int, int, int], ...]
    exit_pairs: tuple[tuple[tuple[int, int], tuple[int, int]], ...]  # ((door x, y), (switch x, y))
    door_pairs: tuple[tuple[int, tuple[int, int, int], tuple[int, int]], ...]  # (type, door, switch)

    def record_counts(self) -> dict[int, int]:
        """Number of records of each type (switch records included)."""
        out: dict[int, int] = {}
        for rec in self.records:
            out[rec[0]] = out.get(rec[0], 0) + 1
        return dict(sorted(out.items()))


def _check_units(source: str, what: str, x: int, y: int) -> None:
    if not (X_UNITS_RANGE[0] <= x <= X_UNITS_RANGE[1] and Y_UNITS_RANGE[0] <= y <= Y_UNITS_RANGE[1]):
        raise SuiteError(source, f"{what} at map units ({x}, {y}) lies outside the playable area")


def encode_map(tiles, entities, name: str = "") -> bytes:
    """Build map data from a (23, 42) tile grid and entity records.

    ``entities`` is a sequence of ``(type, x, y, orientation, mode)`` with x, y in map units. It must
    contain exactly one ninja record (type 0). Exit doors (3) and exit switches (4) must occur in
    equal numbers and are paired in order of appearance. Each locked door (6) / trap door (8) must
    be immediately followed by its switch record (7 / 9); stand-alone 7 / 9 records are refused.
    Records are re-ordered as described in the module docstring; the result is deterministic.
    """
    src = "<encode_map>"
    t = np.asarray(tiles)
    if t.shape != (MAP_H, MAP_W):
        raise SuiteError(src, f"tiles must have shape ({MAP_H}, {MAP_W}), got {t.shape}")
    if t.min() < 0 or t.max() >= N_TILE_IDS:
        raise SuiteError(src, f"tile ids must be in 0..{N_TILE_IDS - 1}")
    ents = [tuple(int(v) for v in e) for e in entities]
    for e in ents:
        if len(e) != 5 or not all(0 <= v <= 255 for v in e):
            raise SuiteError(src, f"entity record {e} is not 5 bytes")
        if e[0] >= N_ENTITY_TYPES:
            raise SuiteError(src, f"entity type {e[0]} out of range")
        _check_units(src, f"entity type {e[0]}", e[1], e[2])

    ninjas = [e for e in ents if e[0] == T_NINJA]
    if len(ninjas) != 1:
        raise SuiteError(src, f"need exactly one ninja record, got {len(ninjas)}")
    doors = [e for e in ents if e[0] == T_EXIT]
    switches = [e for e in ents if e[0] == T_EXIT_SWITCH]
    if len(doors) != len(switches):
        raise SuiteError(src, f"{len(doors)} exit doors but {len(switches)} exit switches")

    # door + switch groups, and everything else, bucketed by type (stable within a type)
    by_type: dict[int, list[tuple]] = {}
    i = 0
    while i < len(ents):
        e = ents[i]
        if e[0] in _DOOR_SWITCH:
            if i + 1 >= len(ents) or ents[i + 1][0] != _DOOR_SWITCH[e[0]]:
                raise SuiteError(src, f"door of type {e[0]} must be followed by its switch record")
            sw = ents[i + 1]
            by_type.setdefault(e[0], []).append((e, (sw[0], sw[1], sw[2], 0, 0)))
            i += 2
            continue
        if e[0] in (T_LOCKED_SWITCH, T_TRAP_SWITCH):
            raise SuiteError(src, f"switch record of type {e[0]} without its door")
        if e[0] not in (T_NINJA, T_EXIT, T_EXIT_SWITCH):
            by_type.setdefault(e[0], []).append((e,))
        i += 1

    ordered: list[tuple] = [ninjas[0]]
    for typ in range(1, N_ENTITY_TYPES):
        if typ == T_EXIT:
            ordered.extend(doors)
            ordered.extend(switches)
        elif typ in by_type:
            for group in by_type[typ]:
                ordered.extend(group)

    counts = [0] * N_ENTITY_TYPES
    for e in ordered:
        counts[e[0]] += 1
    if max(counts) > 0xFFFF:
        raise SuiteError(src, "too many entities")

    raw_name = name.encode("utf-8")[: NAME_BYTES - 1]
    total = ENTITIES_OFFSET + 5 * len(ordered)
    out = bytearray(total)
    struct.pack_into("<I", out, 4, total)
    out[NAME_OFFSET:NAME_OFFSET + len(raw_name)] = raw_name
    out[TILES_OFFSET:COUNTS_OFFSET] = np.ascontiguousarray(t, dtype=np.uint8).tobytes()
    struct.pack_into(f"<{N_ENTITY_TYPES}H", out, COUNTS_OFFSET, *counts)
    pos = ENTITIES_OFFSET
    for e in ordered:
        out[pos:pos + 5] = bytes(e)
        pos += 5
    return bytes(out)


def decode_map_summary(data, source: str = "<map>", strict: bool = True) -> MapSummary:
    """Read map data back and check its structure; raises :class:`SuiteError` naming ``source``.

    Checks: length, tile ids, the ninja record first, the record walk ending exactly at the end of
    the data (locked/trap doors take 10 bytes with a separate switch record, 9 otherwise, as the
    simulator reads them), each exit door finding a type-4 record ``5 * count[3]`` bytes on, and
    the spawn inside the playable area, and (``strict``, for generated maps; official maps leave
    some counts at 0) every other position inside it and count[t] equal to the number of type-t
    records for every type.
    """
    b = bytes(data)
    n = len(b)
    if n < ENTITIES_OFFSET + 5:
        raise SuiteError(source, f"map data too short: {n} bytes, need at least {ENTITIES_OFFSET + 5}")
    tiles = np.frombuffer(b, dtype=np.uint8, count=MAP_W * MAP_H, offset=TILES_OFFSET)
    tiles = tiles.reshape(MAP_H, MAP_W).copy()
    if int(tiles.max()) >= N_TILE_IDS:
        raise SuiteError(source, f"tile id {int(tiles.max())} is not a defined tile (0-37)")
    counts = struct.unpack_from(f"<{N_ENTITY_TYPES}H", b, COUNTS_OFFSET)
    if b[ENTITIES_OFFSET] != T_NINJA:
        raise SuiteError(source, f"first entity record has type {b[ENTITIES_OFFSET]}, expected 0 (ninja)")
    spawn = (b[ENTITIES_OFFSET + 1], b[ENTITIES_OFFSET + 2])
    _check_units(source, "ninja spawn", *spawn)
    facing = 1 if b[ENTITIES_OFFSET + 3] == 1 else -1

    records: list[tuple[int, int, int, int, int]] = []
    exit_pairs = []
    door_pairs = []
    exit_count = counts[T_EXIT]
    i = ENTITIES_OFFSET
    while i < n:
        if i + 5 > n:
            raise SuiteError(source, f"truncated entity record at byte {i} ({n - i} bytes left)")
        rec = tuple(b[i:i + 5])
        typ = rec[0]
        if typ >= N_ENTITY_TYPES:
            raise SuiteError(source, f"entity record at byte {i} has type {typ} (valid 0-39)")
        records.append(rec)
        if strict:
            _check_units(source, f"entity type {typ} at byte {i}", rec[1], rec[2])
        if typ == T_EXIT:
            j = i + 5 * exit_count
            if exit_count == 0 or j + 5 > n or b[j] != T_EXIT_SWITCH:
                raise SuiteError(source, f"exit door at byte {i} has no switch record at 5*count[3]"
                                         f" = {5 * exit_count} bytes on")
            exit_pairs.append(((rec[1], rec[2]), (b[j + 1], b[j + 2])))
        if typ in _DOOR_SWITCH:
            if i + 8 > n:
                raise SuiteError(source, f"door record at byte {i} has no switch position")
            door_pairs.append((typ, (rec[1], rec[2], rec[3]), (b[i + 6], b[i + 7])))
            if i + 9 < n and b[i + 7] != 0 and b[i + 8] == 0 and b[i + 9] == 0:
                records.append(tuple(b[i + 5:i + 10]))
                i += 10
            else:
                i += 9
            continue
        i += 5
    if i != n:
        raise SuiteError(source, f"entity records overrun the data ({i} != {n} bytes)")

    if strict:
        per_type = [0] * N_ENTITY_TYPES
        for rec in records:
            per_type[rec[0]] += 1
        for typ in range(N_ENTITY_TYPES):
            if counts[typ] != per_type[typ]:
                raise SuiteError(source, f"count[{typ}] = {counts[typ]} but {per_type[typ]} records"
                                         f" of type {typ}")

    name = b[NAME_OFFSET:NAME_OFFSET + NAME_BYTES].split(b"\x00", 1)[0].decode("utf-8", "replace")
    return MapSummary(
        name=name,
        length=n,
        tiles=tiles,
        spawn=spawn,
        facing=facing,
        counts=tuple(counts),
        records=tuple(records),
        exit_pairs=tuple(exit_pairs),
        door_pairs=tuple(door_pairs),
    )
