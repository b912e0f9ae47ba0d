"""Recorder test helpers (pytest runs in importlib mode, so they are handed out by the ``rs``
fixture): a tiny corridor level built from the map layout (FORMAT_FACTS section 2), a deadly
pit, headless pygame (dummy SDL drivers) and key-event helpers."""

from __future__ import annotations

import os
import struct
import types

import numpy as np
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pygame  # noqa: E402

CORRIDOR_ROW = 10


def cell_units(c: int) -> int:
    """Map units (6 px) of the centre of inner column/row c (inner tile c is grid cell c + 1)."""
    return 4 * c + 6


def corridor_map(length: int = 12, name: str = "corridor") -> bytes:
    """A one-tile-high corridor (inner row 10, columns 1..length) with the ninja at column 2,
    the exit switch at length // 2 and the exit door at length - 1, everything else solid.
    Holding RIGHT from the spawn wins (after 90 frames for length 12)."""
    tiles = np.ones((23, 42), np.uint8)
    tiles[CORRIDOR_ROW, 1:1 + length] = 0
    m = bytearray(1230)
    m[38:38 + len(name)] = name.encode()
    m[184:1150] = tiles.tobytes()
    counts = [0] * 40
    counts[0], counts[3], counts[4] = 1, 1, 1
    struct.pack_into("<40H", m, 1150, *counts)
    y = cell_units(CORRIDOR_ROW)
    m += bytes([0, cell_units(2), y, 1, 0])  # ninja, facing right
    m += bytes([3, cell_units(length - 1), y, 0, 0])  # exit door
    m += bytes([4, cell_units(length // 2), y, 0, 0])  # its switch, 5 * count[3] bytes on
    return bytes(m)


def pit_map() -> bytes:
    """Spawn high above the floor of a tall empty room: falling from rest kills on impact."""
    tiles = np.ones((23, 42), np.uint8)
    tiles[0:22, 1:10] = 0
    m = bytearray(1230)
    m[184:1150] = tiles.tobytes()
    counts = [0] * 40
    counts[0], counts[3], counts[4] = 1, 1, 1
    struct.pack_into("<40H", m, 1150, *counts)
    m += bytes([0, cell_units(5), cell_units(0), 1, 0])
    m += bytes([3, cell_units(8), cell_units(21), 0, 0])
    m += bytes([4, cell_units(2), cell_units(21), 0, 0])
    return bytes(m)


def key(kind: int, k: int) -> pygame.event.Event:
    return pygame.event.Event(kind, key=k, mod=0, unicode="", scancode=0)


def post_keys(*pairs) -> None:
    """Post real events to pygame's queue: pairs of ("down"|"up", key)."""
    for what, k in pairs:
        pygame.event.post(key(pygame.KEYDOWN if what == "down" else pygame.KEYUP, k))


def frame(session, n: int = 1) -> None:
    """Advance the session n frames, each fed with what is in pygame's event queue."""
    for _ in range(n):
        session.advance(pygame.event.get())


@pytest.fixture
def rs():
    return types.SimpleNamespace(corridor_map=corridor_map, pit_map=pit_map, key=key,
                                 post_keys=post_keys, frame=frame, cell_units=cell_units)


@pytest.fixture
def pg():
    """pygame's display (and so its event queue) up under the dummy driver, queue empty."""
    pygame.display.init()
    pygame.event.clear()
    yield pygame
    if pygame.display.get_init():  # the window's run() shuts the display down itself
        pygame.event.clear()
