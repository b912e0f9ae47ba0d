"""Errors of the Pokemon envs that a user can fix; stages print them as one line (UserFacingError)."""

from __future__ import annotations

from imitation_pipeline.errors import UserFacingError


class PokemonEnvError(UserFacingError):
    """Base class: the message names the file or setting and what to do."""


class RomError(PokemonEnvError):
    """No ROM given, or the ROM / state file cannot be read or run."""


class MgbaUnavailableError(PokemonEnvError):
    """mGBA's Python bindings (PyPI ``mgba``) or its library (Debian ``libmgba0.10``) are missing."""
