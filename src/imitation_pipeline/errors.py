"""Errors a user can fix (bad input files, wrong checkpoint, missing data) and how stages report them.

The entry point turns any of these into one line on stderr and exit status 2; anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

# (module, class) of the env packages' user errors: bad map / demo files, a missing ROM or mGBA
_ENV_ERRORS = (
    ("npp_sim.errors", "MapFormatError"),
    ("npp_sim.formats", "DemoFormatError"),
    ("pokemon_env.errors", "PokemonEnvError"),
)


class UserFacingError(Exception):
    """An error caused by the user's input; its message names the file and the problem."""


class CheckpointError(UserFacingError):
    """A checkpoint file is unreadable, from another schema version, or does not match the run."""


class DatasetError(UserFacingError):
    """A dataset directory or file is missing or malformed."""


def read_json(
    path: str | Path, missing: str, invalid: str, error: type[UserFacingError] = UserFacingError
) -> Any:
    """A JSON file the user pointed at; a missing one raises ``error("<path>: <missing>")``, a malformed
    one ``error("<path>: <invalid> (<decoder message>)")``."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as err:
        raise error(f"{path}: {missing}") from err
    except json.JSONDecodeError as err:
        raise error(f"{path}: {invalid} ({err})") from err


def user_error_types() -> tuple[type[BaseException], ...]:
    """All exception types reported as one line: ours plus those of the env packages.

    The env packages (``envs/``) never import the app, so they own their error types; this list is
    where the app recognises them."""
    types: list[type[BaseException]] = [UserFacingError]
    for module, name in _ENV_ERRORS:
        try:
            types.append(getattr(importlib.import_module(module), name))
        except ImportError:
            pass
    return tuple(types)
