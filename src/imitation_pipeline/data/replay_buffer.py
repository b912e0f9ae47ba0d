"""A cleanrl-style replay buffer for one environment stream (used by the off-policy DQN-BC loss).

``add(obs, next_obs, action, reward, terminated, truncated=False)`` stores one transition;
``sample(batch_size)`` draws uniformly with the buffer's seeded ``numpy.random.Generator`` and returns
a :class:`ReplayBatch` of numpy arrays (``batch.to_torch(device)`` converts them).

``dones`` in a batch are the *terminations* only: a truncated transition (time limit) keeps
bootstrapping from its real ``next_observations``. ``terminated or truncated`` marks an episode end.

``optimize_memory=True`` stores every frame once: ``next_obs`` of transition ``i`` is read from slot
``i + 1`` (the next transition's ``obs``). That needs consecutive ``add`` calls of one episode to
chain (``obs`` of a call equals ``next_obs`` of the previous one; checked, ValueError otherwise).
Episode ends are handled without that chain: the final ``next_obs`` of an episode is kept aside
(at most one per stored episode end) and the newest transition's ``next_obs`` is kept until the next
``add``, so every stored transition, including the oldest when the ring buffer has wrapped, samples
the right ``next_obs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class ReplayBatch:
    observations: np.ndarray
    next_observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    dones: np.ndarray  # float32, 1.0 where the transition terminated the episode
    indices: np.ndarray

    def to_torch(self, device: Any = "cpu") -> ReplayBatch:
        import torch

        def conv(x: np.ndarray):
            return torch.as_tensor(x, device=device)

        return ReplayBatch(
            *(
                conv(getattr(self, f))
                for f in (
                    "observations",
                    "next_observations",
                    "actions",
                    "rewards",
                    "dones",
                    "indices",
                )
            )
        )


class ReplayBuffer:
    def __init__(
        self,
        buffer_size: int,
        obs_shape: tuple[int, ...],
        obs_dtype: Any = np.uint8,
        action_dtype: Any = np.int64,
        optimize_memory: bool = False,
        seed: int | None = 0,
    ):
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be positive, got {buffer_size}")
        self.buffer_size = int(buffer_size)
        self.obs_shape = tuple(obs_shape)
        self.optimize_memory = bool(optimize_memory)
        self.observations = np.zeros((self.buffer_size, *self.obs_shape), dtype=obs_dtype)
        self.next_observations = None if optimize_memory else np.zeros_like(self.observations)
        self.actions = np.zeros(self.buffer_size, dtype=action_dtype)
        self.rewards = np.zeros(self.buffer_size, dtype=np.float32)
        self.terminated = np.zeros(self.buffer_size, dtype=bool)
        self.episode_end = np.zeros(self.buffer_size, dtype=bool)
        self._final_next: dict[int, np.ndarray] = {}  # optimize_memory: next_obs of episode ends
        self._pending_next: np.ndarray | None = (
            None  # optimize_memory: next_obs of the newest transition
        )
        self.pos = 0
        self.full = False
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.buffer_size if self.full else self.pos

    @property
    def nbytes(self) -> int:
        n = self.observations.nbytes + self.actions.nbytes + self.rewards.nbytes
        if self.next_observations is not None:
            n += self.next_observations.nbytes
        return n + sum(v.nbytes for v in self._final_next.values())

    def add(
        self, obs, next_obs, action, reward: float, terminated: bool, truncated: bool = False
    ) -> None:
        obs = np.asarray(obs, dtype=self.observations.dtype)
        next_obs = np.asarray(next_obs, dtype=self.observations.dtype)
        if obs.shape != self.obs_shape or next_obs.shape != self.obs_shape:
            raise ValueError(
                f"observation shape {obs.shape}/{next_obs.shape}, buffer expects {self.obs_shape}"
            )
        i = self.pos
        ended = bool(terminated or truncated)
        if self.optimize_memory:
            prev = (i - 1) % self.buffer_size
            if (
                len(self)
                and not self.episode_end[prev]
                and not np.array_equal(self._pending_next, obs)
            ):
                raise ValueError(
                    "optimize_memory needs chained transitions: obs must equal the previous next_obs "
                    "unless the previous transition ended its episode"
                )
            self._final_next.pop(i, None)
            if ended:
                self._final_next[i] = next_obs.copy()
            self._pending_next = next_obs.copy()
        else:
            self.next_observations[i] = next_obs
        self.observations[i] = obs
        self.actions[i] = action
        self.rewards[i] = reward
        self.terminated[i] = bool(terminated)
        self.episode_end[i] = ended
        self.pos = (i + 1) % self.buffer_size
        self.full = self.full or self.pos == 0

    def add_episode(
        self,
        observations,
        actions,
        rewards,
        dones,
        final_observation=None,
        terminated: bool | None = None,
    ) -> None:
        """Add a recorded episode (observations before each action, as in the NPZ files).

        The last transition's next_obs is ``final_observation`` (or its own obs if absent, which only
        matters for truncated episodes); it is terminated when ``terminated`` (default: ``dones[-1]``).
        """
        t = len(actions)
        if t == 0:
            return
        end_terminated = bool(dones[-1]) if terminated is None else bool(terminated)
        for k in range(t):
            last = k == t - 1
            nxt = (
                observations[k + 1]
                if not last
                else (final_observation if final_observation is not None else observations[k])
            )
            self.add(
                observations[k],
                nxt,
                actions[k],
                rewards[k],
                terminated=last and end_terminated,
                truncated=last and not end_terminated,
            )

    def _next_obs(self, idx: np.ndarray) -> np.ndarray:
        if not self.optimize_memory:
            return self.next_observations[idx]
        out = self.observations[(idx + 1) % self.buffer_size].copy()
        newest = (self.pos - 1) % self.buffer_size
        for j, i in enumerate(idx):
            if self.episode_end[i]:
                out[j] = self._final_next[int(i)]
            elif i == newest:
                out[j] = self._pending_next
        return out

    def sample(self, batch_size: int) -> ReplayBatch:
        n = len(self)
        if n == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = self.rng.integers(0, n, size=batch_size)
        return self.get(idx)

    def get(self, idx) -> ReplayBatch:
        idx = np.asarray(idx, dtype=np.int64)
        return ReplayBatch(
            observations=self.observations[idx],
            next_observations=self._next_obs(idx),
            actions=self.actions[idx],
            rewards=self.rewards[idx],
            dones=self.terminated[idx].astype(np.float32),
            indices=idx,
        )
