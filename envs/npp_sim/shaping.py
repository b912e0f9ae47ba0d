"""Potential-based reward shaping from route distance (Ng, Harada & Russell 1999).

``PathShaping`` adds ``F = gamma * Phi(s') - Phi(s)`` to the env's reward, which leaves the optimal policy
unchanged. ``Phi(s) = -D(s) / distance_px``, where ``D`` is the geodesic cost still to go:
- before the exit switch is activated, the route distance from the ninja to the switch plus the switch's
  route distance to the exit door;
- afterwards, the route distance to the door.

The distances come from the same per-level distance fields as the ``path_*`` observation features
(:func:`npp_sim.observations.path_fields`: free space on a 6-px lattice, mines cost extra), computed once
per level. ``Phi`` of a terminal state is 0, as the theory requires for episodic tasks. A level whose
switch or door cannot be reached (no route) gets the constant potential 0: no shaping, never a NaN.

``progress=True`` (``env.reward_shaping=path_progress``) is the variant most RL code uses: ``F = Phi(s') - Phi(s)``
(no discount) and a death keeps the potential of where it happened, so the shaping return of an episode is
exactly the route distance it covered (/ ``distance_px``). It is not invariant in Ng's sense: with the exact
form, Phi jumps to 0 on death, so dying ``d`` px from the objective earns ``+d / distance_px`` at once (more
than the death penalty's 0.5 when ``d`` > 500 px at the default scale), which the value function must learn
to offset from the small ``(1 - gamma) * d`` trickle of staying alive.

``info["shaping_reward"]`` and ``info["sparse_reward"]`` carry the two parts of every step's reward, so
the sparse return can be logged apart from the shaped one; success stays the metric.
"""

from __future__ import annotations

import gymnasium as gym

from npp_sim.layout import E_ACTIVE, EF_X, EF_Y
from npp_sim.observations import UNREACHABLE, objective_rows, path_fields
from npp_sim.planner.field import lookup


class PathShaping(gym.Wrapper):
    def __init__(self, env: gym.Env, gamma: float, distance_px: float = 1000.0, progress: bool = False):
        super().__init__(env)
        self.progress = bool(progress)
        if self.progress:
            gamma = 1.0
        if not 0.0 <= float(gamma) <= 1.0:
            raise ValueError(f"shaping gamma must be in [0, 1], got {gamma}")
        if float(distance_px) <= 0:
            raise ValueError(f"shaping distance_px must be > 0, got {distance_px}")
        self.gamma, self.distance_px = float(gamma), float(distance_px)
        self._fields: dict[int, tuple | None] = {}
        self._phi = 0.0

    def _level_fields(self, sim):
        key = id(sim.level)
        if key not in self._fields:
            ei, ef = sim.entity_int, sim.entity_float
            sw, door = objective_rows(sim.entity_type, ei)
            ok = sw >= 0 and door >= 0
            fields = path_fields(sim.level.tiles, ef, ei, sw, door) if ok else None
            sw_to_door = lookup(fields[1], ef[sw, EF_X], ef[sw, EF_Y]) if ok else UNREACHABLE
            self._fields[key] = (fields, sw, sw_to_door) if sw_to_door < UNREACHABLE else None
        return self._fields[key]

    def potential(self) -> float:
        """Phi of the wrapped env's current state (0 on terminal states, except a death with ``progress``,
        and on unreachable objectives)."""
        sim = self.env.unwrapped.sim
        if sim.won or (sim.dead and not self.progress):
            return 0.0
        lv = self._level_fields(sim)
        if lv is None:
            return 0.0
        fields, sw, sw_to_door = lv
        x, y = sim.ninja_x, sim.ninja_y
        if sim.entity_int[sw, E_ACTIVE] == 0:  # switch activated (as Simulator.switch_activated)
            d = lookup(fields[1], x, y)
        else:
            d = lookup(fields[0], x, y) + sw_to_door
        if not d < UNREACHABLE:
            return 0.0
        return -d / self.distance_px

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self._phi = self.potential()
        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        phi = self.potential()
        shaping = self.gamma * phi - self._phi
        self._phi = phi
        info = {**info, "shaping_reward": float(shaping), "sparse_reward": float(reward)}
        return obs, float(reward + shaping), terminated, truncated, info

