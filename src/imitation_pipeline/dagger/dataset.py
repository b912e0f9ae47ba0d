"""The aggregate dataset D of DAgger: every visited state with the expert's label, over all iterations.

States are kept as numpy arrays per observation key (uint8 frames stay uint8), appended once per
iteration; :meth:`Aggregate.batches` serves shuffled batches in the BC module's dict format, and
:meth:`Aggregate.save_iteration` writes one iteration's part as an ``.npz`` (no pickle) for audit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from atomic_files import atomic_open


class Aggregate:
    def __init__(self) -> None:
        self.parts: list[dict] = []  # one per iteration: {"obs": {key: array}, "actions": array, "iteration": int}
        self._obs: dict[str, np.ndarray] | None = None
        self._actions: np.ndarray | None = None
        self._iteration: np.ndarray | None = None

    def __len__(self) -> int:
        return sum(len(p["actions"]) for p in self.parts)

    def add(self, observations: list[dict], actions: list[int], iteration: int) -> None:
        if not actions:
            return
        keys = observations[0].keys()
        part = {"obs": {k: np.stack([o[k] for o in observations]) for k in keys},
                "actions": np.asarray(actions, dtype=np.int64), "iteration": int(iteration)}
        self.parts.append(part)
        self._obs = None  # concatenated lazily

    def _arrays(self) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        if self._obs is None:
            keys = self.parts[0]["obs"].keys()
            self._obs = {k: np.concatenate([p["obs"][k] for p in self.parts]) for k in keys}
            self._actions = np.concatenate([p["actions"] for p in self.parts])
            self._iteration = np.concatenate([np.full(len(p["actions"]), p["iteration"], np.int64) for p in self.parts])
        return self._obs, self._actions, self._iteration

    def action_counts(self, n_actions: int) -> np.ndarray:
        return np.bincount(self._arrays()[1], minlength=n_actions)

    def batches(self, batch_size: int, rng: np.random.Generator):
        """One epoch of shuffled batches: ``{"obs": {k: tensor}, "actions": tensor, "category": tensor}``."""
        import torch

        obs, actions, iteration = self._arrays()
        order = rng.permutation(len(actions))
        for start in range(0, len(order), batch_size):
            idx = np.sort(order[start:start + batch_size])
            yield {"obs": {k: torch.from_numpy(v[idx]) for k, v in obs.items()},
                   "actions": torch.from_numpy(actions[idx]), "category": torch.from_numpy(iteration[idx])}

    def save_iteration(self, path: str | Path, index: int = -1, **extra: np.ndarray) -> Path:
        part = self.parts[index]
        arrays = {f"obs_{k}": v for k, v in part["obs"].items()}
        arrays.update(actions=part["actions"], iteration=np.array(part["iteration"]), **extra)
        path = Path(path)
        with atomic_open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        return path
