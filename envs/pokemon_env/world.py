"""Seeded procedural overworld for the stand-in env: a tile grid plus the people and things on it.

A world is a ``rows x cols`` grid (default 18 x 24 tiles of 16 px) bordered by trees, with ponds,
tree clusters, tall grass, flowers, one house whose door is the exit to the next area, 1-2 signs,
the professor, 2-3 other NPCs, one item ball and the player's start. Every random choice comes
from ``numpy.random.default_rng(seed)``, so a seed always gives the same world. Generation retries
(with the same generator, so still deterministic) until every milestone is reachable from the start.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

# Tile codes.
GRASS, PATH, TALL_GRASS, FLOWERS, DOOR, TREE, WATER, WALL, ROOF, SIGN = range(10)
TILE_NAMES = (
    "grass",
    "path",
    "tall_grass",
    "flowers",
    "door",
    "tree",
    "water",
    "wall",
    "roof",
    "sign",
)
WALKABLE = np.zeros(len(TILE_NAMES), dtype=bool)
WALKABLE[[GRASS, PATH, TALL_GRASS, FLOWERS, DOOR]] = True

# Facing codes (same order as the UP, DOWN, LEFT, RIGHT buttons).
UP, DOWN, LEFT, RIGHT = range(4)
FACING_NAMES = ("up", "down", "left", "right")
STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1))

Pos = tuple[int, int]


@dataclass(frozen=True)
class World:
    """A generated world. ``tiles`` is (rows, cols) uint8 of tile codes; positions are (row, col)."""

    seed: int
    tiles: np.ndarray
    start: Pos
    start_facing: int
    professor: Pos
    npcs: tuple[Pos, ...]
    item: Pos
    door: Pos
    signs: tuple[Pos, ...]

    @property
    def shape(self) -> tuple[int, int]:
        return self.tiles.shape  # type: ignore[return-value]

    def people(self) -> tuple[Pos, ...]:
        return (self.professor, *self.npcs)

    def walkable(self, pos: Pos) -> bool:
        r, c = pos
        rows, cols = self.tiles.shape
        return 0 <= r < rows and 0 <= c < cols and bool(WALKABLE[self.tiles[r, c]])


def neighbours(pos: Pos) -> Iterable[tuple[int, Pos]]:
    for facing, (dr, dc) in enumerate(STEPS):
        yield facing, (pos[0] + dr, pos[1] + dc)


def bfs(passable: np.ndarray, start: Pos, goals: set[Pos]) -> list[int] | None:
    """Shortest path on a 4-connected grid: the facing codes of the moves from ``start`` to a goal.

    ``passable[r, c]`` says whether a cell can be entered; the start is always allowed. Returns
    ``[]`` when ``start`` is a goal and ``None`` when no goal can be reached. Ties are broken by the
    fixed move order (up, down, left, right), so the result is deterministic.
    """
    if start in goals:
        return []
    rows, cols = passable.shape
    parent: dict[Pos, tuple[Pos, int]] = {start: (start, -1)}
    queue = deque([start])
    while queue:
        cur = queue.popleft()
        for facing, nxt in neighbours(cur):
            r, c = nxt
            if not (0 <= r < rows and 0 <= c < cols) or nxt in parent or not passable[r, c]:
                continue
            parent[nxt] = (cur, facing)
            if nxt in goals:
                moves = []
                node = nxt
                while node != start:
                    node, move = parent[node]
                    moves.append(move)
                return moves[::-1]
            queue.append(nxt)
    return None


def _free_cells(
    tiles: np.ndarray, taken: set[Pos], kinds=(GRASS, PATH, TALL_GRASS, FLOWERS)
) -> list[Pos]:
    rr, cc = np.nonzero(np.isin(tiles, kinds))
    return [(int(r), int(c)) for r, c in zip(rr, cc, strict=False) if (int(r), int(c)) not in taken]


def _try_generate(rng: np.random.Generator, rows: int, cols: int, seed: int) -> World | None:
    t = np.full((rows, cols), GRASS, dtype=np.uint8)
    t[0, :] = t[-1, :] = TREE
    t[:, 0] = t[:, -1] = TREE
    reserved = np.zeros_like(t, dtype=bool)  # cells scenery must not cover

    # The house (roof 2 rows, wall 2 rows, 5 wide) whose door is the exit.
    hr = int(rng.integers(1, rows - 6))
    hc = int(rng.integers(1, cols - 6))
    t[hr : hr + 2, hc : hc + 5] = ROOF
    t[hr + 2 : hr + 4, hc : hc + 5] = WALL
    door = (hr + 3, hc + 2)
    t[door] = DOOR
    reserved[max(hr - 1, 0) : hr + 5, max(hc - 1, 0) : hc + 6] = True
    # A short path leading away from the door.
    r = door[0] + 1
    for _ in range(int(rng.integers(2, 6))):
        if r >= rows - 1:
            break
        t[r, door[1]] = PATH
        reserved[r, door[1]] = True
        r += 1

    def blob(kind: int, hmin: int, hmax: int, wmin: int, wmax: int, round_corners: bool) -> None:
        h = int(rng.integers(hmin, hmax + 1))
        w = int(rng.integers(wmin, wmax + 1))
        r0 = int(rng.integers(1, max(rows - 1 - h, 2)))
        c0 = int(rng.integers(1, max(cols - 1 - w, 2)))
        mask = np.ones((h, w), dtype=bool)
        if round_corners and h > 2 and w > 2:
            mask[[0, 0, -1, -1], [0, -1, 0, -1]] = False
        region = t[r0 : r0 + h, c0 : c0 + w]
        free = mask & ~reserved[r0 : r0 + h, c0 : c0 + w] & (region == GRASS)
        region[free] = kind

    for _ in range(int(rng.integers(1, 3))):
        blob(WATER, 2, 4, 3, 5, True)
    for _ in range(int(rng.integers(2, 4))):
        blob(TALL_GRASS, 2, 4, 3, 6, False)
    for _ in range(int(rng.integers(3, 7))):  # tree lines and clumps
        if rng.random() < 0.5:
            blob(TREE, 1, 1, 2, 6, False)
        else:
            blob(TREE, 2, 5, 1, 1, False) if rng.random() < 0.5 else blob(TREE, 2, 2, 2, 2, False)
    for _ in range(int(rng.integers(4, 10))):
        r, c = int(rng.integers(1, rows - 1)), int(rng.integers(1, cols - 1))
        if t[r, c] == GRASS and not reserved[r, c]:
            t[r, c] = FLOWERS

    taken: set[Pos] = {door, (door[0] + 1, door[1])}

    def pick(kinds=(GRASS, PATH, TALL_GRASS, FLOWERS)) -> Pos | None:
        cells = _free_cells(t, taken, kinds)
        if not cells:
            return None
        pos = cells[int(rng.integers(len(cells)))]
        taken.add(pos)
        return pos

    signs = []
    for _ in range(int(rng.integers(1, 3))):
        pos = pick((GRASS, FLOWERS))
        if pos is None:
            return None
        t[pos] = SIGN
        signs.append(pos)
    professor = pick()
    npcs = tuple(pick() for _ in range(int(rng.integers(2, 4))))
    item = pick((GRASS, FLOWERS, TALL_GRASS))
    start = pick((GRASS, PATH, FLOWERS))
    if professor is None or item is None or start is None or any(p is None for p in npcs):
        return None
    world = World(
        seed=seed,
        tiles=t,
        start=start,
        start_facing=int(rng.integers(4)),
        professor=professor,
        npcs=npcs,  # type: ignore[arg-type]
        item=item,
        door=door,
        signs=tuple(signs),
    )
    return world if is_solvable(world) else None


def passable_grid(world: World, blocked: Iterable[Pos]) -> np.ndarray:
    grid = WALKABLE[world.tiles].copy()
    for r, c in blocked:
        grid[r, c] = False
    return grid


def is_solvable(world: World) -> bool:
    """Professor and item have a reachable free neighbour and the door is reachable from the start,
    with every person and the item blocking their cells (a conservative check: picking the item up
    only frees a cell)."""
    grid = passable_grid(world, (*world.people(), world.item))
    for target in (world.professor, world.item):
        goals = {
            p
            for _, p in neighbours(target)
            if 0 <= p[0] < grid.shape[0] and 0 <= p[1] < grid.shape[1] and grid[p]
        }
        goals.discard(world.door)
        if not goals or bfs(grid, world.start, goals) is None:
            return False
    return bfs(grid, world.start, {world.door}) is not None


def generate_world(seed: int, rows: int = 18, cols: int = 24, max_attempts: int = 200) -> World:
    """The world for ``seed`` (deterministic). ``rows``/``cols`` include the tree border."""
    if rows < 10 or cols < 12:
        raise ValueError(f"world too small: {rows}x{cols} (need at least 10x12)")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), rows, cols]))
    for _ in range(max_attempts):
        world = _try_generate(rng, rows, cols, int(seed))
        if world is not None:
            return world
    raise RuntimeError(f"could not generate a solvable {rows}x{cols} world for seed {seed}")
