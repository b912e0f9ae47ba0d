"""The Pokemon NPZ episode format (version 1) and its writer.

One episode per file, named ``episode_<anything>.npz`` (the writer uses ``episode_000042.npz`` or a
caller-given stem), written with :func:`numpy.savez_compressed` and read back with
``np.load(..., allow_pickle=False)``. Fields (T = number of steps):

``observations``       (T, 160, 240, 3) uint8   frame *before* action t (what the player saw)
``actions``            (T,) integer (int64)       button pressed at t, 0 <= a < 10 (spaces.BUTTONS)
``rewards``            (T,) float (float32)       reward received after action t
``dones``              (T,) bool                  True where the episode ended after action t
                                                  (terminated or truncated; at most the last step)
``final_observation``  (160, 240, 3) uint8        optional: the frame after the last action (lets
                                                  off-policy losses bootstrap truncated episodes)
``metadata``           0-d unicode string         a JSON object, see below

Metadata keys written by :class:`EpisodeWriter` (readers must tolerate unknown keys and treat all of
them as optional): ``format`` ("pokemon_npz"), ``version`` (1), ``env_id``, ``seed`` (reset seed or
null), ``source`` (expert name, "keyboard", ...), ``length`` (T), ``total_reward``, ``terminated``,
``truncated``, ``milestones`` (names reached, in order), ``buttons`` (the action names),
``created_utc``.

No pickled object is ever stored: every field is a plain numeric or unicode array.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from atomic_files import atomic_open

from pokemon_env.spaces import BUTTONS, FRAME_SHAPE, NUM_ACTIONS

FORMAT_NAME = "pokemon_npz"
FORMAT_VERSION = 1
FILE_PREFIX = "episode_"
FILE_SUFFIX = ".npz"
REQUIRED_FIELDS = ("observations", "actions", "rewards", "dones", "metadata")
OPTIONAL_FIELDS = ("final_observation",)


def atomic_savez(path: str | os.PathLike, compressed: bool = True, **arrays: np.ndarray) -> Path:
    """Write ``arrays`` to ``path`` (.npz) atomically (temporary file in the same directory + rename)."""
    with atomic_open(path, "wb") as fh:
        (np.savez_compressed if compressed else np.savez)(fh, **arrays)
    return Path(path)


def episode_arrays(
    observations: np.ndarray,
    actions: np.ndarray,
    rewards: np.ndarray,
    dones: np.ndarray,
    metadata: dict[str, Any],
    final_observation: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The arrays of one episode file, checked against the format (ValueError if they do not fit)."""
    obs = np.ascontiguousarray(observations, dtype=np.uint8)
    t = len(obs)
    if obs.shape != (t, *FRAME_SHAPE):
        raise ValueError(f"observations must have shape (T, {FRAME_SHAPE}), got {obs.shape}")
    act = np.asarray(actions, dtype=np.int64).reshape(-1)
    rew = np.asarray(rewards, dtype=np.float32).reshape(-1)
    don = np.asarray(dones, dtype=bool).reshape(-1)
    if not (len(act) == len(rew) == len(don) == t):
        raise ValueError(
            f"length mismatch: obs {t}, actions {len(act)}, rewards {len(rew)}, dones {len(don)}"
        )
    if t and (act.min() < 0 or act.max() >= NUM_ACTIONS):
        raise ValueError(f"actions must lie in [0, {NUM_ACTIONS})")
    meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "buttons": list(BUTTONS), "length": t}
    meta.update(metadata)
    out = {
        "observations": obs,
        "actions": act,
        "rewards": rew,
        "dones": don,
        "metadata": np.array(json.dumps(meta, sort_keys=True)),
    }
    if final_observation is not None:
        fin = np.asarray(final_observation, dtype=np.uint8)
        if fin.shape != FRAME_SHAPE:
            raise ValueError(f"final_observation must have shape {FRAME_SHAPE}, got {fin.shape}")
        out["final_observation"] = fin
    return out


def write_episode(path: str | os.PathLike, **kwargs: Any) -> Path:
    """Check and atomically write one episode file (arguments as :func:`episode_arrays`)."""
    return atomic_savez(path, **episode_arrays(**kwargs))


@dataclass
class EpisodeBuffer:
    """Accumulates one episode step by step: ``add(obs_before, action, reward, done)``."""

    observations: list[np.ndarray] = field(default_factory=list)
    actions: list[int] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    dones: list[bool] = field(default_factory=list)

    def add(self, obs: np.ndarray, action: int, reward: float, done: bool) -> None:
        self.observations.append(np.asarray(obs, dtype=np.uint8).copy())
        self.actions.append(int(action))
        self.rewards.append(float(reward))
        self.dones.append(bool(done))

    def __len__(self) -> int:
        return len(self.actions)

    def clear(self) -> None:
        self.observations.clear()
        self.actions.clear()
        self.rewards.clear()
        self.dones.clear()


class EpisodeWriter:
    """Writes numbered episode files into ``out_dir`` (``episode_000000.npz``, ... never overwriting)."""

    def __init__(self, out_dir: str | os.PathLike, start_index: int | None = None):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if start_index is None:
            taken = [
                int(p.stem[len(FILE_PREFIX) :])
                for p in self.out_dir.glob(f"{FILE_PREFIX}*{FILE_SUFFIX}")
                if p.stem[len(FILE_PREFIX) :].isdigit()
            ]
            start_index = max(taken, default=-1) + 1
        self.next_index = start_index
        self.written: list[Path] = []

    def write(
        self,
        episode: EpisodeBuffer,
        metadata: dict[str, Any],
        final_observation: np.ndarray | None = None,
    ) -> Path:
        if len(episode) == 0:
            raise ValueError("refusing to write an empty episode")
        meta = {
            "total_reward": float(np.sum(episode.rewards, dtype=np.float64)),
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        meta.update(metadata)
        path = self.out_dir / f"{FILE_PREFIX}{self.next_index:06d}{FILE_SUFFIX}"
        while path.exists():
            self.next_index += 1
            path = self.out_dir / f"{FILE_PREFIX}{self.next_index:06d}{FILE_SUFFIX}"
        write_episode(
            path,
            observations=np.stack(episode.observations),
            actions=np.asarray(episode.actions),
            rewards=np.asarray(episode.rewards),
            dones=np.asarray(episode.dones),
            metadata=meta,
            final_observation=final_observation,
        )
        self.next_index += 1
        self.written.append(path)
        return path
