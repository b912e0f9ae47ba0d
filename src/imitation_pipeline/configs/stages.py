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
    cache_dir: str = "${oc.env:IMITATION_PIPELINE_CACHE,.cache/imitation_pipeline}/shards"
    modalities: list[str] = "${arch.modalities}"  # type: ignore[assignment]
    stride: int = "${env.frame_skip}"  # type: ignore[assignment]  # sample every k-th frame (= env frame_skip)
    lr_rule: str = "${env.lr_rule}"
    max_frames: int = "${env.max_frames}"  # type: ignore[assignment]
    include_unsuccessful: bool = False
    workers: int = 2
    compress: bool = True
