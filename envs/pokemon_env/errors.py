"""Errors of the Pokemon envs that a user can fix (a missing ROM, mGBA not installed).

The app reports them as one line and exit status 2 (``imitation_pipeline.errors.user_error_types``
lists :class:`PokemonEnvError`, as it does ``npp_sim``'s format errors); this package does not
import the app.
"""

from __future__ import annotations


class PokemonEnvError(Exception):
    """Base class: the message names the file or setting and what to do."""


class RomError(PokemonEnvError):
    """No ROM given, or the ROM / state file cannot be read or run."""


class MgbaUnavailableError(PokemonEnvError):
    """mGBA's Python bindings (PyPI ``mgba``) or its library (Debian ``libmgba0.10``) are missing."""
