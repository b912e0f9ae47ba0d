"""The in-memory demonstration (:class:`Demo`) and helpers shared by the format readers/writers."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import DemoFormatError

__all__ = ["Demo", "FORMATS", "HUMAN_INPUT_MAX", "INPUT_BYTE_MAX"]

FORMATS = ("v0", "v1", "attract", "v2")

# Input bytes: bit 0 jump, bit 1 right, bit 2 left, bit 3 reset (FORMAT_FACTS section 3).
HUMAN_INPUT_MAX = 5  # nclone's recorder writes only 0-5 (its 6 discrete actions)
INPUT_BYTE_MAX = 15  # all four defined bits; attract files use 8/9 (reset) and 6/7 (left+right)

_U32 = struct.Struct("<I")


def u32(data: bytes, offset: int) -> int:
    return _U32.unpack_from(data, offset)[0]


@dataclass(frozen=True, eq=False)
class Demo:
    """One demonstration: the map it was played on and one input byte per frame.

    - ``map_data``: the map block to load (nclone ``map_data``; for attract files bytes 0..8+L-1).
    - ``inputs``: read-only 1-D uint8 array; input i is applied at tick i+1.
    - ``format``: ``"v0"``, ``"v1"``, ``"attract"`` or ``"v2"``.
    - ``success``: the recorded outcome flag; ``None`` = the format does not say (v0: nclone's
      loader treats every v0 replay as a success, see :attr:`nclone_success`; attract files carry
      no outcome and end in death, a reset or nothing).
    - ``meta``: what the format (or, for v0/v1, the recorder's file name) records: ``level_id``,
      ``level_name``, ``category``, ``frame_skip``, ``recorder``, ``created``... (see read_demo).
    - ``problems``: map-block consistency problems, filled only by ``read_demo(strict=False)``.
    """

    map_data: bytes
    inputs: np.ndarray
    format: str
    success: bool | None
    meta: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    problems: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown demo format {self.format!r}; expected one of {FORMATS}")
        arr = np.asarray(self.inputs)
        if arr.ndim != 1 or arr.dtype != np.uint8:
            arr = np.ascontiguousarray(arr, dtype=np.uint8).reshape(-1)
        if arr.flags.writeable:
            arr = arr.copy()
            arr.setflags(write=False)
        object.__setattr__(self, "inputs", arr)
        object.__setattr__(self, "map_data", bytes(self.map_data))
        object.__setattr__(self, "meta", dict(self.meta))
        object.__setattr__(self, "problems", tuple(self.problems))
        if self.success is not None:
            object.__setattr__(self, "success", bool(self.success))

    @property
    def frames(self) -> int:
        """Number of input frames."""
        return int(self.inputs.shape[0])

    @property
    def nclone_success(self) -> bool | None:
        """The outcome as nclone's loader assumes it: v0 files count as successes."""
        if self.success is None and self.format == "v0":
            return True
        return self.success

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Demo):
            return NotImplemented
        return (
            self.format == other.format
            and self.success == other.success
            and self.map_data == other.map_data
            and np.array_equal(self.inputs, other.inputs)
            and self.meta == other.meta
            and self.name == other.name
            and self.problems == other.problems
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Demo(format={self.format!r}, name={self.name!r}, frames={self.frames}, "
            f"map_bytes={len(self.map_data)}, success={self.success!r}, "
            f"problems={len(self.problems)})"
        )


def check_inputs(
    inputs: np.ndarray, max_value: int, what: str, path: str | os.PathLike | None
) -> None:
    """Raise DemoFormatError when an input byte exceeds ``max_value`` (vectorised)."""
    if inputs.size and int(inputs.max()) > max_value:
        bad = np.flatnonzero(inputs > max_value)
        first = int(bad[0])
        raise DemoFormatError(
            path,
            f"input byte {int(inputs[first])} at frame {first} is not allowed in {what} "
            f"(allowed 0-{max_value}; {bad.size} such frame(s))",
        )


def as_input_array(inputs: Any, max_value: int, what: str) -> np.ndarray:
    """Validate writer input: 1-D integers in 0..max_value -> contiguous uint8 array."""
    if isinstance(inputs, (bytes, bytearray, memoryview)):
        arr = np.frombuffer(bytes(inputs), dtype=np.uint8)
    else:
        arr = np.asarray(inputs)
        if arr.size == 0:
            arr = arr.astype(np.uint8)
        if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"inputs must be integers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"inputs must be 1-D, got shape {arr.shape}")
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) > max_value):
        raise ValueError(f"{what} input bytes must be in 0-{max_value}")
    return np.ascontiguousarray(arr, dtype=np.uint8)
