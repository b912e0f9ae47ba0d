"""Fuzzing: whatever the bytes, read_demo returns a Demo or raises DemoFormatError, promptly.

Inputs: random bytes, random bodies behind well-formed headers of every format, and mutations of
the real reference files and of v2 files (bit flips, byte sets, truncations, insertions,
deletions, edits of the length / version fields). The default runs stay small (a few seconds);
the ``slow`` variants run many more examples (``make test-slow``).
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
from fmt_support import make_map, reference_files, time_limit, valid_maps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from npp_sim.formats import (
    Demo,
    DemoFormatError,
    check_map_block,
    detect_format,
    encode_demo,
    read_demo,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=4000, deadline=None, suppress_health_check=list(HealthCheck))
HANG_LIMIT_S = 10.0  # a file of a few KB parses in well under a millisecond

MAP = make_map(
    name=b"fuzz", records=[(1, 50, 50, 0, 0), (6, 40, 40, 0, 0), (7, 44, 40, 0, 0)], counts={6: 1}
)


def read_or_error(blob: bytes) -> Demo | None:
    """The fuzz oracle: a Demo (checked for sanity) or DemoFormatError, in both modes."""
    results = []
    with time_limit(HANG_LIMIT_S):
        try:
            fmt = detect_format(blob)
            assert fmt in ("v0", "v1", "attract", "v2")
        except DemoFormatError as exc:
            assert type(exc) is DemoFormatError
        for strict in (True, False):
            try:
                demo = read_demo(blob, name="fuzz.bin", strict=strict)
            except DemoFormatError as exc:
                assert type(exc) is DemoFormatError
                msg = str(exc)
                assert msg.startswith("fuzz.bin: ") and "\n" not in msg
                results.append(None)
                continue
            assert isinstance(demo, Demo)
            assert demo.inputs.dtype == np.uint8 and demo.inputs.ndim == 1
            assert len(demo.map_data) >= 1235
            assert len(demo.map_data) + demo.frames <= len(blob)
            if strict:
                assert demo.problems == ()
            results.append(demo)
    strict_demo, lenient_demo = results
    if strict_demo is not None:  # lenient never refuses what strict accepts
        assert lenient_demo == strict_demo
    if lenient_demo is not None and strict_demo is None:
        assert lenient_demo.problems  # strict refused it for its map block only
    return lenient_demo


# ----------------------------------------------------------------------------- generators


def _with_header(fmt: str, body: bytes, inputs: bytes, success: int) -> bytes:
    """A well-formed header of ``fmt`` around a random map body, so parsing reaches the deep checks."""
    if fmt == "v0":
        return struct.pack("<II", len(body), len(inputs)) + body + inputs
    if fmt == "v1":
        return struct.pack("<III", 1, len(body), len(inputs)) + bytes([success]) + body + inputs
    if fmt == "attract":
        d = 30 + len(inputs)
        demo = b"\x00" + struct.pack("<IIIIII", d, 1, len(inputs), 1, 0, 0) + b"\x01" + b"\xff" * 4
        return struct.pack("<II", len(body) - 8, d) + body[8:] + demo + inputs
    return encode_demo(
        MAP, np.frombuffer(inputs, np.uint8) % 16, success=True, created="2025-01-01T00:00:00Z"
    )


STRUCTURED = st.builds(
    _with_header,
    st.sampled_from(["v0", "v1", "attract", "v2"]),
    st.one_of(
        st.binary(min_size=1230, max_size=1400),  # random map blocks
        valid_maps(),  # consistent ones
        st.just(MAP[1:] + b"\x00"),  # shifted
    ),
    st.binary(max_size=64),
    st.integers(0, 2),
)

U32_FIELD = st.sampled_from([0, 4, 8])  # length / version words of every header


@st.composite
def mutations(draw, blob: bytes) -> bytes:
    """Apply 1-4 random edits to ``blob``."""
    out = bytearray(blob)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(
            st.sampled_from(["flip", "set", "truncate", "insert", "delete", "u32", "u32delta"])
        )
        n = len(out)
        if op == "flip" and n:
            pos = draw(st.integers(0, n - 1))
            out[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and n:
            out[draw(st.integers(0, n - 1))] = draw(st.integers(0, 255))
        elif op == "truncate":
            del out[draw(st.integers(0, n)) :]
        elif op == "insert":
            pos = draw(st.integers(0, n))
            out[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and n:
            pos = draw(st.integers(0, n - 1))
            del out[pos : pos + draw(st.integers(1, 8))]
        elif op in ("u32", "u32delta") and n >= 12:
            # header words, and for attract files the repeated length / frame count
            offsets = [0, 4, 8]
            sec_l = struct.unpack_from("<I", out, 0)[0]
            if 8 + sec_l + 13 <= n:
                offsets += [8 + sec_l + 1, 8 + sec_l + 9]
            off = draw(st.sampled_from(offsets))
            old = struct.unpack_from("<I", out, off)[0]
            if op == "u32":
                new = draw(
                    st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 2, 3, 100, 101]))
                )
            else:
                new = (old + draw(st.integers(-3, 3))) % 2**32
            struct.pack_into("<I", out, off, new)
    return bytes(out)


@pytest.fixture(scope="module")
def reference_blobs(npp_reference) -> list[bytes]:
    blobs = [p.read_bytes() for p in reference_files()]
    assert len(blobs) == 102
    return blobs


# ----------------------------------------------------------------------------- bodies


def _random_bytes_case(blob: bytes) -> None:
    read_or_error(blob)


def _structured_case(blob: bytes) -> None:
    read_or_error(blob)


def _reference_case(blobs: list[bytes], data) -> None:
    original = blobs[data.draw(st.integers(0, len(blobs) - 1), label="file")]
    read_or_error(data.draw(mutations(original), label="mutated"))


def _v2_case(data) -> None:
    map_data = data.draw(valid_maps(), label="map")
    inputs = np.frombuffer(data.draw(st.binary(max_size=300)), np.uint8) % 16
    original = encode_demo(
        map_data,
        inputs,
        success=data.draw(st.sampled_from([True, False, None])),
        level_id=7,
        meta={"k": "v"},
        created="2025-01-01T00:00:00Z",
    )
    mutated = data.draw(mutations(original), label="mutated")
    if mutated == original:
        assert read_or_error(mutated) is not None
        return
    with time_limit(HANG_LIMIT_S):
        with pytest.raises(DemoFormatError):  # the checksum and the lengths see every change
            read_demo(mutated, strict=False)


def _map_block_case(blob: bytes) -> None:
    with time_limit(HANG_LIMIT_S):
        problems = check_map_block(blob)
    assert isinstance(problems, list) and all(
        isinstance(p, str) and "\n" not in p for p in problems
    )


# ----------------------------------------------------------------------------- fast tests


@FAST
@given(blob=st.binary(max_size=3000))
def test_fuzz_random_bytes(blob):
    _random_bytes_case(blob)


@FAST
@given(blob=STRUCTURED)
def test_fuzz_structured_random(blob):
    _structured_case(blob)


@pytest.mark.reference
@FAST
@given(data=st.data())
def test_fuzz_mutated_reference_files(reference_blobs, data):
    _reference_case(reference_blobs, data)


@FAST
@given(data=st.data())
def test_fuzz_mutated_v2_files_are_refused(data):
    _v2_case(data)


@FAST
@given(blob=st.one_of(st.binary(min_size=1200, max_size=2500), valid_maps().flatmap(mutations)))
def test_fuzz_check_map_block(blob):
    _map_block_case(blob)


@pytest.mark.reference
def test_every_reference_file_survives_each_single_edit_kind(reference_blobs):
    """Deterministic sweep: each file, truncated and extended by one byte and with its length
    words nudged by +-1, is refused or read, never crashes."""
    for blob in reference_blobs:
        read_or_error(blob[:-1])
        read_or_error(blob + b"\x00")
        read_or_error(blob[1:])
        for off in (0, 4, 8):
            for delta in (-1, 1):
                edited = bytearray(blob)
                struct.pack_into(
                    "<I", edited, off, (struct.unpack_from("<I", blob, off)[0] + delta) % 2**32
                )
                read_or_error(bytes(edited))


# ----------------------------------------------------------------------------- slow variants


@pytest.mark.slow
@SLOW
@given(blob=st.binary(max_size=20000))
def test_fuzz_random_bytes_long(blob):
    _random_bytes_case(blob)


@pytest.mark.slow
@SLOW
@given(blob=STRUCTURED)
def test_fuzz_structured_random_long(blob):
    _structured_case(blob)


@pytest.mark.slow
@pytest.mark.reference
@SLOW
@given(data=st.data())
def test_fuzz_mutated_reference_files_long(reference_blobs, data):
    _reference_case(reference_blobs, data)


@pytest.mark.slow
@SLOW
@given(data=st.data())
def test_fuzz_mutated_v2_files_are_refused_long(data):
    _v2_case(data)
