"""Level validity: structure plus the conservative "solvable-looking" plan check.

:func:`plan_ok` asks the reachability search of :mod:`.reach` for a route
spawn -> (each locked-door switch, in order; its door counts as solid until then) -> exit switch
-> exit door, each leg starting from the cell where the previous one ended, with mines and toggle
mines forbidding their 3 x 3 neighbourhood. :func:`assess_map` rebuilds all of that from the map
bytes alone, so it checks a level independently of how it was generated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import SuiteError
from .mapfile import (
    MAP_H,
    MAP_W,
    T_LOCKED_DOOR,
    T_MINE,
    T_TOGGLE_MINE,
    decode_map_summary,
    units_to_cell,
)
from .reach import hazard_mask, padded_solid, reach

__all__ = ["plan_ok", "assess_map", "Assessment", "HAZARD_TYPES"]

HAZARD_TYPES = (T_MINE, T_TOGGLE_MINE)
FLAT_FLOOR_TILES = (1, 2)  # full block, top half


def plan_ok(solid: np.ndarray, blocked: np.ndarray, spawn, switch, exit_door,
            doors=()) -> bool:
    """True when every leg of spawn -> door switches -> exit switch -> exit door is reachable.

    ``solid`` and ``blocked`` are padded (25, 44) grids; cells are inner (x, y); ``doors`` is a
    sequence of (door cell, switch cell) for locked doors, each door cell solid until its switch.
    """
    solid = solid.copy()
    for door_cell, _ in doors:
        solid[door_cell[1] + 1, door_cell[0] + 1] = 1
    here = spawn
    targets = [(sw, door) for door, sw in doors] + [(switch, None), (exit_door, None)]
    for target, opened in targets:
        dist = reach(solid, blocked, here)
        if dist[target[1], target[0]] < 0:
            return False
        if opened is not None:
            solid[opened[1] + 1, opened[0] + 1] = 0
        here = target
    return True


@dataclass(frozen=True)
class Assessment:
    ok: bool
    reason: str = ""


def _cell(units) -> tuple[int, int]:
    return units_to_cell(int(units[0]), int(units[1]))


def _inside(cell) -> bool:
    return 0 <= cell[0] < MAP_W and 0 <= cell[1] < MAP_H


def assess_map(map_data, source: str = "<map>") -> Assessment:
    """Structural validation plus the plan check, from the bytes alone.

    Requires: valid structure (:func:`decode_map_summary`, strict), exactly one exit door/switch
    pair, the spawn in an empty cell resting on a flat floor (full or top-half tile, or the
    border), every entity in an empty inner
    cell, and :func:`plan_ok`. Meant for generated levels (entities at cell centres).
    """
    try:
        summ = decode_map_summary(map_data, source=source, strict=True)
    except SuiteError as err:
        return Assessment(False, err.problem)
    tiles = summ.tiles
    if len(summ.exit_pairs) != 1:
        return Assessment(False, f"{len(summ.exit_pairs)} exit door/switch pairs, expected 1")
    spawn = _cell(summ.spawn)
    if not _inside(spawn) or tiles[spawn[1], spawn[0]] != 0:
        return Assessment(False, f"spawn cell {spawn} is not an empty inner cell")
    if spawn[1] + 1 < MAP_H and tiles[spawn[1] + 1, spawn[0]] not in FLAT_FLOOR_TILES:
        return Assessment(False, f"spawn cell {spawn} does not rest on a flat floor")
    hazards = []
    for rec in summ.records:
        cell = _cell(rec[1:3])
        if not _inside(cell) or tiles[cell[1], cell[0]] != 0:
            return Assessment(False, f"entity type {rec[0]} at cell {cell} is not in an empty cell")
        if rec[0] in HAZARD_TYPES:
            hazards.append(cell)
    doors = []
    for typ, door, sw in summ.door_pairs:
        if typ != T_LOCKED_DOOR:
            return Assessment(False, f"door type {typ} is not supported by the plan check")
        if door[2] not in (0, 4):
            return Assessment(False, "only vertical locked doors are supported by the plan check")
        doors.append((_cell(door[:2]), _cell(sw)))
    (door_units, switch_units), = summ.exit_pairs
    solid = padded_solid(tiles)
    blocked = hazard_mask(hazards)
    if not plan_ok(solid, blocked, spawn, _cell(switch_units), _cell(door_units), doors):
        return Assessment(False, "no conservative route spawn -> switches -> exit")
    return Assessment(True)
