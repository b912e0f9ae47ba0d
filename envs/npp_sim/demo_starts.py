"""Episodes that start on demonstrated states (reference-state initialisation).

A reset picks the level as :class:`npp_sim.env.NppEnv` does (uniformly), then, with probability ``prob``
and when that level has demonstrations, one of them uniformly and a decision ``k`` uniformly from the
demonstration's decisions (``k * frame_skip`` frames from the spawn, 0 included), and starts the episode on the
state the demonstration reached there (``NppEnv.reset(options={"start_inputs": ...})``): the simulator is
deterministic, so replaying the recorded inputs restores the state exactly. Otherwise the episode starts at
the spawn. Evaluation envs never use this: success is always measured from the spawn.

Why: an RL agent rarely reaches the late, hard part of a level from the spawn, so it gets no signal there.
Starting some episodes on demonstrated states puts it right before a precise jump over a mine, with the
reward of getting it right a few decisions away (Salimans and Chen 2018, "Learning Montezuma's Revenge from
a single demonstration"; Peng et al. 2018, DeepMimic's "reference state initialisation").

``info["start_frame"]`` is the frame the episode started on (0 at the spawn).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import gymnasium as gym
import numpy as np


class DemoStarts(gym.Wrapper):
    """``demos``: per level index of the wrapped :class:`~npp_sim.env.NppEnv`, input bytes of demonstrations
    that win it, each cut at its winning frame (:func:`winning_prefix`)."""

    def __init__(self, env: gym.Env, demos: Mapping[int, Sequence[bytes]], prob: float, frame_skip: int,
                 seed: int | None = None):
        super().__init__(env)
        if not 0.0 <= float(prob) <= 1.0:
            raise ValueError(f"demo start probability must be in [0, 1], got {prob}")
        if int(frame_skip) < 1:
            raise ValueError(f"frame_skip must be >= 1, got {frame_skip}")
        n_levels = env.unwrapped.n_levels
        bad = [i for i in demos if not 0 <= int(i) < n_levels]
        if bad:
            raise ValueError(f"demo starts for level indices {bad} of an env with {n_levels} levels")
        self.prob, self.frame_skip, self.n_levels = float(prob), int(frame_skip), n_levels
        self._demos = {int(i): [np.frombuffer(bytes(b), dtype=np.uint8) for b in v] for i, v in demos.items()
                       if any(len(b) for b in v)}
        self._rng = np.random.default_rng(seed)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        options = dict(options or {})
        idx = int(options.setdefault("level_index", int(self._rng.integers(self.n_levels))))
        start = 0
        if "start_inputs" not in options and idx in self._demos and self._rng.random() < self.prob:
            demos = self._demos[idx]
            inputs = demos[int(self._rng.integers(len(demos)))]
            start = int(self._rng.integers((len(inputs) - 1) // self.frame_skip + 1)) * self.frame_skip
            options["start_inputs"] = inputs[:start]
        elif "start_inputs" in options:
            start = len(options["start_inputs"])
        obs, info = self.env.reset(seed=seed, options=options)
        return obs, {**info, "start_frame": start}


def winning_prefix(map_data: bytes, inputs) -> bytes | None:
    """The inputs of a demonstration up to and including its winning frame, or None if it does not win
    (the states it visits are then not a demonstration's to start from)."""
    from npp_sim.simulator import run_inputs

    trace = run_inputs(map_data, np.asarray(inputs, dtype=np.uint8))
    if trace.outcome != "won" or trace.outcome_frame is None:
        return None
    return bytes(np.asarray(inputs, dtype=np.uint8)[: trace.outcome_frame])
