"""Geodesic distance fields over free space, used as the planner's heuristic.

The world (1056 x 600 px including the border) is covered by a lattice of ``CELL`` = 6 px cells. A
cell is *free* when no solid pixel of the tile layer (:func:`npp_sim.render.tile_layer`, exact tile
shapes) lies within ``CLEARANCE`` px of its centre, i.e. a ninja (radius 10) centred there roughly
fits. Distances are computed once per map and target by Dijkstra over the 8-connected free cells,
backwards from the target, with direction-dependent step costs: climbing is dearer than walking and
falling is cheaper, because in N++ height has to be earned with jumps while gravity is free.

Cells near deadly entities that do not move (mines) cost extra to enter, so the planner prefers
routes that keep away from them. Non-free cells (e.g. a ninja hugging a wall, whose centre lattice
cell is within the clearance of the wall) get the value of the nearest free cell plus the distance
to it, so every position in the world has a finite heuristic as long as the target is reachable.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
from numba import njit

CELL = 6
GRID_W = 1056 // CELL  # 176
GRID_H = 600 // CELL  # 100
CLEARANCE = 8.0
UP_COST = 1.6  # multiplier for steps that climb
DOWN_COST = 0.7  # multiplier for steps that descend
INF = 1e18

# entity types that kill on contact and stay put (mines, toggle mines)
MINE_TYPES = (1, 21)
# goal discs: the ninja touches the target within these radii (planner goals, observation route features)
SWITCH_GOAL_R = 14.0  # switch r 6 + ninja r 10, minus slack
DOOR_GOAL_R = 18.0  # exit door r 12 + ninja r 10, minus slack
MINE_DANGER_PX = 15.0  # mine radius 4 + ninja radius 10 + slack
MINE_NEAR_PX = 26.0
MINE_DANGER_COST = 60.0  # px of extra cost to enter a cell where the ninja would touch a mine
MINE_NEAR_COST = 6.0


@njit(cache=True)
def _free_cells(solid, cell, clearance):
    h, w = solid.shape
    gh, gw = h // cell, w // cell
    free = np.zeros((gh, gw), dtype=np.bool_)
    r = int(math.ceil(clearance))
    r2 = clearance * clearance
    for gy in range(gh):
        cy = gy * cell + cell * 0.5
        for gx in range(gw):
            cx = gx * cell + cell * 0.5
            ok = True
            y0 = max(int(cy) - r - 1, 0)
            y1 = min(int(cy) + r + 1, h - 1)
            x0 = max(int(cx) - r - 1, 0)
            x1 = min(int(cx) + r + 1, w - 1)
            for py in range(y0, y1 + 1):
                dy = py + 0.5 - cy
                if dy * dy >= r2:
                    continue
                for px in range(x0, x1 + 1):
                    if solid[py, px]:
                        dx = px + 0.5 - cx
                        if dx * dx + dy * dy < r2:
                            ok = False
                            break
                if not ok:
                    break
            free[gy, gx] = ok
    return free


@njit(cache=True)
def _dijkstra(free, penalty, goal_mask, cell, up_cost, down_cost):
    """Cost-to-goal for every free cell (INF where unreachable); ninja moves u -> v."""
    gh, gw = free.shape
    dist = np.full((gh, gw), INF)
    heap = [(0.0, 0, 0)]
    heap.pop()
    for gy in range(gh):
        for gx in range(gw):
            if goal_mask[gy, gx] and free[gy, gx]:
                dist[gy, gx] = 0.0
                heapq.heappush(heap, (0.0, gy, gx))
    diag = math.sqrt(2.0) * cell
    while len(heap) > 0:
        d, ay, ax = heapq.heappop(heap)
        if d > dist[ay, ax]:
            continue
        # relax the predecessors b of a: the ninja steps b -> a
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                if dx == 0 and dy == 0:
                    continue
                by = ay + dy
                bx = ax + dx
                if by < 0 or by >= gh or bx < 0 or bx >= gw or not free[by, bx]:
                    continue
                if dx != 0 and dy != 0:
                    # no corner cutting through a blocked cell
                    if not free[ay, bx] or not free[by, ax]:
                        continue
                    step = diag
                else:
                    step = float(cell)
                # moving from b to a: a is above b when ay < by
                if ay < by:
                    step *= up_cost
                elif ay > by:
                    step *= down_cost
                nd = d + step + penalty[ay, ax]
                if nd < dist[by, bx]:
                    dist[by, bx] = nd
                    heapq.heappush(heap, (nd, by, bx))
    return dist


@njit(cache=True)
def _fill_blocked(dist, free, cell):
    """Give non-free cells the value of a nearby free cell plus the distance to it."""
    gh, gw = dist.shape
    out = dist.copy()
    # two sweeps of a chamfer transform are enough for the few cells next to walls
    for _ in range(2):
        for gy in range(gh):
            for gx in range(gw):
                if free[gy, gx]:
                    continue
                best = out[gy, gx]
                for dy in range(-2, 3):
                    for dx in range(-2, 3):
                        y = gy + dy
                        x = gx + dx
                        if y < 0 or y >= gh or x < 0 or x >= gw:
                            continue
                        v = out[y, x] + cell * math.sqrt(dx * dx + dy * dy)
                        if v < best:
                            best = v
                out[gy, gx] = best
    return out


class DistanceField:
    """Free-space lattice of one map plus cached geodesic fields to targets (positions in px)."""

    def __init__(self, tiles: np.ndarray, hazards: np.ndarray | None = None):
        from npp_sim.render import tile_layer

        solid = tile_layer(np.asarray(tiles)) > 0.5
        self.free = _free_cells(solid, CELL, CLEARANCE)
        self.penalty = np.zeros(self.free.shape, dtype=np.float64)
        if hazards is not None and len(hazards):
            self._add_hazards(np.asarray(hazards, dtype=np.float64).reshape(-1, 2))
        self._cache: dict[tuple[float, float, float], np.ndarray] = {}

    def _add_hazards(self, pts: np.ndarray) -> None:
        gy, gx = np.mgrid[0:GRID_H, 0:GRID_W]
        cy = gy * CELL + CELL / 2
        cx = gx * CELL + CELL / 2
        for x, y in pts:
            d2 = (cx - x) ** 2 + (cy - y) ** 2
            self.penalty[d2 < MINE_NEAR_PX ** 2] += MINE_NEAR_COST
            self.penalty[d2 < MINE_DANGER_PX ** 2] += MINE_DANGER_COST

    def to(self, x: float, y: float, radius: float = 12.0) -> np.ndarray:
        """The (GRID_H, GRID_W) cost-to-reach field of the disc of ``radius`` px around (x, y)."""
        key = (float(x), float(y), float(radius))
        f = self._cache.get(key)
        if f is not None:
            return f
        gy, gx = np.mgrid[0:GRID_H, 0:GRID_W]
        d2 = (gx * CELL + CELL / 2 - x) ** 2 + (gy * CELL + CELL / 2 - y) ** 2
        goal = (d2 <= radius * radius) & self.free
        if not goal.any():  # target inside geometry: take the nearest free cells
            dd = np.where(self.free, d2, np.inf)
            goal = self.free & (dd <= dd.min() + 1e-9)
        dist = _dijkstra(self.free, self.penalty, goal, CELL, UP_COST, DOWN_COST)
        f = _fill_blocked(dist, self.free, CELL)
        self._cache[key] = f
        return f


@njit(cache=True)
def lookup(field, x, y):
    gx = int(x // CELL)
    gy = int(y // CELL)
    if gx < 0:
        gx = 0
    elif gx >= field.shape[1]:
        gx = field.shape[1] - 1
    if gy < 0:
        gy = 0
    elif gy >= field.shape[0]:
        gy = field.shape[0] - 1
    return field[gy, gx]
