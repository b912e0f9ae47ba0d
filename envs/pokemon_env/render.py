"""Numpy drawing for the stand-in: 16x16 tile and character sprites, camera, dialog box and menu.

Everything is built once at import from a few numpy primitives (no image files). A frame is one
slice copy of the world's pre-rendered tile canvas (camera centred on the player, like the GBA
games: the player stands at screen tile row 4, column 7 of the 10 x 15 visible tiles) plus a few
sprite stamps, so rendering costs well under a millisecond.
"""

from __future__ import annotations

import numpy as np

from pokemon_env.spaces import FRAME_HEIGHT, FRAME_WIDTH
from pokemon_env.world import (
    DOOR,
    DOWN,
    FLOWERS,
    GRASS,
    LEFT,
    PATH,
    RIGHT,
    ROOF,
    SIGN,
    TALL_GRASS,
    TREE,
    UP,
    WALL,
    WATER,
    World,
)

TILE = 16
VIEW_ROWS = FRAME_HEIGHT // TILE  # 10
VIEW_COLS = FRAME_WIDTH // TILE  # 15
PLAYER_ROW = 4  # screen tile of the player
PLAYER_COL = 7

_yy, _xx = np.mgrid[0:TILE, 0:TILE]


def _rgb(*c: int) -> np.ndarray:
    return np.array(c, dtype=np.uint8)


def _disc(cy: float, cx: float, r: float) -> np.ndarray:
    return (_yy - cy) ** 2 + (_xx - cx) ** 2 <= r * r


def _rect(y0: int, x0: int, y1: int, x1: int) -> np.ndarray:
    return (_yy >= y0) & (_yy < y1) & (_xx >= x0) & (_xx < x1)


def _fill(color) -> np.ndarray:
    return np.broadcast_to(_rgb(*color), (TILE, TILE, 3)).copy()


def _grass() -> np.ndarray:
    t = _fill((112, 192, 96))
    for y, x in ((3, 2), (4, 3), (10, 9), (11, 10), (6, 12), (13, 4)):
        t[y, x] = (80, 160, 72)
    return t


def _tile_sprites() -> np.ndarray:
    sprites = np.zeros((10, TILE, TILE, 3), dtype=np.uint8)
    grass = _grass()
    sprites[GRASS] = grass

    p = _fill((216, 192, 136))
    p[(_yy * 7 + _xx * 3) % 11 == 0] = (192, 168, 112)
    sprites[PATH] = p

    tg = _fill((56, 144, 64))
    tg[(_xx % 4 == 1) & (_yy % 8 < 6)] = (96, 184, 80)
    tg[(_xx % 4 == 3) & ((_yy + 4) % 8 < 6)] = (40, 112, 48)
    sprites[TALL_GRASS] = tg

    fl = grass.copy()
    for cy, cx, col in ((4, 4, (232, 72, 72)), (11, 11, (248, 216, 64)), (5, 12, (232, 72, 72))):
        fl[_disc(cy, cx, 1.6)] = col
        fl[cy, cx] = (255, 255, 255)
    sprites[FLOWERS] = fl

    tr = grass.copy()
    tr[_rect(11, 6, 16, 10)] = (112, 72, 40)
    tr[_disc(6.5, 7.5, 6.5)] = (32, 112, 56)
    tr[_disc(5, 6, 2.5)] = (64, 152, 80)
    sprites[TREE] = tr

    w = _fill((72, 128, 224))
    w[((_yy % 8 == 3) & ((_xx + _yy) % 6 < 3))] = (168, 200, 248)
    sprites[WATER] = w

    wall = _fill((232, 224, 208))
    wall[_rect(4, 2, 10, 7)] = (96, 160, 216)
    wall[_rect(4, 9, 10, 14)] = (96, 160, 216)
    wall[_yy == 15] = (160, 152, 136)
    sprites[WALL] = wall

    roof = _fill((200, 72, 64))
    roof[_yy % 4 == 3] = (152, 48, 48)
    sprites[ROOF] = roof

    door = wall.copy()
    door[_rect(1, 3, 16, 13)] = (128, 80, 40)
    door[_rect(2, 4, 16, 12)] = (160, 104, 56)
    door[_disc(9, 10, 1)] = (248, 216, 64)
    sprites[DOOR] = door

    sign = grass.copy()
    sign[_rect(9, 7, 16, 9)] = (112, 72, 40)
    sign[_rect(2, 2, 10, 14)] = (112, 72, 40)
    sign[_rect(3, 3, 9, 13)] = (200, 152, 96)
    sign[_rect(5, 5, 6, 11)] = (112, 72, 40)
    sprites[SIGN] = sign
    return sprites


TILE_SPRITES = _tile_sprites()


def _person(shirt, hair, facing: int) -> tuple[np.ndarray, np.ndarray]:
    img = np.zeros((TILE, TILE, 3), dtype=np.uint8)
    mask = np.zeros((TILE, TILE), dtype=bool)
    body = _rect(8, 4, 14, 12)
    head = _disc(5, 7.5, 4)
    legs = _rect(14, 5, 16, 7) | _rect(14, 9, 16, 11)
    img[legs] = (48, 48, 96)
    img[body] = shirt
    img[head] = (248, 208, 168)
    hair_mask = head & (_yy <= 3) if facing != UP else head  # back of the head when facing up
    img[hair_mask] = hair
    if facing == DOWN:
        img[5, 5] = img[5, 10] = (24, 24, 24)
    elif facing == LEFT:
        img[5, 4] = (24, 24, 24)
        img[head & (_xx >= 9) & (_yy <= 6)] = hair
    elif facing == RIGHT:
        img[5, 11] = (24, 24, 24)
        img[head & (_xx <= 6) & (_yy <= 6)] = hair
    mask |= body | head | legs
    return img, mask


def _people(shirt, hair) -> list[tuple[np.ndarray, np.ndarray]]:
    return [_person(shirt, hair, f) for f in range(4)]


PLAYER_SPRITES = _people((216, 48, 48), (64, 48, 40))
PROFESSOR_SPRITES = _people((240, 240, 240), (160, 160, 168))
NPC_SPRITES = [
    _people((64, 96, 200), (40, 32, 24)),
    _people((72, 168, 88), (200, 152, 64)),
    _people((160, 88, 184), (24, 24, 24)),
]


def _item_sprite() -> tuple[np.ndarray, np.ndarray]:
    img = np.zeros((TILE, TILE, 3), dtype=np.uint8)
    ball = _disc(8.5, 7.5, 5.5)
    img[ball & (_yy < 8)] = (224, 40, 40)
    img[ball & (_yy > 8)] = (248, 248, 248)
    img[ball & (_yy == 8)] = (24, 24, 24)
    img[_disc(8.5, 7.5, 1.6)] = (24, 24, 24)
    img[_disc(8.5, 7.5, 0.9)] = (248, 248, 248)
    return img, ball | _disc(8.5, 7.5, 1.6)


ITEM_SPRITE = _item_sprite()


def world_canvas(world: World) -> np.ndarray:
    """The whole world drawn once, padded by trees so that any camera window fits."""
    rows, cols = world.tiles.shape
    pad_r, pad_c = VIEW_ROWS, VIEW_COLS
    padded = np.full((rows + 2 * pad_r, cols + 2 * pad_c), TREE, dtype=np.uint8)
    padded[pad_r : pad_r + rows, pad_c : pad_c + cols] = world.tiles
    canvas = TILE_SPRITES[padded]  # (R, C, 16, 16, 3)
    return np.ascontiguousarray(canvas.transpose(0, 2, 1, 3, 4)).reshape(
        padded.shape[0] * TILE, padded.shape[1] * TILE, 3
    )


def _stamp(frame: np.ndarray, sprite: tuple[np.ndarray, np.ndarray], sr: int, sc: int) -> None:
    if 0 <= sr < VIEW_ROWS and 0 <= sc < VIEW_COLS:
        img, mask = sprite
        cell = frame[sr * TILE : (sr + 1) * TILE, sc * TILE : (sc + 1) * TILE]
        cell[mask] = img[mask]


def _glyph(ch: str) -> np.ndarray:
    """A 5x3 block pattern standing in for a letter (stable per character, blank for spaces)."""
    if ch == " ":
        return np.zeros((5, 3), dtype=bool)
    code = (ord(ch) * 2654435761) & 0x7FFF
    bits = np.array([(code >> i) & 1 for i in range(15)], dtype=bool).reshape(5, 3)
    bits[:, 0] |= ch.isupper()
    return bits


def _draw_text(
    frame: np.ndarray, text: str, y: int, x: int, max_chars: int, color=(48, 48, 56)
) -> None:
    for i, ch in enumerate(text[:max_chars]):
        g = np.kron(_glyph(ch), np.ones((2, 1), dtype=bool))  # 10 x 3
        region = frame[y : y + 10, x + 5 * i : x + 5 * i + 3]
        region[g[: region.shape[0], : region.shape[1]]] = color


def draw_box(frame: np.ndarray, y0: int, x0: int, y1: int, x1: int) -> None:
    frame[y0:y1, x0:x1] = (72, 88, 120)
    frame[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2] = (248, 248, 248)


MENU_ENTRIES = ("POKEDEX", "POKEMON", "BAG", "SAVE", "EXIT")

# The progress panel (top-left): one 16x16 slot per milestone that changes what the player must do next,
# empty until it is reached. Without it, "talked to the professor" is not visible once the professor is off
# screen, and the expert's next action depends on it.
PROGRESS_SLOTS = 2
PROGRESS_BOX = (2, 2, 24, 6 + 18 * PROGRESS_SLOTS)  # y0, x0, y1, x1


def draw_progress(frame: np.ndarray, reached: tuple[bool, ...]) -> None:
    """The progress panel: slot 0 shows the professor once talked to, slot 1 the POKE BALL once picked up."""
    y0, x0, y1, x1 = PROGRESS_BOX
    frame[y0:y1, x0:x1] = (248, 248, 248)
    frame[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2] = (40, 48, 72)  # dark, so the white-coated professor stands out
    icons = (PROFESSOR_SPRITES[DOWN], ITEM_SPRITE)
    for i, (done, (img, mask)) in enumerate(zip(reached, icons, strict=True)):
        cell = frame[y0 + 3 : y0 + 3 + TILE, x0 + 4 + 18 * i : x0 + 4 + 18 * i + TILE]
        if done:
            cell[mask] = img[mask]
        else:
            cell[6:10, 6:10] = (96, 104, 128)  # an empty slot


def render_frame(
    canvas: np.ndarray,
    world: World,
    player: tuple[int, int],
    facing: int,
    item_present: bool,
    people_facing: dict[tuple[int, int], int],
    dialog: str | None = None,
    menu_cursor: int | None = None,
    progress: tuple[bool, ...] | None = None,
) -> np.ndarray:
    """One (160, 240, 3) uint8 frame with the camera on ``player`` (and the progress panel when
    ``progress`` gives one flag per slot)."""
    top = (player[0] - PLAYER_ROW + VIEW_ROWS) * TILE
    left = (player[1] - PLAYER_COL + VIEW_COLS) * TILE
    frame = canvas[top : top + FRAME_HEIGHT, left : left + FRAME_WIDTH].copy()
    r0, c0 = player[0] - PLAYER_ROW, player[1] - PLAYER_COL
    if item_present:
        _stamp(frame, ITEM_SPRITE, world.item[0] - r0, world.item[1] - c0)
    _stamp(
        frame,
        PROFESSOR_SPRITES[people_facing.get(world.professor, DOWN)],
        world.professor[0] - r0,
        world.professor[1] - c0,
    )
    for i, pos in enumerate(world.npcs):
        sprites = NPC_SPRITES[i % len(NPC_SPRITES)]
        _stamp(frame, sprites[people_facing.get(pos, DOWN)], pos[0] - r0, pos[1] - c0)
    _stamp(frame, PLAYER_SPRITES[facing], PLAYER_ROW, PLAYER_COL)
    if progress is not None:
        draw_progress(frame, progress)
    if dialog is not None:
        draw_box(frame, 116, 4, 156, 236)
        words = dialog.split(" ")
        lines, cur = [], ""
        for w in words:  # wrap at 44 characters, two lines shown
            if len(cur) + len(w) + 1 > 44 and cur:
                lines.append(cur)
                cur = w
            else:
                cur = f"{cur} {w}".strip()
        lines.append(cur)
        for i, line in enumerate(lines[:2]):
            _draw_text(frame, line, 122 + 16 * i, 12, 44)
    if menu_cursor is not None:
        draw_box(frame, 4, 168, 8 + 16 * len(MENU_ENTRIES) + 4, 236)
        for i, entry in enumerate(MENU_ENTRIES):
            _draw_text(frame, entry, 10 + 16 * i, 184, 9)
        y = 10 + 16 * menu_cursor
        frame[y + 2 : y + 8, 174:178] = (48, 48, 56)
    return frame


__all__ = ["PROGRESS_BOX", "TILE", "TILE_SPRITES", "VIEW_COLS", "VIEW_ROWS", "draw_progress", "render_frame",
           "world_canvas"]
