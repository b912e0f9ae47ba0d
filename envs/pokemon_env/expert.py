"""Experts: anything with ``reset(obs, info)`` and ``act(obs, info) -> action`` (:class:`Expert`).

:class:`ScriptedExpert` solves ``PokemonStandIn-v0`` from the world in the reset ``info``: it closes
dialogs and menus, then goes for the next missing milestone (professor, item, door) along a BFS
shortest path over the tile grid (people, signs and the item block; the door is only a goal once it
would open), turns to face the target with its direction button and presses A. With
``epsilon > 0`` it presses a random button with that probability (seeded), for more varied data.

:class:`RandomExpert` presses uniformly random buttons (seeded): a baseline and a smoke-test source.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, runtime_checkable

import numpy as np

from pokemon_env.spaces import NUM_ACTIONS, Button
from pokemon_env.world import STEPS, World, bfs, passable_grid

_BUTTON_OF_FACING = (Button.UP, Button.DOWN, Button.LEFT, Button.RIGHT)


@runtime_checkable
class Expert(Protocol):
    """The interface collection and DAgger use: called with the env's obs and info."""

    name: str

    def reset(self, obs: np.ndarray | None = None, info: dict[str, Any] | None = None) -> None: ...

    def act(self, obs: np.ndarray, info: dict[str, Any]) -> int: ...


class RandomExpert:
    name = "random"

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def reset(self, obs=None, info=None) -> None:
        pass

    def act(self, obs, info) -> int:
        return int(self.rng.integers(NUM_ACTIONS))


class ScriptedExpert:
    """BFS planner for the stand-in; needs ``info['world']`` at reset (the env provides it)."""

    name = "scripted"

    def __init__(self, epsilon: float = 0.0, seed: int = 0):
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must lie in [0, 1], got {epsilon}")
        self.epsilon = float(epsilon)
        self.rng = np.random.default_rng(seed)
        self.world: World | None = None

    def reset(self, obs=None, info=None) -> None:
        if not info or not isinstance(info.get("world"), World):
            raise ValueError(
                "ScriptedExpert.reset needs the reset info of PokemonStandIn-v0 (info['world'])"
            )
        self.world = info["world"]

    def act(self, obs, info) -> int:
        if self.world is None:
            raise RuntimeError("call reset(obs, info) first")
        if self.epsilon and self.rng.random() < self.epsilon:
            return int(self.rng.integers(NUM_ACTIONS))
        return int(self.plan(info))

    def plan(self, info: dict[str, Any]) -> Button:
        """The expert's button for this state (no exploration noise)."""
        w = self.world
        if info["dialog_open"]:
            return Button.A
        if info["menu_open"]:
            return Button.B
        done = set(info["milestones"])
        player = tuple(info["player"])
        blocked = [*w.people()] + ([w.item] if info["item_present"] else [])
        grid = passable_grid(w, blocked)
        if "talk_professor" not in done:
            return self._interact_with(w.professor, player, info["facing"], grid)
        if "pick_item" not in done and info["item_present"]:
            return self._interact_with(w.item, player, info["facing"], grid)
        path = bfs(grid, player, {w.door})
        if not path:  # unreachable (cannot happen in a generated world) or already there
            return Button.B
        return _BUTTON_OF_FACING[path[0]]

    def _interact_with(self, target, player, facing: int, grid: np.ndarray) -> Button:
        for f, (dr, dc) in enumerate(STEPS):
            if (player[0] + dr, player[1] + dc) == target:
                return Button.A if f == facing else _BUTTON_OF_FACING[f]
        goals = set()
        for dr, dc in STEPS:
            r, c = target[0] + dr, target[1] + dc
            if (
                0 <= r < grid.shape[0]
                and 0 <= c < grid.shape[1]
                and grid[r, c]
                and (r, c) != self.world.door
            ):
                goals.add((r, c))
        grid = grid.copy()
        grid[self.world.door] = False  # the locked door would only pop up a dialog
        path = bfs(grid, player, goals)
        if not path:
            return Button.B
        return _BUTTON_OF_FACING[path[0]]


def make_expert(spec: str, seed: int = 0, epsilon: float = 0.0) -> Expert:
    """``scripted``, ``random`` or ``package.module:ClassName`` (constructed with no arguments)."""
    if spec == "scripted":
        return ScriptedExpert(epsilon=epsilon, seed=seed)
    if spec == "random":
        return RandomExpert(seed=seed)
    if ":" in spec:
        module, _, attr = spec.partition(":")
        expert = getattr(importlib.import_module(module), attr)()
        if not isinstance(expert, Expert):
            raise TypeError(f"{spec} does not implement reset(obs, info) / act(obs, info) / name")
        return expert
    raise ValueError(f"unknown expert {spec!r}: use 'scripted', 'random' or 'module:Class'")
