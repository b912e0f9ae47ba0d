"""Format detection (by content, never by file extension) and the one reading entry point."""

from __future__ import annotations

import os
from pathlib import Path

from .attract import looks_like_attract, parse_attract
from .compact import VERSIONED_MAX, parse_v0, parse_v1
from .errors import DemoFormatError
from .model import Demo, u32
from .v2 import V2_MAGIC, V2_VERSION, parse_v2

__all__ = ["detect_format", "read_demo", "MAX_FILE_BYTES"]

MAX_FILE_BYTES = 256 * 1024 * 1024  # far above any demo (20,000 frames ~ 20 KB); refuse the rest

_PARSERS = {"v0": parse_v0, "v1": parse_v1, "attract": parse_attract, "v2": parse_v2}


def _detect(data: bytes, path) -> str:
    if len(data) < 4:
        raise DemoFormatError(path, f"truncated header: {len(data)} bytes, no format fits")
    first = u32(data, 0)
    if first == V2_VERSION:
        if data[4:8] == V2_MAGIC:
            return "v2"
        raise DemoFormatError(path, "bad version number 2 without the v2 magic")
    if first == 1:
        return "v1"
    if first <= VERSIONED_MAX:
        raise DemoFormatError(path, f"bad version number {first} (known: 1 = v1, 2 = v2)")
    return "attract" if looks_like_attract(data) else "v0"


def detect_format(data: bytes | bytearray | memoryview, *, name: str | None = None) -> str:
    """``"v0"``, ``"v1"``, ``"attract"`` or ``"v2"`` from the bytes alone.

    First uint32: 2 + magic ``NPPD`` -> v2; 1 -> v1; 0 or 3-100 -> DemoFormatError (unknown
    version, as nclone reads <= 100 as a version); larger -> a length: an attract file when the
    ``FF FF FF FF`` marker of its demo header sits at 8 + L + 26, otherwise v0. Only the header is
    inspected; the file can still be malformed (``read_demo`` validates everything).
    """
    return _detect(bytes(data[:]), name)


def read_demo(
    source: str | os.PathLike | bytes | bytearray | memoryview,
    *,
    name: str | None = None,
    strict: bool = True,
) -> Demo:
    """Read a demonstration file (path) or its bytes, whatever its format.

    ``name`` names the source in errors and ``Demo.name`` (default: the file name; ``None`` for
    bytes). Malformed input raises :class:`DemoFormatError` (``"<file name>: <problem>"``); I/O
    errors propagate as ``OSError``.

    Map-block consistency (:func:`check_map_block`): with ``strict=True`` problems raise
    ``DemoFormatError("... map block inconsistent: ...")``; with ``strict=False`` the Demo is
    returned with ``demo.problems`` filled (the map exactly as stored, as nclone would load it).
    Everything else (lengths, versions, input values, checksum) raises in both modes.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        path = name
        display = name
        if len(data) > MAX_FILE_BYTES:
            raise DemoFormatError(path, f"{len(data)} bytes is too large for a demonstration")
    else:
        p = Path(source)
        path = name if name is not None else os.fspath(source)
        display = name if name is not None else p.name
        with open(p, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise DemoFormatError(path, f"{size} bytes is too large for a demonstration")
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise DemoFormatError(path, f"{len(data)} bytes is too large for a demonstration")
    fmt = _detect(data, path)
    demo = _PARSERS[fmt](data, path, display)
    if strict and demo.problems:
        raise DemoFormatError(path, "map block inconsistent: " + "; ".join(demo.problems))
    return demo
