"""``stage=bc``: behavioural cloning of the arch's SB3 policy with Lightning.

The dataset picks the datamodule (:func:`datamodule_for`): ``dataset=npp_replays`` (below) or
``dataset=pokemon_npz`` (episodes split by episode, frames under the arch's image modality, rollout
evaluation on the stand-in when ``env=pokemon_standin``; ``bc.td_weight > 0`` adds the DQN-BC loss).

Data: the dataset's replays regenerated into shards for exactly the arch's modalities (through the
generation cache), split by replay or level. Callbacks: ModelCheckpoint (best by ``bc.monitor`` +
last, both in the project's checkpoint schema), EarlyStopping, LearningRateMonitor, a progress bar,
rollout evaluation on held-out levels (the validation replays' maps), and a pointer to this run's
checkpoints so ``resume=true`` and ``stage=finetune`` find them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from atomic_files import write_json_atomic
from omegaconf import DictConfig, OmegaConf

from imitation_pipeline.errors import DatasetError, UserFacingError

log = logging.getLogger(__name__)


def build_logger(cfg: DictConfig, run_dir: Path):
    if cfg.logger is None:
        return False
    from hydra.utils import instantiate

    if "WandbLogger" in str(cfg.logger.get("_target_", "")) and cfg.logger.get("offline", True):
        os.environ.setdefault("WANDB_MODE", "offline")
    return instantiate(cfg.logger)


def _finish_wandb(logger) -> None:
    """End this stage's W&B run: otherwise the next job of a sweep (same process) logs into it."""
    if logger and type(logger).__name__ == "WandbLogger":
        import wandb

        wandb.finish()


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
            "val_replays": len(dm.val_replays), "obs_key": dm.manifest_path.parent.name}
    return BCData(dm, observation_space(modalities), spaces.Discrete(6), prov, dm.categories, rollout)


def _pokemon_data(cfg: DictConfig, modalities: list[str]) -> BCData:
    from gymnasium import spaces

    from imitation_pipeline.dagger.envs import make_task, pokemon_obs_key, pokemon_observation_space
    from imitation_pipeline.data.pokemon_datamodule import PokemonDataModule

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


def _batches(value: float) -> int | float:
    """Lightning reads 1.0 as 'all' and an int as a batch count."""
    return int(value) if value > 1 else float(value)


def _count_levels(records) -> int:
    """Distinct levels among replay records (0 when they carry no level id, e.g. Pokemon episodes)."""
    return len({(r.get("category"), r.get("level_id")) for r in records
                if isinstance(r, dict) and r.get("level_id") is not None})


def evaluate_best(cfg: DictConfig, checkpoint: str, run_dir: Path) -> dict:
    """``stage=evaluate`` of the best checkpoint on ``bc.evaluate_suite``; the macro figures."""
    from imitation_pipeline.stages import evaluate

    suite = str(cfg.bc.evaluate_suite)
    ecfg = OmegaConf.merge(cfg, {"evaluate": {"checkpoint": checkpoint, "suite": suite, "progress": False,
                                              "output": str(run_dir / "evaluation.json")}})
    result = evaluate.run(ecfg)
    return {"suite": suite, "file": str(run_dir / "evaluation.json"), "macro": result["macro"],
            "per_category": {c: v["success_rate"] for c, v in result["per_category"].items()}}


def scaled_batch_and_lr(cfg: DictConfig) -> tuple[int, float]:
    """``bc.batch_size x trainer.batch_scale`` and ``bc.lr`` scaled with it by ``trainer.lr_scaling``:
    ``sqrt`` (x sqrt(scale), the default: Adam's update noise stays about the same), ``linear`` or ``none``."""
    import math

    scale = int(cfg.trainer.get("batch_scale", 1) or 1)
    rule = str(cfg.trainer.get("lr_scaling", "sqrt"))
    factor = {"sqrt": math.sqrt(scale), "linear": float(scale), "none": 1.0}[rule]
    return int(cfg.bc.batch_size) * scale, float(cfg.bc.lr) * factor


def launched_rank() -> int:
    """This process's global rank as the launcher set it (Lightning's DDP children, torchrun, SLURM /
    submitit tasks); 0 for a plain run."""
    from lightning.fabric.utilities.rank_zero import rank_zero_only

    return int(getattr(rank_zero_only, "rank", 0) or 0)


def quiet_this_rank() -> None:
    """DDP ranks > 0: their console and log-file lines and Python warnings repeat rank 0's; drop all
    but errors and warnings that are logged."""
    import logging
    import warnings

    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)
    warnings.simplefilter("ignore")


def trainer_devices(t) -> int:
    """``trainer.devices``; -1 (every visible GPU, the ddp preset) means one process on the CPU."""
    return 1 if str(t.accelerator) == "cpu" and int(t.devices) == -1 else int(t.devices)


def build_trainer(cfg: DictConfig, callbacks: list, logger, plugins: list):
    import lightning as L

    t = cfg.trainer
    strategy = str(t.strategy)
    if strategy == "ddp" and int(cfg.bc.freeze_extractor_steps) > 0:
        strategy = "ddp_find_unused_parameters_true"  # a frozen extractor's parameters get no gradients
    if strategy.startswith("ddp"):
        import warnings

        from lightning.fabric.utilities.warnings import PossibleUserWarning

        # the train/* epoch means are each rank's own (syncing them would cost an all-reduce per step)
        warnings.filterwarnings("ignore", r".*self\.log\('train/", PossibleUserWarning)
    return L.Trainer(
        accelerator=t.accelerator, devices=trainer_devices(t), strategy=strategy, num_nodes=t.num_nodes,
        precision=t.precision, max_epochs=t.max_epochs, max_steps=t.max_steps,
        limit_train_batches=_batches(t.limit_train_batches), limit_val_batches=_batches(t.limit_val_batches),
        log_every_n_steps=t.log_every_n_steps, deterministic=t.deterministic,
        benchmark=bool(t.get("benchmark", False)) or None,
        enable_progress_bar=t.enable_progress_bar, default_root_dir=str(cfg.run_dir), callbacks=callbacks,
        logger=logger, plugins=plugins, enable_model_summary=False,
        use_distributed_sampler=False,  # the datamodule's BatchSampler gives each rank its share
    )


def run(cfg: DictConfig, extra_callbacks: list | None = None) -> dict:
    """Train; ``extra_callbacks``: more Lightning callbacks (the GPU check's probes)."""
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import (
        EarlyStopping,
        LearningRateMonitor,
        ModelCheckpoint,
        TQDMProgressBar,
    )

    from imitation_pipeline.checkpoint import provenance
    from imitation_pipeline.training.bc_module import BCModule
    from imitation_pipeline.training.callbacks import (
        AtomicCheckpointIO,
        LatestPointer,
        read_pointer,
    )
    from imitation_pipeline.training.timing import TimeSplit, format_split

    timer = TimeSplit()
    timer.begin()
    if launched_rank() > 0:
        quiet_this_rank()
    batch_size, lr = scaled_batch_and_lr(cfg)
    if (batch_size, lr) != (int(cfg.bc.batch_size), float(cfg.bc.lr)):
        log.info(f"bc: batch size {batch_size}, lr {lr:.3g} (trainer.batch_scale={cfg.trainer.batch_scale}, "
                 f"lr_scaling={cfg.trainer.lr_scaling})")
        cfg = OmegaConf.merge(cfg, {"bc": {"batch_size": batch_size, "lr": lr}})
    if str(cfg.trainer.accelerator) in ("gpu", "cuda"):
        if not torch.cuda.is_available():
            raise UserFacingError(f"trainer.accelerator={cfg.trainer.accelerator}, but torch {torch.__version__} sees "
                                  "no CUDA device (use trainer=cpu, or trainer.accelerator=cpu with trainer=ddp)")
        torch.set_float32_matmul_precision("high")  # TF32 where AMP leaves float32 matmuls
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))))
    L.seed_everything(int(cfg.seed), workers=True, verbose=False)
    run_dir = Path(cfg.run_dir)
    arch = OmegaConf.to_container(cfg.arch, resolve=True)
    modalities = list(arch["modalities"])

    resume_from = None
    if cfg.resume:
        pointer = read_pointer(cfg.bc.checkpoint_pointer)
        resume_from = pointer.get("last")
        if not resume_from or not Path(resume_from).is_file():
            raise UserFacingError(f"{cfg.bc.checkpoint_pointer}: the recorded last checkpoint {resume_from} is missing")
        log.info(f"resuming from {resume_from}")

    data = datamodule_for(cfg, modalities, timer)
    dm = data.dm
    dm.data_on_device = str(cfg.trainer.get("data_on_device", "auto"))
    obs_space, act_space = data.observation_space, data.action_space
    prov = dict(data.provenance)
    module = (data.module_class or BCModule)(
        arch, obs_space, act_space, lr=float(cfg.bc.lr), weight_decay=float(cfg.bc.weight_decay),
        entropy_coef=float(cfg.bc.entropy_coef),
        class_weights=class_weights_for(dm.action_counts(), str(cfg.bc.class_weighting)),
        change_weight=float(cfg.bc.change_weight),
        freeze_extractor_steps=int(cfg.bc.freeze_extractor_steps), categories=data.categories,
        provenance=provenance(prov.pop("dataset_hash"), seed=int(cfg.seed), **prov),
        channels_last=bool(cfg.trainer.get("channels_last", False)), **data.module_kwargs,
    )

    monitor = str(cfg.bc.monitor)
    mode = "min" if monitor.endswith("loss") else "max"
    use_rollout = data.rollout is not None
    if monitor.startswith("rollout/") and not use_rollout:
        raise UserFacingError(f"bc.monitor={monitor} needs rollout evaluation (bc.rollout_every_n_epochs > 0)")
    ckpt = ModelCheckpoint(dirpath=run_dir / "checkpoints", filename="best", monitor=monitor, mode=mode,
                           save_top_k=1, enable_version_counter=False)
    # last.ckpt after every epoch (ModelCheckpoint's save_last only saves when the best one improved);
    # after `ckpt`, so it holds the best checkpoint's updated state
    last = ModelCheckpoint(dirpath=run_dir / "checkpoints", filename="last", save_top_k=1, monitor=None,
                           enable_version_counter=False)
    callbacks = [ckpt, last, EarlyStopping(monitor=monitor, mode=mode, patience=int(cfg.bc.early_stopping_patience),
                                           strict=False),
                 LatestPointer(cfg.bc.checkpoint_pointer, run_dir, ckpt, timer), timer]
    if cfg.trainer.enable_progress_bar:
        callbacks.append(TQDMProgressBar(refresh_rate=10))
    if use_rollout:
        callbacks.insert(0, data.rollout)
    logger = build_logger(cfg, run_dir)
    if logger:
        callbacks.append(LearningRateMonitor(logging_interval="epoch"))
    trainer = build_trainer(cfg, callbacks + list(extra_callbacks or []), logger, [AtomicCheckpointIO(timer)])
    try:
        trainer.fit(module, datamodule=dm, ckpt_path=resume_from)
    finally:
        _finish_wandb(logger)

    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if getattr(v, "numel", lambda: 1)() == 1}
    summary = {
        "stage": "bc",
        "arch": arch["name"],
        "best_checkpoint": ckpt.best_model_path or None,
        "last_checkpoint": str(run_dir / "checkpoints" / "last.ckpt"),
        "monitor": monitor,
        "best_score": None if ckpt.best_model_score is None else float(ckpt.best_model_score),
        "epochs": int(trainer.current_epoch),
        "global_step": int(trainer.global_step),
        "train_samples": len(dm.train),
        "val_samples": len(dm.val),
        "train_replays": len(dm.train_replays),
        "val_replays": len(dm.val_replays),
        "batch_size": int(cfg.bc.batch_size),
        "lr": float(cfg.bc.lr),
        "world_size": int(trainer.world_size),
        "metrics": metrics,
        "rollouts": list(getattr(data.rollout, "history", [])),
    }
    if trainer.global_rank > 0:  # rank 0 evaluates, writes the summary and prints
        return summary
    if cfg.bc.get("evaluate_suite") and summary["best_checkpoint"]:
        with timer.section("evaluation"):
            summary["evaluation"] = evaluate_best(cfg, summary["best_checkpoint"], run_dir)
    summary["max_levels"] = int(cfg.dataset.get("max_levels", 0) or 0)
    summary["train_levels"], summary["val_levels"] = (_count_levels(dm.train_replays), _count_levels(dm.val_replays))
    summary["seed"] = int(cfg.seed)
    timer.end()
    summary["time_split"] = timer.split()
    write_json_atomic(run_dir / "bc_summary.json", summary)
    log.info(f"bc: best {monitor} = {summary['best_score']} -> {summary['best_checkpoint']}")
    log.info(format_split(summary["time_split"]))
    return summary
