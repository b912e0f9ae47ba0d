"""Generic in-memory demonstration arrays and their LightningDataModule (any dataset, any env).

:class:`DemoArrays` holds every sample of a set of episodes as one array per key; :class:`BatchSampler`
cuts an epoch into index arrays and :class:`ArrayBatches` serves each as one fancy-index per key (no
per-sample collation), so data loading stays far below the model's cost. :class:`ArrayDataModule`
wires them into Lightning (device placement, DDP shares); the N++ and Pokemon datamodules subclass it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import lightning as L
import numpy as np
import torch


@dataclass
class DemoArrays:
    """All samples of a set of replays, concatenated."""

    obs: dict[str, np.ndarray]
    actions: np.ndarray  # (N,) int64
    replay: np.ndarray  # (N,) int32 index into ``replays``
    category: np.ndarray  # (N,) int32 index into ``categories``
    frame: np.ndarray  # (N,) int32
    replays: list[dict]  # manifest records
    categories: list[str]

    def __len__(self) -> int:
        return len(self.actions)

    def select(self, replay_ids: Sequence[int]) -> DemoArrays:
        mask = np.isin(self.replay, np.asarray(replay_ids))
        idx = np.flatnonzero(mask)
        return DemoArrays({k: v[idx] for k, v in self.obs.items()}, self.actions[idx], self.replay[idx],
                          self.category[idx], self.frame[idx], self.replays, self.categories)


class BatchSampler:
    """Yields index arrays of one batch each (shuffled per epoch with a seeded generator).

    The order of an epoch depends only on (seed, epoch). Lightning calls :meth:`set_epoch` with the
    trainer's epoch before every epoch, so a resumed run shuffles exactly like an uninterrupted one;
    without Lightning the epoch counts up by itself (and is part of :meth:`state_dict`).

    Under DDP (``world`` processes) every rank cuts the same order into the same batches and takes
    every ``world``-th one from its ``rank`` on; ranks with one batch fewer repeat the epoch's first
    ones, so all ranks step equally often (Lightning's DistributedSampler is not used)."""

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: int, drop_last: bool = False,
                 rank: int = 0, world: int = 1):
        self.n, self.batch_size, self.shuffle, self.seed, self.drop_last = n, batch_size, shuffle, seed, drop_last
        self.rank, self.world = int(rank), max(int(world), 1)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "seed": self.seed}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = int(state["epoch"])

    def __iter__(self) -> Iterator[np.ndarray]:
        order = np.arange(self.n)
        if self.shuffle:
            order = np.random.default_rng((self.seed, self.epoch)).permutation(self.n)
            self.epoch += 1
        stop = self.n - self.batch_size + 1 if self.drop_last else self.n
        starts = range(0, max(stop, 0), self.batch_size)
        if self.world > 1:
            starts = [starts[(self.rank + i * self.world) % len(starts)] for i in range(len(self))] if starts else []
        for start in starts:
            yield order[start:start + self.batch_size]

    def __len__(self) -> int:
        batches = self.n // self.batch_size if self.drop_last else -(-self.n // self.batch_size)
        return -(-batches // self.world)


def change_points(actions: np.ndarray, replay: np.ndarray | None) -> np.ndarray:
    """True where a sample's label differs from the previous sample's of the same replay (and on each
    replay's first sample): the decisions at which the demonstrator changed its input."""
    actions = np.asarray(actions)
    out = np.ones(len(actions), bool)
    if len(actions) > 1:
        same_replay = np.ones(len(actions) - 1, bool) if replay is None else replay[1:] == replay[:-1]
        out[1:] = (actions[1:] != actions[:-1]) | ~same_replay
    return out


class ArrayBatches(torch.utils.data.Dataset):
    """``dataset[index_array]`` -> a whole batch as tensors (obs dict, actions, category, change: whether
    the label differs from the previous decision's, see :func:`change_points`).

    With a ``device`` the arrays are copied there once and every batch is gathered on it (no
    per-batch transfer); without one a batch is a fancy-index of the numpy arrays."""

    def __init__(self, arrays: DemoArrays, device: torch.device | None = None):
        self.arrays, self.device = arrays, device
        self.change = change_points(arrays.actions, getattr(arrays, "replay", None))
        self.tensors = None if device is None else {
            "obs": {k: torch.from_numpy(v).to(device) for k, v in arrays.obs.items()},
            "actions": torch.from_numpy(arrays.actions).to(device),
            "category": torch.from_numpy(arrays.category.astype(np.int64)).to(device),
            "change": torch.from_numpy(self.change).to(device),
        }

    def __len__(self) -> int:
        return len(self.arrays)

    def __getitem__(self, idx: np.ndarray) -> dict:
        idx = np.sort(idx)  # sequential reads of the large arrays
        if self.tensors is not None:
            i = torch.from_numpy(idx).to(self.device)
            t = self.tensors
            return {"obs": {k: v.index_select(0, i) for k, v in t["obs"].items()},
                    "actions": t["actions"].index_select(0, i), "category": t["category"].index_select(0, i),
                    "change": t["change"].index_select(0, i)}
        a = self.arrays
        return {
            "obs": {k: torch.from_numpy(v[idx]) for k, v in a.obs.items()},
            "actions": torch.from_numpy(a.actions[idx]),
            "category": torch.from_numpy(a.category[idx].astype(np.int64)),
            "change": torch.from_numpy(self.change[idx]),
        }


def arrays_nbytes(arrays: DemoArrays | None) -> int:
    if arrays is None:
        return 0
    return sum(v.nbytes for v in arrays.obs.values()) + arrays.actions.nbytes + 8 * len(arrays)


def data_device(device: torch.device | None, mode: str, nbytes: int, free_bytes: int | None = None) -> torch.device | None:
    """Where the batches are gathered: ``device`` when the arrays go there, else None (host memory).

    ``mode``: ``never``; ``always`` (any accelerator); ``auto`` (a CUDA device, when the arrays take
    at most half of its free memory: ``free_bytes``, read from the device when not given)."""
    if mode not in ("auto", "always", "never"):
        raise ValueError(f"data_on_device must be auto, always or never, got {mode!r}")
    if device is None or device.type == "cpu" or mode == "never":
        return None
    if mode == "always":
        return device
    if device.type != "cuda":
        return None
    if free_bytes is None:
        free_bytes = torch.cuda.mem_get_info(device)[0]
    return device if nbytes <= free_bytes // 2 else None


class ArrayDataModule(L.LightningDataModule):
    """Loaders over in-memory :class:`DemoArrays` splits (``self.train``, ``self.val``): one fancy-indexed
    batch per step (:class:`BatchSampler` + :class:`ArrayBatches`), shuffled by ``split_seed`` for training.

    Under a trainer on a GPU the splits go to the device once when they fit (``data_on_device``, see
    :func:`data_device`); otherwise batches are gathered in pinned host memory (asynchronous copies).
    Under DDP each rank reads its own share of the batches (:class:`BatchSampler`)."""

    train: DemoArrays
    val: DemoArrays | None
    batch_size: int
    split_seed: int
    data_on_device: str = "auto"  # auto | always | never

    def _placement(self) -> tuple[torch.device | None, int, int]:
        """(device the trainer runs on, rank, world size); (None, 0, 1) without a trainer."""
        trainer = getattr(self, "trainer", None)
        if trainer is None:
            return None, 0, 1
        return trainer.strategy.root_device, int(trainer.global_rank), int(trainer.world_size)

    def _loader(self, arrays: DemoArrays, shuffle: bool) -> torch.utils.data.DataLoader:
        device, rank, world = self._placement()
        nbytes = arrays_nbytes(self.train) + arrays_nbytes(self.val)
        on = data_device(device, self.data_on_device, nbytes)
        sampler = BatchSampler(len(arrays), self.batch_size, shuffle, self.split_seed, rank=rank, world=world)
        pin = on is None and device is not None and device.type == "cuda"
        return torch.utils.data.DataLoader(ArrayBatches(arrays, on), sampler=sampler, batch_size=None, num_workers=0,
                                           pin_memory=pin)

    def train_dataloader(self):
        return self._loader(self.train, shuffle=True)

    def val_dataloader(self):
        return [] if self.val is None else self._loader(self.val, shuffle=False)
