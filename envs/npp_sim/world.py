"""Compiled map loading: raw map bytes -> entity table -> initial simulation state.

Loading is part of the replay-throughput budget, so both steps are numba functions without
Python objects: :func:`parse_records` walks the entity records (see :mod:`npp_sim.map_data` for
the byte layout, :mod:`npp_sim.map_layout` for its constants) and :func:`build_world` turns
tiles + records into geometry, the entity tables, the entity grid and the update orders. :func:`simulate_bytes` chains parse, build and a whole
replay in a single call (the batch fast path).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import kernel as K
from . import layout as L
from .map_layout import (
    ENTITY_OFFSET,
    ERR_DOOR_SWITCH,
    ERR_EXIT_SWITCH,
    ERR_OK,
    ERR_SHORT,
    MIN_MAP_BYTES,
    TILE_OFFSET,
)
from .tiles import (
    N_CELLS,
    TILE_ARC,
    TILE_DIAG,
    TILE_EDGES,
    TILE_ORTHO,
    TILE_SHAPE,
    _build_geometry,
)

MOVABLE_TYPES = np.array([14, 17, 20, 24, 26], dtype=np.int64)  # ascending
THINKING_TYPES = np.array([1, 5, 20, 21, 25, 28], dtype=np.int64)  # ascending


@njit(cache=True)
def _put_record(rec, k, t, x, y, o, m, sx, sy, link, at):
    """Row ``k`` of the record table (columns as :func:`parse_records` documents them)."""
    rec[k, 0] = t
    rec[k, 1] = x
    rec[k, 2] = y
    rec[k, 3] = o
    rec[k, 4] = m
    rec[k, 5] = sx
    rec[k, 6] = sy
    rec[k, 7] = link
    rec[k, 8] = at


@njit(cache=True)
def parse_records(md, supported, silent):
    """Walk the entity records of raw map data.

    Returns ``(err, err_at, tiles, exit_count, db_count, rec, skipped)``: ``rec`` is an int64
    (N, 9) table with columns type, x, y, orientation, mode, switch x, switch y (all in map
    units), linked row and byte offset; ``skipped`` counts unsupported types (256 bins).
    """
    n = md.shape[0]
    tiles = np.ones((25, 44), dtype=np.uint8)
    skipped = np.zeros(256, dtype=np.int64)
    rec = np.zeros(((max(n - ENTITY_OFFSET, 0)) // 5 * 2 + 2, 9), dtype=np.int64)
    if n < MIN_MAP_BYTES:
        return ERR_SHORT, n, tiles, 0, 0, rec[:0], skipped
    for y in range(23):
        for x in range(42):
            tiles[y + 1, x + 1] = md[TILE_OFFSET + x + 42 * y]
    exit_count = np.int64(md[1156])
    db_count = np.int64(md[1200])
    k = 0
    index = ENTITY_OFFSET
    while index + 4 < n:
        t = np.int64(md[index])
        x = np.int64(md[index + 1])
        y = np.int64(md[index + 2])
        o = np.int64(md[index + 3])
        m = np.int64(md[index + 4])
        if t == 3:
            j = index + 5 * exit_count
            if j + 2 >= n:
                return ERR_EXIT_SWITCH, index, tiles, exit_count, db_count, rec[:0], skipped
            _put_record(rec, k, 3, x, y, o, m, x, y, k + 1, index)
            sx = np.int64(md[j + 1])
            sy = np.int64(md[j + 2])
            _put_record(rec, k + 1, 4, sx, sy, 0, 0, sx, sy, k, j)
            k += 2
        elif supported[t]:
            sx = x
            sy = y
            if t == 6 or t == 8:
                if index + 7 >= n:
                    return ERR_DOOR_SWITCH, index, tiles, exit_count, db_count, rec[:0], skipped
                sx = np.int64(md[index + 6])
                sy = np.int64(md[index + 7])
            _put_record(rec, k, t, x, y, o, m, sx, sy, -1, index)
            k += 1
        elif not silent[t]:
            skipped[t] += 1
        if t == 6 or t == 8:
            if index + 9 < n and md[index + 7] != 0 and md[index + 8] == 0 and md[index + 9] == 0:
                index += 10
            else:
                index += 9
        else:
            index += 5
    return ERR_OK, 0, tiles, exit_count, db_count, rec[:k], skipped


@njit(cache=True)
def _ordered_rows(types, wanted):
    out = np.empty(types.shape[0], dtype=np.int64)
    k = 0
    for w in wanted:
        for e in range(types.shape[0]):
            if types[e] == w:
                out[k] = e
                k += 1
    return out[:k].copy()


@njit(cache=True)
def build_world(tiles, spawn_x, spawn_y, rec, db_count):
    """Initial state and static tables for a map (``rec`` as produced by :func:`parse_records`)."""
    tiles_xy = np.empty((44, 25), dtype=np.uint8)
    for y in range(25):
        for x in range(44):
            t = tiles[y, x]
            tiles_xy[x, y] = 0 if t >= 34 else t  # glitched tiles have no collision
    hor_e, ver_e, geo_start, seg_kind, seg_f = _build_geometry(
        tiles_xy, TILE_EDGES, TILE_ORTHO, TILE_DIAG, TILE_ARC, TILE_SHAPE)

    n = rec.shape[0]
    ef = np.zeros((n, L.EF_COLS), dtype=np.float64)
    ei = np.zeros((n, L.EI_COLS), dtype=np.int64)
    type_count = np.zeros(256, dtype=np.int64)
    types = np.empty(n, dtype=np.int64)
    last_switch = -1
    for e in range(n):
        t = rec[e, 0]
        types[e] = t
        x = rec[e, 1] * 6.0
        y = rec[e, 2] * 6.0
        o = rec[e, 3]
        ei[e, L.E_TYPE] = t
        ei[e, L.E_ACTIVE] = 1
        ei[e, L.E_ORI] = o
        ei[e, L.E_MODE] = rec[e, 4]
        ei[e, L.E_LINK] = -1
        ei[e, L.E_SEG] = -1
        ei[e, L.E_TIDX] = type_count[t]
        type_count[t] += 1
        ef[e, L.EF_X] = x
        ef[e, L.EF_Y] = y
        ef[e, L.EF_XO] = x
        ef[e, L.EF_YO] = y
        ef[e, L.EF_XT] = x
        ef[e, L.EF_YT] = y
        if t == 3 or t == 4:
            ei[e, L.E_LINK] = rec[e, 7]
            if t == 4:
                last_switch = e
        elif t == 21:
            ei[e, L.E_STATE] = 1  # toggle mines start safe
        elif t == 5 or t == 6 or t == 8:
            vx, vy = K.orientation_vector(o % 8)
            dcx = K._clampi(math.floor((x - 12 * vx) / 24), 0, 43)
            dcy = K._clampi(math.floor((y - 12 * vy) / 24), 0, 24)
            hx = 2 * (dcx + 1)
            hy = 2 * (dcy + 1)
            if o == 0 or o == 4:
                ei[e, L.E_VERT] = 1
                ei[e, L.E_EDGE_X] = hx
                ei[e, L.E_EDGE_Y] = hy - 2
                ver_e[hx, hy - 2] += 1
                ver_e[hx, hy - 1] += 1
            else:
                ei[e, L.E_EDGE_X] = hx - 2
                ei[e, L.E_EDGE_Y] = hy
                hor_e[hx - 2, hy] += 1
                hor_e[hx - 1, hy] += 1
            ei[e, L.E_CLOSED] = 1
            if t == 8:  # trap doors start open
                K.door_set_closed(ei, hor_e, ver_e, e, False)
            # the door entity itself sits on its switch
            ef[e, L.EF_X] = rec[e, 5] * 6.0
            ef[e, L.EF_Y] = rec[e, 6] * 6.0
        elif t == 10 or t == 11:
            vx, vy = K.orientation_vector(o % 8)
            ef[e, L.EF_NX] = vx
            ef[e, L.EF_NY] = vy
        elif t == 14 or t == 26:
            ef[e, L.EF_SPEED] = 8 / 7 if t == 14 else 1.3
            ef[e, L.EF_RAD] = 7.5 if t == 14 else 4.0
            ef[e, L.EF_GRIDW] = 24.0 if t == 14 else 12.0
            ei[e, L.E_DIR] = o // 2
        elif t == 20:
            ei[e, L.E_VERT] = 1 if (o == 0 or o == 4) else 0  # 1: moves horizontally
            ei[e, L.E_DIR] = 1 if (o == 0 or o == 2) else -1
        ei[e, L.E_CELL] = K.entity_cell(ef[e, L.EF_X], ef[e, L.EF_Y])

    ghead = np.full(N_CELLS, -1, dtype=np.int32)
    gtail = np.full(N_CELLS, -1, dtype=np.int32)
    enext = np.full(max(n, 1), -1, dtype=np.int32)
    eprev = np.full(max(n, 1), -1, dtype=np.int32)
    for e in range(n):
        if types[e] != 3:  # exit doors join the grid when their switch is hit
            K.grid_append(ghead, gtail, enext, eprev, e, ei[e, L.E_CELL])

    order_move = _ordered_rows(types, MOVABLE_TYPES)
    order_think = _ordered_rows(types, THINKING_TYPES)
    db_ids = _ordered_rows(types, np.array([25], dtype=np.int64))
    scratch = np.zeros(max(n, 1), dtype=np.int64)

    nf = np.zeros(L.NF_SIZE, dtype=np.float64)
    ni = np.zeros(L.NI_SIZE, dtype=np.int64)
    nf[L.N_X] = spawn_x
    nf[L.N_Y] = spawn_y
    nf[L.N_GRAV] = K.GRAVITY_FALL
    nf[L.N_DRAG] = K.DRAG_REGULAR
    nf[L.N_FNY] = -1.0
    nf[L.N_CNY] = 1.0
    ni[L.N_JBUF] = -1
    ni[L.N_FBUF] = -1
    ni[L.N_WBUF] = -1
    ni[L.N_LPBUF] = -1
    return (nf, ni, ef, ei, ghead, gtail, enext, eprev, hor_e, ver_e,
            geo_start, seg_kind, seg_f, order_move, order_think, db_ids, np.int64(db_count),
            scratch, np.int64(last_switch))


@njit(cache=True)
def simulate_bytes(md, inputs, left_wins, supported, silent, out_f, out_s):
    """Parse raw map bytes, build the world, decode the input bytes and run them all.

    Returns (err, err_at, skipped, outcome, outcome_frame).
    """
    err, err_at, tiles, exit_count, db_count, rec, skipped = parse_records(md, supported, silent)
    if err != ERR_OK:
        return err, err_at, skipped, 0, -1
    hor, jump = K.decode_input_bytes(inputs, left_wins)
    sx = md[ENTITY_OFFSET + 1] * 6.0
    sy = md[ENTITY_OFFSET + 2] * 6.0
    (nf, ni, ef, ei, ghead, gtail, enext, eprev, hor_e, ver_e, geo_start, seg_kind, seg_f,
     order_move, order_think, db_ids, dbc, scratch, last_switch) = build_world(
        tiles, sx, sy, rec, db_count)
    outcome, when = K.run_replay(nf, ni, ef, ei, ghead, gtail, enext, eprev, hor_e, ver_e,
                                 geo_start, seg_kind, seg_f, order_move, order_think, db_ids, dbc,
                                 scratch, last_switch, hor, jump, out_f, out_s, 0)
    return err, err_at, skipped, outcome, when
