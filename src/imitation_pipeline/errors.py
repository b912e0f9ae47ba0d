"""Errors a user can fix (bad input files, wrong checkpoint, missing data) and how stages report them.

The entry point turns any of these into one line on stderr and exit status 2; anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An error caused by the user's input; its message names the file and the problem."""


class CheckpointError(UserFacingError):
    """A checkpoint file is unreadable, from another schema version, or does not match the run."""


class DatasetError(UserFacingError):
    """A dataset directory or file is missing or malformed."""


def user_error_types() -> tuple[type[BaseException], ...]:
    """All exception types reported as one line: ours plus the format errors of the simulator package."""
    types: list[type[BaseException]] = [UserFacingError]
    try:  # the simulator package owns its file-format errors
        from npp_sim.errors import MapFormatError

        types.append(MapFormatError)
    except ImportError:
        pass
    try:
        from npp_sim.formats import DemoFormatError

        types.append(DemoFormatError)
    except ImportError:
        pass
    return tuple(types)
