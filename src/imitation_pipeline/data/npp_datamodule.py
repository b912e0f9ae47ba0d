"""LightningDataModule for N++ demonstrations: shards regenerated from replays, split by replay or level.

The split is made over replays (or over levels, so that no level appears on both sides), never over
frames: neighbouring frames of one replay are near-duplicates, and a frame-level split inflates
validation accuracy. Samples are held in memory as the shards' uint8/float arrays and served by the
generic :class:`~imitation_pipeline.data.array_datamodule.ArrayDataModule`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from imitation_pipeline.data.array_datamodule import ArrayDataModule, DemoArrays
from imitation_pipeline.data.generation import ObsConfig, generate_shards, load_manifest
from imitation_pipeline.data.shards import read_shard
from imitation_pipeline.errors import DatasetError


def manifest_records(manifest_path: str | Path) -> list[dict]:
    records = load_manifest(manifest_path)["shards"]
    if not records:
        raise DatasetError(f"{manifest_path}: no usable replays (all were left out: see 'excluded')")
    return records


def load_demo_arrays(manifest_path: str | Path, keys: Sequence[str], only: Sequence[int] | None = None) -> DemoArrays:
    """The samples of every replay of the manifest, or of the replays ``only`` (indices into its
    records, read in file order); ``replays`` and ``categories`` always cover the whole manifest, so
    ``replay`` and ``category`` mean the same whichever replays were read."""
    shard_dir = Path(manifest_path).parent
    records = manifest_records(manifest_path)
    categories = sorted({r["category"] for r in records})
    ids = range(len(records)) if only is None else sorted(set(only))
    parts = [read_shard(shard_dir / records[i]["shard"], keys=list(keys)) for i in ids]
    obs = {k: np.concatenate([p.obs[k] for p in parts]) for k in keys}
    actions = np.concatenate([p.actions for p in parts]).astype(np.int64)
    replay = np.concatenate([np.full(len(p), i, np.int32) for i, p in zip(ids, parts, strict=True)])
    category = np.concatenate([np.full(len(p), categories.index(records[i]["category"]), np.int32)
                               for i, p in zip(ids, parts, strict=True)])
    frame = np.concatenate([p.frames for p in parts]).astype(np.int32)
    return DemoArrays(obs, actions, replay, category, frame, records, categories)


def split_replays(records: Sequence[dict], val_fraction: float, seed: int, by: str = "replay") -> tuple[list[int], list[int]]:
    """Indices of train / validation replays. ``by="level"`` keeps all replays of a level together.

    Deterministic for a seed and independent of file order (groups are ranked by a seeded hash).
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    if by not in ("replay", "level"):
        raise ValueError(f"split_by must be 'replay' or 'level', got {by!r}")
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        key = r["sha256"] if by == "replay" else f"{r['category']}/{r['level_id']}"
        groups.setdefault(key, []).append(i)
    ranked = sorted(groups, key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).hexdigest())
    n_val = int(round(len(ranked) * val_fraction))
    if val_fraction > 0 and n_val == 0 and len(ranked) > 1:
        n_val = 1
    val_groups = set(ranked[:n_val])
    train = sorted(i for g in ranked if g not in val_groups for i in groups[g])
    val = sorted(i for g in val_groups for i in groups[g])
    if not train:
        raise DatasetError("the split left no training replays (lower val_fraction or add replays)")
    return train, val


def stratified_sample(records: Sequence[dict], n: int, seed: int) -> list[int]:
    """Indices of every record of ``n`` levels (a level's clean and noisy demos stay together), each
    category in proportion to its share of the levels (largest remainders), the levels of a category
    ranked by a seeded hash of their id, so a smaller sample of a seed is part of every larger one;
    ``n <= 0`` or ``n >= levels`` = all."""
    levels: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        levels.setdefault(f"{r['category']}/{r['level_id']}", []).append(i)
    if n <= 0 or n >= len(levels):
        return list(range(len(records)))
    by_cat: dict[str, list[str]] = {}
    for key in levels:
        by_cat.setdefault(key.split("/", 1)[0], []).append(key)
    exact = {c: n * len(keys) / len(levels) for c, keys in by_cat.items()}
    take = {c: int(v) for c, v in exact.items()}
    for c in sorted(exact, key=lambda c: (-(exact[c] - take[c]), c))[:n - sum(take.values())]:
        take[c] += 1
    out = []
    for c, keys in by_cat.items():
        ranked = sorted(keys, key=lambda k: hashlib.sha256(f"{seed}:{k}".encode()).hexdigest())
        for key in ranked[:take[c]]:
            out += levels[key]
    return sorted(out)


class NppDemoDataModule(ArrayDataModule):
    """Ensures the shards exist (through the generation cache), splits, and serves batches."""

    def __init__(self, replay_dir: str, cache_dir: str, obs_config: ObsConfig, *, batch_size: int = 256,
                 val_fraction: float = 0.2, split_seed: int = 0, split_by: str = "replay",
                 include_unsuccessful: bool = False, workers: int = 1, max_replays: int = 0,
                 max_levels: int = 0):
        super().__init__()
        self.replay_dir, self.cache_dir, self.obs_config = replay_dir, cache_dir, obs_config
        self.batch_size, self.val_fraction, self.split_seed, self.split_by = batch_size, val_fraction, split_seed, split_by
        self.include_unsuccessful, self.workers, self.max_replays = include_unsuccessful, workers, max_replays
        self.max_levels = max_levels
        self.manifest_path: Path | None = None
        self.train: DemoArrays | None = None
        self.val: DemoArrays | None = None

    def prepare_data(self) -> None:
        if self.manifest_path is not None:
            return
        self.manifest_path, _ = generate_shards(self.replay_dir, self.cache_dir, self.obs_config, workers=self.workers,
                                                include_unsuccessful=self.include_unsuccessful,
                                                limit=self.max_replays)

    def setup(self, stage: str | None = None) -> None:
        if self.train is not None:
            return
        if self.manifest_path is None:
            self.prepare_data()
        from npp_sim.observation_spec import observation_keys

        records = manifest_records(self.manifest_path)
        pool = stratified_sample(records, self.max_levels, self.split_seed)
        tr, va = split_replays([records[i] for i in pool], self.val_fraction, self.split_seed, self.split_by)
        train_ids, val_ids = [pool[i] for i in tr], [pool[i] for i in va]
        # only the replays of the sample are read, each split straight into its own arrays
        keys = observation_keys(self.obs_config.modalities)
        self.train = load_demo_arrays(self.manifest_path, keys, train_ids)
        self.val = load_demo_arrays(self.manifest_path, keys, val_ids) if val_ids else None
        self.categories = self.train.categories  # of the whole manifest
        self.train_replays = [records[i] for i in train_ids]
        self.val_replays = [records[i] for i in val_ids]

    def action_counts(self) -> np.ndarray:
        return np.bincount(self.train.actions, minlength=6)
