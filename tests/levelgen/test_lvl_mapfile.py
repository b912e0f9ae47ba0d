"""encode_map / decode_map_summary: layout, record order, counts, door layouts, errors."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from npp_sim.formats.mapblock import check_map_block
from npp_sim.levelgen import SuiteError, cell_center_units, decode_map_summary, encode_map
from npp_sim.levelgen.mapfile import COUNTS_OFFSET, ENTITIES_OFFSET, TILES_OFFSET


def _room_tiles():
    t = np.ones((23, 42), dtype=np.uint8)
    t[5:10, 3:30] = 0
    return t


def test_layout_offsets_and_name():
    t = _room_tiles()
    t[9, 10] = 8
    ents = [(4, *cell_center_units(20, 9), 0, 0), (0, *cell_center_units(4, 9), 1, 0),
            (3, *cell_center_units(25, 9), 0, 0)]
    data = encode_map(t, ents, "my level")
    assert len(data) == ENTITIES_OFFSET + 3 * 5
    assert struct.unpack_from("<I", data, 4)[0] == len(data)
    assert data[38:46] == b"my level" and data[46] == 0
    assert data[TILES_OFFSET + 10 + 42 * 9] == 8
    assert np.array_equal(np.frombuffer(data[TILES_OFFSET:COUNTS_OFFSET], np.uint8).reshape(23, 42), t)
    # ninja first, then exit door, then its switch; count[3] = 1 pairs them
    assert [data[ENTITIES_OFFSET + 5 * i] for i in range(3)] == [0, 3, 4]
    counts = struct.unpack_from("<40H", data, COUNTS_OFFSET)
    assert counts[0] == counts[3] == counts[4] == 1 and sum(counts) == 3
    summ = decode_map_summary(data)
    assert summ.name == "my level"
    assert summ.spawn == cell_center_units(4, 9) and summ.facing == 1
    assert summ.exit_pairs == ((cell_center_units(25, 9), cell_center_units(20, 9)),)
    assert check_map_block(data) == []  # the formats package's independent consistency rule


def test_exit_pairs_keep_order_with_several_doors():
    t = _room_tiles()
    ents = [(0, 20, 30, 0, 0), (3, 30, 30, 0, 0), (4, 40, 30, 0, 0), (3, 50, 30, 0, 0),
            (4, 60, 30, 0, 0), (1, 70, 30, 0, 0)]
    data = encode_map(t, ents)
    types = [data[ENTITIES_OFFSET + 5 * i] for i in range(6)]
    assert types == [0, 1, 3, 3, 4, 4]
    summ = decode_map_summary(data)
    assert summ.exit_pairs == (((30, 30), (40, 30)), ((50, 30), (60, 30)))


def test_locked_door_uses_ten_byte_layout():
    t = _room_tiles()
    ents = [(0, 20, 30, 0, 0), (3, 30, 30, 0, 0), (4, 40, 30, 0, 0),
            (6, 48, 34, 0, 0), (7, 60, 30, 5, 5), (21, 70, 30, 0, 0)]
    data = encode_map(t, ents)
    i = data.index(bytes([6, 48, 34, 0, 0]))
    assert data[i + 5:i + 10] == bytes([7, 60, 30, 0, 0])  # switch orientation/mode zeroed
    summ = decode_map_summary(data)
    assert summ.door_pairs == ((6, (48, 34, 0), (60, 30)),)
    assert summ.record_counts() == {0: 1, 3: 1, 4: 1, 6: 1, 7: 1, 21: 1}
    assert summ.counts[6] == summ.counts[7] == 1


@pytest.mark.parametrize("ents, msg", [
    ([(3, 30, 30, 0, 0), (4, 40, 30, 0, 0)], "one ninja"),
    ([(0, 20, 30, 0, 0), (0, 24, 30, 0, 0)], "one ninja"),
    ([(0, 20, 30, 0, 0), (3, 30, 30, 0, 0)], "exit switches"),
    ([(0, 20, 30, 0, 0), (6, 30, 30, 0, 0), (1, 40, 30, 0, 0)], "followed by its switch"),
    ([(0, 20, 30, 0, 0), (7, 30, 30, 0, 0)], "without its door"),
    ([(0, 0, 30, 0, 0)], "outside the playable area"),
    ([(0, 20, 99, 0, 0)], "outside the playable area"),
    ([(0, 20, 30, 0, 0), (40, 30, 30, 0, 0)], "out of range"),
])
def test_encode_rejects_bad_entities(ents, msg):
    with pytest.raises(SuiteError, match=msg):
        encode_map(_room_tiles(), ents)


def test_encode_rejects_bad_tiles():
    with pytest.raises(SuiteError, match="shape"):
        encode_map(np.zeros((42, 23), np.uint8), [(0, 20, 30, 0, 0)])
    bad = _room_tiles()
    bad[0, 0] = 38
    with pytest.raises(SuiteError, match="tile ids"):
        encode_map(bad, [(0, 20, 30, 0, 0)])


def _valid():
    return encode_map(_room_tiles(), [(0, 20, 30, 0, 0), (3, 30, 30, 0, 0), (4, 40, 30, 0, 0)])


@pytest.mark.parametrize("mutate, msg", [
    (lambda b: b[:1200], "too short"),
    (lambda b: b[:-2], "truncated|no switch record"),
    (lambda b: b + b"\x01\x02", "truncated"),
    (lambda b: b[:TILES_OFFSET] + bytes([40]) + b[TILES_OFFSET + 1:], "tile id"),
    (lambda b: b[:ENTITIES_OFFSET] + bytes([5]) + b[ENTITIES_OFFSET + 1:], "ninja"),
    (lambda b: b[:COUNTS_OFFSET + 6] + bytes([0]) + b[COUNTS_OFFSET + 7:], "switch record"),
    (lambda b: b[:COUNTS_OFFSET + 2] + bytes([3]) + b[COUNTS_OFFSET + 3:], r"count\[1\]"),
    (lambda b: b"\x00" + b[:-1], "ninja"),  # shifted by one byte
])
def test_decode_errors_name_the_source(mutate, msg):
    with pytest.raises(SuiteError, match=msg) as info:
        decode_map_summary(mutate(_valid()), source="lvl.map")
    assert str(info.value).startswith("lvl.map: ")


def test_decode_lenient_accepts_missing_counts():
    data = bytearray(_valid())
    data[COUNTS_OFFSET] = 0  # count[0] = 0 as in some official maps
    with pytest.raises(SuiteError):
        decode_map_summary(bytes(data))
    assert decode_map_summary(bytes(data), strict=False).spawn == (20, 30)


_unit_x = st.integers(4, 172)
_unit_y = st.integers(4, 96)


@settings(max_examples=60, deadline=None)
@given(
    others=st.lists(st.tuples(st.sampled_from([1, 2, 5, 10, 11, 14, 17, 20, 21, 24, 25, 26]),
                              _unit_x, _unit_y, st.integers(0, 7), st.integers(0, 3)),
                    max_size=12),
    n_exits=st.integers(0, 3),
    doors=st.integers(0, 2),
    data=st.data(),
)
def test_round_trip_property(others, n_exits, doors, data):
    ents = [(0, data.draw(_unit_x), data.draw(_unit_y), 0, 0)] + list(others)
    for _ in range(n_exits):
        ents.append((3, data.draw(_unit_x), data.draw(_unit_y), 0, 0))
        ents.append((4, data.draw(_unit_x), data.draw(_unit_y), 0, 0))
    for _ in range(doors):
        ents.append((6, data.draw(_unit_x), data.draw(_unit_y), 0, 0))
        ents.append((7, data.draw(_unit_x), data.draw(_unit_y), 0, 0))
    blob = encode_map(_room_tiles(), ents)
    summ = decode_map_summary(blob)  # strict: counts equal record numbers, positions in range
    assert len(summ.exit_pairs) == n_exits
    assert len(summ.door_pairs) == doors
    assert sorted(summ.records) == sorted(ents)
    assert summ.records[0] == ents[0]
    assert check_map_block(blob) == []
    # records after the ninja are grouped by type (a locked door's switch rides with its door)
    types = [r[0] for r in summ.records[1:] if r[0] != 7]
    assert types == sorted(types)
