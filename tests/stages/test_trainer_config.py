"""stage=bc's Trainer and callbacks come from the trainer / callbacks groups (instantiate), runtime
objects filled in where an entry says ``???``; what the trainer cannot run is left out."""

from __future__ import annotations

import lightning as L
import pytest
from app_support import compose
from lightning.pytorch.callbacks import (
    EarlyStopping,
    LearningRateMonitor,
    ModelCheckpoint,
    TQDMProgressBar,
)

from imitation_pipeline.configs.validate import problems
from imitation_pipeline.errors import UserFacingError
from imitation_pipeline.training.callbacks import LatestPointer
from imitation_pipeline.training.timing import TimeSplit
from imitation_pipeline.training.trainer import (
    build_trainer,
    instantiate_callbacks,
    monitor_mode,
    usable_callbacks,
)


def _callbacks(cfg, timer=None) -> dict:
    from hydra.utils import instantiate

    ckpt = instantiate(cfg.callbacks.model_checkpoint, mode=monitor_mode(str(cfg.bc.monitor)))
    return instantiate_callbacks(cfg.callbacks, {"mode": ckpt.mode, "timer": timer, "checkpoint": ckpt},
                                 prebuilt={"model_checkpoint": ckpt})


def test_default_callbacks_are_built_in_order_with_the_runtime_objects(tmp_path) -> None:
    cfg = compose("stage=bc", f"run_dir={tmp_path}", "bc.monitor=val/loss", "bc.early_stopping_patience=3")
    timer = TimeSplit()
    cbs = _callbacks(cfg, timer)
    assert list(cbs) == ["model_checkpoint", "last_checkpoint", "early_stopping", "latest_pointer", "progress_bar",
                         "lr_monitor"]
    best, last, stop, pointer = (cbs[k] for k in ("model_checkpoint", "last_checkpoint", "early_stopping",
                                                  "latest_pointer"))
    assert isinstance(best, ModelCheckpoint) and best.monitor == "val/loss" and best.mode == "min"
    assert best.dirpath == str(tmp_path / "checkpoints") and best.filename == "best"
    assert isinstance(last, ModelCheckpoint) and last.monitor is None and last.filename == "last"
    assert isinstance(stop, EarlyStopping) and stop.patience == 3 and stop.mode == "min"
    assert isinstance(pointer, LatestPointer) and pointer.ckpt is best and pointer.timer is timer
    assert isinstance(cbs["progress_bar"], TQDMProgressBar) and isinstance(cbs["lr_monitor"], LearningRateMonitor)
    accuracy = compose("stage=bc", f"run_dir={tmp_path}", "bc.monitor=rollout/success_rate")
    assert _callbacks(accuracy)["early_stopping"].mode == "max"


def test_null_entries_are_left_out_and_unusable_ones_dropped(tmp_path) -> None:
    cfg = compose("stage=bc", "debug=tiny", f"run_dir={tmp_path}", "callbacks.early_stopping=null",
                  "+callbacks.extra={_target_: lightning.pytorch.callbacks.Timer}")
    cbs = _callbacks(cfg)
    assert "early_stopping" not in cbs and type(cbs["extra"]).__name__ == "Timer"
    kept = usable_callbacks(list(cbs.values()), cfg.trainer, logger=False)  # debug=tiny: no progress bar
    assert not any(isinstance(cb, TQDMProgressBar | LearningRateMonitor) for cb in kept) and len(kept) == len(cbs) - 2


def test_a_runtime_value_the_stage_does_not_have_is_named(tmp_path) -> None:
    cfg = compose("stage=bc", f"run_dir={tmp_path}", "+callbacks.mine={_target_: x.Y, thing: ???}")
    with pytest.raises(UserFacingError, match=r"callbacks.mine: thing left \?\?\? but the stage provides only"):
        _callbacks(cfg)
    assert problems(compose("stage=bc", "callbacks.progress_bar=3", validate=False)) == [
        "callbacks.progress_bar=3: must be null or a mapping with a _target_"]


def test_trainer_is_instantiated_from_the_group(tmp_path) -> None:
    cfg = compose("stage=bc", "debug=tiny", f"run_dir={tmp_path}", "trainer.max_epochs=5",
                  "trainer=ddp", "trainer.accelerator=cpu", "trainer.precision=32-true")
    trainer = build_trainer(cfg, [], False, [], unused_parameters=True)
    assert isinstance(trainer, L.Trainer) and trainer.max_epochs == 5 and trainer.limit_train_batches == 3
    assert trainer.num_devices == 1  # devices -1 on the CPU: one process
    assert type(trainer.strategy).__name__ == "DDPStrategy" and trainer.strategy._ddp_kwargs == {
        "find_unused_parameters": True}
    assert trainer.default_root_dir == str(tmp_path) and trainer.progress_bar_callback is None
    assert compose("stage=bc", "trainer=gpu").trainer._target_ == "lightning.pytorch.Trainer"
