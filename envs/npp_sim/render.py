"""Array rendering: tiles drawn once per map, moving parts drawn per frame.

Three products, all from the same pieces:

* observation views (grayscale uint8): the local ``player_frame`` (ninja-centred crop of the level at
  1/2 scale) and the ``global_view`` (whole level at 1/6 scale). The static tile layer is rasterised
  once per map at full resolution (an exact 24x24 mask per tile id, anti-aliased by box-filtering
  when downsampled); per frame only a crop is copied and the entities and ninja are stamped on top
  by small njit kernels, so no frame ever redraws the level.
* ``rgb_array`` frames for people and videos (1056x600 RGB, colour per entity kind).
* the pygame ``human`` window uses the RGB frame.

Tile solid regions (facts about N++ tile shapes): ids 2-5 are half tiles (top, right, bottom, left
solid); diagonal tiles (6-9, 18-33) are the part of the cell behind a directed segment (the free side
is to the left of p1->p2 in screen coordinates, i.e. along (-dy, dx)); 10-13 are quarter discs of
radius 24 around a cell corner; 14-17 are the cell minus such a disc; 34-37 have no collision.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from npp_sim.layout import E_ACTIVE, E_CLOSED, E_ORI, E_STATE, E_TYPE, EF_RAD, EF_X, EF_Y
from npp_sim.observation_spec import (
    GLOBAL_VIEW_SCALE,
    GLOBAL_VIEW_SHAPE,
    PLAYER_FRAME_SHAPE,
    PLAYER_VIEW_PX,
)

CELL = 24
WORLD_W, WORLD_H = 44 * CELL, 25 * CELL  # 1056 x 600, border included
NINJA_RADIUS = 10.0

# Grayscale intensities (observations).
EMPTY, SOLID = 0, 96
NINJA = 255
# Per entity type: (grayscale value, shape: 0 disc / 1 square / 2 door bar, size in px).
# Size is the radius or semi-side used for drawing; doors are 24-px bars.
_ENTITY_STYLE = {
    1: (230, 0, 4.0),  # mine (deadly)
    2: (180, 0, 6.0),  # gold
    3: (150, 1, 12.0),  # exit door
    4: (200, 0, 6.0),  # exit switch
    5: (120, 2, 12.0),  # regular door
    6: (120, 2, 12.0),  # locked door
    8: (120, 2, 12.0),  # trap door
    10: (170, 0, 6.0),  # launch pad
    11: (110, 2, 12.0),  # one-way platform
    14: (240, 0, 7.5),  # zap drone
    17: (130, 1, 9.0),  # bounce block
    20: (140, 1, 9.0),  # thwump
    21: (230, 0, 4.0),  # toggle mine
    24: (170, 0, 6.0),  # boost pad
    25: (240, 0, 5.0),  # death ball
    26: (240, 0, 4.0),  # mini drone
    28: (140, 1, 12.0),  # shove thwump
}
STYLE = np.zeros((64, 3), dtype=np.float64)  # indexed by entity type; value 0 = not drawn
for _t, (_v, _s, _r) in _ENTITY_STYLE.items():
    STYLE[_t] = (_v, _s, _r)

# RGB palette for people (the one palette of every RGB renderer: env rgb_array/human, recorder, videos).
# The ninja is near-white so it stands out on both empty cells (dark) and solid tiles (mid grey).
RGB_EMPTY = np.array([24, 26, 33], np.uint8)
RGB_SOLID = np.array([121, 128, 146], np.uint8)
RGB_NINJA = np.array([245, 245, 245], np.uint8)
_RGB = {
    1: (220, 50, 50), 2: (240, 200, 40), 3: (90, 170, 250), 4: (130, 230, 120), 5: (160, 120, 80),
    6: (200, 150, 60), 8: (180, 100, 100), 10: (240, 140, 40), 11: (150, 150, 170), 14: (230, 60, 160),
    17: (110, 110, 200), 20: (100, 160, 180), 21: (250, 110, 90), 24: (250, 170, 70), 25: (255, 80, 80),
    26: (230, 90, 190), 28: (90, 200, 200),
}  # fmt: skip
RGB = np.zeros((64, 3), dtype=np.uint8)
for _t, _c in _RGB.items():
    RGB[_t] = _c


def _tile_masks(n: int = CELL) -> np.ndarray:
    """Exact solid masks (38, n, n) sampled at pixel centres."""
    c = (np.arange(n) + 0.5) * (CELL / n)
    px, py = np.meshgrid(c, c)  # py rows (y), px columns (x)
    masks = np.zeros((38, n, n), dtype=bool)
    masks[1] = True
    masks[2] = py < 12
    masks[3] = px >= 12
    masks[4] = py >= 12
    masks[5] = px < 12
    diag = {
        6: ((0, 24), (24, 0)), 7: ((0, 0), (24, 24)), 8: ((24, 0), (0, 24)), 9: ((24, 24), (0, 0)),
        18: ((0, 12), (24, 0)), 19: ((0, 0), (24, 12)), 20: ((24, 12), (0, 24)), 21: ((24, 24), (0, 12)),
        22: ((0, 24), (24, 12)), 23: ((0, 12), (24, 24)), 24: ((24, 0), (0, 12)), 25: ((24, 12), (0, 0)),
        26: ((0, 24), (12, 0)), 27: ((12, 0), (24, 24)), 28: ((24, 0), (12, 24)), 29: ((12, 24), (0, 0)),
        30: ((12, 24), (24, 0)), 31: ((0, 0), (12, 24)), 32: ((12, 0), (0, 24)), 33: ((24, 24), (12, 0)),
    }  # fmt: skip
    for tid, ((x1, y1), (x2, y2)) in diag.items():
        nx, ny = -(y2 - y1), x2 - x1  # points to the free side
        masks[tid] = (px - x1) * nx + (py - y1) * ny < 0
    corners = {10: (0, 0), 11: (24, 0), 12: (24, 24), 13: (0, 24), 14: (24, 24), 15: (0, 24), 16: (0, 0), 17: (24, 0)}
    for tid, (cx, cy) in corners.items():
        inside = (px - cx) ** 2 + (py - cy) ** 2 < CELL * CELL
        masks[tid] = inside if tid <= 13 else ~inside
    return masks


TILE_MASKS = _tile_masks()


def _full_grid(tiles: np.ndarray) -> np.ndarray:
    """A (25, 44) tile-id grid (border included) from a (25, 44) or inner (23, 42) grid."""
    tiles = np.asarray(tiles)
    if tiles.shape == (23, 42):
        full = np.ones((25, 44), dtype=np.uint8)
        full[1:-1, 1:-1] = tiles
        tiles = full
    if tiles.shape != (25, 44):
        raise ValueError(f"tile grid must be (25, 44) or (23, 42), got {tiles.shape}")
    return np.clip(tiles.astype(np.intp), 0, 37)


def _assemble(blocks: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Tile the per-id blocks (38, b, b[, c]) over a (25, 44) id grid -> (25*b, 44*b[, c])."""
    b = blocks.shape[1]
    cells = blocks[ids]  # (25, 44, b, b[, c])
    return cells.swapaxes(1, 2).reshape(25 * b, 44 * b, *blocks.shape[3:])


def tile_layer(tiles: np.ndarray) -> np.ndarray:
    """Full-resolution solid coverage (600, 1056) float32 in {0, 1} for a (25, 44) grid with border.

    ``tiles`` is indexed [row y, column x]; any (23, 42) inner grid is wrapped in the solid border.
    """
    return _assemble(TILE_MASKS, _full_grid(tiles)).astype(np.float32)


def downsample(layer: np.ndarray, factor: int) -> np.ndarray:
    """Box-filter a (H, W) coverage layer by an integer factor."""
    h, w = layer.shape
    return layer.reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))


def _scaled_blocks(factor: int) -> np.ndarray:
    """Per tile id, its box-filtered grayscale block at 1/factor scale (cells are 24 px, so tiles
    downsample independently and assembling these blocks equals downsampling the whole level)."""
    cov = downsample(TILE_MASKS.reshape(38 * CELL, CELL).astype(np.float64), factor)
    return np.round(cov.reshape(38, CELL // factor, CELL // factor) * SOLID).astype(np.uint8)


_PLAYER_SCALE = PLAYER_VIEW_PX // PLAYER_FRAME_SHAPE[2]  # 2
PLAYER_BLOCKS = _scaled_blocks(_PLAYER_SCALE)  # (38, 12, 12)
GLOBAL_BLOCKS = _scaled_blocks(GLOBAL_VIEW_SCALE)  # (38, 4, 4)
TILE_COVERAGE = TILE_MASKS.reshape(38, -1).mean(axis=1)  # solid fraction per tile id
RGB_BLOCKS = np.where(TILE_MASKS[..., None], RGB_SOLID, RGB_EMPTY).astype(np.uint8)  # (38, 24, 24, 3)


class StaticLayers:
    """Everything about one map that never changes: the tile layer at each scale the views use.

    Built from per-tile-id blocks, so a map costs two small gathers; the full-resolution RGB layer
    (only needed to show the level to people) is built on first use.
    """

    __slots__ = ("ids", "player", "global_", "_rgb")

    def __init__(self, tiles: np.ndarray):
        self.ids = _full_grid(tiles)
        self.player = _assemble(PLAYER_BLOCKS, self.ids)  # (300, 528)
        self.global_ = _assemble(GLOBAL_BLOCKS, self.ids)  # (100, 176)
        self._rgb = None

    @property
    def coverage(self) -> np.ndarray:
        return tile_layer(self.ids)

    @property
    def cell_coverage(self) -> np.ndarray:
        """(25, 44) solid fraction of every cell."""
        return TILE_COVERAGE[self.ids]

    @property
    def rgb(self) -> np.ndarray:
        if self._rgb is None:
            self._rgb = _assemble(RGB_BLOCKS, self.ids)
        return self._rgb


@njit(cache=True, nogil=True)
def _half_extents(shape, size, ori):
    if shape == 2:  # door / platform bar: a quarter of the size thick, oriented by ``ori`` (0 = east)
        if ori % 4 == 0:
            return size * 0.25, size
        return size, size * 0.25
    return size, size


@njit(cache=True, nogil=True)
def _covers(shape, dx, dy, size, hx, hy):
    if shape == 0:
        return dx * dx + dy * dy <= size * size
    return abs(dx) <= hx and abs(dy) <= hy


@njit(cache=True, nogil=True)
def _stamp(img, cx, cy, shape, size, value, ori):
    """Draw one shape centred at (cx, cy) in image pixels (size in image pixels) with max-blending."""
    h, w = img.shape
    hx, hy = _half_extents(shape, size, ori)
    for y in range(max(int(np.floor(cy - hy)), 0), min(int(np.ceil(cy + hy)), h - 1) + 1):
        dy = y + 0.5 - cy
        for x in range(max(int(np.floor(cx - hx)), 0), min(int(np.ceil(cx + hx)), w - 1) + 1):
            if _covers(shape, x + 0.5 - cx, dy, size, hx, hy) and img[y, x] < value:
                img[y, x] = value


@njit(cache=True, nogil=True)
def _stamp_rgb(img, cx, cy, shape, size, ori, r, g, b):
    h, w = img.shape[0], img.shape[1]
    hx, hy = _half_extents(shape, size, ori)
    for y in range(max(int(np.floor(cy - hy)), 0), min(int(np.ceil(cy + hy)), h - 1) + 1):
        dy = y + 0.5 - cy
        for x in range(max(int(np.floor(cx - hx)), 0), min(int(np.ceil(cx + hx)), w - 1) + 1):
            if _covers(shape, x + 0.5 - cx, dy, size, hx, hy):
                img[y, x, 0] = r
                img[y, x, 1] = g
                img[y, x, 2] = b


@njit(cache=True, nogil=True)
def _draw_dynamic(img, origin_x, origin_y, scale, ef, ei, style, ninja_x, ninja_y, ninja_value):
    """Stamp active entities and the ninja; world (x, y) maps to ((x - origin_x) / scale, ...)."""
    h, w = img.shape
    for i in range(ef.shape[0]):
        t = ei[i, E_TYPE]
        if t < 0 or t >= style.shape[0] or style[t, 0] == 0.0:
            continue
        if ei[i, E_ACTIVE] == 0:
            continue
        if (t == 5 or t == 6 or t == 8) and ei[i, E_CLOSED] == 0:
            continue  # open doors are not drawn
        size = style[t, 2]
        if ef[i, EF_RAD] > 0.0 and style[t, 1] == 0:
            size = ef[i, EF_RAD]
        cx = (ef[i, EF_X] - origin_x) / scale
        cy = (ef[i, EF_Y] - origin_y) / scale
        s = max(size / scale, 0.75)  # at least the pixel holding the centre
        if cx + s < 0 or cy + s < 0 or cx - s > w or cy - s > h:
            continue
        value = style[t, 0]
        if t == 21 and ei[i, E_STATE] != 0:
            value = value * 0.6  # toggle mine not yet deadly
        _stamp(img, cx, cy, int(style[t, 1]), s, np.uint8(value), ei[i, E_ORI])
    _stamp(img, (ninja_x - origin_x) / scale, (ninja_y - origin_y) / scale, 0,
           max(NINJA_RADIUS / scale, 0.75), np.uint8(ninja_value), 0)


@njit(cache=True, nogil=True)
def _crop(src, top, left, out, fill):
    h, w = out.shape
    sh, sw = src.shape
    for y in range(h):
        sy = top + y
        for x in range(w):
            sx = left + x
            if 0 <= sy < sh and 0 <= sx < sw:
                out[y, x] = src[sy, sx]
            else:
                out[y, x] = fill


_PF_H, _PF_W = PLAYER_FRAME_SHAPE[1], PLAYER_FRAME_SHAPE[2]
_PF_SCALE = PLAYER_VIEW_PX // _PF_W  # 2 world px per view px


@njit(cache=True, nogil=True)
def player_frame_into(layer, ninja_x, ninja_y, ef, ei, style, view):
    """Fill a (84, 84) view from the 1/2-scale static layer and stamp the moving parts."""
    h, w = view.shape
    left = int(np.floor(ninja_x / _PF_SCALE)) - w // 2
    top = int(np.floor(ninja_y / _PF_SCALE)) - h // 2
    _crop(layer, top, left, view, np.uint8(SOLID))
    _draw_dynamic(view, left * _PF_SCALE, top * _PF_SCALE, float(_PF_SCALE), ef, ei, style,
                  ninja_x, ninja_y, NINJA)


@njit(cache=True, nogil=True)
def global_view_into(layer, ninja_x, ninja_y, ef, ei, style, view):
    """Fill a (100, 176) view from the 1/6-scale static layer and stamp the moving parts."""
    view[:, :] = layer
    _draw_dynamic(view, 0.0, 0.0, float(GLOBAL_VIEW_SCALE), ef, ei, style, ninja_x, ninja_y, NINJA)


def player_frame(static: StaticLayers, ninja_x, ninja_y, ef, ei, out=None) -> np.ndarray:
    """(1, 84, 84) uint8: the 168x168 px around the ninja at 1/2 scale; outside the world is solid."""
    if out is None:
        out = np.empty(PLAYER_FRAME_SHAPE, dtype=np.uint8)
    player_frame_into(static.player, float(ninja_x), float(ninja_y), ef, ei, STYLE, out[0])
    return out


def global_view(static: StaticLayers, ninja_x, ninja_y, ef, ei, out=None) -> np.ndarray:
    """(1, 100, 176) uint8: the whole level at 1/6 scale with entities and the ninja."""
    if out is None:
        out = np.empty(GLOBAL_VIEW_SHAPE, dtype=np.uint8)
    global_view_into(static.global_, float(ninja_x), float(ninja_y), ef, ei, STYLE, out[0])
    return out


@njit(cache=True, nogil=True)
def _draw_rgb(img, ef, ei, style, rgb, ninja_x, ninja_y, ninja_rgb):
    for i in range(ef.shape[0]):
        t = ei[i, E_TYPE]
        if t < 0 or t >= style.shape[0] or style[t, 0] == 0.0 or ei[i, E_ACTIVE] == 0:
            continue
        if (t == 5 or t == 6 or t == 8) and ei[i, E_CLOSED] == 0:
            continue
        size = style[t, 2]
        if ef[i, EF_RAD] > 0.0 and style[t, 1] == 0:
            size = ef[i, EF_RAD]
        _stamp_rgb(img, ef[i, EF_X], ef[i, EF_Y], int(style[t, 1]), size, ei[i, E_ORI],
                   rgb[t, 0], rgb[t, 1], rgb[t, 2])
    _stamp_rgb(img, ninja_x, ninja_y, 0, NINJA_RADIUS, 0, ninja_rgb[0], ninja_rgb[1], ninja_rgb[2])


def rgb_frame(static: StaticLayers, ninja_x, ninja_y, ef, ei, ninja_rgb=RGB_NINJA) -> np.ndarray:
    """(600, 1056, 3) uint8 picture of the level for people and videos."""
    img = static.rgb.copy()
    _draw_rgb(img, ef, ei, STYLE, RGB, float(ninja_x), float(ninja_y), np.asarray(ninja_rgb, np.uint8))
    return img
