"""Seeded N++ level generator: ``generate_level(category, seed) -> Level``.

Every random choice comes from one ``np.random.default_rng(seed)`` stream and only integers reach
the output (tile ids, map units), so the same (category, seed) gives byte-identical map data on
any machine for a given numpy release (numpy documents its Generator streams as stable except for
bug fixes; ``GENERATOR_VERSION`` in suite files records the generator itself).

A level is built in three steps, retried from the same stream when a step fails ("deterministic
re-seeding"):

1. **Layout**: rectangular rooms carved out of solid rock, joined by doorways (horizontal
   neighbours) or one-wide shafts through the rock (vertical neighbours; a zig-zag of platforms
   makes the shaft reachable from a tall room's floor), plus features inside rooms (floating
   platforms, steps, pits, 45-degree hills, pillars) and decorations (slopes, quarter pipes).
2. **Objectives**: the spawn, exit switch and exit door (and for ``complex`` a locked door with its
   switch) are chosen among cells the conservative reachability search (:mod:`.reach`) reaches:
   spawn -> switch -> exit.
3. **Hazards**: mines / toggle mines are added one at a time; a mine is kept only if the full
   route check (:func:`.check.plan_ok`) still passes, so a safe path always remains.

The finished bytes are then checked again from scratch with :func:`.check.assess_map`.

Categories (design notes):

* ``very_simple``: one short flat room (2-4 high, 6-14 wide), sometimes a small bump; spawn at
  one end, switch and exit on the floor close by.
* ``simple``: one room (14-32 x 5-9) with 1-3 features (platforms, a step, a pit, a hill, a
  pillar); the switch is usually in the far half of the room.
* ``medium``: 2-4 chambers in a row (or 2 x 2 on two floors) joined by doorways at different
  heights and shafts, features per chamber, 2-8 mines, sometimes gold.
* ``complex``: the whole map as two floors of 3-4 chambers joined along a random spanning tree,
  hills and slopes, one chamber behind a locked door whose switch lies elsewhere (the exit door
  is in that chamber), 3-10 mines, gold.
* ``mine_heavy``: 2-4 stacked corridors (4-6 high) joined by shafts, or one big room with
  platforms; 18-45 mines plus 4-12 toggle mines, always leaving a route.
* ``exploration``: a full-map maze (random depth-first maze with extra loops) of small cells;
  the switch is among the cells farthest (by search moves) from the spawn, the exit far from the
  switch; a few gold pieces and mines.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from ..level_categories import CATEGORIES
from .check import assess_map, plan_ok
from .errors import SuiteError
from .mapfile import (
    MAP_H,
    MAP_W,
    T_EXIT,
    T_EXIT_SWITCH,
    T_GOLD,
    T_LOCKED_DOOR,
    T_LOCKED_SWITCH,
    T_MINE,
    T_NINJA,
    T_TOGGLE_MINE,
    MapSummary,
    cell_center_units,
    decode_map_summary,
    encode_map,
)
from .reach import hazard_mask, padded_solid, reach

__all__ = ["CATEGORIES", "GENERATOR_VERSION", "MAX_ATTEMPTS", "Level", "generate_level",
           "level_id_for"]

GENERATOR_VERSION = 1
MAX_ATTEMPTS = 200


@dataclass(frozen=True)
class Level:
    """One level: its raw map data plus metadata. Positions are map units (6 px)."""

    level_id: str
    name: str
    category: str
    seed: int | None
    map_data: bytes = field(repr=False)
    spawn: tuple[int, int]
    exit_switch: tuple[int, int] | None
    exit_door: tuple[int, int] | None
    entity_counts: dict[int, int]
    attempts: int = 0
    source: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.map_data).hexdigest()

    @property
    def summary(self) -> MapSummary:
        return decode_map_summary(self.map_data, source=self.source or self.level_id, strict=False)

    @property
    def tiles(self) -> np.ndarray:
        """The (23, 42) tile grid, [row, column]."""
        return self.summary.tiles

    @classmethod
    def from_map_data(cls, map_data: bytes, *, level_id: str, category: str, seed: int | None,
                      name: str | None = None, source: str = "", attempts: int = 0,
                      strict: bool = True) -> Level:
        """Build a Level from bytes; raises :class:`SuiteError` (naming ``source``) if malformed."""
        summ = decode_map_summary(map_data, source=source or level_id, strict=strict)
        pair = summ.exit_pairs[0] if summ.exit_pairs else (None, None)
        return cls(level_id=level_id, name=name if name is not None else (summ.name or level_id),
                   category=category, seed=seed, map_data=bytes(map_data), spawn=summ.spawn,
                   exit_door=pair[0], exit_switch=pair[1], entity_counts=summ.record_counts(),
                   attempts=attempts, source=source)


def level_id_for(category: str, seed: int) -> str:
    return f"{category}_{seed}"


# --------------------------------------------------------------------------------------------
# building blocks


class _Reject(Exception):
    """The current attempt cannot be completed; start a new one from the same rng stream."""


@dataclass
class _Room:
    x0: int
    x1: int
    top: int
    floor: int  # the lowest interior row (the row the ninja stands in)
    band: int = 0
    col: int = 0
    claimed: list = field(default_factory=list)  # column ranges used by features / ladders

    def claim(self, a: int, b: int) -> bool:
        """Reserve columns a..b (plus a one-column margin) unless they overlap a reservation."""
        if any(a <= q + 1 and p <= b + 1 for p, q in self.claimed):
            return False
        self.claimed.append((a, b))
        return True

    @property
    def width(self) -> int:
        return self.x1 - self.x0 + 1


# tile ids used by the generator
EMPTY, SOLID, HALF_TOP = 0, 1, 2
SLOPE_CEIL_L, SLOPE_CEIL_R, SLOPE_UP_R, SLOPE_UP_L = 6, 7, 8, 9  # solid: TL, TR, BR, BL
PIPE_TL, PIPE_TR, PIPE_BR, PIPE_BL = 14, 15, 16, 17  # concave quarter pipes in room corners


def _dist(a, b) -> int:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


class _Builder:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.t = np.ones((MAP_H, MAP_W), dtype=np.uint8)
        self.rooms: list[_Room] = []
        self.spawn: tuple[int, int] | None = None
        self.switch: tuple[int, int] | None = None
        self.exit: tuple[int, int] | None = None
        self.door: tuple[int, int] | None = None  # doorway cell; the door line is its left edge
        self.door_switch: tuple[int, int] | None = None
        self.mines: list[tuple[int, int]] = []
        self.toggles: list[tuple[int, int]] = []
        self.gold: list[tuple[int, int]] = []

    # random helpers (inclusive integer ranges)
    def ri(self, lo: int, hi: int) -> int:
        if hi < lo:
            raise _Reject()
        return int(self.rng.integers(lo, hi + 1))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, seq):
        if len(seq) == 0:
            raise _Reject()
        return seq[int(self.rng.integers(len(seq)))]

    def shuffled(self, seq) -> list:
        return [seq[i] for i in self.rng.permutation(len(seq))]

    # grid helpers
    def inside(self, x: int, y: int) -> bool:
        return 0 <= x < MAP_W and 0 <= y < MAP_H

    def tile(self, x: int, y: int) -> int:
        return int(self.t[y, x]) if self.inside(x, y) else SOLID

    def set_rect(self, x0: int, y0: int, x1: int, y1: int, v: int) -> None:
        x0, x1 = max(x0, 0), min(x1, MAP_W - 1)
        y0, y1 = max(y0, 0), min(y1, MAP_H - 1)
        if x0 <= x1 and y0 <= y1:
            self.t[y0:y1 + 1, x0:x1 + 1] = v

    def carve_room(self, r: _Room) -> None:
        self.set_rect(r.x0, r.top, r.x1, r.floor, EMPTY)

    def room_anywhere(self, w: int, h: int) -> _Room:
        """A w x h room at a random position on the map, carved and recorded in ``rooms``."""
        x0, y0 = self.ri(0, MAP_W - w), self.ri(0, MAP_H - h)
        r = _Room(x0, x0 + w - 1, y0, y0 + h - 1)
        self.carve_room(r)
        self.rooms.append(r)
        return r

    def is_stand(self, x: int, y: int) -> bool:
        return self.tile(x, y) == EMPTY and self.tile(x, y + 1) != EMPTY and (x, y) != self.door

    def flat_floor(self, c) -> bool:
        """A spawn cell must rest on a flat floor (a slope below would make the ninja slide)."""
        return self.tile(c[0], c[1] + 1) in (SOLID, HALF_TOP)

    def stand_cells(self, r: _Room | None = None) -> list[tuple[int, int]]:
        x0, x1, y0, y1 = (0, MAP_W - 1, 0, MAP_H - 1) if r is None else (r.x0, r.x1, r.top, r.floor)
        below = np.ones_like(self.t)
        below[:-1] = self.t[1:]
        mask = (self.t == EMPTY) & (below != EMPTY)
        if self.door is not None:
            mask[self.door[1], self.door[0]] = False
        ys, xs = np.nonzero(mask[y0:y1 + 1, x0:x1 + 1])  # row-major order
        return [(int(x) + x0, int(y) + y0) for y, x in zip(ys, xs, strict=True)]

    def free_cells(self) -> list[tuple[int, int]]:
        ys, xs = np.nonzero(self.t == EMPTY)
        return [(int(x), int(y)) for y, x in zip(ys, xs, strict=False) if (int(x), int(y)) != self.door]

    def solid(self) -> np.ndarray:
        return padded_solid(self.t)

    def blocked(self) -> np.ndarray:
        return hazard_mask(self.mines + self.toggles)

    def reach_from(self, cell, door_closed: bool = True) -> np.ndarray:
        solid = self.solid()
        if self.door is not None and door_closed:
            solid[self.door[1] + 1, self.door[0] + 1] = 1
        return reach(solid, self.blocked(), cell)

    def route_ok(self) -> bool:
        doors = [(self.door, self.door_switch)] if self.door is not None else []
        return plan_ok(self.solid(), self.blocked(), self.spawn, self.switch, self.exit, doors)

    def room_of(self, cell) -> _Room | None:
        for r in self.rooms:
            if r.x0 <= cell[0] <= r.x1 and r.top <= cell[1] <= r.floor:
                return r
        return None

    # ---- room features ----------------------------------------------------------------------
    def platform(self, r: _Room) -> None:
        if r.floor - r.top < 3:
            return
        pw = self.ri(2, min(6, max(2, r.width - 4)))
        py = r.floor - self.ri(2, min(3, r.floor - r.top - 1))
        px = self.ri(r.x0 + 1, max(r.x0 + 1, r.x1 - pw))
        tile = HALF_TOP if self.chance(0.15) else SOLID
        if r.claim(px, min(px + pw - 1, r.x1 - 1)):
            self.set_rect(px, py, min(px + pw - 1, r.x1 - 1), py, tile)

    def step(self, r: _Room) -> None:
        hh = self.ri(1, 2)
        if r.floor - hh - r.top < 2 or r.width < 8:
            return
        sx = self.ri(r.x0 + 3, r.x1 - 3)
        right = self.chance(0.5)
        if not (r.claim(sx - 1, r.x1) if right else r.claim(r.x0, sx + 1)):
            return
        if right:
            self.set_rect(sx, r.floor - hh + 1, r.x1, r.floor, SOLID)
            if hh == 1 and self.chance(0.6):
                self.t[r.floor, sx - 1] = SLOPE_UP_R
        else:
            self.set_rect(r.x0, r.floor - hh + 1, sx, r.floor, SOLID)
            if hh == 1 and self.chance(0.6):
                self.t[r.floor, sx + 1] = SLOPE_UP_L

    def pit(self, r: _Room) -> None:
        depth = self.ri(1, 2)
        if r.floor + depth >= MAP_H or r.width < 8:
            return
        pw = self.ri(1, 3)
        px = self.ri(r.x0 + 2, r.x1 - 1 - pw)
        below = self.t[r.floor + 1:r.floor + depth + 2, px - 1:px + pw + 1]
        if not below.all() or not r.claim(px, px + pw - 1):
            return  # never break through into another room
        self.set_rect(px, r.floor + 1, px + pw - 1, r.floor + depth, EMPTY)

    def hill(self, r: _Room) -> None:
        hh = self.ri(1, min(2, r.floor - r.top - 2))
        plateau = self.ri(1, 3)
        width = 2 * hh + plateau
        if width > r.width - 4:
            return
        hx = self.ri(r.x0 + 2, r.x1 - 1 - width)
        if not r.claim(hx, hx + width - 1):
            return
        for i in range(hh):  # rising side: a 45-degree slope on a solid base, one row per column
            x = hx + i
            self.set_rect(x, r.floor - i, x, r.floor, SOLID)
            self.t[r.floor - i, x] = SLOPE_UP_R
        self.set_rect(hx + hh, r.floor - hh + 1, hx + hh + plateau - 1, r.floor, SOLID)
        for i in range(hh):
            x = hx + hh + plateau + i
            self.set_rect(x, r.floor - (hh - 1 - i), x, r.floor, SOLID)
            self.t[r.floor - (hh - 1 - i), x] = SLOPE_UP_L

    def pillar(self, r: _Room) -> None:
        hh = self.ri(1, min(3, r.floor - r.top - 1))
        if r.width < 8:
            return
        px = self.ri(r.x0 + 3, r.x1 - 3)
        pw = self.ri(1, 2)
        if r.claim(px, min(px + pw - 1, r.x1 - 2)):
            self.set_rect(px, r.floor - hh + 1, min(px + pw - 1, r.x1 - 2), r.floor, SOLID)

    def features(self, r: _Room, n: int, kinds=("platform", "platform", "step", "pit", "hill",
                                               "pillar")) -> None:
        for _ in range(n):
            getattr(self, self.pick(kinds))(r)

    def decorate(self, r: _Room, p: float = 0.5) -> None:
        """Slopes / quarter pipes in room corners whose two outer neighbours are rock."""
        corners = (
            (r.x0, r.top, -1, -1, (PIPE_TL, SLOPE_CEIL_L)),
            (r.x1, r.top, 1, -1, (PIPE_TR, SLOPE_CEIL_R)),
            (r.x0, r.floor, -1, 1, (PIPE_BL, SLOPE_UP_L)),
            (r.x1, r.floor, 1, 1, (PIPE_BR, SLOPE_UP_R)),
        )
        if r.floor - r.top < 3 or r.width < 6:
            return
        for x, y, dx, dy, choices in corners:
            if not self.chance(p):
                continue
            if (self.tile(x, y) == EMPTY and self.tile(x + dx, y) == SOLID
                    and self.tile(x, y + dy) == SOLID and self.tile(x - dx, y) == EMPTY
                    and self.tile(x, y - dy) == EMPTY):
                self.t[y, x] = self.pick(choices)

    # ---- connections ------------------------------------------------------------------------
    def connect_h(self, a: _Room, b: _Room, door: bool = False) -> tuple[int, int]:
        """Doorway through the wall column between horizontal neighbours a (left) and b."""
        w = a.x1 + 1
        ob = min(a.floor, b.floor)
        room_h = ob - max(a.top, b.top) + 1
        oh = 1 if door else self.ri(1, max(1, min(3, room_h)))
        self.set_rect(w, ob - oh + 1, w + (b.x0 - a.x1 - 2), ob, EMPTY)
        return (w, ob)

    def connect_v(self, a: _Room, b: _Room) -> None:
        """One-wide shaft from upper room a down into lower room b, made reachable from b's floor."""
        lo, hi = max(a.x0, b.x0) + 1, min(a.x1, b.x1) - 1
        xh = self.ri(lo, hi)
        self.set_rect(xh, a.floor + 1, xh, b.top - 1, EMPTY)
        a.claimed.append((xh - 1, xh + 1))
        b.claimed.append((xh - 1, xh + 1))
        self.ladder(b, xh)

    def ladder(self, r: _Room, xh: int) -> None:
        """Zig-zag of 3-wide platforms so that column xh can be reached at row r.top + 2."""
        s = r.top + 2
        if r.floor <= s:
            return
        x = xh
        dirn = self.pick((-1, 1))
        while True:
            self.set_rect(max(x - 1, r.x0), s + 1, min(x + 1, r.x1), s + 1, SOLID)
            r.claimed.append((x - 1, x + 1))
            if r.floor - s <= 3:
                return
            nx = x + 3 * dirn
            if nx - 1 < r.x0 or nx + 1 > r.x1:
                dirn = -dirn
                nx = x + 3 * dirn
                if nx - 1 < r.x0 or nx + 1 > r.x1:
                    raise _Reject()
            x, s = nx, s + 3

    # ---- layouts -----------------------------------------------------------------------------
    def split(self, lo: int, hi: int, n: int, min_w: int, gap: int = 1) -> list[tuple[int, int]]:
        """n ranges of width >= min_w inside [lo, hi], separated by ``gap`` solid columns/rows."""
        total = hi - lo + 1 - (n - 1) * gap
        extra = total - n * min_w
        if extra < 0:
            raise _Reject()
        cuts = sorted(int(c) for c in self.rng.integers(0, extra + 1, size=n - 1))
        bounds = [0] + cuts + [extra]
        out, pos = [], lo
        for i in range(n):
            w = min_w + bounds[i + 1] - bounds[i]
            out.append((pos, pos + w - 1))
            pos += w + gap
        return out

    def band_rooms(self, x0: int, x1: int, ytop: int, ybot: int, n: int, min_w: int,
                   band: int = 0, vary: bool = True) -> list[_Room]:
        rooms = []
        for i, (a, b) in enumerate(self.split(x0, x1, n, min_w)):
            top = ytop + (self.ri(0, 1) if vary else 0)
            floor = ybot - (self.ri(0, 2) if vary else 0)
            if floor - top < 2:
                top, floor = ytop, ybot
            r = _Room(a, b, top, floor, band, i)
            self.carve_room(r)
            rooms.append(r)
        self.rooms.extend(rooms)
        return rooms

    # ---- objectives and hazards ------------------------------------------------------------
    def place_objectives(self, spawn_cells, switch_cells=None, exit_cells=None, *,
                         switch_min: int = 3, exit_min: int = 3, switch_far: float = 1.0,
                         exit_far: float = 1.0) -> None:
        self.spawn = self.pick([c for c in spawn_cells if self.flat_floor(c)])
        d0 = self.reach_from(self.spawn)
        cands = [c for c in (switch_cells if switch_cells is not None else self.stand_cells())
                 if d0[c[1], c[0]] >= 0 and _dist(c, self.spawn) >= switch_min]
        self.switch = self.pick(self._farthest(cands, d0, switch_far))
        d1 = self.reach_from(self.switch)
        cands = [c for c in (exit_cells if exit_cells is not None else self.stand_cells())
                 if d1[c[1], c[0]] >= 0 and _dist(c, self.switch) >= exit_min
                 and c != self.spawn and c != self.door_switch]
        self.exit = self.pick(self._farthest(cands, d1, exit_far))

    @staticmethod
    def _farthest(cells, dist, frac: float):
        if frac >= 1.0 or not cells:
            return cells
        order = sorted(cells, key=lambda c: (-int(dist[c[1], c[0]]), c[1], c[0]))
        return order[:max(1, int(round(len(order) * frac)))]

    def objective_cells(self):
        out = [self.spawn, self.switch, self.exit]
        if self.door_switch is not None:
            out.append(self.door_switch)
        if self.door is not None:
            out.append(self.door)
        return [c for c in out if c is not None]

    def add_hazards(self, n: int, kind: str = "mine", max_tries: int | None = None,
                    candidates=None, shuffle: bool = True) -> int:
        """Add up to n mines (or toggle mines), each kept only if the route survives."""
        target = self.mines if kind == "mine" else self.toggles
        taken = set(self.mines) | set(self.toggles) | set(self.gold)
        for kx, ky in self.objective_cells():  # their 3 x 3 areas stay clear
            taken.update((kx + dx, ky + dy) for dx in range(-1, 2) for dy in range(-1, 2))
        cands = candidates if candidates is not None else self.free_cells()
        cands = [c for c in cands if c not in taken]
        if shuffle:
            cands = self.shuffled(cands)
        tries = max_tries if max_tries is not None else 3 * n
        placed = 0
        for c in cands[:tries]:
            if placed >= n:
                break
            target.append(c)
            if self.route_ok():
                placed += 1
            else:
                target.pop()
        return placed

    def add_gold(self, n: int) -> None:
        d = self.reach_from(self.spawn, door_closed=False)
        taken = set(self.objective_cells())
        cands = [c for c in self.free_cells() if d[c[1], c[0]] >= 0 and c not in taken]
        for c in self.shuffled(cands)[:n]:
            self.gold.append(c)

    # ---- output ------------------------------------------------------------------------------
    def entities(self) -> list[tuple[int, int, int, int, int]]:
        sx, sy = cell_center_units(*self.spawn)
        facing = 1 if self.switch[0] >= self.spawn[0] else 0
        ents = [(T_NINJA, sx, sy, facing, 0)]
        ents += [(T_MINE, *cell_center_units(*c), 0, 0) for c in self.mines]
        ents += [(T_GOLD, *cell_center_units(*c), 0, 0) for c in self.gold]
        ents.append((T_EXIT, *cell_center_units(*self.exit), 0, 0))
        ents.append((T_EXIT_SWITCH, *cell_center_units(*self.switch), 0, 0))
        if self.door is not None:
            dx, dy = self.door
            # vertical door (orientation 0) on the left edge of the doorway cell, centred on its row
            ents.append((T_LOCKED_DOOR, 4 * dx + 4, 4 * dy + 6, 0, 0))
            ents.append((T_LOCKED_SWITCH, *cell_center_units(*self.door_switch), 0, 0))
        ents += [(T_TOGGLE_MINE, *cell_center_units(*c), 0, 0) for c in self.toggles]
        return ents


# --------------------------------------------------------------------------------------------
# category designs


def _very_simple(b: _Builder) -> None:
    w, h = b.ri(6, 14), b.ri(2, 4)
    r = b.room_anywhere(w, h)
    if h >= 2 and w >= 9 and b.chance(0.35):
        xb = b.ri(r.x0 + 3, r.x1 - 3)
        b.t[r.floor, xb] = SOLID
        if b.chance(0.5):
            b.t[r.floor, xb - 1] = SLOPE_UP_R
            b.t[r.floor, xb + 1] = SLOPE_UP_L
    cells = sorted(b.stand_cells(r))
    ends = [cells[0], cells[-1]]
    b.place_objectives(ends, switch_min=2, exit_min=2)


def _simple(b: _Builder) -> None:
    w, h = b.ri(14, 32), b.ri(5, 9)
    r = b.room_anywhere(w, h)
    b.features(r, b.ri(1, 3))
    b.decorate(r, 0.3)
    quarter = max(2, w // 4)
    side = b.pick((0, 1))
    spawn_cells = [c for c in b.stand_cells(r)
                   if (c[0] < r.x0 + quarter if side == 0 else c[0] > r.x1 - quarter)]
    b.place_objectives(spawn_cells, switch_min=max(4, w // 3), exit_min=4, switch_far=0.6)


def _medium(b: _Builder) -> None:
    if b.chance(0.3):
        # two floors of two chambers each
        x0 = b.ri(0, 6)
        x1 = MAP_W - 1 - b.ri(0, 6)
        ytop = b.ri(0, 3)
        ymid = ytop + b.ri(6, 8)
        ybot = min(MAP_H - 1, ymid + 1 + b.ri(6, 9))
        upper = b.band_rooms(x0, x1, ytop, ymid - 1, 2, 10, band=0)
        lower = b.band_rooms(x0, x1, ymid + 1, ybot, 2, 10, band=1)
        b.connect_h(upper[0], upper[1])
        b.connect_h(lower[0], lower[1])
        pairs = [(u, lo) for u in upper for lo in lower
                 if min(u.x1, lo.x1) - max(u.x0, lo.x0) >= 3]
        u, lo = b.pick(pairs)
        b.connect_v(u, lo)
        rooms = upper + lower
        spawn_room = b.pick(rooms)
    else:
        n = b.ri(2, 4)
        width = b.ri(min(MAP_W, 9 * n + 2), MAP_W)
        x0 = b.ri(0, MAP_W - width)
        height = b.ri(5, 9)
        ytop = b.ri(0, MAP_H - height)
        rooms = b.band_rooms(x0, x0 + width - 1, ytop, ytop + height - 1, n, 7)
        for a, c in zip(rooms, rooms[1:], strict=False):
            b.connect_h(a, c)
        spawn_room = b.pick((rooms[0], rooms[-1]))
    for r in rooms:
        b.features(r, b.ri(0, 2))
        b.decorate(r, 0.3)
    other = [c for r in rooms if r is not spawn_room for c in b.stand_cells(r)]
    b.place_objectives(b.stand_cells(spawn_room), other, switch_min=6, exit_min=5,
                       switch_far=0.7)
    b.add_hazards(b.ri(2, 8))
    if b.chance(0.4):
        b.add_gold(b.ri(1, 6))


def _complex(b: _Builder) -> None:
    y_wall = b.ri(9, 12)
    bands = [(0 + b.ri(0, 1), y_wall - 1), (y_wall + 1, MAP_H - 1 - b.ri(0, 1))]
    grid = []
    for k, (ytop, ybot) in enumerate(bands):
        ncols = b.ri(3, 4)
        grid.append(b.band_rooms(0, MAP_W - 1, ytop, ybot, ncols, 7, band=k))
    rooms = grid[0] + grid[1]
    # candidate connections: horizontal neighbours and overlapping vertical neighbours
    edges = [("h", a, c) for row in grid for a, c in zip(row, row[1:], strict=False)]
    edges += [("v", u, lo) for u in grid[0] for lo in grid[1]
              if min(u.x1, lo.x1) - max(u.x0, lo.x0) >= 3]
    edges = b.shuffled(edges)
    parent = {id(r): id(r) for r in rooms}

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    tree, spare = [], []
    for e in edges:
        ra, rb = find(id(e[1])), find(id(e[2]))
        if ra != rb:
            parent[ra] = rb
            tree.append(e)
        else:
            spare.append(e)
    degree = {id(r): 0 for r in rooms}
    for _, a, c in tree:
        degree[id(a)] += 1
        degree[id(c)] += 1
    vaults = [(e, r) for e in tree if e[0] == "h" for r in (e[1], e[2]) if degree[id(r)] == 1]
    (kind, a, c), vault = b.pick(vaults)
    extra = [e for e in spare if vault is not e[1] and vault is not e[2]]
    chosen = [e for e in tree if e[1:] != (a, c)]
    if extra and b.chance(0.6):
        chosen.append(b.pick(extra))
    for k, u, v in chosen:
        if k == "h":
            b.connect_h(u, v)
        else:
            b.connect_v(u, v)
    b.door = b.connect_h(a, c, door=True)
    for r in rooms:
        if r is not vault:
            b.features(r, b.ri(0, 2), kinds=("platform", "hill", "hill", "pillar", "step"))
        b.decorate(r, 0.6)
    outside = [c for r in rooms if r is not vault for c in b.stand_cells(r)]
    spawn_room = b.pick([r for r in rooms if r is not vault])
    b.spawn = b.pick([c for c in b.stand_cells(spawn_room) if b.flat_floor(c)])
    d0 = b.reach_from(b.spawn, door_closed=True)
    reachable = [c for c in outside if d0[c[1], c[0]] >= 0 and c != b.spawn]
    b.door_switch = b.pick([c for c in reachable if _dist(c, b.spawn) >= 6])
    b.switch = b.pick([c for c in reachable if _dist(c, b.spawn) >= 6
                       and _dist(c, b.door_switch) >= 4])
    vault_cells = [c for c in b.stand_cells(vault) if _dist(c, b.door) >= 2]
    b.exit = b.pick(vault_cells)
    if not b.route_ok():
        raise _Reject()
    if b.reach_from(b.spawn, door_closed=True)[b.exit[1], b.exit[0]] >= 0:
        raise _Reject()  # the door must matter
    b.add_hazards(b.ri(3, 10))
    if b.chance(0.6):
        b.add_gold(b.ri(2, 10))


def _mine_heavy(b: _Builder) -> None:
    if b.chance(0.65):
        # 2-4 stacked corridors (4-6 high) separated by 1-3 rows of rock, joined by shafts
        k = b.ri(2, 4)
        heights = [b.ri(4, 6) for _ in range(k)]
        walls = [b.ri(1, 3) for _ in range(k - 1)]
        while sum(heights) + sum(walls) > MAP_H:
            k -= 1
            heights, walls = heights[:k], walls[:k - 1]
        y = b.ri(0, MAP_H - sum(heights) - sum(walls))
        x0, x1 = b.ri(0, 3), MAP_W - 1 - b.ri(0, 3)
        layers = []
        for i in range(k):
            n = 1 if b.chance(0.6) else 2
            layers.append(b.band_rooms(x0, x1, y, y + heights[i] - 1, n, 12, band=i, vary=False))
            if n == 2:
                b.connect_h(layers[-1][0], layers[-1][1])
            y += heights[i] + (walls[i] if i < k - 1 else 0)
        for upper, lower in zip(layers, layers[1:], strict=False):
            pairs = [(u, lo) for u in upper for lo in lower
                     if min(u.x1, lo.x1) - max(u.x0, lo.x0) >= 3]
            u, lo = b.pick(pairs)
            b.connect_v(u, lo)
        rooms = [r for layer in layers for r in layer]
        for r in rooms:
            b.features(r, b.ri(0, 2), kinds=("platform", "pillar", "hill"))
        spawn_room = b.pick((rooms[0], rooms[-1]))
    else:
        # one big room with floating platforms
        x0, x1 = b.ri(0, 4), MAP_W - 1 - b.ri(0, 4)
        y0, y1 = b.ri(0, 4), MAP_H - 1 - b.ri(0, 3)
        r = _Room(x0, x1, y0, y1)
        b.carve_room(r)
        b.rooms.append(r)
        for _ in range(b.ri(5, 10)):  # floating platforms at any height
            pw = b.ri(2, 6)
            px, py = b.ri(r.x0 + 1, r.x1 - pw), b.ri(r.top + 2, r.floor - 2)
            if r.claim(px, px + pw - 1) or b.chance(0.5):
                b.set_rect(px, py, px + pw - 1, py, SOLID)
        rooms = [r]
        spawn_room = r
    for r in rooms:
        b.decorate(r, 0.3)
    b.place_objectives(b.stand_cells(spawn_room), switch_min=10, exit_min=6, switch_far=0.5,
                       exit_far=0.6)
    # mines where the ninja goes: on floors and platforms first, then near them, then anywhere
    free = b.free_cells()
    near_floor = [c for c in free if b.tile(c[0], c[1] + 1) != EMPTY
                  or b.tile(c[0], c[1] + 2) != EMPTY]
    near_set = set(near_floor)
    others = [c for c in free if c not in near_set]
    cands = b.shuffled(near_floor) + b.shuffled(others)
    placed = b.add_hazards(b.ri(18, 45), "mine", max_tries=400, candidates=cands, shuffle=False)
    placed += b.add_hazards(b.ri(4, 12), "toggle", max_tries=120, candidates=cands, shuffle=False)
    if placed < 12:
        raise _Reject()


def _exploration(b: _Builder) -> None:
    cw = b.pick((4, 5))  # maze cell pitch: cw - 1 free columns + 1 wall column
    ch = b.pick((3, 4))  # ch - 1 free rows + 1 wall row
    mc = (MAP_W + 1) // cw
    mr = (MAP_H + 1) // ch
    xoff = b.ri(0, MAP_W + 1 - mc * cw)
    yoff = b.ri(0, MAP_H + 1 - mr * ch)

    def cell_rect(i, j):
        x = xoff + i * cw
        y = yoff + j * ch
        return x, y, x + cw - 2, y + ch - 2

    for i in range(mc):
        for j in range(mr):
            x0, y0, x1, y1 = cell_rect(i, j)
            b.set_rect(x0, y0, x1, y1, EMPTY)
            b.rooms.append(_Room(x0, x1, y0, y1))
    # random depth-first maze
    seen = np.zeros((mc, mr), dtype=bool)
    start = (b.ri(0, mc - 1), b.ri(0, mr - 1))
    stack = [start]
    seen[start] = True
    links = []
    while stack:
        i, j = stack[-1]
        nbrs = [(i + di, j + dj) for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1))
                if 0 <= i + di < mc and 0 <= j + dj < mr and not seen[i + di, j + dj]]
        if not nbrs:
            stack.pop()
            continue
        nxt = b.pick(nbrs)
        seen[nxt] = True
        links.append(((i, j), nxt))
        stack.append(nxt)
    all_pairs = [((i, j), (i + 1, j)) for i in range(mc - 1) for j in range(mr)]
    all_pairs += [((i, j), (i, j + 1)) for i in range(mc) for j in range(mr - 1)]
    linked = {tuple(sorted(p)) for p in links}
    spare = [p for p in all_pairs if p not in linked]
    links += b.shuffled(spare)[:b.ri(3, 9)]
    for p, q in links:
        (i, j), (k, m) = sorted((p, q))
        x0, y0, x1, y1 = cell_rect(i, j)
        if k == i + 1:  # horizontal: open the wall column (full height or bottom rows only)
            top = y0 if b.chance(0.6) else y1 - b.ri(0, y1 - y0 - 1)
            b.set_rect(x1 + 1, top, x1 + 1, y1, EMPTY)
        else:  # vertical: a one-wide hole in the wall row
            hx = b.ri(x0, x1)
            b.set_rect(hx, y1 + 1, hx, y1 + 1, EMPTY)
    stands = b.stand_cells()
    b.spawn = b.pick([c for c in stands if b.flat_floor(c)])
    d0 = b.reach_from(b.spawn)
    cands = [c for c in stands if d0[c[1], c[0]] >= 0 and c != b.spawn]
    b.switch = b.pick(b._farthest(cands, d0, 0.08))
    d1 = b.reach_from(b.switch)
    cands = [c for c in stands if d1[c[1], c[0]] >= 0 and _dist(c, b.switch) >= 6
             and c != b.spawn]
    b.exit = b.pick(b._farthest(cands, d1, 0.4))
    b.add_gold(b.ri(0, 8))
    b.add_hazards(b.ri(0, 5))


_DESIGNS = {
    "very_simple": _very_simple,
    "simple": _simple,
    "medium": _medium,
    "complex": _complex,
    "mine_heavy": _mine_heavy,
    "exploration": _exploration,
}


def generate_level(category: str, seed: int) -> Level:
    """Generate the level for (category, seed); byte-identical for the same arguments.

    Attempts that fail a design step or the final :func:`assess_map` check are retried from the
    same random stream, so the retry sequence is deterministic too. Raises ``RuntimeError`` if no
    valid level appears within ``MAX_ATTEMPTS`` attempts (never observed).
    """
    if category not in _DESIGNS:
        raise ValueError(f"unknown level category {category!r}; expected one of {CATEGORIES}")
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    rng = np.random.default_rng(seed)
    level_id = level_id_for(category, seed)
    name = f"gen {category} {seed}"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        b = _Builder(rng)
        try:
            _DESIGNS[category](b)
            if b.spawn is None or b.switch is None or b.exit is None or not b.route_ok():
                continue
            data = encode_map(b.t, b.entities(), name)
        except (_Reject, SuiteError):
            continue
        if not assess_map(data, source=level_id).ok:
            continue
        return Level.from_map_data(data, level_id=level_id, category=category, seed=seed,
                                   name=name, attempts=attempt)
    raise RuntimeError(f"no valid {category} level for seed {seed} in {MAX_ATTEMPTS} attempts")
