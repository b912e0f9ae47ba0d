"""Trainer (Lightning) and logger schemas; the ``callbacks`` group is checked in :mod:`.validate`."""

from __future__ import annotations

from dataclasses import dataclass

from omegaconf import MISSING


@dataclass
class TrainerConfig:
    """``instantiate(cfg.trainer)`` builds the Trainer (training/trainer.py), all but the knobs below
    "Throughput" that stage=bc reads itself (``PIPELINE_KEYS`` there)."""

    _target_: str = "lightning.pytorch.Trainer"
    accelerator: str = "cpu"
    devices: int = 1
    strategy: str = "auto"
    num_nodes: int = 1
    precision: str = "32-true"
    max_epochs: int = 10
    max_steps: int = -1
    limit_train_batches: float = 1.0  # fraction (<= 1.0) or number of batches per epoch (tiny budgets)
    limit_val_batches: float = 1.0
    log_every_n_steps: int = 10
    deterministic: bool = True
    enable_progress_bar: bool = True
    enable_model_summary: bool = False
    use_distributed_sampler: bool = False  # the datamodule's BatchSampler gives each DDP rank its share
    # Throughput knobs (trainer=gpu sets the GPU values; README "Throughput / GPU"):
    benchmark: bool = False  # cudnn.benchmark (autotuned convolutions; needs deterministic=false to pay)
    batch_scale: int = 1  # stage=bc trains with batches of bc.batch_size x batch_scale ...
    lr_scaling: str = "sqrt"  # ... and bc.lr x sqrt(batch_scale) (sqrt | linear | none)
    channels_last: bool = False  # NHWC convolution weights on a GPU (pays under AMP on tensor cores)
    data_on_device: str = "auto"  # auto (on a GPU when the data takes <= half its free memory) | always | never
    # torch's intra-op threads in stage=bc and stage=dagger: 0 = the cores this process may use (split among CPU DDP ranks),
    # N = N. Not OMP_NUM_THREADS: the Makefile and CI set that to 1 for worker processes and libraries,
    # and one thread trains BC at about half the speed of two on a 2-core machine (README "Throughput / GPU").
    torch_threads: int = 0


@dataclass
class LoggerConfig:
    _target_: str = MISSING
    save_dir: str = "${run_dir}"
    name: str = "logs"


@dataclass
class WandbLoggerConfig:
    _target_: str = "lightning.pytorch.loggers.WandbLogger"
    save_dir: str = "${run_dir}"
    project: str = "imitation-pipeline"
    name: str | None = None
    offline: bool = True  # WANDB_MODE=offline works without network


TRAINER_SCHEMAS = {"trainer": TrainerConfig}
LOGGER_SCHEMAS = {"logger": LoggerConfig, "wandb": WandbLoggerConfig}
