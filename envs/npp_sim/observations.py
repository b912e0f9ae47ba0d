"""The one observation builder: simulator state -> observation dict.

The gymnasium env and replay regeneration both call :meth:`ObservationBuilder.observe`, so a
replay frame and a live env frame at the same simulator state are identical arrays. The
observation at step t describes the state *before* input t is applied, and it never contains the
input itself (it is the label).

Per map, :meth:`ObservationBuilder.begin_level` caches what never changes (tile layers, the cell
part of the graph, the exit switch/door rows); per frame only the moving parts are written, by
njit kernels, into preallocated arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from npp_sim import layout as L
from npp_sim import observation_spec as spec
from npp_sim.kernel import tick
from npp_sim.layout import (
    E_ACTIVE,
    E_LINK,
    E_STATE,
    E_TYPE,
    EF_X,
    EF_Y,
    N_FRAME,
    N_STATE,
    N_X,
    N_XS,
    N_Y,
    N_YS,
)
from npp_sim.planner.field import CELL as FIELD_CELL
from npp_sim.render import STYLE, StaticLayers, global_view_into, player_frame_into

WORLD_W, WORLD_H = 1056.0, 600.0
FEATURE_BOUND = spec.FEATURE_BOUND
SPEED_SCALE = 5.0  # px/frame; typical running speed is ~3.3, falls reach ~6+

# Node type per entity type (see spec.NODE_TYPES).
_NODE_TYPE = np.full(64, 7, dtype=np.uint8)  # other_entity
_NODE_TYPE[4] = 2  # exit switch
_NODE_TYPE[3] = 3  # exit door
for _t in (1, 14, 20, 21, 25, 26, 28):
    _NODE_TYPE[_t] = 4  # hazard
_NODE_TYPE[2] = 5  # gold
for _t in (5, 6, 8):
    _NODE_TYPE[_t] = 6  # doors


@dataclass
class LevelContext:
    """Per-map constants of the observation (built once in ``begin_level``)."""

    layers: StaticLayers | None
    switch_row: int
    exit_row: int
    path_fields: np.ndarray  # (2, GH, GW) float64: geodesic cost to the switch, to the exit door
    cell_node_feats: np.ndarray  # (C, F) float32
    cell_node_of: np.ndarray  # (25*44,) int32: node row of each cell (x + 44*y grid incl. border), -1 if solid
    cell_edges: np.ndarray  # (2, Ec) int16
    cell_edge_types: np.ndarray  # (Ec,) uint8


def _graph_cells(tiles_inner: np.ndarray, cell_coverage: np.ndarray):
    """Nodes for the non-solid inner cells and their 4-neighbour edges (both directions)."""
    h, w = tiles_inner.shape  # 23, 42
    open_ = tiles_inner != 1
    node_of = np.full((25, 44), -1, dtype=np.int32)
    ys, xs = np.nonzero(open_)
    node_of[ys + 1, xs + 1] = np.arange(len(ys), dtype=np.int32)
    padded = np.ones((h + 2, w + 2), dtype=bool)
    padded[1:-1, 1:-1] = ~open_
    solid_nb = (
        padded[:-2, 1:-1].astype(np.int32) + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]
    )
    cell_cov = cell_coverage[1:-1, 1:-1]
    feats = np.zeros((len(ys), spec.NODE_FEATURES), dtype=np.float32)
    feats[:, 0] = ((xs + 1) * 24 + 12) / WORLD_W
    feats[:, 1] = ((ys + 1) * 24 + 12) / WORLD_H
    feats[:, 2] = solid_nb[ys, xs] / 4.0
    feats[:, 3] = cell_cov[ys, xs]
    feats[:, 5] = 1.0
    src, dst, typ = [], [], []
    inner = node_of[1:-1, 1:-1]
    for (a, b, t) in (
        (inner[:, :-1], inner[:, 1:], 0),  # horizontal neighbours
        (inner[:-1, :], inner[1:, :], 1),  # vertical neighbours
    ):
        both = (a >= 0) & (b >= 0)
        s, d = a[both], b[both]
        src += [s, d]
        dst += [d, s]
        typ += [np.full(2 * len(s), t, np.uint8)]
    edges = np.stack([np.concatenate(src), np.concatenate(dst)]).astype(np.int16)
    return feats, node_of.ravel(), edges, np.concatenate(typ)


@njit(cache=True, nogil=True)
def _clip(v):
    for i in range(v.shape[0]):
        if v[i] > FEATURE_BOUND:
            v[i] = FEATURE_BOUND
        elif v[i] < -FEATURE_BOUND:
            v[i] = -FEATURE_BOUND


def objective_rows(entity_type: np.ndarray, entity_int: np.ndarray) -> tuple[int, int]:
    """Entity rows of the exit switch (the last one) and of its exit door (-1 when absent)."""
    switches = np.flatnonzero(entity_type == 4)
    switch_row = int(switches[-1]) if switches.size else -1
    exit_row = int(entity_int[switch_row, E_LINK]) if switch_row >= 0 else -1
    if exit_row < 0 or exit_row >= len(entity_type) or entity_type[exit_row] != 3:
        doors = np.flatnonzero(entity_type == 3)
        exit_row = int(doors[-1]) if doors.size else -1
    return switch_row, exit_row


def path_fields(tiles, entity_float, entity_int, switch_row: int, exit_row: int) -> np.ndarray:
    """(2, GH, GW) geodesic cost fields to the exit switch and to the exit door (``INF`` where
    unreachable, as :mod:`npp_sim.planner.field` computes them; a missing switch or door gives an
    all-INF field). Mines cost extra to pass near, as for the planner."""
    from npp_sim.planner.field import (
        DOOR_GOAL_R,
        GRID_H,
        GRID_W,
        INF,
        MINE_TYPES,
        SWITCH_GOAL_R,
        DistanceField,
    )

    types = entity_int[:, E_TYPE]
    mines = np.flatnonzero(np.isin(types, MINE_TYPES))
    mine_xy = np.stack([entity_float[mines, EF_X], entity_float[mines, EF_Y]], axis=1) if mines.size else None
    field = DistanceField(tiles, mine_xy)
    out = np.full((2, GRID_H, GRID_W), INF)
    for k, (row, radius) in enumerate(((switch_row, SWITCH_GOAL_R), (exit_row, DOOR_GOAL_R))):
        if row >= 0:
            out[k] = field.to(float(entity_float[row, EF_X]), float(entity_float[row, EF_Y]), radius)
    return out


#: field values at or above this are unreachable (planner.field marks them INF = 1e18)
UNREACHABLE = 1e17


@njit(cache=True, nogil=True)
def _fill_path(field, x, y, out):
    """out[0:2] = offset to the point PATH_LOOKAHEAD_CELLS steepest-descent steps down ``field`` from
    (x, y), out[2] = the field's value at (x, y) (see observation_spec)."""
    gh = field.shape[0]
    gw = field.shape[1]
    if gh == 0:
        return
    cx = min(max(int(x // FIELD_CELL), 0), gw - 1)
    cy = min(max(int(y // FIELD_CELL), 0), gh - 1)
    d0 = field[cy, cx]
    if d0 >= UNREACHABLE:
        out[0] = 0.0
        out[1] = 0.0
        out[2] = FEATURE_BOUND
        return
    for _ in range(spec.PATH_LOOKAHEAD_CELLS):
        best = field[cy, cx]
        by = cy
        bx = cx
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                ny = cy + dy
                nx = cx + dx
                if 0 <= ny < gh and 0 <= nx < gw and field[ny, nx] < best:
                    best = field[ny, nx]
                    by = ny
                    bx = nx
        if by == cy and bx == cx:
            break
        cy = by
        cx = bx
    out[0] = ((cx + 0.5) * FIELD_CELL - x) / spec.PATH_OFFSET_PX
    out[1] = ((cy + 0.5) * FIELD_CELL - y) / spec.PATH_OFFSET_PX
    out[2] = d0 / spec.PATH_DISTANCE_PX


@njit(cache=True, nogil=True)
def _fill_mines(x, y, ef, ei, out):
    """The nearest deadly mines within range, nearest first: (dx, dy, 1) per slot (see the spec)."""
    slots = spec.MINE_SLOTS
    best_d = np.full(slots, np.inf)
    best_i = np.full(slots, -1, np.int64)
    for i in range(ei.shape[0]):
        t = ei[i, E_TYPE]
        if (t != 1 and t != 21) or ei[i, E_ACTIVE] == 0 or ei[i, E_STATE] != 0:
            continue
        d = np.hypot(ef[i, EF_X] - x, ef[i, EF_Y] - y)
        if d > spec.MINE_RANGE_PX or d >= best_d[slots - 1]:
            continue
        k = slots - 1
        while k > 0 and best_d[k - 1] > d:
            best_d[k] = best_d[k - 1]
            best_i[k] = best_i[k - 1]
            k -= 1
        best_d[k] = d
        best_i[k] = i
    for k in range(slots):
        i = best_i[k]
        if i >= 0:
            out[3 * k] = (ef[i, EF_X] - x) / spec.MINE_OFFSET_PX
            out[3 * k + 1] = (ef[i, EF_Y] - y) / spec.MINE_OFFSET_PX
            out[3 * k + 2] = 1.0


@njit(cache=True, nogil=True)
def _fill_game_state(nf, ni, ef, ei, switch_row, exit_row, switch_activated, frame, max_frames, fields, out):
    x = nf[N_X]
    y = nf[N_Y]
    out[:] = 0.0
    out[0] = x / WORLD_W
    out[1] = y / WORLD_H
    out[2] = nf[N_XS] / SPEED_SCALE
    out[3] = nf[N_YS] / SPEED_SCALE
    st = ni[N_STATE]
    if 0 <= st < 10:
        out[4 + st] = 1.0
    out[14] = ni[L.N_AIRBORN]
    out[15] = ni[L.N_WALLED]
    out[16] = nf[L.N_FNX]
    out[17] = nf[L.N_FNY]
    out[18] = nf[L.N_WALLN]
    out[19] = nf[L.N_CNY]
    out[20] = (ni[L.N_JBUF] + 1) / 6.0
    out[21] = (ni[L.N_FBUF] + 1) / 6.0
    out[22] = (ni[L.N_WBUF] + 1) / 6.0
    out[23] = (ni[L.N_LPBUF] + 1) / 5.0
    out[24] = ni[L.N_JDUR] / 45.0
    out[25] = 1.0 if switch_activated else 0.0
    out[26] = 1.0 - min(frame, max_frames) / max_frames
    if switch_row >= 0:
        out[27] = (ef[switch_row, EF_X] - x) / WORLD_W
        out[28] = (ef[switch_row, EF_Y] - y) / WORLD_H
    if exit_row >= 0:
        out[29] = (ef[exit_row, EF_X] - x) / WORLD_W
        out[30] = (ef[exit_row, EF_Y] - y) / WORLD_H
    if fields.shape[0] == 2:
        _fill_path(fields[1] if switch_activated else fields[0], x, y, out[31:34])
    out[34] = 1.0 if ni[L.N_JIN_OLD] != 0 else 0.0
    _fill_mines(x, y, ef, ei, out[35:35 + 3 * spec.MINE_SLOTS])
    _clip(out.ravel())


@njit(cache=True, nogil=True)
def _fill_entities(nf, ef, ei, out):
    out[:, :] = 0.0
    n = min(ef.shape[0], out.shape[0])
    x = nf[N_X]
    y = nf[N_Y]
    for i in range(n):
        out[i, 0] = 1.0
        out[i, 1] = ei[i, E_TYPE] / 40.0
        out[i, 2] = ef[i, EF_X] / WORLD_W
        out[i, 3] = ef[i, EF_Y] / WORLD_H
        out[i, 4] = (ef[i, EF_X] - x) / WORLD_W
        out[i, 5] = (ef[i, EF_Y] - y) / WORLD_H
        out[i, 6] = ei[i, E_ACTIVE]
        out[i, 7] = ei[i, E_STATE]
    _clip(out.ravel())


@njit(cache=True, nogil=True)
def _cell_node(node_of, x, y):
    cx = int(x // 24.0)
    cy = int(y // 24.0)
    if cx < 0 or cy < 0 or cx >= 44 or cy >= 25:
        return -1
    return node_of[cx + 44 * cy]


@njit(cache=True, nogil=True)
def _add_edge_pair(eidx, etypes, emask, n_edges, a, b, edge_type):
    """Append a -> b and b -> a with one type (nothing when b < 0 or the edge arrays are full)."""
    if b < 0 or n_edges + 2 > etypes.shape[0]:
        return n_edges
    eidx[0, n_edges] = a
    eidx[1, n_edges] = b
    eidx[0, n_edges + 1] = b
    eidx[1, n_edges + 1] = a
    etypes[n_edges] = edge_type
    etypes[n_edges + 1] = edge_type
    emask[n_edges] = 1
    emask[n_edges + 1] = 1
    return n_edges + 2


@njit(cache=True, nogil=True)
def _fill_graph(nf, ef, ei, node_type_of, cell_feats, node_of, cell_edges, cell_edge_types,
                feats, types, nmask, eidx, etypes, emask):
    n_cells = cell_feats.shape[0]
    max_nodes = feats.shape[0]
    feats[:, :] = 0.0
    types[:] = 0
    nmask[:] = 0
    eidx[:, :] = 0
    etypes[:] = 0
    emask[:] = 0
    feats[:n_cells] = cell_feats
    nmask[:n_cells] = 1
    n_edges = cell_edges.shape[1]
    eidx[:, :n_edges] = cell_edges
    etypes[:n_edges] = cell_edge_types
    emask[:n_edges] = 1
    node = n_cells
    n_ent = min(ef.shape[0], max_nodes - n_cells - 1)
    for i in range(n_ent):
        t = ei[i, E_TYPE]
        feats[node, 0] = ef[i, EF_X] / WORLD_W
        feats[node, 1] = ef[i, EF_Y] / WORLD_H
        feats[node, 4] = ei[i, E_STATE]
        feats[node, 5] = ei[i, E_ACTIVE]
        types[node] = node_type_of[t] if 0 <= t < node_type_of.shape[0] else 7
        nmask[node] = 1
        c = _cell_node(node_of, ef[i, EF_X], ef[i, EF_Y])
        n_edges = _add_edge_pair(eidx, etypes, emask, n_edges, node, c, 2)
        node += 1
    feats[node, 0] = nf[N_X] / WORLD_W
    feats[node, 1] = nf[N_Y] / WORLD_H
    feats[node, 4] = nf[N_XS] / SPEED_SCALE
    feats[node, 5] = nf[N_YS] / SPEED_SCALE
    types[node] = 1
    nmask[node] = 1
    _add_edge_pair(eidx, etypes, emask, n_edges, node, _cell_node(node_of, nf[N_X], nf[N_Y]), 3)
    _clip(feats[n_cells:node + 1].ravel())


@njit(cache=True, nogil=True)
def observe_into(nf, ni, ef, ei, switch_row, exit_row, fields, max_frames, style, layer_player, pf,
                 layer_global, gv, gs, ent, node_type_of, cell_feats, node_of, cell_edges,
                 cell_edge_types, g_feats, g_types, g_nmask, g_eidx, g_etypes, g_emask):
    """Every requested modality in one compiled call; an absent modality has a zero-size output."""
    x = nf[N_X]
    y = nf[N_Y]
    if pf.size:
        player_frame_into(layer_player, x, y, ef, ei, style, pf[0])
    if gv.size:
        global_view_into(layer_global, x, y, ef, ei, style, gv[0])
    if gs.size:
        switched = switch_row >= 0 and ei[switch_row, E_ACTIVE] == 0  # as Simulator.switch_activated
        _fill_game_state(nf, ni, ef, ei, switch_row, exit_row, switched, ni[N_FRAME], max_frames, fields, gs)
    if ent.size:
        _fill_entities(nf, ef, ei, ent)
    if g_feats.size:
        _fill_graph(nf, ef, ei, node_type_of, cell_feats, node_of, cell_edges, cell_edge_types,
                    g_feats, g_types, g_nmask, g_eidx, g_etypes, g_emask)


@njit(cache=True, nogil=True)
def regenerate_into(state, statics, hor, jump, stride, switch_row, exit_row, fields, max_frames, style,
                    layer_player, pf, layer_global, gv, gs, ent, node_type_of, cell_feats, node_of,
                    cell_edges, cell_edge_types, g_feats, g_types, g_nmask, g_eidx, g_etypes, g_emask):
    """Play a whole replay from ``state`` and observe every ``stride``-th frame into row t // stride."""
    nf = state[0]
    ni = state[1]
    ef = state[2]
    ei = state[3]
    for t in range(hor.shape[0]):
        if t % stride == 0:
            r = t // stride
            observe_into(nf, ni, ef, ei, switch_row, exit_row, fields, max_frames, style,
                         layer_player, pf[r] if pf.size else pf[:0, 0],
                         layer_global, gv[r] if gv.size else gv[:0, 0],
                         gs[r] if gs.size else gs[:0, 0], ent[r] if ent.size else ent[:0, 0],
                         node_type_of, cell_feats, node_of, cell_edges, cell_edge_types,
                         g_feats[r] if g_feats.size else g_feats[:0, 0],
                         g_types[r] if g_types.size else g_types[:0, 0],
                         g_nmask[r] if g_nmask.size else g_nmask[:0, 0],
                         g_eidx[r] if g_eidx.size else g_eidx[:0, 0],
                         g_etypes[r] if g_etypes.size else g_etypes[:0, 0],
                         g_emask[r] if g_emask.size else g_emask[:0, 0])
        tick(*state, *statics, hor[t], jump[t])


# Zero-size stand-ins for modalities that are not requested (one compiled signature for all configs).
_EMPTY_SHAPES = {
    "player_frame": (0, 0, 0), "global_view": (0, 0, 0), "game_state": (0,), "entities": (0, 0),
    "graph_node_feats": (0, 0), "graph_node_types": (0,), "graph_node_mask": (0,),
    "graph_edge_index": (0, 0), "graph_edge_types": (0,), "graph_edge_mask": (0,),
}  # fmt: skip
_OUTPUT_ORDER = tuple(_EMPTY_SHAPES)


class ObservationBuilder:
    """Builds observations for a chosen set of modalities (see :mod:`npp_sim.observation_spec`)."""

    def __init__(self, modalities: Sequence[str], max_frames: int = 20000):
        self.modalities = tuple(modalities)
        self.keys = spec.observation_keys(self.modalities)
        self.space = spec.observation_space(self.modalities)
        if max_frames <= 0:
            raise ValueError(f"max_frames must be positive, got {max_frames}")
        self.max_frames = int(max_frames)
        self._ctx: LevelContext | None = None
        self._ctx_level = None
        self._path_cache: dict[int, tuple] = {}  # id(level) -> (level, path fields), levels kept alive
        full = spec.observation_space(spec.MODALITIES)
        self._dtypes = {k: full.spaces[k].dtype for k in _OUTPUT_ORDER}

    def begin_level(self, sim) -> LevelContext:
        """Cache the per-map parts for ``sim``'s level (a no-op when the level is unchanged)."""
        level = sim.level
        if self._ctx is not None and self._ctx_level is level:
            return self._ctx
        ei = sim.entity_int
        switch_row, exit_row = objective_rows(sim.entity_type, ei)
        needs_layers = any(m in self.modalities for m in ("player_frame", "global_view", "graph"))
        layers = StaticLayers(level.inner_tiles) if needs_layers else None
        if "graph" in self.modalities:
            feats, node_of, edges, etypes = _graph_cells(np.asarray(level.inner_tiles), layers.cell_coverage)
        else:
            feats = np.zeros((0, spec.NODE_FEATURES), np.float32)
            node_of = np.zeros(0, np.int32)
            edges = np.zeros((2, 0), np.int16)
            etypes = np.zeros(0, np.uint8)
        if "game_state" in self.modalities:
            fields = self._path_cache.get(id(level), (None, None))[1]
            if self._path_cache.get(id(level), (None,))[0] is not level:
                fields = path_fields(level.tiles, sim.entity_float, ei, switch_row, exit_row)
                if len(self._path_cache) >= 256:  # bounded: an env cycles through its levels
                    self._path_cache.pop(next(iter(self._path_cache)))
                self._path_cache[id(level)] = (level, fields)
        else:
            fields = np.zeros((0, 0, 0), np.float64)
        self._ctx = LevelContext(layers, switch_row, exit_row, fields, feats, node_of, edges, etypes)
        self._ctx_level = level
        return self._ctx

    def allocate(self) -> dict[str, np.ndarray]:
        return {k: np.zeros(s.shape, dtype=s.dtype) for k, s in self.space.spaces.items()}

    def _empty(self, key: str, batch: int | None = None) -> np.ndarray:
        dtype = self._dtypes[key]
        shape = _EMPTY_SHAPES[key]
        return np.zeros(shape if batch is None else (batch, *shape), dtype=dtype)

    def _level_args(self, ctx: LevelContext) -> tuple:
        layers = ctx.layers
        empty2 = np.zeros((0, 0), np.uint8)
        return (
            layers.player if layers is not None else empty2,
            layers.global_ if layers is not None else empty2,
        )

    def observe(self, sim, out: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """The observation of ``sim``'s current state (fills and returns ``out`` when given)."""
        ctx = self.begin_level(sim)
        if out is None:
            out = self.allocate()
        o = [out[k] if k in out else self._empty(k) for k in _OUTPUT_ORDER]
        lp, lg = self._level_args(ctx)
        observe_into(sim.ninja_float, sim.ninja_int, sim.entity_float, sim.entity_int,
                     ctx.switch_row, ctx.exit_row, ctx.path_fields, self.max_frames, STYLE, lp, o[0], lg, o[1],
                     o[2], o[3],
                     _NODE_TYPE, ctx.cell_node_feats, ctx.cell_node_of, ctx.cell_edges, ctx.cell_edge_types,
                     o[4], o[5], o[6], o[7], o[8], o[9])
        return out

    def observe_replay(self, sim, hor: np.ndarray, jump: np.ndarray, stride: int = 1) -> dict[str, np.ndarray]:
        """Play ``hor``/``jump`` from ``sim``'s current state in one compiled call; observation of the
        state before every ``stride``-th input, stacked along a new first axis."""
        ctx = self.begin_level(sim)
        n = (len(hor) + stride - 1) // stride
        out = {k: np.zeros((n, *s.shape), dtype=s.dtype) for k, s in self.space.spaces.items()}
        o = [out[k] if k in out else self._empty(k, 1) for k in _OUTPUT_ORDER]
        lp, lg = self._level_args(ctx)
        regenerate_into(sim._state, sim._statics, np.ascontiguousarray(hor, np.int64),
                        np.ascontiguousarray(jump, np.int64), int(stride), ctx.switch_row, ctx.exit_row,
                        ctx.path_fields, self.max_frames, STYLE, lp, o[0], lg, o[1], o[2], o[3], _NODE_TYPE,
                        ctx.cell_node_feats, ctx.cell_node_of, ctx.cell_edges, ctx.cell_edge_types,
                        o[4], o[5], o[6], o[7], o[8], o[9])
        return out
