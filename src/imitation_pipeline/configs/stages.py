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
