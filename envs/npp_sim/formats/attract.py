"""N++ attract files (FORMAT_FACTS section 4).

::

    0      uint32  L, map-section length
    4      uint32  D, demo-section length          size == 8 + L + D
    8      L       map section: 8-11 level id, 12-15 game mode, 16-19 = 1, 38-165 name,
                   tiles / counts / entities at the nclone map_data offsets
    8+L    D       demo section:
                     +0   uint8   0
                     +1   uint32  D again
                     +5   uint32  1
                     +9   uint32  F, frame count (== D - 30)
                     +13  uint32  level/episode number (not always the map id)
                     +17  uint32  game mode
                     +21  uint32  0
                     +25  uint8   ninja mask (1 = player 1)
                     +26  4       FF FF FF FF
                     +30  F       inputs, one byte per frame

The map block to load is bytes 0 .. 8+L-1 of the file (the 8-byte file header stands in for the
first 8 header bytes, which the simulator never reads). Attract inputs may use all four defined
bits (0-15): they contain left+right (6/7) and reset (8/9) bytes. The file has no outcome flag.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import DemoFormatError
from .mapblock import MIN_MAP_BYTES, check_map_block, level_name
from .model import INPUT_BYTE_MAX, Demo, check_inputs, u32

__all__ = ["DEMO_HEADER", "parse_attract", "looks_like_attract"]

DEMO_HEADER = 30
MARKER = b"\xff\xff\xff\xff"
MARKER_AT = 26


def looks_like_attract(data: bytes) -> bool:
    """Content signature: the FF FF FF FF marker where the demo header of an attract file has it.

    v0 files can never match: their inputs are 0-5, and this is where their inputs lie.
    """
    if len(data) < 8:
        return False
    demo = 8 + u32(data, 0)
    return len(data) >= demo + DEMO_HEADER and data[demo + MARKER_AT : demo + DEMO_HEADER] == MARKER


def parse_attract(data: bytes, path=None, display_name: str | None = None) -> Demo:
    if len(data) < 8:
        raise DemoFormatError(path, f"truncated header: {len(data)} bytes, attract needs 8")
    sec_l, sec_d = u32(data, 0), u32(data, 4)
    if 8 + sec_l + sec_d != len(data):
        raise DemoFormatError(
            path,
            f"declared lengths disagree with file size: attract header says 8 + map section "
            f"{sec_l} + demo section {sec_d} = {8 + sec_l + sec_d} bytes, file has {len(data)}",
        )
    if 8 + sec_l < MIN_MAP_BYTES:
        raise DemoFormatError(
            path, f"map block is {8 + sec_l} bytes, shorter than the minimum {MIN_MAP_BYTES}"
        )
    if sec_d < DEMO_HEADER:
        raise DemoFormatError(
            path, f"truncated demo header: demo section is {sec_d} bytes, needs {DEMO_HEADER}"
        )
    demo = 8 + sec_l
    if data[demo] != 0:
        raise DemoFormatError(path, f"bad demo header: first byte is {data[demo]}, expected 0")
    if u32(data, demo + 1) != sec_d:
        raise DemoFormatError(
            path,
            f"declared lengths disagree: demo header repeats length {u32(data, demo + 1)}, "
            f"file header says {sec_d}",
        )
    if u32(data, demo + 5) != 1:
        raise DemoFormatError(
            path, f"bad version number {u32(data, demo + 5)} in demo header (expected 1)"
        )
    frames = u32(data, demo + 9)
    if frames != sec_d - DEMO_HEADER:
        raise DemoFormatError(
            path,
            f"declared lengths disagree: frame count {frames} but the demo section holds "
            f"{sec_d - DEMO_HEADER} input bytes",
        )
    if data[demo + MARKER_AT : demo + DEMO_HEADER] != MARKER:
        raise DemoFormatError(path, "bad demo header: FF FF FF FF marker missing")
    inputs = np.frombuffer(data, dtype=np.uint8, count=frames, offset=demo + DEMO_HEADER)
    check_inputs(inputs, INPUT_BYTE_MAX, "attract files", path)
    map_data = data[:demo]
    meta: dict[str, Any] = {
        "level_id": u32(data, 8),
        "game_mode": u32(data, 12),
        "demo_episode": u32(data, demo + 13),
        "demo_game_mode": u32(data, demo + 17),
        "ninja_mask": data[demo + 25],
        "frame_skip": 1,
    }
    name = level_name(map_data)
    if name:
        meta["level_name"] = name
    return Demo(
        map_data, inputs, "attract", None, meta, display_name, tuple(check_map_block(map_data))
    )
