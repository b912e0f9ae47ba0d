"""Everything stage=bc trains on, whichever the dataset: the set-up datamodule, spaces, provenance,
class weights and rollout callback (:func:`datamodule_for`).

``dataset=npp_replays``: the replays regenerated into shards for exactly the arch's modalities
(through the generation cache), split by replay or level; rollouts on held-out levels (the validation
replays' maps). ``dataset=pokemon_npz``: episodes split by episode, frames under the arch's image
modality, rollout evaluation on the stand-in when ``env=pokemon_standin``; ``bc.td_weight > 0``
trains :class:`~imitation_pipeline.training.td_module.TDBCModule` (the DQN-BC loss).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig

from imitation_pipeline.errors import DatasetError, UserFacingError

log = logging.getLogger(__name__)


def class_weights_for(counts: np.ndarray, mode: str):
    import torch

    if mode == "none":
        return None
    if mode != "balanced":
        raise UserFacingError(f"bc.class_weighting must be 'none' or 'balanced', got {mode!r}")
    counts = counts.astype(np.float64)
    present = counts > 0
    w = np.ones_like(counts)
    w[present] = counts[present].sum() / (present.sum() * counts[present])
    return torch.tensor(w, dtype=torch.float32)


def npp_datamodule(cfg: DictConfig, modalities: list[str]):
    from imitation_pipeline.data.npp_datamodule import NppDemoDataModule
    from imitation_pipeline.stages.generate import obs_config_from

    obs_cfg = obs_config_from(cfg)
    if list(obs_cfg.modalities) != list(modalities):
        raise UserFacingError(f"generate.modalities {list(obs_cfg.modalities)} differ from arch.modalities {modalities}")
    return NppDemoDataModule(
        cfg.generate.replay_dir, cfg.generate.cache_dir, obs_cfg, batch_size=int(cfg.bc.batch_size),
        val_fraction=float(cfg.dataset.val_fraction), split_seed=int(cfg.dataset.split_seed),
        split_by=str(cfg.bc.split_by), include_unsuccessful=bool(cfg.generate.include_unsuccessful),
        workers=int(cfg.generate.workers), max_replays=int(cfg.bc.max_replays),
        max_levels=int(cfg.dataset.get("max_levels", 0)),
    )


def rollout_levels(dm, limit: int, split: str = "val") -> tuple[list[bytes], list[str]]:
    """Maps of the validation replays (held out from training), or of the training replays with
    ``split="train"`` (evenly spread over them, so every category is sampled), at most ``limit``."""
    from npp_sim.formats import read_demo

    recs = list(dm.val_replays if split == "val" else dm.train_replays)
    if split == "train" and limit > 0 and len(recs) > limit:
        recs = [recs[int(i)] for i in np.linspace(0, len(recs) - 1, limit).round()]
    levels, names, seen = [], [], set()
    for rec in recs:
        if len(levels) >= limit:
            break
        demo = read_demo(Path(dm.replay_dir) / rec["file"])
        if demo.map_data in seen:
            continue
        seen.add(demo.map_data)
        levels.append(demo.map_data)
        names.append(f"{rec['category']}/{rec['level_id']}")
    return levels, names


def rollout_spec(cfg: DictConfig, modalities: list[str], max_frames: int):
    """The rollout env without maps (the callback adds them): observations exactly as the shards were
    made (``env.max_frames`` sets the time-remaining feature), episodes cut after ``max_frames``
    frames (at most ``env.max_frames``) by a TimeLimit, the env's reward without shaping."""
    from dataclasses import replace

    from imitation_pipeline.rl.envs import env_spec

    spec = env_spec(cfg, [], [], min(int(max_frames), int(cfg.env.max_frames)))
    return replace(spec, observation=list(modalities), shaping="none")


@dataclass
class BCData:
    """What the training loop needs from a dataset, whichever kind it is."""

    dm: Any  # a set-up LightningDataModule (train / val DemoArrays, action_counts())
    observation_space: Any
    action_space: Any
    provenance: dict  # checkpoint provenance (dataset_hash first)
    categories: list[str]
    rollout: Any = None  # a Lightning callback, or None
    module_kwargs: dict = field(default_factory=dict)  # extra module arguments (TD loss, action names)
    module_class: Any = None  # the LightningModule (BCModule; TDBCModule for the DQN-BC loss)


def _npp_data(cfg: DictConfig, modalities: list[str], timer=None) -> BCData:
    from gymnasium import spaces
    from npp_sim.observation_spec import observation_space

    from imitation_pipeline.training.callbacks import RolloutEvaluation

    if float(cfg.bc.td_weight) > 0:
        raise UserFacingError("bc.td_weight > 0 needs rewards in the demonstrations: use dataset=pokemon_npz")
    dm = npp_datamodule(cfg, modalities)
    dm.prepare_data()
    dm.setup("fit")
    if dm.val is None:
        raise DatasetError(f"{cfg.generate.replay_dir}: too few replays for a validation split "
                           f"({len(dm.train_replays)} usable); add replays or set dataset.val_fraction")
    levels, names = rollout_levels(dm, int(cfg.bc.rollout_levels))
    train_levels, train_names = rollout_levels(dm, int(cfg.bc.rollout_train_levels), split="train")
    rollout = None
    if int(cfg.bc.rollout_every_n_epochs) > 0 and (levels or train_levels):
        spec = rollout_spec(cfg, modalities, int(cfg.bc.rollout_max_frames))
        share = 0.0 if str(cfg.bc.monitor).startswith("rollout/") else float(cfg.bc.get("rollout_max_share", 0.0))
        rollout = RolloutEvaluation(spec, levels, names, int(cfg.bc.rollout_every_n_epochs),
                                    train_levels, train_names, timer=timer, max_share=share,
                                    deterministic=bool(cfg.bc.rollout_deterministic))
    prov = {"dataset_hash": dm.manifest_path.stem.removeprefix("manifest-"), "train_replays": len(dm.train_replays),
            "val_replays": len(dm.val_replays), "obs_key": dm.manifest_path.parent.name, "split": split_record(dm)}
    return BCData(dm, observation_space(modalities), spaces.Discrete(6), prov, dm.categories, rollout)


def split_record(dm) -> dict:
    """Which levels the run trained and validated on, kept in the checkpoint's provenance so that
    ``stage=evaluate evaluate.bc_levels=train`` can play exactly them: the replay folder (absolute) and,
    per side, ``{"<category>/<level_id>": replay file}`` (the first replay of each level: the map is
    the same in all of them)."""
    def levels(records) -> dict[str, str]:
        out: dict[str, str] = {}
        for r in records:
            out.setdefault(f"{r['category']}/{r['level_id']}", str(r["file"]))
        return dict(sorted(out.items()))

    return {"replay_dir": str(Path(dm.replay_dir).resolve()), "split_by": str(dm.split_by),
            "split_seed": int(dm.split_seed), "val_fraction": float(dm.val_fraction),
            "train": levels(dm.train_replays), "val": levels(dm.val_replays)}


def _pokemon_data(cfg: DictConfig, modalities: list[str]) -> BCData:
    from gymnasium import spaces

    from imitation_pipeline.dagger.envs import make_task
    from imitation_pipeline.data.pokemon_datamodule import PokemonDataModule
    from imitation_pipeline.data.pokemon_frames import pokemon_obs_key, pokemon_observation_space

    d = cfg.dataset
    key = pokemon_obs_key(modalities)
    td_weight = float(cfg.bc.td_weight)
    dm = PokemonDataModule(
        str(d.path), key, image_size=int(d.image_size), grayscale=bool(d.grayscale), num_actions=int(d.num_actions),
        use_cache=bool(d.use_cache), cache_dir=d.cache_dir, batch_size=int(cfg.bc.batch_size),
        val_fraction=float(d.val_fraction), split_seed=int(d.split_seed), td=td_weight > 0, buffer_seed=int(cfg.seed),
    )
    dm.setup("fit")
    if dm.val is None:
        raise DatasetError(f"{d.path}: too few episodes for a validation split ({len(dm.train_replays)}); "
                           "collect more episodes or set dataset.val_fraction")
    rollout = None
    if int(cfg.bc.rollout_every_n_epochs) > 0:
        if str(cfg.env.name).startswith("pokemon_"):
            if (int(cfg.env.image_size), bool(cfg.env.grayscale)) != (int(d.image_size), bool(d.grayscale)):
                raise UserFacingError(f"env.image_size/grayscale ({cfg.env.image_size}, {cfg.env.grayscale}) differ "
                                      f"from dataset.image_size/grayscale ({d.image_size}, {d.grayscale})")
            from imitation_pipeline.dagger.callbacks import TaskRolloutEvaluation

            rollout = TaskRolloutEvaluation(make_task(cfg, modalities), int(cfg.bc.rollout_every_n_epochs))
        else:
            log.warning("no rollout evaluation for dataset=pokemon_npz with env=%s (use env=pokemon_standin)",
                        cfg.env.name)
    kwargs: dict = {"action_names": [b.lower() for b in _buttons()]}
    module_class = None
    if td_weight > 0:
        from imitation_pipeline.training.td_module import TDBCModule

        module_class = TDBCModule
        kwargs.update(td_weight=td_weight, gamma=float(cfg.bc.gamma), target_update_every=int(cfg.bc.target_update_every),
                      td_sampler=dm.td_batch, td_batch_size=int(cfg.bc.td_batch_size) or int(cfg.bc.batch_size))
    prov = {"dataset_hash": dm.digest, "train_episodes": len(dm.train_replays), "val_episodes": len(dm.val_replays),
            "obs_key": key}
    return BCData(dm, pokemon_observation_space(key, int(d.image_size), bool(d.grayscale)),
                  spaces.Discrete(int(d.num_actions)), prov, [*dm.all.categories], rollout, kwargs, module_class)


def _buttons() -> tuple[str, ...]:
    from pokemon_env.spaces import BUTTONS

    return BUTTONS


def datamodule_for(cfg: DictConfig, modalities: list[str], timer=None) -> BCData:
    """The set-up datamodule, spaces, provenance and rollout hook for ``cfg.dataset.name``; with a
    ``timer`` (TimeSplit) the shard generation and loading count as ``data``, N++ rollouts as ``rollouts``."""
    from imitation_pipeline.training.timing import timed

    name = str(cfg.dataset.name)
    with timed(timer, "data"):
        if name == "npp_replays":
            return _npp_data(cfg, modalities, timer)
        if name == "pokemon_npz":
            return _pokemon_data(cfg, modalities)
    raise UserFacingError(f"stage=bc supports dataset=npp_replays or pokemon_npz; got {name!r}")
