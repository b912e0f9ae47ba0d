"""Every real file in ../shared/npp_reference parses to exactly what nclone loaded (its traces)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from fmt_support import reference_rows
from npp_sim.formats import (
    DemoFormatError,
    check_map_block,
    detect_format,
    encode_demo,
    encode_v1,
    read_demo,
    repair_shifted_map_block,
)

pytestmark = pytest.mark.reference

KIND_TO_FORMAT = {"human_v0": "v0", "human_v1": "v1", "attract": "attract"}
ROWS = reference_rows()
DAMAGED_NOTE = "1 byte short"


def _rows(pred) -> list:
    picked = [pytest.param(r, id=Path(r["file"]).name[:48]) for r in ROWS if pred(r)]
    return picked or [pytest.param(None, id="reference-absent")]


def _is_damaged(row) -> bool:
    return DAMAGED_NOTE in row["notes"]


@pytest.fixture
def row_path(npp_reference, request):
    row = request.param
    if row is None:  # only reached when the fixture did not skip (cannot happen with data)
        pytest.fail("index.csv has no rows")
    return row, npp_reference / row["file"]


def test_index_shape(npp_reference):
    rows = reference_rows()
    kinds = [r["kind"] for r in rows]
    assert kinds.count("attract") == 11
    assert kinds.count("human_v0") + kinds.count("human_v1") == 91
    assert sum(_is_damaged(r) for r in rows) == 2


@pytest.mark.parametrize("row_path", _rows(lambda r: not _is_damaged(r)), indirect=True)
def test_reference_file_matches_trace(row_path, npp_reference):
    row, path = row_path
    data = path.read_bytes()
    demo = read_demo(path)  # strict: a good file has a consistent map block
    assert demo.problems == ()
    assert demo.format == KIND_TO_FORMAT[row["kind"]] == detect_format(data)
    assert demo.frames == int(row["frames"])
    assert len(demo.map_data) == int(row["map_bytes"])
    assert demo.name == path.name
    assert demo.meta["frame_skip"] == 1
    trace = np.load(npp_reference / row["trace"], allow_pickle=False)
    np.testing.assert_array_equal(demo.inputs, trace["input_byte"])
    assert demo.map_data == trace["map_data"].tobytes()
    assert demo.inputs.dtype == np.uint8 and not demo.inputs.flags.writeable
    if demo.format in ("v0", "v1") and row["category"].startswith("train_"):
        # nclone's recorder names files YYYYMMDD_HHMMSS_<category>_<level id>
        assert demo.meta["category"] == row["category"]
        assert demo.meta["level_id"] == path.stem.rsplit("_", 1)[1]
        assert demo.meta["recorded_at"][:10] == f"{path.name[:4]}-{path.name[4:6]}-{path.name[6:8]}"
    if demo.format == "v0":
        assert demo.success is None and demo.nclone_success is True
        assert int(demo.inputs.max(initial=0)) <= 5
    elif demo.format == "v1":
        assert demo.success is bool(trace["success_flag"]) is True
        assert int(demo.inputs.max(initial=0)) <= 5
        # exporting to nclone's v1 reproduces the file byte for byte
        assert encode_v1(demo.map_data, demo.inputs, success=demo.success) == data
    else:
        # the map to load is bytes 0 .. 8+L-1 of the file: the 8-byte file header followed by
        # the map section, which is exactly what nclone loaded
        sec_l = struct.unpack_from("<I", data, 0)[0]
        assert demo.map_data == data[: 8 + sec_l]
        assert demo.success is None
        assert demo.meta["level_id"] == int(trace["level_id"]) == int(path.name)
        assert demo.meta["level_name"] == str(trace["level_name"])
        assert demo.meta["ninja_mask"] == 1


@pytest.mark.parametrize("row_path", _rows(_is_damaged), indirect=True)
def test_damaged_replay_strict_and_lenient(row_path, npp_reference):
    row, path = row_path
    with pytest.raises(DemoFormatError) as info:
        read_demo(path)
    err = info.value
    assert type(err) is DemoFormatError
    assert "map block" in str(err) and str(err).startswith(path.name + ": ")
    assert "\n" not in str(err)

    demo = read_demo(path, strict=False)  # as nclone loaded it
    assert demo.problems and any("ninja" in p for p in demo.problems)
    assert demo.format == KIND_TO_FORMAT[row["kind"]]
    assert demo.frames == int(row["frames"])
    trace = np.load(npp_reference / row["trace"], allow_pickle=False)
    np.testing.assert_array_equal(demo.inputs, trace["input_byte"])
    assert demo.map_data == trace["map_data"].tobytes()
    assert check_map_block(demo.map_data)  # the block itself is inconsistent, not just lengths
    # the shift is recognised and undone: the repaired block is consistent and matches the map
    # nclone used for the fixed_* trace (one 0x00 prepended) up to its trailing byte
    fixed = repair_shifted_map_block(demo.map_data)
    assert fixed is not None and check_map_block(fixed) == []
    assert fixed == (b"\x00" + demo.map_data)[:-1]
    assert fixed[1231:1233] != demo.map_data[1231:1233]
    with pytest.raises(ValueError, match='map block inconsistent'):
        encode_demo(demo.map_data, demo.inputs, success=None)  # writers refuse it too


def test_exactly_the_damaged_files_fail(npp_reference):
    """The map-block rule names no file: it must split the 102 files exactly as the notes do."""
    failing, passing = set(), set()
    for row in reference_rows():
        demo = read_demo(npp_reference / row["file"], strict=False)
        (failing if demo.problems else passing).add(row["file"])
    assert failing == {r["file"] for r in reference_rows() if _is_damaged(r)}
    assert len(passing) == 89 + 11


def test_reference_maps_are_consistent(npp_reference):
    maps = [
        p
        for p in sorted((npp_reference / "maps").rglob("*"))
        if p.is_file() and p.suffix != ".json"
    ]
    assert len(maps) >= 20
    for p in maps:
        assert check_map_block(p.read_bytes()) == [], p.name


@pytest.mark.parametrize("row_path", _rows(lambda r: not _is_damaged(r)), indirect=True)
def test_reference_converts_to_v2_and_back(row_path):
    row, path = row_path
    demo = read_demo(path)
    blob = encode_demo(
        demo.map_data,
        demo.inputs,
        success=demo.success,
        level_id=demo.meta.get("level_id"),
        category=demo.meta.get("category"),
        recorder="nclone",
        meta={"source_file": path.name, "source_format": demo.format},
        created="2025-01-01T00:00:00Z",
    )
    back = read_demo(blob, name="x.npd")
    assert back.format == "v2"
    assert back.map_data == demo.map_data and np.array_equal(back.inputs, demo.inputs)
    assert back.success == demo.success
    assert back.meta["level_id"] == demo.meta.get("level_id")
    assert back.meta["extra"] == {"source_file": path.name, "source_format": demo.format}
