"""The Lightning Trainer, its callbacks and logger, each built with ``hydra.utils.instantiate``.

``conf/trainer/*.yaml`` (``_target_: lightning.pytorch.Trainer``) holds the Trainer's arguments plus a
few knobs that stage=bc reads itself (:data:`PIPELINE_KEYS`); ``conf/callbacks/*.yaml`` is a mapping of
named callbacks, each a ``_target_`` entry (null leaves one out: ``callbacks.early_stopping=null``). A
value ``???`` in a callback entry is an object only the running stage has (the TimeSplit timer, the
best-checkpoint callback the run pointer reads, the monitor's mode): it is passed to ``instantiate``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from omegaconf import DictConfig, OmegaConf

from imitation_pipeline.errors import UserFacingError

# trainer.* options read by stage=bc, not Trainer arguments
PIPELINE_KEYS = ("batch_scale", "lr_scaling", "channels_last", "data_on_device", "torch_threads")


def build_logger(cfg: DictConfig):
    """The ``logger`` group's Lightning logger, or False (``logger=none``)."""
    if cfg.logger is None:
        return False
    from hydra.utils import instantiate

    if "WandbLogger" in str(cfg.logger.get("_target_", "")) and cfg.logger.get("offline", True):
        os.environ.setdefault("WANDB_MODE", "offline")
    return instantiate(cfg.logger)


def finish_wandb(logger) -> None:
    """End this stage's W&B run: otherwise the next job of a sweep (same process) logs into it."""
    if logger and type(logger).__name__ == "WandbLogger":
        import wandb

        wandb.finish()


def instantiate_callbacks(node: DictConfig | None, runtime: Mapping, prebuilt: Mapping | None = None) -> dict:
    """The callbacks of the ``callbacks`` group by name, in its order; null entries are left out.

    Keys an entry leaves ``???`` are taken from ``runtime``; entries named in ``prebuilt`` are those
    objects (built first because another entry's runtime value is one of them)."""
    from hydra.utils import instantiate

    out: dict = {}
    for name, entry in (node or {}).items():
        if entry is None:
            continue
        if prebuilt and name in prebuilt:
            out[name] = prebuilt[name]
            continue
        missing = [k for k in entry if k != "_target_" and OmegaConf.is_missing(entry, k)]
        unknown = [k for k in missing if k not in runtime]
        if unknown:
            raise UserFacingError(f"callbacks.{name}: {', '.join(unknown)} left ??? but the stage provides "
                                  f"only {', '.join(sorted(runtime))}")
        out[name] = instantiate(entry, **{k: runtime[k] for k in missing})
    return out


def monitor_mode(monitor: str) -> str:
    """``min`` for a loss, ``max`` for accuracies and rollout rates."""
    return "min" if monitor.endswith("loss") else "max"


def usable_callbacks(callbacks, trainer_cfg: DictConfig, logger) -> list:
    """Leave out what this trainer cannot run: a progress bar under ``trainer.enable_progress_bar=false``
    and a learning-rate monitor without a logger (Lightning refuses both)."""
    from lightning.pytorch.callbacks import LearningRateMonitor, ProgressBar

    return [cb for cb in callbacks
            if not (isinstance(cb, ProgressBar) and not trainer_cfg.enable_progress_bar)
            and not (isinstance(cb, LearningRateMonitor) and not logger)]


def scaled_batch_and_lr(cfg: DictConfig) -> tuple[int, float]:
    """``bc.batch_size x trainer.batch_scale`` and ``bc.lr`` scaled with it by ``trainer.lr_scaling``:
    ``sqrt`` (x sqrt(scale), the default: Adam's update noise stays about the same), ``linear`` or ``none``."""
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


def check_accelerator(t: DictConfig) -> None:
    """A GPU preset needs CUDA (one line otherwise); on a GPU, TF32 where AMP leaves float32 matmuls."""
    import torch

    if str(t.accelerator) in ("gpu", "cuda"):
        if not torch.cuda.is_available():
            raise UserFacingError(f"trainer.accelerator={t.accelerator}, but torch {torch.__version__} sees "
                                  "no CUDA device (use trainer=cpu, or trainer.accelerator=cpu with trainer=ddp)")
        torch.set_float32_matmul_precision("high")


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def torch_threads(t) -> int:
    """``trainer.torch_threads``, resolved: N as set; 0 = the usable cores, shared among the ranks that
    train on this machine's CPU (``trainer=ddp trainer.accelerator=cpu trainer.devices=N``)."""
    n = int(t.get("torch_threads", 0) or 0)
    if n > 0:
        return n
    ranks = trainer_devices(t) if str(t.accelerator) == "cpu" else 1
    return max(1, usable_cores() // max(1, ranks))


def set_torch_threads(t) -> int:
    """Set torch's intra-op threads from ``trainer.torch_threads``; returns the number set."""
    import torch

    n = torch_threads(t)
    torch.set_num_threads(n)
    return n


def trainer_devices(t) -> int:
    """``trainer.devices``; -1 (every visible GPU, the ddp preset) means one process on the CPU."""
    return 1 if str(t.accelerator) == "cpu" and int(t.devices) == -1 else int(t.devices)


def _batches(value: float) -> int | float:
    """Lightning reads 1.0 as 'all' and an int as a batch count."""
    return int(value) if value > 1 else float(value)


def build_trainer(cfg: DictConfig, callbacks: list, logger, plugins: list, *, unused_parameters: bool = False):
    """``instantiate(cfg.trainer)`` with the run's callbacks, logger and plugins; ``unused_parameters``:
    some trainable parameters get no gradient (a frozen extractor), which plain DDP refuses."""
    from hydra.utils import instantiate

    t = cfg.trainer
    strategy = str(t.strategy)
    if strategy == "ddp" and unused_parameters:
        strategy = "ddp_find_unused_parameters_true"
    if strategy.startswith("ddp"):
        import warnings

        from lightning.fabric.utilities.warnings import PossibleUserWarning

        # the train/* epoch means are each rank's own (syncing them would cost an all-reduce per step)
        warnings.filterwarnings("ignore", r".*self\.log\('train/", PossibleUserWarning)
    node = OmegaConf.masked_copy(t, [k for k in t if k not in PIPELINE_KEYS])
    return instantiate(node, devices=trainer_devices(t), strategy=strategy,
                       limit_train_batches=_batches(t.limit_train_batches),
                       limit_val_batches=_batches(t.limit_val_batches), benchmark=bool(t.benchmark) or None,
                       default_root_dir=str(cfg.run_dir), callbacks=callbacks, logger=logger, plugins=plugins)
