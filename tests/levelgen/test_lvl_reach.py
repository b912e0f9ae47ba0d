"""The conservative reachability search: its move rules, and spot checks that the simulator can
really perform the moves the search relies on (jump 3 rows up, climb a shaft, survive a fall)."""

from __future__ import annotations

import numpy as np
import pytest
from npp_sim.levelgen import cell_center_units, encode_map, plan_ok
from npp_sim.levelgen.reach import (
    JUMP_SIDE,
    JUMP_UP,
    MAX_FALL,
    hazard_mask,
    padded_solid,
    reach,
)


def _grid():
    return np.ones((23, 42), dtype=np.uint8)


def _reaches(t, start, goal, hazards=()):
    return reach(padded_solid(t), hazard_mask(hazards), start)[goal[1], goal[0]] >= 0


def _ledge(height):
    t = _grid()
    t[5:21, 5:40] = 0
    t[21 - height:21, 20:40] = 1  # block whose top standing row is 20 - height
    return t


def test_walk_and_jump_height():
    for h in range(1, JUMP_UP + 1):
        assert _reaches(_ledge(h), (8, 20), (25, 20 - h))
    assert not _reaches(_ledge(JUMP_UP + 1), (8, 20), (25, 20 - JUMP_UP - 1))
    # and back down
    assert _reaches(_ledge(3), (25, 17), (8, 20))


def test_gap_width():
    def gap(w):
        t = _grid()
        t[10:21, 2:40] = 0
        t[15:21, 2:40] = 1  # standing row 14
        t[15:, 20:20 + w] = 0  # a deep pit (deeper than a survivable fall)
        t[16:, 20:20 + w] = 0
        return t
    assert _reaches(gap(JUMP_SIDE), (10, 14), (30, 14))
    # the search cannot cross a gap wider than the jump plus its drift
    assert not _reaches(gap(JUMP_SIDE + JUMP_UP + 2), (10, 14), (35, 14))


def test_fall_limit():
    def drop(h):
        t = _grid()
        t[0:21, 5:40] = 0
        t[21 - h, 5:15] = 1  # platform with standing row 20 - h
        return t
    assert _reaches(drop(MAX_FALL), (8, 20 - MAX_FALL), (20, 20))
    assert not _reaches(drop(MAX_FALL + 2), (8, 20 - MAX_FALL - 2), (20, 20))


def _shaft():
    t = _grid()
    t[18:21, 10:21] = 0  # bottom room
    t[6:18, 20] = 0  # one-wide shaft
    t[2:6, 12:30] = 0  # top room
    return t


def test_shaft_climb_and_single_wall():
    assert _reaches(_shaft(), (15, 20), (25, 5))
    wide = _shaft()
    wide[6:18, 21] = 0  # two-wide: no wall-jump climbing modelled
    assert not _reaches(wide, (15, 20), (25, 5))


def test_mines_block_their_neighbourhood():
    t = _grid()
    t[18:21, 2:40] = 0  # corridor three rows high: a mine's 3 x 3 zone fills it
    assert _reaches(t, (3, 20), (30, 20))
    assert not _reaches(t, (3, 20), (30, 20), hazards=[(15, 19)])
    t[14:18, 2:40] = 0  # a taller room lets the search jump over the zone
    assert _reaches(t, (3, 20), (30, 20), hazards=[(15, 20)])


def test_plan_ok_with_locked_door():
    t = _grid()
    t[18:21, 2:30] = 0
    t[18:21, 15] = 1
    t[20, 15] = 0  # doorway cell in the wall
    solid = padded_solid(t)
    none = hazard_mask([])
    door = ((15, 20), (5, 20))
    assert plan_ok(solid, none, (3, 20), (10, 20), (25, 20), [door])
    assert not plan_ok(solid, none, (3, 20), (10, 20), (25, 20), [((15, 20), (20, 20))])
    assert not plan_ok(solid, hazard_mask([(8, 19)]), (3, 20), (12, 20), (25, 20), [door])


# ---- the simulator performs the moves the search relies on ------------------------------

sim_mod = pytest.importorskip("npp_sim.simulator")


def _map(t, spawn):
    ents = [(0, *cell_center_units(*spawn), 1, 0), (3, *cell_center_units(1, 1), 0, 0),
            (4, *cell_center_units(2, 1), 0, 0)]
    return encode_map(t, ents)


def _run(t, spawn, hor, jump):
    sim = sim_mod.Simulator(_map(t, spawn))
    trace = sim.run(np.asarray(hor, dtype=np.int64), np.asarray(jump, dtype=np.int64))
    return sim, trace


def test_sim_jumps_onto_a_ledge_three_rows_up():
    t = _ledge(JUMP_UP)
    top_y = (21 - JUMP_UP + 1) * 24 - 10  # ninja centre standing on the block
    landed = []
    for delay in (20, 40, 60):
        hor, jump = np.ones(200, int), np.zeros(200, int)
        jump[delay:delay + 45] = 1
        sim, _ = _run(t, (8, 20), hor, jump)
        landed.append(not sim.dead and abs(sim.ninja_y - top_y) < 1 and sim.ninja_x > 21 * 24)
    assert any(landed)


def test_sim_climbs_a_one_wide_shaft():
    hor, jump = np.ones(400, int), np.zeros(400, int)
    jump[60::2] = 1  # tap jump every other frame while pressing into the wall
    _, trace = _run(_shaft(), (15, 20), hor, jump)
    top_of_shaft = (6 + 1) * 24
    alive = ~trace.dead
    assert (trace.y[alive] < top_of_shaft - 12).any(), "ninja never left the shaft at the top"


def test_sim_survives_the_longest_fall_the_search_allows():
    t = _grid()
    t[0:21, 5:40] = 0
    t[21 - MAX_FALL, 5:15] = 1
    sim, trace = _run(t, (8, 20 - MAX_FALL), np.ones(300, int), np.zeros(300, int))
    assert trace.y.max() > 20 * 24 and not sim.dead
