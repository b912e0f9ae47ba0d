"""Lightning plumbing: atomic checkpoint files, the latest-run pointer, and rollout evaluation."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

from imitation_pipeline.atomic_files import atomic_open, write_json_atomic
from imitation_pipeline.errors import CheckpointError

log = logging.getLogger(__name__)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoint IO that writes through a temporary file and a rename.

    An interrupted save never leaves a truncated ``last.ckpt`` or ``best.ckpt`` behind.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path, storage_options=None) -> None:
        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO does not take storage_options")
        with atomic_open(Path(path), "wb") as fh:
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

    def __init__(self, pointer: str | Path, run_dir: str | Path, checkpoint: L.pytorch.callbacks.ModelCheckpoint):
        self.pointer, self.run_dir, self.ckpt = Path(pointer), str(run_dir), checkpoint

    def _write(self, trainer: L.Trainer) -> None:
        if trainer.global_rank != 0:
            return
        last = Path(self.ckpt.dirpath or "") / "last.ckpt"
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
    pointer = Path(pointer)
    try:
        return json.loads(pointer.read_text())
    except FileNotFoundError as err:
        raise CheckpointError(f"{pointer}: no earlier run recorded here (train once without resume first)") from err
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{pointer}: corrupt run pointer ({err})") from err


class RolloutEvaluation(L.Callback):
    """Every ``every_n_epochs``, play the current policy on held-out levels and log the results.

    Logs ``rollout/success_rate``, ``rollout/return`` and ``rollout/length`` (deterministic actions,
    one episode per level), which ModelCheckpoint can monitor to keep the best policy by success.
    With ``train_levels`` (maps the policy was trained on) it also logs ``rollout/train_success_rate``:
    whether the policy can imitate what it has seen, judged closed-loop. ``history`` keeps every
    evaluation (epoch, held-out and train success) for the stage summary.
    """

    def __init__(self, make_env, levels: list, level_names: list[str], every_n_epochs: int = 1,
                 train_levels: list | None = None, train_names: list[str] | None = None):
        self.make_env, self.levels, self.level_names, self.every = make_env, levels, level_names, every_n_epochs
        self.train_levels, self.train_names = list(train_levels or []), list(train_names or [])
        self.history: list[dict] = []

    def evaluate(self, policy) -> dict:
        """Held-out (and training-level) success of ``policy`` now, as logged."""
        results = evaluate_policy(policy, self.make_env, self.levels, self.level_names) if self.levels else []
        out = {}
        if results:
            out.update({
                "rollout/success_rate": float(np.mean([r["success"] for r in results])),
                "rollout/return": float(np.mean([r["return"] for r in results])),
                "rollout/length": float(np.mean([r["length"] for r in results])),
            })
        if self.train_levels:
            tr = evaluate_policy(policy, self.make_env, self.train_levels, self.train_names)
            out["rollout/train_success_rate"] = float(np.mean([r["success"] for r in tr]))
        return out

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module) -> None:
        if trainer.sanity_checking or not (self.levels or self.train_levels) or (trainer.current_epoch + 1) % self.every:
            return
        out = self.evaluate(pl_module.policy)
        self.history.append({"epoch": int(trainer.current_epoch), **out})
        pl_module.log_dict(out, prog_bar=True)


def evaluate_policy(policy, make_env, levels: list, level_names: list[str], episodes: int = 1,
                    deterministic: bool = True) -> list[dict]:
    """Play ``episodes`` per level; return one record per episode (success, return, length)."""
    env = make_env(levels, level_names)
    was_training = policy.training
    policy.set_training_mode(False)
    out = []
    try:
        for i, name in enumerate(level_names):
            for ep in range(episodes):
                obs, _ = env.reset(seed=ep, options={"level_index": i})
                total, steps, done, info = 0.0, 0, False, {}
                while not done:
                    action, _ = policy.predict(obs, deterministic=deterministic)
                    obs, r, term, trunc, info = env.step(int(action))
                    total += r
                    steps += 1
                    done = term or trunc
                out.append({"level": name, "episode": ep, "success": bool(info.get("is_success")),
                            "return": total, "length": steps})
    finally:
        env.close()
        policy.set_training_mode(was_training)
    return out
