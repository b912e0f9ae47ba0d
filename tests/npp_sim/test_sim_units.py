"""Unit and property tests of npp_sim: input decoding, map parsing, determinism, snapshots."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from npp_sim.errors import MapFormatError
from npp_sim.inputs import decode_inputs
from npp_sim.map_data import parse_map
from npp_sim.simulator import Simulator, run_inputs


def make_map(records, tiles=None, exit_count=None, counts=None) -> bytes:
    """Synthetic map: 1230-byte header/tiles/counts block followed by raw record bytes.

    ``records`` is a list of byte tuples (usually 5 bytes each, starting with the ninja record).
    By default the inner grid is empty except a solid floor on the bottom inner row.
    """
    data = bytearray(1230)
    if tiles is None:
        tiles = np.zeros((23, 42), dtype=np.uint8)
        tiles[22, :] = 1
    data[184:1150] = np.asarray(tiles, dtype=np.uint8).tobytes()
    counts = dict(counts or {})
    if exit_count is None:
        exit_count = sum(1 for r in records if r[0] == 3)
    counts[3] = exit_count
    for t, c in counts.items():
        data[1150 + 2 * t] = c & 0xFF
        data[1151 + 2 * t] = c >> 8
    for r in records:
        data += bytes(r)
    return bytes(data)


NINJA = (0, 40, 80, 1, 0)  # spawn at (240, 480) px, resting on the floor row (top at y=552)


def busy_map() -> bytes:
    """A map exercising most entity kinds near the ninja's path."""
    recs = [
        NINJA,
        (3, 150, 86, 0, 0),  # exit door
        (4, 60, 86, 0, 0),  # exit switch
        (2, 50, 86, 0, 0),  # gold
        (1, 120, 70, 0, 0),  # mine
        (21, 70, 86, 0, 0),  # toggle mine
        (14, 100, 40, 0, 0),  # zap drone
        (26, 30, 30, 2, 1),  # mini drone
        (17, 90, 80, 0, 0),  # bounce block
        (20, 110, 60, 2, 0),  # thwump facing down
        (24, 80, 86, 0, 0),  # boost pad
        (25, 130, 40, 0, 0),  # death ball
        (25, 134, 40, 0, 0),  # death ball
        (10, 140, 88, 6, 0),  # launch pad pointing up
        (11, 40, 70, 2, 0),  # one-way platform
        (28, 160, 80, 0, 0),  # shove thwump
        (5, 120, 84, 0, 0),  # regular door (vertical)
    ]
    return make_map(recs, counts={25: 2})


# --- inputs -------------------------------------------------------------------------------------


@given(st.lists(st.integers(0, 255), max_size=200))
def test_sim_decode_inputs_bits(values):
    b = np.array(values, dtype=np.uint8)
    hor, jump = decode_inputs(b)
    assert hor.dtype == np.int8 and jump.dtype == np.int8
    np.testing.assert_array_equal(jump, b & 1)
    right = ((b >> 1) & 1).astype(int)
    left = ((b >> 2) & 1).astype(int)
    np.testing.assert_array_equal(hor, right - left)
    hor_l, jump_l = decode_inputs(b, "left_wins")
    np.testing.assert_array_equal(jump_l, jump)
    np.testing.assert_array_equal(hor_l, np.where(left == 1, -1, right))
    # the reset bit never matters
    np.testing.assert_array_equal(decode_inputs(b | 8)[0], hor)


def test_sim_decode_inputs_left_right_rules():
    hor, jump = decode_inputs(np.array([6, 7, 2, 4, 0], dtype=np.uint8))
    assert hor.tolist() == [0, 0, 1, -1, 0] and jump.tolist() == [0, 1, 0, 0, 0]
    hor, _ = decode_inputs(np.array([6, 7], dtype=np.uint8), "left_wins")
    assert hor.tolist() == [-1, -1]


def test_sim_decode_inputs_unknown_rule():
    with pytest.raises(ValueError, match="left\\+right rule"):
        decode_inputs(np.zeros(3, dtype=np.uint8), "right_wins")


# --- map parsing --------------------------------------------------------------------------------


def test_sim_parse_too_short_raises():
    with pytest.raises(MapFormatError, match=r"^level\.map: map data too short") as e:
        parse_map(bytes(1000), source="level.map")
    assert isinstance(e.value, ValueError)


def test_sim_parse_basic_layout():
    lv = parse_map(make_map([NINJA, (2, 50, 86, 0, 0)]))
    assert lv.tiles.shape == (25, 44)
    assert (lv.tiles[0] == 1).all() and (lv.tiles[-1] == 1).all()
    assert (lv.tiles[:, 0] == 1).all() and (lv.tiles[:, -1] == 1).all()
    assert (lv.tiles[23, 1:-1] == 1).all() and lv.tiles[5, 5] == 0
    assert (lv.spawn_x, lv.spawn_y) == (240.0, 480.0)
    assert lv.ent_type.tolist() == [2] and lv.ent_x.tolist() == [300.0]


def test_sim_unknown_entity_types_warn_and_are_skipped():
    data = make_map([NINJA, (2, 50, 86, 0, 0), (16, 60, 86, 0, 0), (12, 70, 70, 0, 0),
                     (0, 20, 20, 0, 0)])
    with pytest.warns(UserWarning, match="type 12 x1, type 16 x1"):
        lv = parse_map(data, source="odd.map")
    assert lv.ent_type.tolist() == [2]
    assert lv.skipped_types == {12: 1, 16: 1}
    with pytest.warns(UserWarning, match="odd.map"):
        tr = run_inputs(data, np.zeros(5, dtype=np.uint8), source="odd.map")
    assert tr.frames == 5


def test_sim_extra_ninja_records_are_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lv = parse_map(make_map([NINJA, (0, 30, 30, 0, 0), (2, 50, 86, 0, 0)]))
    assert lv.ent_type.tolist() == [2]


def test_sim_exit_doors_pair_with_switches():
    lv = parse_map(make_map([NINJA, (3, 10, 10, 0, 0), (3, 20, 20, 0, 0), (4, 11, 12, 0, 0),
                             (4, 21, 22, 0, 0)]))
    assert lv.ent_type.tolist() == [3, 4, 3, 4]
    assert lv.ent_x.tolist() == [60.0, 66.0, 120.0, 126.0]
    assert lv.ent_y.tolist() == [60.0, 72.0, 120.0, 132.0]
    assert lv.ent_link.tolist() == [1, 0, 3, 2]


@pytest.mark.parametrize("layout", ["ten", "nine"])
def test_sim_locked_door_record_sizes(layout):
    if layout == "ten":  # door record + separate type-7 switch record
        door = (6, 30, 30, 0, 0, 7, 40, 44, 0, 0)
    else:  # generator layout: switch x, y in bytes +6, +7 and two padding bytes
        door = (6, 30, 30, 0, 0, 0, 40, 44, 0)
    lv = parse_map(make_map([NINJA, door, (2, 50, 86, 0, 0)]))
    assert lv.ent_type.tolist() == [6, 2]
    assert (lv.ent_sw_x[0], lv.ent_sw_y[0]) == (240.0, 264.0)
    assert lv.ent_x[1] == 300.0


def test_sim_truncated_exit_record_raises():
    with pytest.raises(MapFormatError, match="no switch record"):
        parse_map(make_map([NINJA, (3, 10, 10, 0, 0)], exit_count=3))


# --- simulation properties ----------------------------------------------------------------------


def _arrays(tr):
    return [tr.x, tr.y, tr.xspeed, tr.yspeed, tr.state, tr.gold, tr.switch_activated]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7]), min_size=1, max_size=240))
def test_sim_deterministic_and_tick_matches_batch(inputs):
    data = busy_map()
    ib = np.array(inputs, dtype=np.uint8)
    a = run_inputs(data, ib)
    b = run_inputs(data, ib)
    for u, v in zip(_arrays(a), _arrays(b), strict=True):
        np.testing.assert_array_equal(u, v)
    sim = Simulator(data)
    hor, jump = decode_inputs(ib)
    xs = [sim.ninja_x]
    states = [sim.ninja_state]
    for h, j in zip(hor, jump, strict=True):
        sim.tick(int(h), int(j))
        xs.append(sim.ninja_x)
        states.append(sim.ninja_state)
    np.testing.assert_array_equal(np.array(xs), a.x)
    np.testing.assert_array_equal(np.array(states), a.state)
    assert sim.frame == len(inputs)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 2, 3, 4, 5]), min_size=2, max_size=160),
       st.integers(0, 159))
def test_sim_snapshot_restore_round_trip(inputs, cut):
    cut = cut % len(inputs)
    sim = Simulator(busy_map())
    hor, jump = decode_inputs(np.array(inputs, dtype=np.uint8))
    for h, j in zip(hor[:cut], jump[:cut], strict=True):
        sim.tick(int(h), int(j))
    snap = sim.snapshot()
    first = sim.run(hor[cut:], jump[cut:])
    sim.restore(snap)
    assert sim.frame == cut
    second = sim.run(hor[cut:], jump[cut:])
    for u, v in zip(_arrays(first), _arrays(second), strict=True):
        np.testing.assert_array_equal(u, v)
    # the snapshot itself is independent of later ticks
    sim.restore(snap)
    again = sim.run(hor[cut:], jump[cut:])
    np.testing.assert_array_equal(again.y, first.y)


def test_sim_reset_restores_initial_state():
    sim = Simulator(busy_map())
    x0, y0 = sim.ninja_x, sim.ninja_y
    ents = sim.entity_float.copy()
    for _ in range(50):
        sim.tick(1, 1)
    assert sim.frame == 50
    sim.reset()
    assert (sim.frame, sim.ninja_x, sim.ninja_y, sim.ninja_state) == (0, x0, y0, 0)
    np.testing.assert_array_equal(sim.entity_float, ents)


def test_sim_win_outcome():
    # ninja standing on the floor with the switch and the door both under it
    data = make_map([NINJA, (3, 40, 80, 0, 0), (4, 40, 80, 0, 0)])
    tr = run_inputs(data, np.zeros(10, dtype=np.uint8))
    assert tr.switch_activated[1] and not tr.switch_activated[0]
    assert tr.outcome == "won"
    assert tr.outcome_frame == int(np.flatnonzero(tr.state == 8)[0])
    assert tr.won[-1] and not tr.dead.any()


def test_sim_death_outcome_and_frozen_ninja():
    # a deadly mine right next to the spawn
    data = make_map([NINJA, (1, 42, 80, 0, 0)])
    tr = run_inputs(data, np.full(20, 2, dtype=np.uint8))
    assert tr.outcome == "died" and tr.outcome_frame is not None
    f = tr.outcome_frame
    assert tr.state[f] in (6, 7) and (tr.state[f + 1:] == 6).all()
    # after death the ninja is no longer integrated
    assert (tr.x[f:] == tr.x[f]).all() and (tr.y[f:] == tr.y[f]).all()


def test_sim_neither_outcome_and_shapes():
    tr = run_inputs(make_map([NINJA]), np.zeros(120, dtype=np.uint8))
    assert tr.outcome == "neither" and tr.outcome_frame is None
    assert tr.x.shape == (121,) and tr.state.dtype == np.int16 and tr.frames == 120
    # falling onto a flat floor (top at y = 552): it comes to rest at floor height - radius
    assert tr.y[-1] == 542.0 and tr.state[-1] == 0 and not tr.airborn[-1]


def test_sim_level_and_bytes_paths_agree():
    data = busy_map()
    ib = np.array([2, 2, 3, 3, 1, 0, 4, 5, 5, 0] * 12, dtype=np.uint8)
    a = run_inputs(data, ib)
    b = run_inputs(parse_map(data), ib)
    c = Simulator.from_level(parse_map(data)).run(*decode_inputs(ib))
    for u, v, w in zip(_arrays(a), _arrays(b), _arrays(c), strict=True):
        np.testing.assert_array_equal(u, v)
        np.testing.assert_array_equal(u, w)
    assert a.outcome == b.outcome == c.outcome


def test_sim_entity_tables_are_read_only_views():
    sim = Simulator(busy_map())
    assert sim.entity_type.tolist()[:3] == [3, 4, 2]
    with pytest.raises(ValueError):
        sim.entity_float[0, 0] = 1.0
    h, v = sim.grid_edges
    assert h.shape == (89, 51) and v.shape == (89, 51)
