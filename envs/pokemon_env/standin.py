"""``PokemonStandIn-v0``: a small Pokemon-like overworld with the real game's spaces.

The player walks a seeded tile world (:mod:`pokemon_env.world`) one tile per step. Rules:

* UP/DOWN/LEFT/RIGHT turn the player that way and move one tile if the cell is free (walkable tile,
  no person, no item). Walking onto the door is the exit: it only opens once the earlier milestones
  are reached; before that it shows a "locked" dialog and the player stays put.
* A interacts with the faced cell: talk to the professor or an NPC (they turn to face the player),
  read a sign, pick up the item ball (only after talking to the professor when
  ``ordered_milestones``). Every interaction opens a dialog box; while it is open, A or B closes it
  and nothing else happens.
* START opens the start menu (UP/DOWN move its cursor, B or START closes it). SELECT, L and R do
  nothing in the overworld (they exist for the real game's action space).

The frame shows everything the rules depend on: with ``show_progress`` (the default) a panel in the
top-left corner holds the professor once talked to and the POKE BALL once picked up, so the right next
action can be read from the frame alone (the GBA games show such progress in their menus; without the
panel, talking to the professor is invisible once the professor is off screen). ``show_progress=False``
gives the panel-less frames of earlier versions.

Milestones, in order: ``talk_professor``, ``pick_item``, ``reach_exit``. Each pays
``milestone_rewards[name]`` once (or ``reward_fn(name, info)`` when given); ``step_reward`` is added
every step. Reaching the exit terminates the episode; ``max_steps`` truncates it.

``info`` (every step): ``milestones`` (tuple of names reached, in order), ``new_milestones``,
``player`` (row, col), ``facing`` (0 up, 1 down, 2 left, 3 right), ``dialog_open``, ``menu_open``,
``item_present``, ``step``, ``world_seed``. ``reset`` also returns ``world`` (the
:class:`~pokemon_env.world.World`, for scripted experts; it is never part of the observation).

Determinism: the world comes from the reset seed (or, without one, from the env's ``np_random``);
the dynamics have no randomness at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import gymnasium as gym
import numpy as np

from pokemon_env.render import MENU_ENTRIES, render_frame, world_canvas
from pokemon_env.spaces import DIRECTIONS, Button, action_space, as_button, observation_space
from pokemon_env.world import STEPS, World, generate_world

MILESTONES = ("talk_professor", "pick_item", "reach_exit")
DEFAULT_MILESTONE_REWARDS = {"talk_professor": 1.0, "pick_item": 1.0, "reach_exit": 1.0}
_FACING_OF_BUTTON = {Button.UP: 0, Button.DOWN: 1, Button.LEFT: 2, Button.RIGHT: 3}
_OPPOSITE = (1, 0, 3, 2)

ProfessorText = "PROF. BIRCH: Welcome! Take the POKE BALL I left nearby, then head to the house."
NpcTexts = (
    "Tall grass hides wild POKEMON. Walk carefully!",
    "I heard the PROFESSOR is looking for you.",
    "The house door leads to the next town.",
)
SignTexts = ("ROUTE 101 - LITTLEROOT TOWN ahead", "TRAINER TIPS: Press START to open the menu.")


class PokemonStandInEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 8}

    def __init__(
        self,
        rows: int = 18,
        cols: int = 24,
        max_steps: int = 400,
        milestone_rewards: Mapping[str, float] | None = None,
        step_reward: float = 0.0,
        reward_fn: Callable[[str, dict[str, Any]], float] | None = None,
        ordered_milestones: bool = True,
        render_mode: str | None = None,
        show_progress: bool = True,
    ):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"unsupported render_mode {render_mode!r} (only 'rgb_array')")
        unknown = set(milestone_rewards or {}) - set(MILESTONES)
        if unknown:
            raise ValueError(f"unknown milestones {sorted(unknown)}; known: {MILESTONES}")
        self.rows, self.cols = int(rows), int(cols)
        self.max_steps = int(max_steps)
        self.milestone_rewards = {**DEFAULT_MILESTONE_REWARDS, **dict(milestone_rewards or {})}
        self.step_reward = float(step_reward)
        self.reward_fn = reward_fn
        self.ordered_milestones = bool(ordered_milestones)
        self.render_mode = render_mode
        self.show_progress = bool(show_progress)
        self.observation_space = observation_space()
        self.action_space = action_space()
        self.world: World | None = None
        self._frame: np.ndarray | None = None

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        if "world_seed" in options:
            world_seed = int(options["world_seed"])
        elif seed is not None:
            world_seed = int(seed)
        else:
            world_seed = int(self.np_random.integers(2**31 - 1))
        self.world = generate_world(world_seed, self.rows, self.cols)
        self._canvas = world_canvas(self.world)
        self.player = self.world.start
        self.facing = self.world.start_facing
        self.item_present = True
        self.dialog: str | None = None
        self.menu_cursor: int | None = None
        self.milestones: list[str] = []
        self.people_facing: dict[tuple[int, int], int] = {}
        self.steps = 0
        self._frame = self._render()
        info = self._info(())
        info["world"] = self.world
        return self._frame.copy(), info

    def step(self, action):
        if self.world is None:
            raise RuntimeError("call reset() before step()")
        button = as_button(self.action_space, action)
        new: list[str] = []
        if self.dialog is not None:
            if button in (Button.A, Button.B):
                self.dialog = None
        elif self.menu_cursor is not None:
            if button in (Button.B, Button.START):
                self.menu_cursor = None
            elif button == Button.UP:
                self.menu_cursor = (self.menu_cursor - 1) % len(MENU_ENTRIES)
            elif button == Button.DOWN:
                self.menu_cursor = (self.menu_cursor + 1) % len(MENU_ENTRIES)
            elif button == Button.A and MENU_ENTRIES[self.menu_cursor] == "EXIT":
                self.menu_cursor = None
        elif button in DIRECTIONS:
            self._move(button, new)
        elif button == Button.A:
            self._interact(new)
        elif button == Button.START:
            self.menu_cursor = 0
        self.steps += 1
        terminated = "reach_exit" in new
        truncated = not terminated and self.steps >= self.max_steps
        self._frame = self._render()
        info = self._info(tuple(new))
        reward = self.step_reward
        for name in new:
            reward += float(
                self.reward_fn(name, info) if self.reward_fn else self.milestone_rewards[name]
            )
        return self._frame.copy(), float(reward), terminated, truncated, info

    def render(self):
        if self.render_mode == "rgb_array" and self._frame is not None:
            return self._frame.copy()
        return None

    # ------------------------------------------------------------------ rules
    def _blocked_by_thing(self, pos) -> bool:
        w = self.world
        return pos in w.people() or (self.item_present and pos == w.item)

    def _prerequisites_met(self, milestone: str) -> bool:
        if not self.ordered_milestones and milestone != "reach_exit":
            return True
        earlier = MILESTONES[: MILESTONES.index(milestone)]
        return all(m in self.milestones for m in earlier)

    def _reach(self, name: str, new: list[str]) -> None:
        if name not in self.milestones:
            self.milestones.append(name)
            new.append(name)

    def _move(self, button: Button, new: list[str]) -> None:
        self.facing = _FACING_OF_BUTTON[button]
        dr, dc = DIRECTIONS[button]
        target = (self.player[0] + dr, self.player[1] + dc)
        if not self.world.walkable(target) or self._blocked_by_thing(target):
            return
        if target == self.world.door:
            if not self._prerequisites_met("reach_exit"):
                self.dialog = (
                    "The door is locked. Talk to the PROFESSOR and find the POKE BALL first."
                )
                return
            self.player = target
            self._reach("reach_exit", new)
            return
        self.player = target

    def _interact(self, new: list[str]) -> None:
        w = self.world
        dr, dc = STEPS[self.facing]
        faced = (self.player[0] + dr, self.player[1] + dc)
        if faced == w.professor:
            self.people_facing[faced] = _OPPOSITE[self.facing]
            self.dialog = ProfessorText
            self._reach("talk_professor", new)
        elif faced in w.npcs:
            self.people_facing[faced] = _OPPOSITE[self.facing]
            self.dialog = NpcTexts[w.npcs.index(faced) % len(NpcTexts)]
        elif self.item_present and faced == w.item:
            if self._prerequisites_met("pick_item"):
                self.item_present = False
                self.dialog = "You picked up the POKE BALL! It went into the BAG."
                self._reach("pick_item", new)
            else:
                self.dialog = "A POKE BALL. Better ask the PROFESSOR before taking it."
        elif faced in w.signs:
            self.dialog = SignTexts[w.signs.index(faced) % len(SignTexts)]

    # ------------------------------------------------------------------ helpers
    def _render(self) -> np.ndarray:
        return render_frame(
            self._canvas,
            self.world,
            self.player,
            self.facing,
            self.item_present,
            self.people_facing,
            self.dialog,
            self.menu_cursor,
            tuple(m in self.milestones for m in MILESTONES[:2]) if self.show_progress else None,
        )

    def _info(self, new: tuple[str, ...]) -> dict[str, Any]:
        return {
            "milestones": tuple(self.milestones),
            "new_milestones": new,
            "player": self.player,
            "facing": self.facing,
            "dialog_open": self.dialog is not None,
            "menu_open": self.menu_cursor is not None,
            "item_present": self.item_present,
            "step": self.steps,
            "world_seed": self.world.seed,
        }
