"""Format v2 (ours): round trip, detection, checksum, atomic writes, writer validation."""

from __future__ import annotations

import os
import struct
import zlib
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from fmt_support import JSON_OBJECTS, make_map, valid_maps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from npp_sim.formats import (
    DemoFormatError,
    detect_format,
    encode_demo,
    encode_v1,
    read_demo,
    write_demo,
    write_v1,
)
from npp_sim.formats.v2 import V2_HEADER, V2_MAGIC

MAP = make_map(name=b"test level", records=[(1, 50, 50, 0, 0), (2, 60, 60, 0, 0)])
CREATED = "2025-10-22T14:20:01Z"
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fields(blob: bytes):
    return struct.unpack_from("<I4sHHBBHIII", blob, 0)


def _recrc(blob: bytes) -> bytes:
    body = blob[:-4]
    return body + struct.pack("<I", zlib.crc32(body))


@PROPERTY
@given(
    map_data=valid_maps(),
    inputs=st.binary(max_size=3000).map(lambda b: np.frombuffer(b, np.uint8) % 16),
    success=st.sampled_from([True, False, None]),
    level_id=st.one_of(st.none(), st.integers(0, 2**40), st.text(max_size=12)),
    category=st.one_of(st.none(), st.text(max_size=20)),
    frame_skip=st.integers(1, 0xFFFF),
    recorder=st.text(max_size=20),
    meta=st.one_of(st.none(), JSON_OBJECTS),
    created=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.just(timezone.utc),
    ),
)
def test_v2_round_trip(
    map_data, inputs, success, level_id, category, frame_skip, recorder, meta, created
):
    fields = dict(
        success=success,
        level_id=level_id,
        category=category,
        frame_skip=frame_skip,
        recorder=recorder,
        meta=meta,
        created=created,
    )
    blob = encode_demo(map_data, inputs, **fields)
    assert detect_format(blob) == "v2"
    demo = read_demo(blob, name="mem.npd")
    assert demo.format == "v2" and demo.name == "mem.npd" and demo.problems == ()
    assert demo.map_data == map_data
    np.testing.assert_array_equal(demo.inputs, inputs)
    assert demo.success is success
    assert demo.meta["level_id"] == level_id
    assert demo.meta["category"] == category
    assert demo.meta["frame_skip"] == frame_skip
    assert demo.meta["recorder"] == recorder
    assert demo.meta["extra"] == (meta or {})
    assert datetime.fromisoformat(demo.meta["created"].replace("Z", "+00:00")) == created
    assert demo.meta["created"].endswith("Z")
    assert blob == encode_demo(map_data, inputs, **fields)  # deterministic: same arguments, same bytes


@PROPERTY
@given(
    map_data=valid_maps(),
    inputs=st.binary(max_size=200).map(lambda b: np.frombuffer(b, np.uint8) % 16),
    meta=JSON_OBJECTS,
)
def test_v2_never_misdetected(map_data, inputs, meta):
    blob = encode_demo(map_data, inputs, success=True, meta=meta, created=CREATED)
    assert struct.unpack_from("<I", blob)[0] == 2 and blob[4:8] == V2_MAGIC
    assert detect_format(blob) == "v2"
    # what nclone-style readers see: a versioned file (first uint32 <= 100) that is not v1
    assert 1 < struct.unpack_from("<I", blob)[0] <= 100
    # and the compact formats are never taken for v2
    v1 = encode_v1(map_data, np.minimum(inputs, 5), success=True)
    assert detect_format(v1) == "v1"
    v0 = struct.pack("<II", len(map_data), len(inputs)) + map_data + np.minimum(inputs, 5).tobytes()
    assert detect_format(v0) == "v0"


def test_layout_matches_docstring():
    inputs = np.array([0, 1, 2, 3, 15], np.uint8)
    blob = encode_demo(
        MAP,
        inputs,
        success=True,
        level_id=7,
        category="simple",
        frame_skip=4,
        recorder="kb",
        meta={"seed": 3},
        created=CREATED,
    )
    version, magic, h, fskip, succ, flags, reserved, j, m, n = _fields(blob)
    assert (version, magic, h, fskip, succ, flags, reserved) == (2, b"NPPD", 28, 4, 1, 0, 0)
    assert h == V2_HEADER and (m, n) == (len(MAP), 5)
    assert len(blob) == h + j + m + n + 4
    assert blob[h : h + j] == (
        b'{"category":"simple","created":"2025-10-22T14:20:01Z","extra":{"seed":3},'
        b'"level_id":7,"recorder":"kb"}'
    )
    assert blob[h + j : h + j + m] == MAP and blob[h + j + m : -4] == inputs.tobytes()
    assert struct.unpack_from("<I", blob, len(blob) - 4)[0] == zlib.crc32(blob[:-4])
    assert read_demo(blob).meta["level_name"] == "test level"
    assert _fields(encode_demo(MAP, [], success=None, created=CREATED))[4] == 255


def test_created_defaults_to_now_utc():
    before = datetime.now(timezone.utc).replace(microsecond=0)
    demo = read_demo(encode_demo(MAP, [1, 2], success=False))
    stamp = datetime.fromisoformat(demo.meta["created"].replace("Z", "+00:00"))
    assert before <= stamp <= datetime.now(timezone.utc)
    tz_plus2 = timezone(timedelta(hours=2))
    demo = read_demo(
        encode_demo(MAP, [], success=False, created=datetime(2025, 1, 1, 12, tzinfo=tz_plus2))
    )
    assert demo.meta["created"] == "2025-01-01T10:00:00Z"


def test_checksum_mismatch_detected():
    blob = bytearray(encode_demo(MAP, [1, 2, 3], success=True, created=CREATED))
    blob[V2_HEADER + 5] ^= 0x01
    with pytest.raises(DemoFormatError, match="checksum mismatch"):
        read_demo(bytes(blob), name="bad.npd")
    with pytest.raises(DemoFormatError, match="checksum mismatch"):
        read_demo(bytes(blob), name="bad.npd", strict=False)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda b: b[:20], "truncated header"),
        (lambda b: b[:-1], "declared lengths disagree"),
        (lambda b: b + b"\x00", "declared lengths disagree"),
        (lambda b: b[:4] + b"XXXX" + b[8:], "bad version number 2 without the v2 magic"),
        (lambda b: _recrc(b[:8] + struct.pack("<H", 20) + b[10:]), "header size"),
        (lambda b: _recrc(b[:10] + struct.pack("<H", 0) + b[12:]), "frame_skip"),
        (lambda b: _recrc(b[:12] + b"\x07" + b[13:]), "success code"),
        (lambda b: _recrc(b[:13] + b"\x01" + b[14:]), "flags"),
        (lambda b: _recrc(b[: len(b) - 5] + b"\x10" + b[-4:]), "input byte 16"),
    ],
)
def test_v2_validation_errors(edit, message):
    blob = encode_demo(MAP, [1, 2, 3], success=True, created=CREATED)
    with pytest.raises(DemoFormatError, match=message) as info:
        read_demo(edit(blob), name="x.npd")
    assert type(info.value) is DemoFormatError and str(info.value).startswith("x.npd: ")


@pytest.mark.parametrize(
    "record",
    [
        b"[]",
        b"{",
        b'{"level_id":null}',
        b"\xff\xfe",
        b'{"category":null,"created":"x","extra":[],"level_id":null,"recorder":""}',
        b'{"category":3,"created":"x","extra":{},"level_id":null,"recorder":""}',
        b'{"category":null,"created":"x","extra":{},"level_id":true,"recorder":""}',
        b"[" * 100000 + b"]" * 100000,
    ],
)
def test_v2_bad_metadata(record):
    blob = encode_demo(MAP, [1], success=True, created=CREATED)
    h, j = V2_HEADER, _fields(blob)[7]
    head = bytearray(blob[:h])
    struct.pack_into("<I", head, 16, len(record))
    forged = _recrc(bytes(head) + record + blob[h + j :])
    with pytest.raises(DemoFormatError, match="bad v2 metadata"):
        read_demo(forged)


def test_v2_map_block_problems_strict_and_lenient():
    bad_map = bytearray(MAP)
    bad_map[1230] = 7  # first record is not the ninja
    blob = encode_demo(bytes(bad_map), [0], success=True, created=CREATED, check_map=False)
    with pytest.raises(DemoFormatError, match="map block inconsistent"):
        read_demo(blob)
    demo = read_demo(blob, strict=False)
    assert demo.problems and "ninja" in demo.problems[0]
    with pytest.raises(ValueError, match="map block inconsistent"):
        encode_demo(bytes(bad_map), [0], success=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"inputs": [16]}, "v2 input bytes must be in 0-15"),
        ({"inputs": [-1]}, "v2 input bytes must be in 0-15"),
        ({"inputs": [[1, 2]]}, r"inputs must be 1-D, got shape \(1, 2\)"),
        ({"inputs": [0.5]}, "inputs must be integers, got dtype float64"),
        ({"map_data": MAP[:1234]}, "map block is 1234 bytes, shorter than 1235"),
        ({"success": 1}, "success must be True, False or None, got 1"),
        ({"frame_skip": 0}, "frame_skip must be in 1-65535, got 0"),
        ({"frame_skip": 70000}, "frame_skip must be in 1-65535, got 70000"),
        ({"frame_skip": True}, "frame_skip must be an int, got True"),
        ({"level_id": 1.5}, "level_id must be an int, str or None, got 1.5"),
        ({"level_id": True}, "level_id must be an int, str or None, got True"),
        ({"category": 5}, "category must be a str or None, got 5"),
        ({"recorder": None}, "recorder must be a str, got None"),
        ({"meta": {"x": float("nan")}}, "metadata is not JSON-serialisable"),
        ({"meta": {"x": object()}}, "metadata is not JSON-serialisable"),
        ({"meta": {1: 2}}, "meta keys must be strings"),
        ({"created": "yesterday"}, "created must be an ISO 8601 timestamp, got 'yesterday'"),
        ({"created": datetime(2025, 1, 1)}, r"created must carry a time zone"),  # naive
    ],
)
def test_encode_rejects_bad_arguments(kwargs, message):
    args = {"map_data": MAP, "inputs": [1, 2], "success": True, **kwargs}
    with pytest.raises(ValueError, match=message):
        encode_demo(args.pop("map_data"), args.pop("inputs"), **args)


def test_write_demo_is_atomic(tmp_path):
    target = tmp_path / "sub" / "demo.npd"
    written = write_demo(
        target,
        MAP,
        [1, 2, 3],
        success=True,
        level_id="100001",
        category="train_simple",
        recorder="test",
        created=CREATED,
    )
    assert written == target
    assert os.listdir(target.parent) == ["demo.npd"]
    demo = read_demo(target)
    assert demo.name == "demo.npd" and demo.meta["level_id"] == "100001"
    # overwrite in place: still a single file with the new content
    write_demo(target, MAP, [4], success=False, created=CREATED)
    assert os.listdir(target.parent) == ["demo.npd"]
    assert read_demo(target).frames == 1


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "demo.npd"
    write_demo(target, MAP, [1], success=True, created=CREATED)
    old = target.read_bytes()

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_demo(target, MAP, [1, 2, 3], success=True, created=CREATED)
    assert os.listdir(tmp_path) == ["demo.npd"] and target.read_bytes() == old
    # argument errors are raised before anything touches the disk
    monkeypatch.undo()
    with pytest.raises(ValueError, match='v2 input bytes must be in 0-15'):
        write_demo(tmp_path / "other.npd", MAP, [99], success=True)
    assert os.listdir(tmp_path) == ["demo.npd"]


def test_write_v1_round_trip(tmp_path):
    path = write_v1(tmp_path / "r.replay", MAP, [0, 1, 2, 3, 4, 5], success=False)
    demo = read_demo(path)
    assert demo.format == "v1" and demo.success is False
    np.testing.assert_array_equal(demo.inputs, [0, 1, 2, 3, 4, 5])
    assert os.listdir(tmp_path) == ["r.replay"]
    with pytest.raises(ValueError, match='v1 input bytes must be in 0-5'):
        encode_v1(MAP, [8], success=True)  # v1 holds the recorder's six actions only
    with pytest.raises(ValueError, match='success must be a bool for v1, got None'):
        encode_v1(MAP, [1], success=None)
