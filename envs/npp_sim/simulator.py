"""The public simulator API: :class:`Simulator` (step by step) and :func:`run_inputs` (batch).

A map is turned into static geometry (segment table, update orders) plus a small set of state
arrays (see :mod:`npp_sim.layout`). ``Simulator.tick`` advances one frame through the compiled
kernel; ``run_inputs`` runs a whole input sequence inside a single compiled call and returns a
:class:`Trace` with one row per state (row 0 = after loading, row i = after tick i).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import kernel as K
from .inputs import decode_inputs
from .layout import (
    E_ACTIVE, E_AUX, E_CELL, E_CLOSED, E_DIR, E_EDGE_X, E_EDGE_Y, E_LINK, E_MODE, E_ORI, E_SEG,
    E_STATE, E_TIDX, E_TYPE, E_VERT, EF_COLS, EF_GRIDW, EF_NX, EF_NY, EF_RAD, EF_SPEED, EF_X,
    EF_XO, EF_XT, EF_Y, EF_YO, EF_YT, EI_COLS, N_AIRBORN, N_CNY, N_DRAG, N_FBUF, N_FNY, N_FRAME,
    N_GOLD, N_GRAV, N_JBUF, N_LPBUF, N_STATE, N_WALLED, N_WALLN, N_WBUF, N_X, N_XS, N_Y, N_YS,
    NF_SIZE, NI_SIZE,
)
from .map_data import LevelData, parse_map
from .tiles import GRID_H, N_CELLS, build_geometry

MOVABLE_TYPES = (14, 17, 20, 24, 26)
THINKING_TYPES = (1, 5, 20, 21, 25, 28)

_STATE_NAMES = ("nf", "ni", "ef", "ei", "ghead", "gtail", "enext", "eprev", "hor_e", "ver_e")


def _cell_of(x: float, y: float) -> int:
    cx = min(max(math.floor(x / 24), 0), 43)
    cy = min(max(math.floor(y / 24), 0), 24)
    return cx * GRID_H + cy


def _orientation_vector(o: int) -> tuple[float, float]:
    return K.orientation_vector.py_func(int(o) % 8)


class _World:
    """Static per-map data plus the initial state arrays."""

    __slots__ = ("level", "geo_start", "seg_kind", "seg_f", "order_move", "order_think",
                 "db_ids", "db_count", "last_switch", "initial", "scratch")

    def __init__(self, level: LevelData):
        self.level = level
        n = level.n_entities
        ef = np.zeros((n, EF_COLS), dtype=np.float64)
        ei = np.zeros((n, EI_COLS), dtype=np.int64)
        ei[:, E_LINK] = -1
        ei[:, E_SEG] = -1
        type_count: dict[int, int] = {}
        door_rows: list[int] = []
        types = level.ent_type.tolist()
        xs = level.ent_x.tolist()
        ys = level.ent_y.tolist()
        oris = level.ent_orientation.tolist()
        modes = level.ent_mode.tolist()
        for e, t in enumerate(types):
            x, y, o, m = xs[e], ys[e], oris[e], modes[e]
            ei[e, E_TYPE] = t
            ei[e, E_ACTIVE] = 1
            ei[e, E_ORI] = o
            ei[e, E_MODE] = m
            ei[e, E_TIDX] = type_count.get(t, 0)
            type_count[t] = ei[e, E_TIDX] + 1
            ef[e, EF_X] = x
            ef[e, EF_Y] = y
            ef[e, EF_XO] = x
            ef[e, EF_YO] = y
            ef[e, EF_XT] = x
            ef[e, EF_YT] = y
            if t in (3, 4):
                ei[e, E_LINK] = level.ent_link[e]
            elif t == 21:
                ei[e, E_STATE] = 1  # starts safe
            elif t in (5, 6, 8):
                vx, vy = _orientation_vector(o)
                dcx = min(max(math.floor((x - 12 * vx) / 24), 0), 43)
                dcy = min(max(math.floor((y - 12 * vy) / 24), 0), 24)
                hx, hy = 2 * (dcx + 1), 2 * (dcy + 1)
                vertical = o in (0, 4)
                ei[e, E_VERT] = 1 if vertical else 0
                if vertical:
                    ei[e, E_EDGE_X], ei[e, E_EDGE_Y] = hx, hy - 2
                else:
                    ei[e, E_EDGE_X], ei[e, E_EDGE_Y] = hx - 2, hy
                door_rows.append(e)
                # the door entity itself sits on its switch
                ef[e, EF_X] = level.ent_sw_x[e]
                ef[e, EF_Y] = level.ent_sw_y[e]
            elif t in (10, 11):
                ef[e, EF_NX], ef[e, EF_NY] = _orientation_vector(o)
            elif t in (14, 26):
                ef[e, EF_SPEED] = 8 / 7 if t == 14 else 1.3
                ef[e, EF_RAD] = 7.5 if t == 14 else 4.0
                ef[e, EF_GRIDW] = 24.0 if t == 14 else 12.0
                ei[e, E_DIR] = o // 2
            elif t == 20:
                ei[e, E_VERT] = 1 if o in (0, 4) else 0  # 1: moves horizontally
                ei[e, E_DIR] = 1 if o in (0, 2) else -1
            ei[e, E_CELL] = _cell_of(ef[e, EF_X], ef[e, EF_Y])

        hor_e, ver_e, geo_start, seg_kind, seg_f = build_geometry(level.tiles)
        # doors start closed (+1 on their grid edges); trap doors then open
        for e in door_rows:
            ei[e, E_CLOSED] = 1
            x, y = ei[e, E_EDGE_X], ei[e, E_EDGE_Y]
            if ei[e, E_VERT]:
                ver_e[x, y] += 1
                ver_e[x, y + 1] += 1
            else:
                hor_e[x, y] += 1
                hor_e[x + 1, y] += 1
            if types[e] == 8:
                K.door_set_closed(ei, hor_e, ver_e, e, False)

        ghead = np.full(N_CELLS, -1, dtype=np.int32)
        gtail = np.full(N_CELLS, -1, dtype=np.int32)
        enext = np.full(max(n, 1), -1, dtype=np.int32)
        eprev = np.full(max(n, 1), -1, dtype=np.int32)
        for e, t in enumerate(types):
            if t != 3:  # exit doors join the grid when their switch is hit
                K.grid_append(ghead, gtail, enext, eprev, e, ei[e, E_CELL])

        rows = np.arange(n)
        tarr = np.array(types, dtype=np.int64)
        keymask = np.isin(tarr, MOVABLE_TYPES)
        self.order_move = rows[keymask][np.argsort(tarr[keymask], kind="stable")].astype(np.int64)
        keymask = np.isin(tarr, THINKING_TYPES)
        self.order_think = rows[keymask][np.argsort(tarr[keymask], kind="stable")].astype(np.int64)
        self.db_ids = rows[tarr == 25].astype(np.int64)
        self.db_count = int(level.death_ball_count)
        switches = rows[tarr == 4]
        self.last_switch = int(switches[-1]) if switches.size else -1
        self.geo_start = geo_start
        self.seg_kind = seg_kind
        self.seg_f = seg_f
        self.scratch = np.zeros(max(n, 1), dtype=np.int64)

        nf = np.zeros(NF_SIZE, dtype=np.float64)
        ni = np.zeros(NI_SIZE, dtype=np.int64)
        nf[N_X] = level.spawn_x
        nf[N_Y] = level.spawn_y
        nf[N_GRAV] = K.GRAVITY_FALL
        nf[N_DRAG] = K.DRAG_REGULAR
        nf[N_FNY] = -1.0
        nf[N_CNY] = 1.0
        nf[N_WALLN] = 0.0
        ni[N_JBUF] = -1
        ni[N_FBUF] = -1
        ni[N_WBUF] = -1
        ni[N_LPBUF] = -1
        self.initial = (nf, ni, ef, ei, ghead, gtail, enext, eprev, hor_e, ver_e)

    def statics(self):
        return (self.geo_start, self.seg_kind, self.seg_f, self.order_move, self.order_think,
                self.db_ids, self.db_count, self.scratch)


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


def _make_trace(out_f: np.ndarray, out_i: np.ndarray) -> Trace:
    state = out_i[:, 0].astype(np.int16)
    won = state == K.ST_CELEBRATING
    dead = (state == K.ST_DEAD) | (state == K.ST_DYING)
    outcome, frame = "neither", None
    w = np.flatnonzero(won)
    d = np.flatnonzero(dead)
    first_w = int(w[0]) if w.size else None
    first_d = int(d[0]) if d.size else None
    if first_w is not None and (first_d is None or first_w < first_d):
        outcome, frame = "won", first_w
    elif first_d is not None:
        outcome, frame = "died", first_d
    return Trace(
        x=out_f[:, 0].copy(), y=out_f[:, 1].copy(), xspeed=out_f[:, 2].copy(),
        yspeed=out_f[:, 3].copy(), state=state, won=won, dead=dead,
        switch_activated=out_i[:, 1].astype(bool), gold=out_i[:, 2].astype(np.int16),
        airborn=out_i[:, 3].astype(bool), walled=out_i[:, 4].astype(bool),
        outcome=outcome, outcome_frame=frame,
    )


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
        self._statics = self._world.statics()
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
        for dst, src in zip(self._state, snap):
            dst[...] = src

    # --- stepping ----------------------------------------------------------------------------
    def tick(self, hor: int, jump: int) -> None:
        K.tick(*self._state, *self._statics, int(hor), int(jump))

    def run(self, hor, jump) -> Trace:
        """Run a sequence of inputs from the current state and return the trace (row 0 = now)."""
        hor = np.ascontiguousarray(hor, dtype=np.int64)
        jump = np.ascontiguousarray(jump, dtype=np.int64)
        n = hor.shape[0]
        out_f = np.empty((n + 1, 4), dtype=np.float64)
        out_i = np.empty((n + 1, 5), dtype=np.int64)
        K.run_replay(*self._state, *self._statics, self._world.last_switch, hor, jump, out_f, out_i)
        return _make_trace(out_f, out_i)

    # --- accessors ---------------------------------------------------------------------------
    @property
    def level(self) -> LevelData:
        return self._world.level

    @property
    def frame(self) -> int:
        return int(self._state[1][N_FRAME])

    @property
    def ninja_x(self) -> float:
        return float(self._state[0][N_X])

    @property
    def ninja_y(self) -> float:
        return float(self._state[0][N_Y])

    @property
    def ninja_xspeed(self) -> float:
        return float(self._state[0][N_XS])

    @property
    def ninja_yspeed(self) -> float:
        return float(self._state[0][N_YS])

    @property
    def ninja_state(self) -> int:
        return int(self._state[1][N_STATE])

    @property
    def airborn(self) -> bool:
        return bool(self._state[1][N_AIRBORN])

    @property
    def walled(self) -> bool:
        return bool(self._state[1][N_WALLED])

    @property
    def won(self) -> bool:
        return self.ninja_state == K.ST_CELEBRATING

    @property
    def dead(self) -> bool:
        return self.ninja_state in (K.ST_DEAD, K.ST_DYING)

    @property
    def switch_activated(self) -> bool:
        s = self._world.last_switch
        return True if s < 0 else not bool(self._state[3][s, E_ACTIVE])

    @property
    def gold_collected(self) -> int:
        return int(self._state[1][N_GOLD])

    @property
    def entity_type(self) -> np.ndarray:
        """Entity type per row (read-only view)."""
        v = self._state[3][:, E_TYPE]
        v.flags.writeable = False
        return v

    @property
    def entity_float(self) -> np.ndarray:
        """Entity float table (x, y, speeds, ...), read-only view; columns ``layout.EF_*``."""
        v = self._state[2].view()
        v.flags.writeable = False
        return v

    @property
    def entity_int(self) -> np.ndarray:
        """Entity int table (type, active, state, ...), read-only view; columns ``layout.E_*``."""
        v = self._state[3].view()
        v.flags.writeable = False
        return v

    @property
    def ninja_float(self) -> np.ndarray:
        v = self._state[0].view()
        v.flags.writeable = False
        return v

    @property
    def ninja_int(self) -> np.ndarray:
        v = self._state[1].view()
        v.flags.writeable = False
        return v

    @property
    def grid_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """(horizontal, vertical) grid-edge counters on the 12-px lattice (non-zero = blocked)."""
        h = self._state[8].view()
        v = self._state[9].view()
        h.flags.writeable = False
        v.flags.writeable = False
        return h, v


def run_inputs(map_data_or_level, input_bytes, lr_rule: str = "cancel",
               source: str = "<map>") -> Trace:
    """Load a map (bytes or :class:`LevelData`), run all input bytes in one compiled call."""
    hor, jump = decode_inputs(input_bytes, lr_rule)
    sim = Simulator(map_data_or_level, source)
    return sim.run(hor, jump)
