"""Lightning plumbing: atomic checkpoint files, the latest-run pointer, and rollout evaluation."""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from atomic_files import atomic_open, write_json_atomic
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

from imitation_pipeline.errors import CheckpointError, read_json
from imitation_pipeline.training.timing import timed

log = logging.getLogger(__name__)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoint IO that writes through a temporary file and a rename.

    An interrupted save never leaves a truncated ``last.ckpt`` or ``best.ckpt`` behind. With a
    ``timer`` (:class:`~imitation_pipeline.training.timing.TimeSplit`) the writes count as ``checkpointing``.
    """

    def __init__(self, timer=None):
        super().__init__()
        self.timer = timer

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options=None) -> None:
        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO does not take storage_options")
        with timed(self.timer, "checkpointing"), atomic_open(Path(path), "wb") as fh:
            torch.save(checkpoint, fh)

    def load_checkpoint(self, path, map_location=None, weights_only=None) -> dict[str, Any]:
        """``weights_only`` always; a damaged or code-carrying file is a one-line CheckpointError."""
        import pickle

        from imitation_pipeline.checkpoint import unreadable_reason

        try:
            ckpt = torch.load(path, map_location=map_location or "cpu", weights_only=True)
        except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError, KeyError, IndexError,
                TypeError, AttributeError, RecursionError, MemoryError) as err:
            raise CheckpointError(f"{path}: {unreadable_reason(err, path)}") from err
        if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
            raise CheckpointError(f"{path}: not a Lightning checkpoint of this project (no state_dict)")
        return ckpt


class LatestPointer(L.Callback):
    """Keeps ``<pointer>.json`` naming this run's newest ``last.ckpt`` and best ``.ckpt``.

    Each run writes checkpoints in its own output directory (nothing earlier is overwritten);
    ``resume=true`` and the fine-tuning stage find the newest ones through this pointer.
    """

    def __init__(self, pointer: str | Path, run_dir: str | Path, checkpoint: L.pytorch.callbacks.ModelCheckpoint,
                 timer=None):
        self.pointer, self.run_dir, self.ckpt, self.timer = Path(pointer), str(run_dir), checkpoint, timer

    def _write(self, trainer: L.Trainer) -> None:
        if trainer.global_rank != 0:
            return
        last = Path(self.ckpt.dirpath or "") / "last.ckpt"
        with timed(self.timer, "checkpointing"):
            self._dump(trainer, last)

    def _dump(self, trainer: L.Trainer, last: Path) -> None:
        write_json_atomic(self.pointer, {
            "run_dir": self.run_dir,
            "last": str(last.resolve()) if last.exists() else None,
            "best": str(Path(self.ckpt.best_model_path).resolve()) if self.ckpt.best_model_path else None,
            "best_score": None if self.ckpt.best_model_score is None else float(self.ckpt.best_model_score),
            "monitor": self.ckpt.monitor,
            "global_step": int(trainer.global_step),
        })

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self._write(trainer)

    def on_fit_end(self, trainer, pl_module) -> None:
        self._write(trainer)


def read_pointer(pointer: str | Path) -> dict:
    return read_json(
        pointer,
        "no earlier run recorded here (train once without resume first)",
        "corrupt run pointer",
        CheckpointError,
    )


class RolloutEvaluation(L.Callback):
    """Every ``every_n_epochs``, play the current policy on held-out levels and log the results.

    Logs ``rollout/success_rate``, ``rollout/return`` and ``rollout/length`` (one episode per level; actions
    sampled from the policy, as every evaluation of the project, or argmax with ``deterministic``), which ModelCheckpoint can monitor to keep the best policy by success.
    With ``train_levels`` (maps the policy was trained on) it also logs ``rollout/train_success_rate``:
    whether the policy can imitate what it has seen, judged closed-loop. ``history`` keeps every
    evaluation (epoch, held-out and train success) for the stage summary.

    All levels, held-out and training ones, are played together by the one rollout loop
    (:func:`imitation_pipeline.evaluation.runner.play_levels`): env slots stepped in lock-step with one
    batched policy call per step, sampled actions seeded per level. ``spec`` is the rollout env (an
    :class:`~imitation_pipeline.rl.envs.EnvSpec` without maps); the global torch RNG is left as it
    was, so a rollout does not change the training that follows. Under DDP rank 0 plays and
    broadcasts the figures (every rank logs the same values). ``timer`` (a
    :class:`~imitation_pipeline.training.timing.TimeSplit`) counts the time as ``rollouts``.

    ``max_share`` > 0 keeps rollouts from dominating: after the first round, when one round would
    take more than that share of the time (a round against ``every_n_epochs`` epochs of training
    and validation, as measured), rollouts are spaced out to every ``every_n_epochs x spacing``
    epochs (the smallest spacing that keeps the share), and the last epoch (``max_epochs``) always
    gets one. The choice is logged and kept in ``spacing``.
    """

    def __init__(self, spec, levels: list, level_names: list[str], every_n_epochs: int = 1,
                 train_levels: list | None = None, train_names: list[str] | None = None, timer=None,
                 max_share: float = 0.0, clock=time.perf_counter, deterministic: bool = False):
        self.spec, self.levels, self.level_names, self.every = spec, list(levels), list(level_names), every_n_epochs
        self.train_levels, self.train_names = list(train_levels or []), list(train_names or [])
        self.timer, self.max_share, self.clock = timer, float(max_share), clock
        self.deterministic = bool(deterministic)
        self.spacing: int | None = None if self.max_share > 0 else 1  # decided after the first round
        self._epoch_start: float | None = None
        self.history: list[dict] = []

    def evaluate(self, policy) -> dict:
        """Held-out (and training-level) success of ``policy`` now, as logged."""
        from dataclasses import replace

        from imitation_pipeline.evaluation.runner import play_levels

        maps, names = self.levels + self.train_levels, self.level_names + self.train_names
        if not maps:
            return {}
        split = ["val"] * len(self.levels) + ["train"] * len(self.train_levels)
        with torch.random.fork_rng(devices=[]):
            records = play_levels(policy, replace(self.spec, maps=maps, names=names), split,
                                   deterministic=self.deterministic, batch_envs=len(maps))
        held = [r for r in records if r["category"] == "val"]
        out = {}
        if held:
            out.update({
                "rollout/success_rate": float(np.mean([r["success"] for r in held])),
                "rollout/return": float(np.mean([r["return"] for r in held])),
                "rollout/length": float(np.mean([r["length"] for r in held])),
            })
        if self.train_levels:
            out["rollout/train_success_rate"] = float(np.mean([r["success"] for r in records
                                                               if r["category"] == "train"]))
        return out

    def due(self, trainer: L.Trainer) -> bool:
        if trainer.sanity_checking or not (self.levels or self.train_levels):
            return False
        epoch, period = trainer.current_epoch + 1, self.every * (self.spacing or 1)
        return epoch % period == 0 or (period > self.every and epoch == trainer.max_epochs)

    def choose_spacing(self, rollout_s: float, epoch_s: float) -> int:
        """The smallest spacing k with rollout_s <= max_share x (rollout_s + every x k x epoch_s)."""
        if self.max_share <= 0 or epoch_s <= 0:
            return 1
        return max(1, math.ceil(rollout_s * (1 - self.max_share) / (self.max_share * self.every * epoch_s)))

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module) -> None:
        self._epoch_start = self.clock()

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module) -> None:
        if not self.due(trainer):
            return
        started = self.clock()
        with timed(self.timer, "rollouts"):
            out = self.evaluate(pl_module.policy) if trainer.global_rank == 0 else {}
            spacing = self.spacing
            if spacing is None and trainer.global_rank == 0:
                rollout_s, epoch_s = self.clock() - started, started - (started if self._epoch_start is None else self._epoch_start)
                spacing = self.choose_spacing(rollout_s, epoch_s)
                if spacing > 1:
                    log.info(f"bc: a rollout round takes {rollout_s:.1f} s, an epoch {epoch_s:.1f} s: "
                             f"rollouts every {self.every * spacing} epochs (bc.rollout_max_share={self.max_share:g})")
            if trainer.world_size > 1:
                out, spacing = trainer.strategy.broadcast((out, spacing), src=0)
        self.spacing = spacing
        self.history.append({"epoch": int(trainer.current_epoch), **out})
        pl_module.log_dict(out, prog_bar=True, sync_dist=True)  # equal on every rank (broadcast)
