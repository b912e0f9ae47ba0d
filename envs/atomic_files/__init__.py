"""Atomic file writes: write to a temporary file in the target directory, fsync, then rename.

Readers see either the old file or the complete new one, never a partial write, even if the
process is killed midway (the temporary file is removed on errors; a SIGKILL can leave a hidden
``.<name>.*.tmp`` file, which is never mistaken for a result). New files get the permissions a
plain ``open()`` would give them (0o666 minus the umask; ``mkstemp`` alone makes 0600).

The one place that renames files into place: the app (``imitation_pipeline``), the simulators
(``npp_sim``, ``pokemon_env``) and the recorders all write through it. It imports only the
standard library, so the env packages can use it without depending on the app.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = [
    "atomic_open",
    "copy_file_atomic",
    "new_file_mode",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_text_atomic",
]


def new_file_mode() -> int:
    """The permissions ``open()`` gives a new file: 0o666 minus the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path`` ("wb" or "w", UTF-8); on success it replaces ``path``."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open supports 'wb' and 'w', not {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, new_file_mode())  # results are shared like any other file
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    with atomic_open(path, "w") as fh:
        fh.write(text)
    return Path(path)


def write_json_atomic(path: str | os.PathLike, obj: Any, *, indent: int = 2) -> Path:
    with atomic_open(path, "w") as fh:
        json.dump(obj, fh, indent=indent, sort_keys=False, allow_nan=False)
        fh.write("\n")
    return Path(path)


def copy_file_atomic(src: str | os.PathLike, dst: str | os.PathLike) -> Path:
    """Copy ``src``'s contents to ``dst`` (new-file permissions, not ``src``'s)."""
    with open(src, "rb") as fin, atomic_open(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout)
    return Path(dst)
