"""Exception types raised by the simulator package."""

from __future__ import annotations


class MapFormatError(ValueError):
    """Raised when raw N++ map data cannot be loaded.

    The message always has the form ``"<source>: <problem>"`` so that stages can turn it into
    a one-line diagnostic naming the offending file.
    """

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")
