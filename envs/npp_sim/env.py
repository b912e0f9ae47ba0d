"""Gymnasium environment over our simulator (registered as ``NPP-v0``).

Actions are ``Discrete(6)``: 0 NOOP, 1 LEFT, 2 RIGHT, 3 JUMP, 4 LEFT+JUMP, 5 RIGHT+JUMP (the input
bytes 0, 4, 2, 1, 5, 3 of recorded replays). One step applies the action for ``frame_skip``
simulator frames (stopping early on a terminal frame). The episode terminates on a win or death and
is truncated after ``max_frames`` simulator frames. ``reset(options={"level_index": i, "start_inputs": b})``
starts the episode after playing the input bytes ``b`` (one per frame) from the spawn: a state of a
recorded demonstration (:class:`npp_sim.demo_starts.DemoStarts`). Rewards: ``win`` on winning, ``death`` on dying,
``switch`` once when the exit switch is activated, ``time_penalty`` per simulated frame.

The observation returned by ``reset`` and ``step`` is built by :class:`ObservationBuilder` from the
state *before* the next action, exactly as replay regeneration builds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from npp_sim.map_data import LevelData, parse_map
from npp_sim.observations import ObservationBuilder
from npp_sim.render import StaticLayers, rgb_frame
from npp_sim.simulator import Simulator

# action -> (hor, jump), and the recorded input byte of each action
ACTION_CONTROLS = ((0, 0), (-1, 0), (1, 0), (0, 1), (-1, 1), (1, 1))
ACTION_INPUT_BYTES = (0, 4, 2, 1, 5, 3)
INPUT_BYTE_TO_ACTION = {b: a for a, b in enumerate(ACTION_INPUT_BYTES)}
ACTION_NAMES = ("NOOP", "LEFT", "RIGHT", "JUMP", "LEFT+JUMP", "RIGHT+JUMP")


def action_of_input(hor: int, jump: int) -> int:
    """The Discrete(6) action for decoded controls (hor in {-1,0,1}, jump in {0,1})."""
    return ACTION_CONTROLS.index((int(hor), int(jump)))


#: levels per category of the default level set: train-suite levels 0..n-1 (the pipeline's default
#: PPO training levels, ``suites.train``), so ``gym.make("NPP-v0")`` works without arguments
DEFAULT_LEVEL_COUNTS = {"very_simple": 8, "simple": 8, "medium": 4, "complex": 2, "mine_heavy": 2,
                        "exploration": 2}


def default_levels(counts: Mapping[str, int] | None = None) -> tuple[list[bytes], list[str]]:
    """``(maps, names)`` of the default level set: train-suite levels ``0..n-1`` of each category."""
    from npp_sim.levelgen.suite import build_named_suite

    levels = build_named_suite("train", dict(DEFAULT_LEVEL_COUNTS if counts is None else counts))
    return [lv.map_data for lv in levels], [f"{lv.category}/{lv.level_id}" for lv in levels]


def env_from_maps_hex(maps_hex: Sequence[str], **kwargs) -> NppEnv:
    """An :class:`NppEnv` over maps given as hex strings (the JSON-able form an ``EnvSpec`` can hold)."""
    return NppEnv(levels=[bytes.fromhex(h) for h in maps_hex], **kwargs)


def env_spec_for(maps: Sequence[bytes], level_names: Sequence[str] | None = None, **kwargs):
    """A gymnasium ``EnvSpec`` that rebuilds this env over exactly these maps (``gym.make(spec)``),
    e.g. for Minari's ``recover_environment``; every argument is stored as JSON."""
    from gymnasium.envs.registration import EnvSpec

    kw = {"maps_hex": [bytes(m).hex() for m in maps], **kwargs}
    if level_names is not None:
        kw["level_names"] = list(level_names)
    return EnvSpec(id="NPPMaps-v0", entry_point="npp_sim.env:env_from_maps_hex", kwargs=kw,
                   max_episode_steps=None, disable_env_checker=True)


@dataclass(frozen=True)
class Rewards:
    win: float = 1.0
    death: float = -0.5
    switch: float = 0.1
    time_penalty: float = -0.0001


class NppEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 60}

    def __init__(
        self,
        levels: Sequence[bytes | LevelData] | None = None,
        observation: Sequence[str] = ("player_frame", "game_state"),
        frame_skip: int = 1,
        max_frames: int = 20000,
        reward: Mapping[str, float] | Rewards | None = None,
        render_mode: str | None = None,
        level_names: Sequence[str] | None = None,
    ):
        if levels is None:  # the default level set (train-suite levels), named by category and id
            levels, default_names = default_levels()
            level_names = default_names if level_names is None else level_names
        if len(levels) == 0:
            raise ValueError("NppEnv needs at least one level")
        if frame_skip < 1:
            raise ValueError(f"frame_skip must be >= 1, got {frame_skip}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        self._levels = [lv if isinstance(lv, LevelData) else parse_map(lv, f"level {i}") for i, lv in enumerate(levels)]
        self._level_names = list(level_names) if level_names is not None else [f"level-{i}" for i in range(len(levels))]
        self.frame_skip = int(frame_skip)
        self.max_frames = int(max_frames)
        self.rewards = reward if isinstance(reward, Rewards) else Rewards(**dict(reward or {}))
        self.render_mode = render_mode
        self.builder = ObservationBuilder(observation, max_frames=self.max_frames)
        self.observation_space = self.builder.space
        self.action_space = gym.spaces.Discrete(len(ACTION_CONTROLS))
        self._sims: dict[int, Simulator] = {}
        self.sim: Simulator | None = None
        self.level_index = -1
        self._switch_rewarded = False
        self._window = None
        self._static: StaticLayers | None = None

    @property
    def n_levels(self) -> int:
        return len(self._levels)

    # --- gymnasium API -----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = options or {}
        if "level_index" in options:
            idx = int(options["level_index"])
            if not 0 <= idx < len(self._levels):
                raise ValueError(f"level_index {idx} out of range (0..{len(self._levels) - 1})")
        else:
            idx = int(self.np_random.integers(len(self._levels)))
        if idx not in self._sims:
            self._sims[idx] = Simulator.from_level(self._levels[idx])
        self.sim = self._sims[idx]
        self.sim.reset()
        if idx != self.level_index:
            self._static = None
        self.level_index = idx
        start = options.get("start_inputs")
        if start is not None:  # play a recorded prefix first: the episode starts where it leaves the ninja
            self._play_prefix(np.asarray(start, dtype=np.uint8))
        self._switch_rewarded = self.sim.switch_activated  # a switch hit in the prefix earns nothing now
        obs = self.builder.observe(self.sim)
        if self.render_mode == "human":
            self.render()
        return obs, self._info()

    def step(self, action):
        if self.sim is None:
            raise RuntimeError("call reset() before step()")
        if not self.action_space.contains(action):
            raise ValueError(f"invalid action {action!r}; expected an int in [0, 5]")
        hor, jump = ACTION_CONTROLS[int(action)]
        sim, rw = self.sim, self.rewards
        reward = 0.0
        for _ in range(self.frame_skip):
            sim.tick(hor, jump)
            reward += rw.time_penalty
            if not self._switch_rewarded and sim.switch_activated:
                self._switch_rewarded = True
                reward += rw.switch
            if sim.won or sim.dead:
                break
            if sim.frame >= self.max_frames:
                break
        terminated = sim.won or sim.dead
        if sim.won:
            reward += rw.win
        elif sim.dead:
            reward += rw.death
        truncated = (not terminated) and sim.frame >= self.max_frames
        obs = self.builder.observe(sim)
        if self.render_mode == "human":
            self.render()
        return obs, float(reward), bool(terminated), bool(truncated), self._info()

    def _play_prefix(self, inputs: np.ndarray) -> None:
        """Advance the fresh episode by ``inputs`` (recorded input bytes, one per frame) in one compiled call;
        the prefix must leave the episode running."""
        from npp_sim.inputs import decode_inputs

        if inputs.ndim != 1:
            raise ValueError(f"start_inputs must be a 1-D sequence of input bytes, got shape {inputs.shape}")
        trace = self.sim.run(*decode_inputs(inputs))
        if trace.outcome != "neither" or self.sim.frame >= self.max_frames:
            end = trace.outcome_frame if trace.outcome != "neither" else self.sim.frame
            raise ValueError(f"start_inputs end the episode at frame {end} of their {len(inputs)} "
                             f"(level {self._level_names[self.level_index]})")

    def _info(self) -> dict:
        sim = self.sim
        return {
            "is_success": bool(sim.won),
            "dead": bool(sim.dead),
            "frame": sim.frame,
            "switch_activated": bool(sim.switch_activated),
            "level_index": self.level_index,
            "level_name": self._level_names[self.level_index],
        }

    # --- rendering ---------------------------------------------------------------------------
    def render(self):
        if self.render_mode is None or self.sim is None:
            return None
        if self._static is None:
            self._static = StaticLayers(self.sim.level.inner_tiles)
        frame = rgb_frame(self._static, self.sim.ninja_x, self.sim.ninja_y, self.sim.entity_float, self.sim.entity_int)
        if self.render_mode == "rgb_array":
            return frame
        self._show(frame)
        return None

    def _show(self, frame: np.ndarray) -> None:
        import pygame

        if self._window is None:
            pygame.init()
            pygame.display.set_caption("N++ (npp_sim)")
            self._window = pygame.display.set_mode((frame.shape[1], frame.shape[0]))
            self._clock = pygame.time.Clock()
        surf = pygame.surfarray.make_surface(frame.swapaxes(0, 1))
        self._window.blit(surf, (0, 0))
        pygame.event.pump()
        pygame.display.flip()
        self._clock.tick(self.metadata["render_fps"])

    def close(self):
        if self._window is not None:
            import pygame

            pygame.display.quit()
            self._window = None
