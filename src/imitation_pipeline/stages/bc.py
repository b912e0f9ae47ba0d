"""``stage=bc``: behavioural cloning of the arch's SB3 policy with Lightning.

The data (datamodule, spaces, rollout callback) comes from :func:`~imitation_pipeline.training.bc_data.datamodule_for`,
the LightningModule is :class:`~imitation_pipeline.training.bc_module.BCModule` (or its DQN-BC subclass),
and the Trainer, its callbacks and logger are instantiated from the ``trainer``, ``callbacks`` and
``logger`` groups (:mod:`imitation_pipeline.training.trainer`). Callbacks (``conf/callbacks/default.yaml``):
ModelCheckpoint (best by ``bc.monitor`` + last after every epoch, both in the project's checkpoint
schema), EarlyStopping, a progress bar, a learning-rate monitor (with a logger), and a pointer to
this run's checkpoints so ``resume=true`` and ``stage=finetune`` find them; the stage adds the rollout
evaluation on held-out levels and the TimeSplit that writes ``time_split`` into ``bc_summary.json``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from atomic_files import write_json_atomic
from omegaconf import DictConfig, OmegaConf

from imitation_pipeline.errors import UserFacingError

log = logging.getLogger(__name__)


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


def _resume_path(cfg: DictConfig) -> str | None:
    from imitation_pipeline.training.callbacks import read_pointer

    if not cfg.resume:
        return None
    last = read_pointer(cfg.bc.checkpoint_pointer).get("last")
    if not last or not Path(last).is_file():
        raise UserFacingError(f"{cfg.bc.checkpoint_pointer}: the recorded last checkpoint {last} is missing")
    log.info(f"resuming from {last}")
    return last


def load_initial_weights(cfg: DictConfig, module, arch: dict, split: dict | None) -> None:
    """``bc.initial_checkpoint``: its policy weights into ``module`` (arch and spaces checked, every key
    loaded). Refused where its own BC split trained on a level this run validates on (a leak)."""
    from imitation_pipeline.checkpoint import load_policy_weights

    path = str(cfg.bc.initial_checkpoint)
    ckpt = load_policy_weights(module.policy, path, arch)
    earlier = ckpt["provenance"].get("split")
    if isinstance(earlier, dict) and isinstance(split, dict):
        leaked = sorted(set(earlier.get("train") or {}) & set(split.get("val") or {}))
        if leaked:
            raise UserFacingError(
                f"{path}: bc.initial_checkpoint was trained on {len(leaked)} of this run's validation levels "
                f"(e.g. {leaked[0]}); use its split (dataset.split_seed={earlier.get('split_seed')}, "
                f"split_by={earlier.get('split_by')})")
    log.info(f"bc: initial weights from {path}")


def run(cfg: DictConfig, extra_callbacks: list | None = None) -> dict:
    """Train; ``extra_callbacks``: more Lightning callbacks (the GPU check's probes)."""
    import lightning as L
    from hydra.utils import instantiate

    from imitation_pipeline.checkpoint import provenance
    from imitation_pipeline.training import trainer as tr
    from imitation_pipeline.training.bc_data import class_weights_for, datamodule_for
    from imitation_pipeline.training.bc_module import BCModule
    from imitation_pipeline.training.callbacks import AtomicCheckpointIO
    from imitation_pipeline.training.timing import TimeSplit, format_split

    timer = TimeSplit()
    timer.begin()
    if tr.launched_rank() > 0:
        tr.quiet_this_rank()
    batch_size, lr = tr.scaled_batch_and_lr(cfg)
    if (batch_size, lr) != (int(cfg.bc.batch_size), float(cfg.bc.lr)):
        log.info(f"bc: batch size {batch_size}, lr {lr:.3g} (trainer.batch_scale={cfg.trainer.batch_scale}, "
                 f"lr_scaling={cfg.trainer.lr_scaling})")
        cfg = OmegaConf.merge(cfg, {"bc": {"batch_size": batch_size, "lr": lr}})
    tr.check_accelerator(cfg.trainer)
    threads = tr.set_torch_threads(cfg.trainer)
    L.seed_everything(int(cfg.seed), workers=True, verbose=False)
    run_dir = Path(cfg.run_dir)
    arch = OmegaConf.to_container(cfg.arch, resolve=True)
    resume_from = _resume_path(cfg)
    initial = cfg.bc.get("initial_checkpoint")
    if initial and resume_from:
        raise UserFacingError("resume=true and bc.initial_checkpoint both set: choose one (resume continues "
                              "this run's schedule, initial_checkpoint starts a new one from those weights)")

    data = datamodule_for(cfg, list(arch["modalities"]), timer)
    dm = data.dm
    dm.data_on_device = str(cfg.trainer.get("data_on_device", "auto"))
    prov = dict(data.provenance)
    if initial:
        prov["initial_checkpoint"] = str(Path(str(initial)).resolve())
    module = (data.module_class or BCModule)(
        arch, data.observation_space, data.action_space, lr=float(cfg.bc.lr), weight_decay=float(cfg.bc.weight_decay),
        entropy_coef=float(cfg.bc.entropy_coef),
        class_weights=class_weights_for(dm.action_counts(), str(cfg.bc.class_weighting)),
        change_weight=float(cfg.bc.change_weight), lr_schedule=str(cfg.bc.lr_schedule),
        freeze_extractor_steps=int(cfg.bc.freeze_extractor_steps), categories=data.categories,
        provenance=provenance(prov.pop("dataset_hash"), seed=int(cfg.seed), **prov),
        channels_last=bool(cfg.trainer.get("channels_last", False)), **data.module_kwargs,
    )
    if initial:
        load_initial_weights(cfg, module, arch, prov.get("split"))

    monitor = str(cfg.bc.monitor)
    if monitor.startswith("rollout/") and data.rollout is None:
        raise UserFacingError(f"bc.monitor={monitor} needs rollout evaluation (bc.rollout_every_n_epochs > 0)")
    if cfg.get("callbacks") is None or cfg.callbacks.get("model_checkpoint") is None:
        raise UserFacingError("stage=bc needs callbacks.model_checkpoint (the best checkpoint it reports)")
    mode = tr.monitor_mode(monitor)
    ckpt = instantiate(cfg.callbacks.model_checkpoint, mode=mode)  # the run pointer reads it
    configured = tr.instantiate_callbacks(cfg.callbacks, {"mode": mode, "timer": timer, "checkpoint": ckpt},
                                          prebuilt={"model_checkpoint": ckpt})
    logger = tr.build_logger(cfg)
    callbacks = [*([data.rollout] if data.rollout is not None else []), *configured.values(), timer,
                 *(extra_callbacks or [])]
    trainer = tr.build_trainer(cfg, tr.usable_callbacks(callbacks, cfg.trainer, logger), logger,
                               [AtomicCheckpointIO(timer)],
                               unused_parameters=int(cfg.bc.freeze_extractor_steps) > 0)
    try:
        trainer.fit(module, datamodule=dm, ckpt_path=resume_from)
    finally:
        tr.finish_wandb(logger)

    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if getattr(v, "numel", lambda: 1)() == 1}
    summary = {
        "stage": "bc",
        "arch": arch["name"],
        "best_checkpoint": ckpt.best_model_path or None,
        "last_checkpoint": str(Path(ckpt.dirpath) / "last.ckpt"),  # callbacks.last_checkpoint writes it
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
        "torch_threads": threads,
        "initial_checkpoint": prov.get("initial_checkpoint"),
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
