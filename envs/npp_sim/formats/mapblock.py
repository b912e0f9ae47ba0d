"""Structural consistency check of an N++ map block (nclone ``map_data``).

Layout (FORMAT_FACTS section 2; all offsets in bytes from the start of the block):

=========  ===========================================================================
0-183      header; 38-165 hold the NUL-padded level name; not read by the simulator
184-1149   966 tile bytes, 42 columns x 23 rows, row-major, ids 0-37
1150-1229  40 x uint16 LE entity counts, indexed by entity type 0-39 (sim reads count[3])
1230-end   entity records: type, x, y, orientation, mode (x, y in 6-px units)
=========  ===========================================================================

The consistency rule (:func:`check_map_block`) is built from those facts only; it names no file.
A block is consistent when all of these hold:

1. **Length**: at least 1235 bytes (header + tiles + counts + the ninja record).
2. **Tiles**: every tile byte is a defined tile id 0-37.
3. **Ninja record**: the record at byte 1230 has type 0 and its spawn lies inside the playable
   area: x in [4, 172] and y in [4, 96] in 6-px units (pixels 24-1032 x 24-576, i.e. inside the
   solid border the simulator adds).
4. **Records tile the entity region**: walking the records from 1230 the way the simulator does
   (5 bytes each; a locked door (6) or trap door (8) carries its switch position at +6/+7 and
   occupies 10 bytes when byte +7 is non-zero and bytes +8 and +9 are zero -- a separate type 7/9
   switch record -- and 9 bytes otherwise, the layout nclone's generator writes) ends exactly at
   the end of the block, and every record type is a valid index 0-39 of the count table.
5. **Counts agree with the records**: count[t] never exceeds the number of type-t records, and
   every exit door (type 3) finds its switch (type 4) ``5 * count[3]`` bytes after it, which is
   how the simulator pairs them (so count[3] must be > 0 when exit doors exist).

A block that is shifted by one byte (a byte dropped at its front, as in the two damaged nclone
replays) breaks rules 3-5 at once: the ninja type byte lands in the last count, the record at 1230
starts with the ninja's x coordinate, record types read coordinates (mostly >= 40) and the counts
read one count's high byte with the next count's low byte (multiples of 256).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "HEADER_BYTES",
    "TILES_START",
    "TILES_END",
    "COUNTS_START",
    "ENTITIES_START",
    "RECORD_BYTES",
    "MIN_MAP_BYTES",
    "GRID_W",
    "GRID_H",
    "N_TILE_IDS",
    "N_ENTITY_TYPES",
    "check_map_block",
    "level_name",
    "repair_shifted_map_block",
]

HEADER_BYTES = 184
TILES_START = 184
GRID_W, GRID_H = 42, 23
TILES_END = TILES_START + GRID_W * GRID_H  # 1150
COUNTS_START = TILES_END  # 1150
N_ENTITY_TYPES = 40
ENTITIES_START = COUNTS_START + 2 * N_ENTITY_TYPES  # 1230
RECORD_BYTES = 5
MIN_MAP_BYTES = ENTITIES_START + RECORD_BYTES  # 1235
N_TILE_IDS = 38  # ids 0-37 (34-37: glitched tiles without collision)
NAME_START, NAME_END = 38, 166

# Ninja spawn bounds in 6-px map units: inside the playable 42 x 23-tile area at pixel offset 24.
SPAWN_X_RANGE = (4, 172)  # 24 px .. 1032 px
SPAWN_Y_RANGE = (4, 96)  # 24 px .. 576 px

TYPE_NINJA, TYPE_EXIT_DOOR, TYPE_EXIT_SWITCH = 0, 3, 4
DOOR_TYPES_WITH_SWITCH = (6, 8)  # locked door, trap door
_MAX_LISTED = 3  # examples listed per problem


def level_name(map_data: bytes) -> str | None:
    """The level name stored in header bytes 38-165 (NUL-terminated), or None when empty."""
    raw = bytes(map_data[NAME_START:NAME_END]).split(b"\x00", 1)[0]
    text = raw.decode("utf-8", "replace").strip()
    return text or None


def _walk_records(m: bytes) -> tuple[list[int], list[int], list[str]]:
    """Walk the entity records like the simulator.

    Returns (record offsets, offsets of separate switch records stepped over inside a 10-byte
    door record, problems).
    """
    n = len(m)
    offsets: list[int] = []
    switches: list[int] = []
    i = ENTITIES_START
    while i < n:
        t = m[i]
        if t in DOOR_TYPES_WITH_SWITCH:
            if i + 9 > n:
                return (
                    offsets,
                    switches,
                    [f"door record (type {t}) at byte {i} needs 9 bytes but the block ends at {n}"],
                )
            offsets.append(i)
            if i + 10 <= n and m[i + 7] != 0 and m[i + 8] == 0 and m[i + 9] == 0:
                switches.append(i + 5)
                i += 10
            else:
                i += 9
            continue
        if i + RECORD_BYTES > n:
            return (
                offsets,
                switches,
                [
                    f"entity region is not a whole number of records: {n - i} byte(s) left over "
                    f"at byte {i} (block length {n})"
                ],
            )
        offsets.append(i)
        i += RECORD_BYTES
    return offsets, switches, []


def _problems(m: bytes) -> list[str]:
    n = len(m)
    if n < MIN_MAP_BYTES:
        return [
            f"map block is {n} bytes, shorter than the {MIN_MAP_BYTES} needed for header, tiles, "
            f"counts and the ninja record"
        ]
    a = np.frombuffer(m, dtype=np.uint8)
    problems: list[str] = []

    # 2. tiles
    tiles = a[TILES_START:TILES_END]
    bad = np.flatnonzero(tiles >= N_TILE_IDS)
    if bad.size:
        ex = ", ".join(
            f"({k % GRID_W},{k // GRID_W})={int(tiles[k])}" for k in bad[:_MAX_LISTED].tolist()
        )
        problems.append(f"{bad.size} tile byte(s) outside the tile ids 0-37, e.g. {ex}")

    # 3. ninja record
    t0, sx, sy = m[ENTITIES_START], m[ENTITIES_START + 1], m[ENTITIES_START + 2]
    if t0 != TYPE_NINJA:
        problems.append(
            f"first entity record (byte {ENTITIES_START}) has type {t0}, not the ninja (type 0)"
        )
    if not (
        SPAWN_X_RANGE[0] <= sx <= SPAWN_X_RANGE[1] and SPAWN_Y_RANGE[0] <= sy <= SPAWN_Y_RANGE[1]
    ):
        problems.append(
            f"ninja spawn ({sx}, {sy}) = ({6 * sx}, {6 * sy}) px is outside the playable area "
            f"(x {SPAWN_X_RANGE[0]}-{SPAWN_X_RANGE[1]}, y {SPAWN_Y_RANGE[0]}-{SPAWN_Y_RANGE[1]} "
            f"in 6-px units)"
        )

    # 4. records
    offsets, switches, walk_problems = _walk_records(m)
    problems.extend(walk_problems)
    types = a[np.asarray(offsets, dtype=np.int64)] if offsets else np.zeros(0, np.uint8)
    bad_t = np.flatnonzero(types >= N_ENTITY_TYPES)
    if bad_t.size:
        ex = ", ".join(
            f"{int(types[k])} at byte {offsets[k]}" for k in bad_t[:_MAX_LISTED].tolist()
        )
        problems.append(
            f"{bad_t.size} of {len(offsets)} entity record(s) have a type outside 0-39, e.g. {ex}"
        )

    # 5. counts vs records
    counts = np.frombuffer(m, dtype="<u2", count=N_ENTITY_TYPES, offset=COUNTS_START)
    all_types = types
    if switches:
        all_types = np.concatenate([types, a[np.asarray(switches, dtype=np.int64)]])
    have = np.bincount(all_types[all_types < N_ENTITY_TYPES], minlength=N_ENTITY_TYPES)
    over = np.flatnonzero(counts > have)
    if over.size:
        ex = ", ".join(
            f"count[{t}]={int(counts[t])} but {int(have[t])} record(s)"
            for t in over[:_MAX_LISTED].tolist()
        )
        problems.append(f"entity counts exceed the records of their type: {ex}")
    exits = [o for o, t in zip(offsets, types.tolist(), strict=True) if t == TYPE_EXIT_DOOR]
    if exits:
        c3 = int(counts[TYPE_EXIT_DOOR])
        if c3 == 0:
            problems.append(
                f"{len(exits)} exit door record(s) but count[3] is 0, so no switch can be paired"
            )
        else:
            unpaired = [
                o for o in exits if o + 5 * c3 + 2 >= n or m[o + 5 * c3] != TYPE_EXIT_SWITCH
            ]
            if unpaired:
                problems.append(
                    f"{len(unpaired)} exit door(s) without an exit switch (type 4) 5*count[3] = "
                    f"{5 * c3} bytes after them, e.g. door at byte {unpaired[0]}"
                )
    return problems


def check_map_block(map_data: bytes | bytearray | memoryview) -> list[str]:
    """Problems of a map block (empty list = consistent). See the module docstring for the rule.

    When the block is inconsistent but becomes consistent with one 0x00 byte put back at its
    front (and a trailing 0x00 dropped), a last entry says so: the signature of the damaged
    nclone recordings.
    """
    m = bytes(map_data)
    problems = _problems(m)
    if problems and repair_shifted_map_block(m) is not None:
        problems.append(
            "the block looks shifted left by one byte: with one 0x00 byte prepended (and the "
            "trailing 0x00 dropped) it is consistent"
        )
    return problems


def repair_shifted_map_block(map_data: bytes | bytearray | memoryview) -> bytes | None:
    """Undo a one-byte left shift: ``b"\\x00" + block[:-1]`` if that is consistent, else None.

    The two damaged nclone replays lost the leading (zero) header byte and carry a trailing zero
    instead; prepending 0x00 restores every offset. nclone's own fix kept the trailing byte (an
    incomplete type-0 record, ignored by the simulator); this drops it so the result passes
    :func:`check_map_block`. Returns None for blocks that are already consistent or not shifted.
    """
    m = bytes(map_data)
    if len(m) < MIN_MAP_BYTES or m[-1] != 0 or not _problems(m):
        return None
    fixed = b"\x00" + m[:-1]
    return fixed if not _problems(fixed) else None


def require_writable_map_block(map_data: bytes, check_map: bool = True) -> None:
    """Refuse to write a map block that is too short or (when ``check_map``) inconsistent."""
    if len(map_data) < MIN_MAP_BYTES:
        raise ValueError(f"map block is {len(map_data)} bytes, shorter than {MIN_MAP_BYTES}")
    if check_map:
        problems = check_map_block(map_data)
        if problems:
            raise ValueError("map block inconsistent: " + "; ".join(problems))
