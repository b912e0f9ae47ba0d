"""Demonstration format v2: the files this project writes.

All integers little-endian. The fixed header is 28 bytes::

    off  size  type     field
    0    4     uint32   format version = 2
    4    4     bytes    magic b"NPPD"
    8    2     uint16   H, header size (28 here; a reader skips H-28 bytes of later fields)
    10   2     uint16   frame_skip (>= 1): simulator ticks per stored input decision
    12   1     uint8    success: 0 = not won, 1 = won, 255 = unknown
    13   1     uint8    flags = 0 (reserved; readers reject others)
    14   2     uint16   reserved = 0
    16   4     uint32   J, metadata length
    20   4     uint32   M, map block length (>= 1235)
    24   4     uint32   N, input count
    H    J     UTF-8    JSON object (sorted keys, compact), always with the keys
                        level_id (int | str | null), category (str | null), recorder (str),
                        created (UTC ISO 8601, "...Z") and extra (object: caller's metadata)
    H+J  M     bytes    map block (nclone map_data layout)
    +M   N     uint8    inputs, one byte per decision (bits: 0 jump, 1 right, 2 left, 3 reset;
                        values 0-15)
    +N   4     uint32   CRC-32 (zlib.crc32) of every preceding byte of the file

    file size == H + J + M + N + 4

Why it is never confused with the other formats: v0 starts with its map length (> 1200), an
attract file with its map-section length (> 1200), v1 with the version 1; v2 starts with 2 *and*
the magic. Readers written like nclone's ("first uint32 <= 100 is a version") see a versioned
file with an unknown version and refuse it instead of misreading it.
"""

from __future__ import annotations

import inspect
import json
import os
import struct
import zlib
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from atomic_files import write_bytes_atomic

from .errors import DemoFormatError
from .mapblock import MIN_MAP_BYTES, check_map_block, level_name, require_writable_map_block
from .model import INPUT_BYTE_MAX, Demo, as_input_array, check_inputs

__all__ = ["V2_VERSION", "V2_MAGIC", "V2_HEADER", "encode_demo", "write_demo", "parse_v2"]

V2_VERSION = 2
V2_MAGIC = b"NPPD"
_HEAD = struct.Struct("<I4sHHBBHIII")
V2_HEADER = _HEAD.size  # 28
SUCCESS_CODES = {False: 0, True: 1, None: 255}
_SUCCESS_FROM_CODE = {v: k for k, v in SUCCESS_CODES.items()}
META_KEYS = ("level_id", "category", "recorder", "created", "extra")


def _utc_iso(created: str | datetime | None) -> str:
    if created is None:
        dt = datetime.now(timezone.utc)
    elif isinstance(created, datetime):
        dt = created
    elif isinstance(created, str):
        try:
            dt = datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"created must be an ISO 8601 timestamp, got {created!r}") from exc
    else:
        raise ValueError(f"created must be a str, datetime or None, got {type(created).__name__}")
    if dt.tzinfo is None:
        raise ValueError("created must carry a time zone (it is stored in UTC)")
    return dt.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def encode_demo(
    map_data: bytes,
    inputs: Any,
    *,
    success: bool | None,
    level_id: int | str | None = None,
    category: str | None = None,
    frame_skip: int = 1,
    recorder: str = "",
    meta: Mapping[str, Any] | None = None,
    created: str | datetime | None = None,
    check_map: bool = True,
) -> bytes:
    """Encode one demonstration as v2 bytes (layout in the module docstring).

    ``created`` defaults to now (UTC); pass it for byte-identical output across runs.
    ``check_map`` refuses map blocks that :func:`check_map_block` finds inconsistent.
    Bad arguments raise ValueError.
    """
    map_data = bytes(map_data)
    if success is not None and not isinstance(success, (bool, np.bool_)):
        raise ValueError(f"success must be True, False or None, got {success!r}")
    require_writable_map_block(map_data, check_map)
    arr = as_input_array(inputs, INPUT_BYTE_MAX, "v2")
    if isinstance(frame_skip, bool) or not isinstance(frame_skip, (int, np.integer)):
        raise ValueError(f"frame_skip must be an int, got {frame_skip!r}")
    if not 1 <= int(frame_skip) <= 0xFFFF:
        raise ValueError(f"frame_skip must be in 1-65535, got {frame_skip}")
    if level_id is not None and (
        isinstance(level_id, bool) or not isinstance(level_id, (int, str, np.integer))
    ):
        raise ValueError(f"level_id must be an int, str or None, got {level_id!r}")
    if category is not None and not isinstance(category, str):
        raise ValueError(f"category must be a str or None, got {category!r}")
    if not isinstance(recorder, str):
        raise ValueError(f"recorder must be a str, got {recorder!r}")
    extra = dict(meta) if meta is not None else {}
    if not all(isinstance(k, str) for k in extra):
        raise ValueError("meta keys must be strings")
    record = {
        "level_id": int(level_id) if isinstance(level_id, np.integer) else level_id,
        "category": category,
        "recorder": recorder,
        "created": _utc_iso(created),
        "extra": extra,
    }
    try:
        blob = json.dumps(
            record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata is not JSON-serialisable: {exc}") from exc
    head = _HEAD.pack(
        V2_VERSION,
        V2_MAGIC,
        V2_HEADER,
        int(frame_skip),
        SUCCESS_CODES[None if success is None else bool(success)],
        0,
        0,
        len(blob),
        len(map_data),
        len(arr),
    )
    body = head + blob + map_data + arr.tobytes()
    return body + struct.pack("<I", zlib.crc32(body))


def write_demo(path: str | os.PathLike, map_data: bytes, inputs: Any, **options: Any) -> Path:
    """Write a v2 demonstration atomically (see :mod:`atomic_files`); ``options`` are
    :func:`encode_demo`'s keyword arguments (``success`` required), which stay their one definition."""
    return write_bytes_atomic(path, encode_demo(map_data, inputs, **options))


_encode_sig = inspect.signature(encode_demo)
write_demo.__signature__ = _encode_sig.replace(  # type: ignore[attr-defined]  # help() shows the options
    parameters=[inspect.Parameter("path", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                  annotation="str | os.PathLike"), *_encode_sig.parameters.values()],
    return_annotation="Path",
)


def _meta_error(path, what: str) -> DemoFormatError:
    return DemoFormatError(path, f"bad v2 metadata: {what}")


def _parse_meta(blob: bytes, path) -> dict[str, Any]:
    try:
        obj = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _meta_error(path, f"not UTF-8 JSON ({type(exc).__name__})") from None
    if not isinstance(obj, dict):
        raise _meta_error(path, f"expected a JSON object, got {type(obj).__name__}")
    missing = [k for k in META_KEYS if k not in obj]
    if missing:
        raise _meta_error(path, f"missing key(s) {', '.join(missing)}")
    lid = obj["level_id"]
    if lid is not None and (isinstance(lid, bool) or not isinstance(lid, (int, str))):
        raise _meta_error(path, "level_id must be an int, a string or null")
    if obj["category"] is not None and not isinstance(obj["category"], str):
        raise _meta_error(path, "category must be a string or null")
    if not isinstance(obj["recorder"], str):
        raise _meta_error(path, "recorder must be a string")
    if not isinstance(obj["created"], str):
        raise _meta_error(path, "created must be a string")
    if not isinstance(obj["extra"], dict):
        raise _meta_error(path, "extra must be an object")
    return obj


def parse_v2(data: bytes, path=None, display_name: str | None = None) -> Demo:
    n_bytes = len(data)
    if n_bytes < V2_HEADER:
        raise DemoFormatError(path, f"truncated header: {n_bytes} bytes, v2 needs {V2_HEADER}")
    (version, magic, h, frame_skip, success_code, flags, reserved, j, m, n) = _HEAD.unpack_from(
        data, 0
    )
    if version != V2_VERSION or magic != V2_MAGIC:
        raise DemoFormatError(path, f"bad version number {version} / magic {magic!r} for v2")
    if h < V2_HEADER:
        raise DemoFormatError(path, f"bad v2 header size {h} (at least {V2_HEADER})")
    expected = h + j + m + n + 4
    if expected != n_bytes:
        raise DemoFormatError(
            path,
            f"declared lengths disagree with file size: v2 header says {h} + metadata {j} + "
            f"map {m} + inputs {n} + checksum 4 = {expected} bytes, file has {n_bytes}",
        )
    stored = struct.unpack_from("<I", data, n_bytes - 4)[0]
    computed = zlib.crc32(memoryview(data)[: n_bytes - 4])
    if stored != computed:
        raise DemoFormatError(
            path, f"checksum mismatch: stored CRC-32 {stored:08x}, computed {computed:08x}"
        )
    if flags or reserved:
        raise DemoFormatError(
            path, f"unsupported v2 flags {flags} / reserved {reserved} (this reader knows 0)"
        )
    if success_code not in _SUCCESS_FROM_CODE:
        raise DemoFormatError(path, f"bad success code {success_code} (0, 1 or 255)")
    if frame_skip < 1:
        raise DemoFormatError(path, "bad frame_skip 0 (at least 1)")
    if m < MIN_MAP_BYTES:
        raise DemoFormatError(
            path, f"map block is {m} bytes, shorter than the minimum {MIN_MAP_BYTES}"
        )
    record = _parse_meta(data[h : h + j], path)
    map_off = h + j
    map_data = data[map_off : map_off + m]
    inputs = np.frombuffer(data, dtype=np.uint8, count=n, offset=map_off + m)
    check_inputs(inputs, INPUT_BYTE_MAX, "v2 files", path)
    meta: dict[str, Any] = {k: v for k, v in record.items()}
    meta["frame_skip"] = frame_skip
    name = level_name(map_data)
    if name:
        meta["level_name"] = name
    return Demo(
        map_data,
        inputs,
        "v2",
        _SUCCESS_FROM_CODE[success_code],
        meta,
        display_name,
        tuple(check_map_block(map_data)),
    )
