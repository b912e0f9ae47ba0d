"""The observation and action spaces shared by every Pokemon env (stand-in and mGBA).

Observation: one RGB frame, ``(160, 240, 3)`` uint8, height x width x channel. The GBA screen is 240
pixels wide and 160 high; we keep the usual image order (rows first), so ``obs[y, x]`` is the pixel
at column ``x`` of row ``y``.

Action: ``Discrete(10)``, one GBA button per step, in the order of :data:`BUTTONS`.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

FRAME_HEIGHT = 160
FRAME_WIDTH = 240
FRAME_SHAPE = (FRAME_HEIGHT, FRAME_WIDTH, 3)


class Button(IntEnum):
    A = 0
    B = 1
    START = 2
    SELECT = 3
    UP = 4
    DOWN = 5
    LEFT = 6
    RIGHT = 7
    L = 8
    R = 9


BUTTONS: tuple[str, ...] = tuple(b.name for b in Button)
NUM_ACTIONS = len(BUTTONS)

# Direction buttons -> (d_row, d_col); also the facing codes used by the stand-in (UP=0 .. RIGHT=3).
DIRECTIONS: dict[Button, tuple[int, int]] = {
    Button.UP: (-1, 0),
    Button.DOWN: (1, 0),
    Button.LEFT: (0, -1),
    Button.RIGHT: (0, 1),
}


def as_button(space, action) -> Button:
    """The button an action of ``space`` (our ``Discrete``) presses; ValueError for any other value."""
    if not space.contains(action):
        raise ValueError(f"invalid action {action!r}; expected an int in [0, {space.n})")
    return Button(int(action))


def observation_space():
    from gymnasium import spaces

    return spaces.Box(low=0, high=255, shape=FRAME_SHAPE, dtype=np.uint8)


def action_space():
    from gymnasium import spaces

    return spaces.Discrete(NUM_ACTIONS)
