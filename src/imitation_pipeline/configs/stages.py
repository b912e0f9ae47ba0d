"""Option blocks of the individual stages (``verify.*``, ``generate.*``, ``bc.*``, ...)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class VerifyConfig:
    """Play every replay in a directory through the simulator and report outcomes."""

    replay_dir: str = "${dataset.path}"
    report: str = "${run_dir}/verify_report.json"
    lr_rule: str = "cancel"  # how left+right in one input byte resolves: cancel | left_wins
    play_inconsistent: bool = False  # also play files whose map block is inconsistent (as nclone would)


@dataclass
class GenerateConfig:
    """Regenerate replays into cached observation shards (one per replay)."""

    replay_dir: str = "${dataset.path}"
    cache_dir: str = "${cache_root}/shards"
    modalities: list[str] = "${arch.modalities}"  # type: ignore[assignment]
    stride: int = "${env.frame_skip}"  # type: ignore[assignment]  # sample every k-th frame (= env frame_skip)
    lr_rule: str = "${env.lr_rule}"
    max_frames: int = "${env.max_frames}"  # type: ignore[assignment]
    include_unsuccessful: bool = False
    workers: int = 2
    compress: bool = True


@dataclass
class BCConfig:
    """Behavioural cloning (Lightning) of the SB3 policy on the dataset's demonstrations."""

    lr: float = 3e-4
    weight_decay: float = 0.0
    batch_size: int = 256
    entropy_coef: float = 0.0  # loss = NLL - entropy_coef * entropy
    class_weighting: str = "none"  # none | balanced (inverse action frequency, for NOOP-heavy data)
    freeze_extractor_steps: int = 0  # keep the features extractor frozen for the first N steps
    split_by: str = "replay"  # replay | level; never by frame
    max_replays: int = 0  # 0 = all (small values make tiny test budgets)
    monitor: str = "val/loss"  # val/loss | val/accuracy | rollout/success_rate
    early_stopping_patience: int = 10
    rollout_every_n_epochs: int = 1  # 0 disables rollout evaluation
    rollout_levels: int = 4  # held-out levels: the maps of validation replays
    rollout_max_frames: int = 2000
    checkpoint_pointer: str = "${cache_root}/latest/bc-${arch.name}-seed${seed}.json"
