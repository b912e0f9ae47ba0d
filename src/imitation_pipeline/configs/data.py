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
    """A directory of replay files (v0, v1, attract, v2); which ones count: ``generate.include_unsuccessful``."""

    # 0 = every usable replay; N = the replays of N levels, stratified by category (each category in
    # proportion; the same sample for the same split_seed, nested across N), taken before the train/validation split
    max_levels: int = 0


@dataclass
class PokemonNpzConfig(DatasetConfig):
    """Episodes written by pokemon_env (see imitation_pipeline.data.pokemon_npz for the format)."""

    image_size: int = 84  # frames are area-resized to image_size x image_size, channel-first
    grayscale: bool = False  # True: 1 luma channel; False: RGB
    num_actions: int = 10  # GBA buttons; actions outside [0, num_actions) are a DatasetError
    use_cache: bool = True  # cache preprocessed episodes (keyed by file content + preprocessing)
    cache_dir: str | None = None  # default <path>/.cache (user cache dir when not writable)


DATASET_SCHEMAS = {"npp_replays": NppReplaysConfig, "pokemon_npz": PokemonNpzConfig}
