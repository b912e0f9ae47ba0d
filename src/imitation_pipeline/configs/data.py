"""Dataset schemas (the `dataset` group)."""

from __future__ import annotations

from dataclasses import dataclass

from omegaconf import MISSING


@dataclass
class DatasetConfig:
    name: str = MISSING
    path: str = MISSING
    val_fraction: float = 0.2  # split by replay / episode, never by frame
    split_seed: int = 0


@dataclass
class NppReplaysConfig(DatasetConfig):
    include_unsuccessful: bool = False


@dataclass
class PokemonNpzConfig(DatasetConfig):
    image_size: int = 84


DATASET_SCHEMAS = {"npp_replays": NppReplaysConfig, "pokemon_npz": PokemonNpzConfig}
