"""DemoFormatError and the validation of nclone v0/v1 and attract files (synthetic bytes)."""

from __future__ import annotations

import copy
import struct

import numpy as np
import pytest
from fmt_support import make_map
from npp_sim.formats import (
    Demo,
    DemoFormatError,
    check_map_block,
    detect_format,
    read_demo,
    repair_shifted_map_block,
)

MAP = make_map(name=b"synthetic", records=[(1, 50, 50, 0, 0)])
INPUTS = bytes([0, 1, 2, 3, 4, 5, 0])


def v0(map_data=MAP, inputs=INPUTS, m=None, n=None) -> bytes:
    return (
        struct.pack("<II", len(map_data) if m is None else m, len(inputs) if n is None else n)
        + map_data
        + inputs
    )


def v1(map_data=MAP, inputs=INPUTS, version=1, flag=1, m=None, n=None) -> bytes:
    head = struct.pack(
        "<III", version, len(map_data) if m is None else m, len(inputs) if n is None else n
    )
    return head + bytes([flag]) + map_data + inputs


def attract(
    map_section=MAP[8:],
    inputs=INPUTS,
    *,
    lead=0,
    d_echo=None,
    one=1,
    frames=None,
    marker=b"\xff" * 4,
):
    d = 30 + len(inputs)
    demo = (
        bytes([lead])
        + struct.pack(
            "<IIIIII",
            d if d_echo is None else d_echo,
            one,
            len(inputs) if frames is None else frames,
            42,
            0,
            0,
        )
        + b"\x01"
        + marker
        + inputs
    )
    assert len(demo) == d
    return struct.pack("<II", len(map_section), d) + map_section + demo


def test_error_message_and_attributes():
    err = DemoFormatError("/some/dir/file.replay", "bad\nthing  here")
    assert str(err) == "file.replay: bad thing here"
    assert err.path == "/some/dir/file.replay" and err.problem == "bad thing here"
    assert isinstance(err, ValueError)
    assert str(DemoFormatError(None, "x")) == "<bytes>: x"
    clone = copy.deepcopy(err)
    assert type(clone) is DemoFormatError and str(clone) == str(err)


def test_synthetic_files_parse():
    assert read_demo(v0(), name="a").format == "v0"
    d1 = read_demo(v1(flag=0))
    assert d1.format == "v1" and d1.success is False and d1.name is None
    da = read_demo(attract(inputs=bytes([0, 6, 7, 8, 9, 15])), name="5")
    assert da.format == "attract" and da.frames == 6 and da.map_data[8:] == MAP[8:]
    assert da.meta["demo_episode"] == 42 and da.meta["level_name"] == "synthetic"
    assert read_demo(v0(inputs=b"")).frames == 0


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "truncated header"),
        (b"\x01\x00", "truncated header"),
        (struct.pack("<I", 1) + b"\x00" * 8, "truncated header"),
        (struct.pack("<I", 5000), "truncated header"),
        (struct.pack("<I", 0) + b"\x00" * 20, "bad version number 0"),
        (struct.pack("<I", 3) + b"\x00" * 20, "bad version number 3"),
        (struct.pack("<I", 100) + b"\x00" * 20, "bad version number 100"),
        (v0(n=len(INPUTS) + 5), "declared lengths disagree"),
        (v0() + b"\x00", "declared lengths disagree"),
        (v0(m=2**32 - 1), "declared lengths disagree"),
        (v1(n=2**32 - 1), "declared lengths disagree"),
        (v1()[:-1], "declared lengths disagree"),  # short file, consistent map: inputs truncated
        (v1(flag=2), "bad success flag 2"),
        (v0(map_data=MAP[:1234]), "shorter than the minimum 1235"),
        (v1(map_data=MAP[:1200]), "shorter than the minimum 1235"),
        (v0(inputs=bytes([0, 1, 6])), "input byte 6 at frame 2"),
        (v1(inputs=bytes([8])), "input byte 8 at frame 0"),
        (attract(inputs=bytes([16])), "input byte 16"),
        (attract()[:-1], "declared lengths disagree"),
        (attract(d_echo=5), "declared lengths disagree"),
        (attract(frames=3), "frame count 3"),
        (attract(one=2), "bad version number 2 in demo header"),
        (attract(lead=9), "bad demo header"),
        (attract(map_section=MAP[8:1226]), "shorter than the minimum 1235"),
    ],
)
def test_validation_errors(blob, message):
    with pytest.raises(DemoFormatError, match=message) as info:
        read_demo(blob, name="case.bin", strict=False)
    assert type(info.value) is DemoFormatError
    assert str(info.value).startswith("case.bin: ") and "\n" not in str(info.value)


def test_detection_by_content(tmp_path):
    # the extension means nothing: an attract file named .replay is still an attract file
    path = tmp_path / "looks_like.replay"
    path.write_bytes(attract())
    assert read_demo(path).format == "attract"
    assert detect_format(v0()) == "v0" and detect_format(v1()) == "v1"
    assert detect_format(attract()) == "attract"
    with pytest.raises(DemoFormatError):
        detect_format(b"\x00\x00")


def test_missing_file_is_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_demo(tmp_path / "nope.replay")


def test_map_block_rules():
    assert check_map_block(MAP) == []
    assert check_map_block(make_map(exit_pairs=0)) == []  # ninja only, like 'slopes'
    assert "1235" in check_map_block(MAP[:1234])[0]

    def broken(**kw):
        return check_map_block(make_map(**kw))

    tiles = bytearray(966)
    tiles[43] = 38
    assert any("tile" in p for p in broken(tiles=bytes(tiles)))
    assert any("outside the playable area" in p for p in broken(spawn=(3, 20)))
    assert any("outside the playable area" in p for p in broken(spawn=(20, 97)))
    assert any("type outside 0-39" in p for p in broken(records=[(40, 1, 1, 0, 0)]))
    assert any("count[2]" in p for p in broken(counts={2: 3}, records=[(2, 9, 9, 0, 0)]))
    assert any("exit door" in p for p in broken(counts={3: 0}))
    assert any("exit door" in p for p in broken(counts={3: 2, 4: 1}))
    assert any("whole number of records" in p for p in check_map_block(MAP + b"\x00\x00"))
    first = bytearray(MAP)
    first[1230] = 2
    assert any("not the ninja" in p for p in check_map_block(bytes(first)))
    # locked door with a separate switch record (10 bytes) and nclone's 9-byte layout
    ten = make_map(records=[(6, 40, 40, 0, 0), (7, 50, 40, 0, 0)], counts={6: 1})
    nine = make_map(counts={6: 1}) + bytes([6, 40, 40, 4, 0, 4, 50, 40, 4])
    assert check_map_block(ten) == [] and check_map_block(nine) == []
    assert any("door record" in p for p in check_map_block(make_map() + bytes([6, 40, 40, 4, 0])))


def test_shifted_block_is_recognised():
    shifted = MAP[1:] + b"\x00"
    problems = check_map_block(shifted)
    assert any("not the ninja" in p for p in problems)
    assert "shifted left by one byte" in problems[-1]
    assert repair_shifted_map_block(shifted) == MAP
    assert repair_shifted_map_block(MAP) is None
    # a short v0 file whose map block lacks its first byte: strict refuses, lenient reads like nclone
    m = len(MAP)
    blob = struct.pack("<II", m, len(INPUTS)) + MAP[1:] + INPUTS
    with pytest.raises(DemoFormatError, match="map block"):
        read_demo(blob)
    demo = read_demo(blob, strict=False)
    assert demo.map_data == MAP[1:] + INPUTS[:1] and demo.inputs.tobytes() == INPUTS[1:]
    assert "shorter than declared" in demo.problems[0]


def test_demo_value_semantics():
    a = read_demo(v0(), name="n")
    b = read_demo(v0(), name="n")
    assert a == b and a != read_demo(v0(inputs=b"\x01"), name="n")
    with pytest.raises(TypeError):
        hash(a)
    with pytest.raises(AttributeError):
        a.format = "v1"  # frozen
    with pytest.raises(ValueError, match='read-only'):
        a.inputs[0] = 3  # read-only view
    built = Demo(MAP, [1, 2], "v2", 1)
    assert built.inputs.dtype == np.uint8 and built.success is True and built.frames == 2
    with pytest.raises(ValueError, match="unknown demo format 'v9'"):
        Demo(MAP, [], "v9", None)
    assert "frames=7" in repr(a)
