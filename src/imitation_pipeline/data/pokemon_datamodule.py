"""LightningDataModule for Pokemon NPZ episodes (``dataset=pokemon_npz``), batches shaped like N++'s.

Episodes are loaded (validated, preprocessed, cached) by :mod:`imitation_pipeline.data.pokemon_npz`
and split by episode, never by frame (``dataset.val_fraction``, ``dataset.split_seed``). Batches are
the BC module's dicts ``{"obs": {obs_key: uint8 (B, C, S, S)}, "actions": (B,), "category": (B,)}``
where ``obs_key`` is the arch's image modality (see :func:`imitation_pipeline.data.pokemon_frames.pokemon_obs_key`)
and there is one category, ``pokemon``. Samples are held as one array per key and served one fancy
index per batch (:mod:`~imitation_pipeline.data.array_datamodule`'s :class:`BatchSampler` / :class:`ArrayBatches`).

With ``td=True`` the training episodes also fill a :class:`~imitation_pipeline.data.replay_buffer.ReplayBuffer`
(``optimize_memory``: each frame stored once) of transitions ``(obs, next_obs, action, reward,
done)``; :meth:`PokemonDataModule.td_batch` samples it for the DQN-BC loss. An episode's last
transition bootstraps from its ``final_observation`` unless the episode terminated.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from imitation_pipeline.data.array_datamodule import ArrayDataModule, DemoArrays
from imitation_pipeline.data.pokemon_npz import NUM_ACTIONS, PokemonNpzData, load_pokemon_npz
from imitation_pipeline.errors import DatasetError

CATEGORY = "pokemon"


def dataset_digest(files: list[Path]) -> str:
    """SHA-256 over the episode files' names and bytes (the checkpoint's ``dataset_hash``)."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.name.encode() + b"\0")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


def episodes_to_arrays(data: PokemonNpzData, obs_key: str) -> DemoArrays:
    eps = data.episodes
    obs = np.concatenate([np.asarray(e.observations) for e in eps])
    actions = np.concatenate([e.actions for e in eps]).astype(np.int64)
    replay = np.concatenate([np.full(len(e), i, np.int32) for i, e in enumerate(eps)])
    frame = np.concatenate([np.arange(len(e), dtype=np.int32) for e in eps])
    records = [{"file": name, "length": len(e), "milestones": list(e.metadata.get("milestones", [])),
                "seed": e.metadata.get("seed")} for name, e in zip(data.names, eps, strict=True)]
    return DemoArrays({obs_key: obs}, actions, replay, np.zeros(len(actions), np.int32), frame, records, [CATEGORY])


class PokemonDataModule(ArrayDataModule):
    def __init__(self, path: str, obs_key: str, *, image_size: int = 84, grayscale: bool = False,
                 num_actions: int = NUM_ACTIONS, use_cache: bool = True, cache_dir: str | None = None,
                 batch_size: int = 256, val_fraction: float = 0.2, split_seed: int = 0, td: bool = False,
                 buffer_seed: int = 0):
        super().__init__()
        self.path, self.obs_key = str(path), str(obs_key)
        self.image_size, self.grayscale, self.num_actions = int(image_size), bool(grayscale), int(num_actions)
        self.use_cache, self.cache_dir = bool(use_cache), cache_dir
        self.batch_size, self.val_fraction, self.split_seed = int(batch_size), float(val_fraction), int(split_seed)
        self.td, self.buffer_seed = bool(td), int(buffer_seed)
        self.data: PokemonNpzData | None = None
        self.train: DemoArrays | None = None
        self.val: DemoArrays | None = None
        self.buffer = None
        self.digest = ""

    def prepare_data(self) -> None:
        pass  # loading validates and fills the preprocessing cache; done once in setup

    def setup(self, stage: str | None = None) -> None:
        if self.train is not None:
            return
        self.data = load_pokemon_npz(self.path, image_size=self.image_size, grayscale=self.grayscale,
                                     cache_dir=self.cache_dir or None, use_cache=self.use_cache,
                                     num_actions=self.num_actions)
        self.digest = dataset_digest([e.path for e in self.data.episodes])
        train_ids, val_ids = self.data.split(self.val_fraction, self.split_seed)
        arrays = episodes_to_arrays(self.data, self.obs_key)
        self.all = arrays
        self.train = arrays.select(train_ids)
        self.val = arrays.select(val_ids) if val_ids else None
        self.train_replays = [arrays.replays[i] for i in train_ids]
        self.val_replays = [arrays.replays[i] for i in val_ids]
        if self.td:
            self.buffer = self._fill_buffer(train_ids)

    def _fill_buffer(self, episode_ids: list[int]):
        from imitation_pipeline.data.replay_buffer import ReplayBuffer

        eps = [self.data.episodes[i] for i in episode_ids]
        size = sum(len(e) for e in eps)
        if size == 0:
            raise DatasetError(f"{self.path}: no training transitions for the TD loss")
        shape = tuple(eps[0].observations.shape[1:])
        buffer = ReplayBuffer(size, shape, optimize_memory=True, seed=self.buffer_seed)
        for e in eps:
            terminated = bool(e.metadata.get("terminated", bool(e.dones[-1])))
            buffer.add_episode(np.asarray(e.observations), e.actions, e.rewards, e.dones,
                               final_observation=e.final_observation, terminated=terminated)
        return buffer

    def td_batch(self, batch_size: int) -> dict:
        """Transitions for the TD loss: obs / next_obs dicts, actions, rewards, dones (tensors)."""
        b = self.buffer.sample(batch_size)
        return {"obs": {self.obs_key: torch.from_numpy(b.observations)},
                "next_obs": {self.obs_key: torch.from_numpy(b.next_observations)},
                "actions": torch.from_numpy(b.actions), "rewards": torch.from_numpy(b.rewards),
                "dones": torch.from_numpy(b.dones)}

    def action_counts(self) -> np.ndarray:
        return np.bincount(self.train.actions, minlength=self.num_actions)
