"""Tile shapes and the per-map collision geometry built from them.

Every 24-px cell of the 44 x 25 grid holds one tile id (0-37). A tile contributes three things:

* **Grid edges** on the 12-px half-cell lattice (used by drones, thwumps and shove thwumps to decide
  whether they may move into the next half cell). Each tile lists 6 horizontal half edges (left to
  right within the top, middle and bottom lines) and 6 vertical half edges (top to bottom within the
  left, middle and right lines). Edges are combined with XOR over all tiles, starting from 1 on the
  outermost lattice lines, so an edge shared by two solid tiles vanishes.
* **Orthogonal segments** on the same half edges, with a facing: -1 for a surface whose free side is
  up/left, +1 for down/right. Facings from neighbouring tiles are summed, so two opposite faces cancel.
  A surviving half edge becomes one oriented linear segment stored in the cell on its solid side.
* **One diagonal segment or one quarter-circle arc** (convex quarter moons, concave quarter pipes)
  stored in the tile's own cell.

The result is a compact CSR table: segments of cell (x, y) are ``cell_start[x*25+y] .. cell_start[x*25+y+1]``,
in this order: the tile's diagonal/arc, then horizontal half edges by (x, y), then vertical ones by
(x, y). Collision queries walk
cells column by column (x outer, y inner) so the visiting order matches the reference simulator.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

GRID_W, GRID_H = 44, 25
HALF_W, HALF_H = 89, 51  # half-cell lattice dimensions (node indices)
N_CELLS = GRID_W * GRID_H

# Segment kinds in ``seg_kind``
SEG_LINE = 0  # one-sided (tile) linear segment
SEG_LINE_2S = 1  # two-sided linear segment (not produced by tiles)
SEG_ARC_CONVEX = 2
SEG_ARC_CONCAVE = 3

# Columns of ``seg_f``. Lines: x1, y1, x2, y2, px, py (= p2 - p1), lensq, len, unit direction.
# Arcs: centre, quadrant signs (hor, ver), radius.
SF_X1, SF_Y1, SF_X2, SF_Y2, SF_PX, SF_PY, SF_LENSQ, SF_LEN, SF_NX, SF_NY = range(10)
SF_CX, SF_CY, SF_HOR, SF_VER, SF_RAD = 0, 1, 2, 3, 4
# bounding box of every segment (used only to skip segments that cannot matter)
SF_BX0, SF_BY0, SF_BX1, SF_BY1 = 10, 11, 12, 13
SEG_COLS = 14

# --- tile tables -----------------------------------------------------------------------------
# Per tile id: 12 grid-edge flags ("h h h h h h v v v v v v") and 12 orthogonal facings in the
# same order ('-' = -1, '.' = 0, '+' = +1).
_EDGE_TABLE = """
0  000000000000 ............
1  110011110011 --..++--..++
2  111100100010 --++..-...+.
3  010001001111 .-...+..--++
4  001111010001 ..--++.-...+
5  100010111100 -...+.--++..
6  110110110110 --....--....
7  111001100111 --........++
8  011011011011 ....++....++
9  100111111001 ....++--....
10 110011110011 --....--....
11 110011110011 --........++
12 110011110011 ....++....++
13 110011110011 ....++--....
14 110110110110 --....--....
15 111001100111 --........++
16 011011011011 ....++....++
17 100111111001 ....++--....
18 111100100010 --....-.....
19 111100100010 --........+.
20 001111010001 ....++.....+
21 001111010001 ....++.-....
22 110011110011 --....--..+.
23 110011110011 --....-...++
24 110011110011 ....++.-..++
25 110011110011 ....++--...+
26 100010111100 -.....--....
27 010001001111 .-........++
28 010001001111 .....+....++
29 100010111100 ....+.--....
30 110011110011 --..+.--....
31 110011110011 --...+....++
32 110011110011 .-..++....++
33 110011110011 -...++--....
34 110000000000 --..........
35 000000000011 ..........++
36 000011000000 ....++......
37 000000110000 ......--....
"""

# Diagonal segment endpoints inside the 24-px cell: tile id -> (x1, y1, x2, y2)
_DIAGONALS = {
    6: (0, 24, 24, 0), 7: (0, 0, 24, 24), 8: (24, 0, 0, 24), 9: (24, 24, 0, 0),
    18: (0, 12, 24, 0), 19: (0, 0, 24, 12), 20: (24, 12, 0, 24), 21: (24, 24, 0, 12),
    22: (0, 24, 24, 12), 23: (0, 12, 24, 24), 24: (24, 0, 0, 12), 25: (24, 12, 0, 0),
    26: (0, 24, 12, 0), 27: (12, 0, 24, 24), 28: (24, 0, 12, 24), 29: (12, 24, 0, 0),
    30: (12, 24, 24, 0), 31: (0, 0, 12, 24), 32: (12, 0, 0, 24), 33: (24, 24, 12, 0),
}

# Quarter arcs: tile id -> (centre x, centre y, quadrant x sign, quadrant y sign, convex)
_ARCS = {
    10: (0, 0, 1, 1, 1), 11: (24, 0, -1, 1, 1), 12: (24, 24, -1, -1, 1), 13: (0, 24, 1, -1, 1),
    14: (24, 24, -1, -1, 0), 15: (0, 24, 1, -1, 0), 16: (0, 0, 1, 1, 0), 17: (24, 0, -1, 1, 0),
}


def _build_tables():
    edges = np.zeros((256, 12), dtype=np.int8)
    ortho = np.zeros((256, 12), dtype=np.int8)
    diag = np.full((256, 4), -1.0)
    arc = np.full((256, 5), 0.0)
    kind = np.zeros(256, dtype=np.int8)  # 0 none, 1 diagonal, 2 arc
    face = {"-": -1, ".": 0, "+": 1}
    for line in _EDGE_TABLE.strip().splitlines():
        tid, e, o = line.split()
        t = int(tid)
        edges[t] = [int(c) for c in e]
        ortho[t] = [face[c] for c in o]
    for t, v in _DIAGONALS.items():
        diag[t] = v
        kind[t] = 1
    for t, v in _ARCS.items():
        arc[t] = v
        kind[t] = 2
    return edges, ortho, diag, arc, kind


TILE_EDGES, TILE_ORTHO, TILE_DIAG, TILE_ARC, TILE_SHAPE = _build_tables()


@njit(cache=True)
def _half_cell(h, s):
    """Cell index (along the edge's normal) of a half edge at lattice line h with facing s:
    ``floor((h - 0.1 * s) / 2)``, i.e. the cell on the solid side of the edge."""
    if s == 1:
        return (h - 1) // 2
    if s == -1:
        return h // 2
    return int(np.floor((h - 0.1 * s) / 2))


@njit(cache=True)
def _build_geometry(tiles_xy, t_edges, t_ortho, t_diag, t_arc, t_shape):
    """Build grid edges and the per-cell segment table from a (44, 25) tile grid indexed [x, y].

    Returns (hor_edges, ver_edges, cell_start, seg_kind, seg_f).
    """
    hor_e = np.zeros((HALF_W, HALF_H), dtype=np.int32)
    ver_e = np.zeros((HALF_W, HALF_H), dtype=np.int32)
    hor_s = np.zeros((HALF_W, HALF_H), dtype=np.int32)
    ver_s = np.zeros((HALF_W, HALF_H), dtype=np.int32)
    for x in range(HALF_W):
        hor_e[x, 0] = 1
        hor_e[x, HALF_H - 1] = 1
    for y in range(HALF_H):
        ver_e[0, y] = 1
        ver_e[HALF_W - 1, y] = 1
    n_shape = 0
    for cx in range(GRID_W):
        for cy in range(GRID_H):
            t = tiles_xy[cx, cy]
            if t == 0:
                continue
            if t_shape[t] != 0:
                n_shape += 1
            for r in range(3):
                for c in range(2):
                    k = 2 * r + c
                    hor_e[2 * cx + c, 2 * cy + r] ^= t_edges[t, k]  # edges combine by XOR
                    hor_s[2 * cx + c, 2 * cy + r] += t_ortho[t, k]
            for c in range(3):
                for r in range(2):
                    k = 2 * c + r + 6
                    ver_e[2 * cx + c, 2 * cy + r] ^= t_edges[t, k]
                    ver_s[2 * cx + c, 2 * cy + r] += t_ortho[t, k]

    # generate segments in reference order (tile shapes, horizontal, vertical half edges) with
    # their cell, then stable counting sort by cell
    cap = n_shape
    for hx in range(HALF_W):
        for hy in range(HALF_H):
            if hor_s[hx, hy] != 0:
                cap += 1
            if ver_s[hx, hy] != 0:
                cap += 1
    g_cell = np.empty(cap, dtype=np.int32)
    g_kind = np.empty(cap, dtype=np.int8)
    g_f = np.empty((cap, 5), dtype=np.float64)
    n = 0
    for cx in range(GRID_W):
        for cy in range(GRID_H):
            t = tiles_xy[cx, cy]
            shape = t_shape[t]
            if shape == 0:
                continue
            xtl = cx * 24.0
            ytl = cy * 24.0
            g_cell[n] = cx * GRID_H + cy
            if shape == 1:
                g_kind[n] = SEG_LINE
                g_f[n, 0] = xtl + t_diag[t, 0]
                g_f[n, 1] = ytl + t_diag[t, 1]
                g_f[n, 2] = xtl + t_diag[t, 2]
                g_f[n, 3] = ytl + t_diag[t, 3]
            else:
                g_kind[n] = SEG_ARC_CONVEX if t_arc[t, 4] != 0 else SEG_ARC_CONCAVE
                g_f[n, 0] = xtl + t_arc[t, 0]
                g_f[n, 1] = ytl + t_arc[t, 1]
                g_f[n, 2] = t_arc[t, 2]
                g_f[n, 3] = t_arc[t, 3]
            n += 1
    for hx in range(HALF_W):
        for hy in range(HALF_H):
            s = hor_s[hx, hy]
            if s != 0:
                g_cell[n] = (hx // 2) * GRID_H + _half_cell(hy, s)
                g_kind[n] = SEG_LINE
                if s == -1:
                    g_f[n, 0] = 12.0 * hx + 12.0
                    g_f[n, 2] = 12.0 * hx
                else:
                    g_f[n, 0] = 12.0 * hx
                    g_f[n, 2] = 12.0 * hx + 12.0
                g_f[n, 1] = 12.0 * hy
                g_f[n, 3] = 12.0 * hy
                n += 1
    for hx in range(HALF_W):
        for hy in range(HALF_H):
            s = ver_s[hx, hy]
            if s != 0:
                g_cell[n] = _half_cell(hx, s) * GRID_H + hy // 2
                g_kind[n] = SEG_LINE
                g_f[n, 0] = 12.0 * hx
                g_f[n, 2] = 12.0 * hx
                if s == -1:
                    g_f[n, 1] = 12.0 * hy
                    g_f[n, 3] = 12.0 * hy + 12.0
                else:
                    g_f[n, 1] = 12.0 * hy + 12.0
                    g_f[n, 3] = 12.0 * hy
                n += 1

    cell_start = np.zeros(N_CELLS + 1, dtype=np.int32)
    for k in range(n):
        cell_start[g_cell[k] + 1] += 1
    for i in range(N_CELLS):
        cell_start[i + 1] += cell_start[i]
    fill = cell_start[:N_CELLS].copy()
    seg_kind = np.zeros(n, dtype=np.int8)
    seg_f = np.zeros((n, SEG_COLS), dtype=np.float64)
    for k in range(n):
        i = fill[g_cell[k]]
        fill[g_cell[k]] += 1
        kind = g_kind[k]
        seg_kind[i] = kind
        if kind == SEG_LINE:
            _set_line(seg_f, i, g_f[k, 0], g_f[k, 1], g_f[k, 2], g_f[k, 3])
        else:
            seg_f[i, SF_CX] = g_f[k, 0]
            seg_f[i, SF_CY] = g_f[k, 1]
            seg_f[i, SF_HOR] = g_f[k, 2]
            seg_f[i, SF_VER] = g_f[k, 3]
            seg_f[i, SF_RAD] = 24.0
            ex = g_f[k, 0] + 24.0 * g_f[k, 2]
            ey = g_f[k, 1] + 24.0 * g_f[k, 3]
            seg_f[i, SF_BX0] = min(g_f[k, 0], ex)
            seg_f[i, SF_BX1] = max(g_f[k, 0], ex)
            seg_f[i, SF_BY0] = min(g_f[k, 1], ey)
            seg_f[i, SF_BY1] = max(g_f[k, 1], ey)
    return hor_e, ver_e, cell_start, seg_kind, seg_f


@njit(cache=True)
def _set_line(seg_f, i, x1, y1, x2, y2):
    seg_f[i, SF_X1] = x1
    seg_f[i, SF_Y1] = y1
    seg_f[i, SF_X2] = x2
    seg_f[i, SF_Y2] = y2
    px = x2 - x1
    py = y2 - y1
    seg_f[i, SF_PX] = px
    seg_f[i, SF_PY] = py
    lensq = px * px + py * py
    seg_f[i, SF_LENSQ] = lensq if lensq != 0.0 else 1e-9
    seg_f[i, SF_BX0] = min(x1, x2)
    seg_f[i, SF_BX1] = max(x1, x2)
    seg_f[i, SF_BY0] = min(y1, y2)
    seg_f[i, SF_BY1] = max(y1, y2)
    seg_len = math.sqrt(px ** 2 + py ** 2)
    seg_f[i, SF_LEN] = seg_len
    if seg_len > 0:
        seg_f[i, SF_NX] = px / seg_len
        seg_f[i, SF_NY] = py / seg_len


def build_geometry(tiles: np.ndarray):
    """Build collision geometry for a (25, 44) [row, column] tile grid (border included).

    Tile ids 34 and above (glitched tiles) have no collision at all: no segments, no grid edges.
    Returns ``(hor_edges, ver_edges, cell_start, seg_kind, seg_f)``.
    """
    t = np.asarray(tiles, dtype=np.uint8)
    tiles_xy = np.ascontiguousarray(np.where(t >= 34, 0, t).T.astype(np.uint8))
    return _build_geometry(tiles_xy, TILE_EDGES, TILE_ORTHO, TILE_DIAG, TILE_ARC, TILE_SHAPE)
