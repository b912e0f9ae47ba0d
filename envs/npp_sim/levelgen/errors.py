"""The one exception type of the level generator and level-suite files."""

from __future__ import annotations

import os

__all__ = ["SuiteError"]


class SuiteError(ValueError):
    """A level file, a suite directory or a map byte string is unusable.

    ``source`` names the offending file (or ``"<map>"`` for anonymous bytes) and ``problem`` is a
    one-line description; ``str(err)`` is ``"<source>: <problem>"`` so that a stage can print it as
    a single diagnostic line.
    """

    def __init__(self, source: str | os.PathLike, problem: str) -> None:
        self.source = os.fspath(source)
        self.problem = " ".join(str(problem).split())
        super().__init__(f"{self.source}: {self.problem}")

    def __reduce__(self):  # keep the two-argument signature through pickling by multiprocessing
        return (type(self), (self.source, self.problem))
