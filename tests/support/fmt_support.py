"""Helpers for the format tests: synthetic map blocks, hypothesis strategies, reference listing."""

from __future__ import annotations

import contextlib
import csv
import signal
import struct
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

REFERENCE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "npp_reference").resolve()

# Entity types that need no pairing (exit doors/switches and locked/trap doors are built apart).
PLAIN_TYPES = (1, 2, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28)


def make_map(
    *,
    tiles: bytes | None = None,
    spawn: tuple[int, int] = (20, 20),
    records: list[tuple[int, int, int, int, int]] | None = None,
    exit_pairs: int = 1,
    name: bytes = b"",
    counts: dict[int, int] | None = None,
) -> bytes:
    """A consistent map block: header (name), tiles, counts, ninja + exits + extra records."""
    header = bytearray(184)
    header[38 : 38 + min(len(name), 127)] = name[:127]
    tile_bytes = tiles if tiles is not None else bytes(966)
    assert len(tile_bytes) == 966
    cnt = [0] * 40
    recs: list[tuple[int, int, int, int, int]] = [(0, spawn[0], spawn[1], 0, 0)]
    recs += [(3, 30 + 4 * k, 40, 0, 0) for k in range(exit_pairs)]
    recs += [(4, 30 + 4 * k, 60, 0, 0) for k in range(exit_pairs)]
    recs += list(records or [])
    if exit_pairs:
        cnt[3] = cnt[4] = exit_pairs
    for t, v in (counts or {}).items():
        cnt[t] = v
    ent = b"".join(bytes(r) for r in recs)
    return bytes(header) + tile_bytes + struct.pack("<40H", *cnt) + ent


@st.composite
def valid_maps(draw) -> bytes:
    tiles = np.frombuffer(draw(st.binary(min_size=966, max_size=966)), np.uint8) % 38
    spawn = (draw(st.integers(4, 172)), draw(st.integers(4, 96)))
    records = draw(
        st.lists(
            st.tuples(
                st.sampled_from(PLAIN_TYPES),
                st.integers(0, 255),
                st.integers(0, 255),
                st.integers(0, 7),
                st.integers(0, 255),
            ),
            max_size=40,
        )
    )
    exit_pairs = draw(st.integers(0, 3))
    name = draw(st.text(max_size=40)).encode("utf-8")[:127]
    return make_map(
        tiles=tiles.tobytes(), spawn=spawn, records=records, exit_pairs=exit_pairs, name=name
    )


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
JSON_OBJECTS = st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5)


def reference_rows() -> list[dict[str, str]]:
    """Rows of index.csv, or [] when the reference folder is absent."""
    index = REFERENCE / "index.csv"
    if not index.is_file():
        return []
    with open(index, newline="") as fh:
        return list(csv.DictReader(fh))


def reference_files() -> list[Path]:
    """Every demo file (replays + attract), sorted; [] when absent."""
    if not REFERENCE.is_dir():
        return []
    return sorted((REFERENCE / "replays").glob("*.replay")) + sorted(
        (REFERENCE / "attract").iterdir(), key=lambda p: int(p.name)
    )


@contextlib.contextmanager
def time_limit(seconds: float):
    """Fail (TimeoutError) instead of hanging; no-op where SIGALRM is unavailable."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def _raise(signum, frame):
        raise TimeoutError(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
