"""The one exception type of the demonstration file formats."""

from __future__ import annotations

import os

__all__ = ["DemoFormatError"]


def _display_name(path: str | os.PathLike | None) -> str:
    if path is None:
        return "<bytes>"
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    base = os.path.basename(text.rstrip("/\\")) or text
    return base or "<bytes>"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class DemoFormatError(ValueError):
    """A demonstration file (or byte string) is malformed.

    ``path`` is what the caller passed (a path or a display name; ``None`` for anonymous bytes) and
    ``problem`` the one-line description. ``str(err)`` is ``"<file name>: <problem>"``.
    Every malformed input raises exactly this type; I/O errors (missing file, permissions) are not
    format errors and propagate as ``OSError``.
    """

    def __init__(self, path: str | os.PathLike | None, problem: str) -> None:
        self.path = os.fspath(path) if path is not None else None
        self.problem = _one_line(problem)
        super().__init__(f"{_display_name(path)}: {self.problem}")

    def __reduce__(self):  # keep the two-argument signature through copy/multiprocessing
        return (type(self), (self.path, self.problem))
