"""Demonstration file formats: a map block plus one input byte per frame.

Readers detect the format by content (never by extension):

- ``v0``: nclone's legacy compact replay (8-byte header; no outcome flag), see :mod:`.compact`
- ``v1``: nclone's compact replay with a success byte (13-byte header), see :mod:`.compact`
- ``attract``: N++ attract files (map section + demo section), see :mod:`.attract`
- ``v2``: our own versioned, checksummed format with metadata, see :mod:`.v2` (byte table there)

API::

    read_demo(path_or_bytes, *, name=None, strict=True) -> Demo
    detect_format(data, *, name=None) -> "v0" | "v1" | "attract" | "v2"
    check_map_block(map_data) -> list[str]           # [] = consistent (rule in .mapblock)
    repair_shifted_map_block(map_data) -> bytes | None
    encode_demo(map_data, inputs, *, success, level_id=None, category=None, frame_skip=1,
                recorder="", meta=None, created=None, check_map=True) -> bytes       # v2
    write_demo(path, map_data, inputs, **encode_demo's options) -> Path         # v2, atomic
    encode_v1(map_data, inputs, *, success=True, check_map=True) -> bytes         # nclone v1
    write_v1(path, map_data, inputs, *, success=True, check_map=True) -> Path     # atomic

Allowed input bytes: human files (v0/v1) 0-5, attract and v2 files 0-15 (bits: 0 jump, 1 right,
2 left, 3 reset). Every malformed input raises :class:`DemoFormatError` (a ValueError).
"""

from .compact import encode_v1, write_v1
from .errors import DemoFormatError
from .mapblock import MIN_MAP_BYTES, check_map_block, level_name, repair_shifted_map_block
from .model import FORMATS, HUMAN_INPUT_MAX, INPUT_BYTE_MAX, Demo
from .reader import detect_format, read_demo
from .v2 import encode_demo, write_demo

__all__ = [
    "Demo",
    "DemoFormatError",
    "FORMATS",
    "HUMAN_INPUT_MAX",
    "INPUT_BYTE_MAX",
    "MIN_MAP_BYTES",
    "check_map_block",
    "detect_format",
    "encode_demo",
    "encode_v1",
    "level_name",
    "read_demo",
    "repair_shifted_map_block",
    "write_demo",
    "write_v1",
]
