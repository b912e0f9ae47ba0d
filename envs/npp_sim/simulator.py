"""The public simulator API: :class:`Simulator` (step by step) and :func:`run_inputs` (batch).

A map is turned into static geometry (segment table, update orders) plus a small set of state
arrays (see :mod:`npp_sim.layout`). ``Simulator.tick`` advances one frame through the compiled
kernel; ``run_inputs`` runs a whole input sequence inside a single compiled call and returns a
:class:`Trace` with one row per state (row 0 = after loading, row i = after tick i).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernel as K
from .inputs import check_rule, decode_inputs
from .layout import (
    E_ACTIVE,
    E_TYPE,
    N_AIRBORN,
    N_FRAME,
    N_GOLD,
    N_STATE,
    N_WALLED,
    N_X,
    N_XS,
    N_Y,
    N_YS,
)
from .map_data import LevelData, _as_bytes, _raise_for, parse_map, warn_skipped
from .map_layout import SILENT_LOOKUP, SUPPORTED_LOOKUP
from .world import build_world, simulate_bytes


def _read_only(a: np.ndarray) -> np.ndarray:
    """A view of ``a`` that cannot be written through."""
    v = a.view()
    v.flags.writeable = False
    return v


def _ninja_field(vector: int, col: int, cast: type) -> property:
    """A read-only property: ``cast`` of one cell of the ninja's float (``vector`` 0) or int (1)
    state vector."""
    return property(lambda self: cast(self._state[vector][col]))


def _state_view(index: int, doc: str) -> property:
    """A property: a read-only view of state array ``index`` (order as in ``layout``)."""
    return property(lambda self: _read_only(self._state[index]), doc=doc)


class _World:
    """Static per-map data plus the initial state arrays (built by the compiled loader)."""

    __slots__ = ("level", "initial", "statics", "last_switch")

    def __init__(self, level: LevelData):
        self.level = level
        out = build_world(level.tiles, level.spawn_x, level.spawn_y, level.records,
                          level.death_ball_count)
        self.initial = out[:10]
        self.statics = out[10:18]
        self.last_switch = int(out[18])


@dataclass(frozen=True)
class Trace:
    """Per-state arrays of a run (frames + 1 rows) and its outcome.

    ``outcome`` is "won", "died" or "neither"; ``outcome_frame`` the first tick after which the
    ninja was celebrating (won) or dying/dead (died), None for "neither".
    """

    x: np.ndarray
    y: np.ndarray
    xspeed: np.ndarray
    yspeed: np.ndarray
    state: np.ndarray  # int16
    won: np.ndarray
    dead: np.ndarray
    switch_activated: np.ndarray
    gold: np.ndarray  # int16
    airborn: np.ndarray
    walled: np.ndarray
    outcome: str
    outcome_frame: int | None

    @property
    def frames(self) -> int:
        return int(self.x.shape[0]) - 1


_OUTCOMES = ("neither", "won", "died")


def _make_trace(out_f: np.ndarray, out_s: np.ndarray, outcome: int, when: int) -> Trace:
    state = out_s[0]
    return Trace(
        x=out_f[0], y=out_f[1], xspeed=out_f[2], yspeed=out_f[3], state=state,
        won=state == K.ST_CELEBRATING, dead=(state == K.ST_DEAD) | (state == K.ST_DYING),
        switch_activated=out_s[1] != 0, gold=out_s[2],
        airborn=out_s[3] != 0, walled=out_s[4] != 0,
        outcome=_OUTCOMES[outcome], outcome_frame=None if when < 0 else int(when),
    )


def _outputs(n: int):
    return np.empty((4, n + 1), dtype=np.float64), np.empty((5, n + 1), dtype=np.int16)


class Simulator:
    """A deterministic N++ simulation of one map.

    ``Simulator(map_bytes)`` or ``Simulator.from_level(level)``; ``tick(hor, jump)`` advances one
    frame (hor in {-1, 0, 1}, jump in {0, 1}); ``reset()`` restores the state after loading;
    ``snapshot()``/``restore(snap)`` copy the state arrays. Entity state is readable through
    :attr:`entity_float` / :attr:`entity_int` (columns in :mod:`npp_sim.layout`) and
    :attr:`entity_type`.
    """

    def __init__(self, map_data, source: str = "<map>"):
        if isinstance(map_data, LevelData):
            level = map_data
        else:
            level = parse_map(map_data, source)
        self._world = _World(level)
        self._statics = self._world.statics
        self._one_hor = np.zeros(1, dtype=np.int8)
        self._one_jump = np.zeros(1, dtype=np.int8)
        self._one_f, self._one_s = _outputs(1)
        self.reset()

    @classmethod
    def from_level(cls, level: LevelData) -> Simulator:
        return cls(level)

    # --- state management --------------------------------------------------------------------
    def reset(self) -> None:
        self._state = tuple(a.copy() for a in self._world.initial)

    def snapshot(self) -> tuple:
        """An independent copy of the complete mutable state."""
        return tuple(a.copy() for a in self._state)

    def restore(self, snap: tuple) -> None:
        for dst, src in zip(self._state, snap, strict=True):
            dst[...] = src

    # --- stepping ----------------------------------------------------------------------------
    def tick(self, hor: int, jump: int) -> None:
        """Advance one frame (hor in {-1, 0, 1}, jump in {0, 1})."""
        self._one_hor[0] = hor
        self._one_jump[0] = jump
        K.run_replay(*self._state, *self._statics, self._world.last_switch, self._one_hor,
                     self._one_jump, self._one_f, self._one_s, 2)

    def run(self, hor, jump) -> Trace:
        """Run a sequence of inputs from the current state and return the trace (row 0 = now)."""
        hor = np.ascontiguousarray(hor, dtype=np.int8)
        jump = np.ascontiguousarray(jump, dtype=np.int8)
        out_f, out_s = _outputs(hor.shape[0])
        outcome, when = K.run_replay(*self._state, *self._statics, self._world.last_switch, hor,
                                     jump, out_f, out_s, 0)
        return _make_trace(out_f, out_s, outcome, when)

    # --- accessors ---------------------------------------------------------------------------
    @property
    def level(self) -> LevelData:
        return self._world.level

    frame = _ninja_field(1, N_FRAME, int)
    ninja_x = _ninja_field(0, N_X, float)
    ninja_y = _ninja_field(0, N_Y, float)
    ninja_xspeed = _ninja_field(0, N_XS, float)
    ninja_yspeed = _ninja_field(0, N_YS, float)
    ninja_state = _ninja_field(1, N_STATE, int)
    airborn = _ninja_field(1, N_AIRBORN, bool)
    walled = _ninja_field(1, N_WALLED, bool)
    gold_collected = _ninja_field(1, N_GOLD, int)

    @property
    def won(self) -> bool:
        return self.ninja_state == K.ST_CELEBRATING

    @property
    def dead(self) -> bool:
        return self.ninja_state in (K.ST_DEAD, K.ST_DYING)

    @property
    def switch_activated(self) -> bool:
        s = self._world.last_switch
        return False if s < 0 else not bool(self._state[3][s, E_ACTIVE])

    @property
    def entity_type(self) -> np.ndarray:
        """Entity type per row (read-only view)."""
        return _read_only(self._state[3][:, E_TYPE])

    # read-only views of the state arrays
    entity_float = _state_view(2, "Entity float table (x, y, speeds, ...); columns ``layout.EF_*``.")
    entity_int = _state_view(3, "Entity int table (type, active, state, ...); columns ``layout.E_*``.")
    ninja_float = _state_view(0, "The ninja's float vector; columns ``layout.N_*`` (floats).")
    ninja_int = _state_view(1, "The ninja's int vector; columns ``layout.N_*`` (ints).")

    @property
    def grid_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """(horizontal, vertical) grid-edge counters on the 12-px lattice (non-zero = blocked)."""
        return _read_only(self._state[8]), _read_only(self._state[9])


def run_inputs(map_data_or_level, input_bytes, lr_rule: str = "cancel",
               source: str = "<map>") -> Trace:
    """Load a map (raw bytes or :class:`LevelData`) and run all input bytes in one compiled call.

    Returns a :class:`Trace` with ``len(input_bytes) + 1`` rows. Frames after a death or a win are
    still stepped, as in the reference.
    """
    if isinstance(map_data_or_level, LevelData):
        hor, jump = decode_inputs(input_bytes, lr_rule)
        return Simulator(map_data_or_level).run(hor, jump)
    check_rule(lr_rule)
    ib = np.ascontiguousarray(input_bytes, dtype=np.uint8)
    md = _as_bytes(map_data_or_level)
    out_f, out_s = _outputs(ib.shape[0])
    err, at, skipped, outcome, when = simulate_bytes(md, ib, lr_rule == "left_wins", SUPPORTED_LOOKUP,
                                                     SILENT_LOOKUP, out_f, out_s)
    if err:
        _raise_for(int(err), int(at), source)
    if skipped.any():
        warn_skipped(skipped, source)
    return _make_trace(out_f, out_s, outcome, when)
