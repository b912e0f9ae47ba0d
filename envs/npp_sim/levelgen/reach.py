"""A conservative reachability check on the tile grid ("does this level look solvable?").

This is deliberately not physics. It is a breadth-first search over the empty cells of the
42 x 23 inner grid (wrapped in the simulator's solid border) with a few move rules that a ninja
can certainly perform in N++ (radius 10 px, 24-px cells, so it fits through one-cell gaps):

* **Solid**: every non-empty tile counts as solid (slopes, half tiles and quarter pipes included).
  That removes free space but also lets the search stand on such tiles; the generator only puts
  them where standing on them is possible (ramps at steps, ceiling corners).
* **Standing cell** (solid directly below): walk one cell left or right; or jump: rise straight up
  1..``JUMP_UP`` (= 3) empty cells, and from any cell of that rise move sideways up to
  ``JUMP_SIDE`` (= 4) empty cells in one direction. A full jump raises the ninja's centre about
  4 tiles and carries it much further than 4 tiles sideways, so 3 up / 4 across is a safe subset.
* **Air cell** (nothing below, not a shaft): fall one cell straight down, or drift one cell
  sideways per cell fallen (both the side cell and the cell below must be empty). Falling from
  rest covers a tile sideways per tile fallen after the first with air control alone.
  The search state carries the rows fallen since the last support (apex of a jump, ledge, shaft)
  and never falls more than ``MAX_FALL`` (= 8) rows. Measured in our simulator (walking off a
  ledge): a 10-row drop lands at 4.63 px/frame and survives, an 11-row drop (4.84 px/frame) is an
  impact death (threshold 4.67 on flat floor); 8 rows leaves two rows of margin for a jump apex
  higher than the search assumes. Sliding down a shaft resets the count (wall friction).
* **Shaft cell** (solid on both sides, nothing below; a one-wide vertical corridor): climb up or
  down one cell (wall jumps between the two walls), and jump out at the top like a standing cell
  but rising at most ``SHAFT_JUMP_UP`` (= 2) cells. Climbing a single wall is not modelled.
* **Hazards**: each mine or toggle mine (always placed at a cell centre) forbids its cell and the
  8 neighbours: a ninja centre anywhere in an adjacent cell can come within 14 px (ninja radius
  10 + mine radius 4) of the mine, one cell further it cannot. Forbidden cells are never entered
  (they still are not solid). A closed locked door is treated as a solid cell.

Not modelled (so never relied on): momentum tricks, single-wall climbing, slope boosts, launch
pads, bounce blocks, drones. The reachable set is meant to be a subset of what a skilled player
can reach, which is what a "solvable-looking" check needs. It is an approximation, not a proof:
cell-level moves ignore exact trajectories (e.g. a jump's arc near a ceiling lip) and timing
puzzles (toggle mines turning deadly behind the ninja). ``tests/levelgen/test_lvl_reach.py`` checks
in the simulator that the three moves it leans on (3-row jump onto a ledge, shaft climb,
``MAX_FALL`` drop) are physically possible.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .mapfile import MAP_H, MAP_W

__all__ = ["JUMP_UP", "JUMP_SIDE", "SHAFT_JUMP_UP", "MAX_FALL", "padded_solid", "hazard_mask", "reach",
           "cell_kind", "STAND", "AIR", "SHAFT"]

JUMP_UP = 3
JUMP_SIDE = 4
SHAFT_JUMP_UP = 2
MAX_FALL = 8
GRID_W, GRID_H = MAP_W + 2, MAP_H + 2

STAND, AIR, SHAFT = 0, 1, 2


def padded_solid(tiles: np.ndarray) -> np.ndarray:
    """(25, 44) uint8 solidity grid (1 = any non-empty tile or the border) from (23, 42) tiles."""
    solid = np.ones((GRID_H, GRID_W), dtype=np.uint8)
    solid[1:-1, 1:-1] = (np.asarray(tiles) != 0).astype(np.uint8)
    return solid


def hazard_mask(cells) -> np.ndarray:
    """(25, 44) uint8 mask of cells forbidden by mines at the given inner cells (3 x 3 each)."""
    mask = np.zeros((GRID_H, GRID_W), dtype=np.uint8)
    pts = np.asarray(list(cells), dtype=np.int64).reshape(-1, 2)
    if len(pts):
        gx = np.clip(pts[:, 0] + 1, 1, GRID_W - 2)
        gy = np.clip(pts[:, 1] + 1, 1, GRID_H - 2)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                mask[gy + dy, gx + dx] = 1
    return mask


@njit(cache=True)
def _free(solid, blocked, x, y):
    if x < 0 or y < 0 or y >= solid.shape[0] or x >= solid.shape[1]:
        return False
    return solid[y, x] == 0 and blocked[y, x] == 0


@njit(cache=True)
def _push(dist, qx, qy, qf, tail, x, y, f, d):
    if dist[f, y, x] < 0:
        dist[f, y, x] = d
        qx[tail] = x
        qy[tail] = y
        qf[tail] = f
        return tail + 1
    return tail


@njit(cache=True)
def _reach(solid, blocked, sx, sy, jump_up, jump_side, shaft_up, max_fall):
    """BFS over (cell, rows fallen since the last support); returns the (25, 44) move counts."""
    h_, w_ = solid.shape
    nf = max_fall + 1
    dist = np.full((nf, h_, w_), -1, dtype=np.int32)
    qx = np.empty(nf * h_ * w_, dtype=np.int32)
    qy = np.empty(nf * h_ * w_, dtype=np.int32)
    qf = np.empty(nf * h_ * w_, dtype=np.int32)
    out = np.full((h_, w_), -1, dtype=np.int32)
    if not _free(solid, blocked, sx, sy):
        return out
    head = 0
    tail = _push(dist, qx, qy, qf, 0, sx, sy, 0, 0)
    while head < tail:
        x = qx[head]
        y = qy[head]
        f = qf[head]
        head += 1
        d = dist[f, y, x] + 1
        if out[y, x] < 0:
            out[y, x] = d - 1
        standing = solid[y + 1, x] != 0
        shaft = (not standing) and solid[y, x - 1] != 0 and solid[y, x + 1] != 0
        up = 0
        if standing:
            for dx in (-1, 1):
                if _free(solid, blocked, x + dx, y):
                    tail = _push(dist, qx, qy, qf, tail, x + dx, y, 0, d)
            up = jump_up
        elif shaft:
            for dy in (-1, 1):
                if _free(solid, blocked, x, y + dy):
                    tail = _push(dist, qx, qy, qf, tail, x, y + dy, 0, d)
            up = shaft_up
        elif f < max_fall:
            if _free(solid, blocked, x, y + 1):
                tail = _push(dist, qx, qy, qf, tail, x, y + 1, f + 1, d)
                for dx in (-1, 1):
                    if _free(solid, blocked, x + dx, y) and _free(solid, blocked, x + dx, y + 1):
                        tail = _push(dist, qx, qy, qf, tail, x + dx, y + 1, f + 1, d)
        for h in range(1, up + 1):
            yy = y - h
            if not _free(solid, blocked, x, yy):
                break
            tail = _push(dist, qx, qy, qf, tail, x, yy, 0, d)
            for dx in (-1, 1):
                for i in range(1, jump_side + 1):
                    xx = x + dx * i
                    if not _free(solid, blocked, xx, yy):
                        break
                    tail = _push(dist, qx, qy, qf, tail, xx, yy, 0, d)
    return out


def reach(solid: np.ndarray, blocked: np.ndarray | None, start: tuple[int, int]) -> np.ndarray:
    """Move counts from inner cell ``start`` to every cell, as an inner (23, 42) int32 array.

    -1 marks unreachable cells. ``solid``/``blocked`` are padded (25, 44) grids (see
    :func:`padded_solid`, :func:`hazard_mask`).
    """
    if blocked is None:
        blocked = np.zeros_like(solid)
    dist = _reach(np.ascontiguousarray(solid, dtype=np.uint8),
                  np.ascontiguousarray(blocked, dtype=np.uint8),
                  int(start[0]) + 1, int(start[1]) + 1, JUMP_UP, JUMP_SIDE, SHAFT_JUMP_UP,
                  MAX_FALL)
    return dist[1:-1, 1:-1]


def cell_kind(solid: np.ndarray, cx: int, cy: int) -> int:
    """STAND, SHAFT or AIR for the empty inner cell (cx, cy) of a padded solidity grid."""
    gx, gy = cx + 1, cy + 1
    if solid[gy + 1, gx]:
        return STAND
    if solid[gy, gx - 1] and solid[gy, gx + 1]:
        return SHAFT
    return AIR
