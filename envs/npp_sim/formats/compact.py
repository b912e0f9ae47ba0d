"""nclone's compact human replay files, versions v0 and v1 (FORMAT_FACTS section 1).

v0 (legacy)::

    0   uint32  M, map length (always > 100; real maps are >= 1235)
    4   uint32  N, input count
    8   M       map block
    8+M N       inputs, one byte per frame
    size == 8 + M + N; no success flag (nclone treats v0 as a success)

v1::

    0   uint32  version = 1
    4   uint32  M
    8   uint32  N
    12  uint8   success flag (1 won, 0 not)
    13  M       map block
    13+M N      inputs
    size == 13 + M + N

nclone distinguishes them by the first uint32: <= 100 means versioned (v1), larger means v0.

Damaged recordings: the two damaged nclone replays are one byte *shorter* than their header
declares because their map block lost its first byte. nclone reads M bytes anyway (so the first
input byte ends the map block and one input fewer remains). When a file is shorter than declared
and the map block read that way fails :func:`check_map_block`, the reader classifies it as a
map-block problem: strict reading refuses it ("map block inconsistent: ..."), lenient reading
returns exactly what nclone loaded with ``Demo.problems`` filled. Any other length mismatch is
"declared lengths disagree with file size" in both modes.
Allowed input bytes: 0-5 (the recorder's six actions: 0 NOOP, 1 JUMP, 2 RIGHT, 3 RIGHT+JUMP,
4 LEFT, 5 LEFT+JUMP); anything else is rejected as corrupt.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np
from atomic_files import write_bytes_atomic

from .errors import DemoFormatError
from .mapblock import MIN_MAP_BYTES, check_map_block, level_name, require_writable_map_block
from .model import HUMAN_INPUT_MAX, Demo, as_input_array, check_inputs, u32

__all__ = ["V0_HEADER", "V1_HEADER", "encode_v1", "write_v1", "parse_v0", "parse_v1"]

V0_HEADER = 8
V1_HEADER = 13  # 12-byte header + success byte
VERSIONED_MAX = 100  # nclone: first uint32 <= 100 is a format version

_NAME_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})_(.+?)(?:\.replay)?$")
_CAT_LEVEL_RE = re.compile(r"^(.*\D)_(\d+)$")
_OFFICIAL_RE = re.compile(r"^(\d+) (.+)$")


def meta_from_recorder_name(name: str | None) -> dict[str, Any]:
    """Fields nclone's recorder encodes in its file names (``YYYYMMDD_HHMMSS_<category>_<level>``).

    ``recorded_at`` is local time without a zone (the recorder used ``datetime.now()``).
    The keys taken from the name are listed in ``meta["from_filename"]``.
    """
    if not name:
        return {}
    m = _NAME_RE.match(Path(name).name)
    if not m:
        return {}
    y, mo, d, h, mi, s, rest = m.groups()
    meta: dict[str, Any] = {"recorded_at": f"{y}-{mo}-{d}T{h}:{mi}:{s}"}
    cl = _CAT_LEVEL_RE.match(rest)
    off = _OFFICIAL_RE.match(rest)
    if cl:
        meta["category"], meta["level_id"] = cl.group(1), cl.group(2)
    elif off:
        meta["level_id"] = off.group(1)
    meta["from_filename"] = sorted(meta)
    return meta


def _finish(
    data: bytes,
    path: str | os.PathLike | None,
    fmt: str,
    m_off: int,
    m_len: int,
    n: int,
    success: bool | None,
    display_name: str | None,
) -> Demo:
    size = len(data)
    declared = m_off + m_len + n
    short_problem: list[str] = []
    if declared != size:
        # A file shorter than declared whose map block (read as declared) is inconsistent is a
        # short map block: the bytes missing at its front pull the inputs into it (the damaged
        # nclone recordings). nclone reads the declared map length and takes the remaining
        # bytes as inputs; strict reading refuses it as a map-block problem. Any other length
        # mismatch is a plain error.
        if m_off + max(m_len, MIN_MAP_BYTES) <= size < declared and check_map_block(
            data[m_off : m_off + m_len]
        ):
            n = size - m_off - m_len
            short_problem = [
                f"map block {declared - size} byte(s) shorter than declared: the {fmt} header "
                f"declares {m_off} + map {m_len} + inputs {n + declared - size} = {declared} "
                f"bytes, the file has {size}; read as nclone does (map {m_len} bytes, the rest "
                f"as inputs) {n} inputs remain"
            ]
        else:
            raise DemoFormatError(
                path,
                f"declared lengths disagree with file size: {fmt} header says {m_off} + map "
                f"{m_len} + inputs {n} = {declared} bytes, file has {size}",
            )
    if m_len < MIN_MAP_BYTES:
        raise DemoFormatError(
            path, f"map block is {m_len} bytes, shorter than the minimum {MIN_MAP_BYTES}"
        )
    inputs = np.frombuffer(data, dtype=np.uint8, count=n, offset=m_off + m_len)
    check_inputs(inputs, HUMAN_INPUT_MAX, f"human replay {fmt} files", path)
    map_data = data[m_off : m_off + m_len]
    meta: dict[str, Any] = {"frame_skip": 1}
    name = level_name(map_data)
    if name:
        meta["level_name"] = name
    meta.update(meta_from_recorder_name(display_name))
    problems = short_problem + check_map_block(map_data)
    return Demo(map_data, inputs, fmt, success, meta, display_name, tuple(problems))


def parse_v0(data: bytes, path=None, display_name: str | None = None) -> Demo:
    if len(data) < V0_HEADER:
        raise DemoFormatError(path, f"truncated header: {len(data)} bytes, v0 needs {V0_HEADER}")
    m_len, n = u32(data, 0), u32(data, 4)
    if m_len <= VERSIONED_MAX:
        raise DemoFormatError(path, f"bad version number {m_len}")
    return _finish(data, path, "v0", V0_HEADER, m_len, n, None, display_name)


def parse_v1(data: bytes, path=None, display_name: str | None = None) -> Demo:
    if len(data) < V1_HEADER:
        raise DemoFormatError(path, f"truncated header: {len(data)} bytes, v1 needs {V1_HEADER}")
    version, m_len, n, flag = u32(data, 0), u32(data, 4), u32(data, 8), data[12]
    if version != 1:
        raise DemoFormatError(path, f"bad version number {version} (v1 reader)")
    if flag not in (0, 1):
        raise DemoFormatError(path, f"bad success flag {flag} (v1 allows 0 or 1)")
    return _finish(data, path, "v1", V1_HEADER, m_len, n, bool(flag), display_name)


def encode_v1(
    map_data: bytes, inputs: Any, *, success: bool = True, check_map: bool = True
) -> bytes:
    """nclone's v1 replay bytes (for exporting to nclone). Inputs must be 0-5."""
    map_data = bytes(map_data)
    if not isinstance(success, (bool, np.bool_)):
        raise ValueError(f"success must be a bool for v1, got {success!r}")
    require_writable_map_block(map_data, check_map)
    arr = as_input_array(inputs, HUMAN_INPUT_MAX, "v1")
    header = (
        (1).to_bytes(4, "little")
        + len(map_data).to_bytes(4, "little")
        + len(arr).to_bytes(4, "little")
        + bytes([1 if success else 0])
    )
    return header + map_data + arr.tobytes()


def write_v1(
    path: str | os.PathLike,
    map_data: bytes,
    inputs: Any,
    *,
    success: bool = True,
    check_map: bool = True,
) -> Path:
    """Write an nclone v1 replay atomically (see :mod:`atomic_files`)."""
    return write_bytes_atomic(path, encode_v1(map_data, inputs, success=success, check_map=check_map))
