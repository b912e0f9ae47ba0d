"""bc.lr_schedule: the learning rate BC's optimizer actually uses, step by step."""

from __future__ import annotations

import math

import pytest
import torch


def _module(schedule: str):
    from gymnasium import spaces
    from npp_sim.observation_spec import observation_space

    from imitation_pipeline.training.bc_module import BCModule

    modalities = ["player_frame", "game_state"]
    arch = {"name": "simple_cnn", "modalities": modalities, "features_dim": 8, "net_arch_pi": [8],
            "net_arch_vf": [8], "channels": [4, 8, 8]}
    return BCModule(arch, observation_space(modalities), spaces.Discrete(6), lr=1e-2, lr_schedule=schedule)


def _lrs_seen(schedule: str, steps: int, max_epochs: int = 1) -> list[float]:
    """The optimizer's lr at every training batch of a short Lightning run."""
    import lightning as L
    from npp_sim.observation_spec import GAME_STATE_DIM, PLAYER_FRAME_SHAPE

    g = torch.Generator().manual_seed(0)
    batches = [{"obs": {"game_state": torch.randn(8, GAME_STATE_DIM, generator=g),
                        "player_frame": torch.randint(0, 256, (8, *PLAYER_FRAME_SHAPE), generator=g, dtype=torch.uint8)},
                "actions": torch.randint(0, 6, (8,), generator=g)} for _ in range(steps)]
    seen: list[float] = []

    class Record(L.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            seen.append(trainer.optimizers[0].param_groups[0]["lr"])

    trainer = L.Trainer(max_epochs=max_epochs, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, callbacks=[Record()])
    trainer.fit(_module(schedule), train_dataloaders=torch.utils.data.DataLoader(batches, batch_size=None))
    return seen


def test_cosine_decays_from_lr_to_zero_over_the_run() -> None:
    steps = 10
    seen = _lrs_seen("cosine", steps)
    want = [1e-2 * 0.5 * (1 + math.cos(math.pi * t / steps)) for t in range(steps)]
    assert seen == pytest.approx(want, rel=1e-6, abs=1e-12)
    assert seen[0] == pytest.approx(1e-2) and seen[-1] < 1e-3


def test_constant_keeps_lr() -> None:
    assert _lrs_seen("constant", 5) == pytest.approx([1e-2] * 5)


def test_unknown_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="lr_schedule must be one of constant, cosine"):
        _module("linear")


def test_cosine_needs_a_run_of_known_length() -> None:
    from imitation_pipeline.errors import UserFacingError

    with pytest.raises(UserFacingError, match="needs a run of known length"):
        _lrs_seen("cosine", 3, max_epochs=-1)  # no max_steps either: an endless run has no cosine


def test_a_resumed_cosine_follows_the_resumed_runs_length() -> None:
    """The scheduler state holds the step count, not the run's length: a run resumed with more epochs decays
    along its own, longer cosine from where it stopped (so an interrupted run resumes exactly)."""
    from types import SimpleNamespace

    def scheduler(total: int):
        module = _module("cosine")
        module._trainer = SimpleNamespace(estimated_stepping_batches=total)
        return module.configure_optimizers()["lr_scheduler"]["scheduler"]

    first = scheduler(4)
    for _ in range(3):
        first.optimizer.step()
        first.step()
    resumed = scheduler(12)
    resumed.load_state_dict(first.state_dict())
    resumed.optimizer.step()
    resumed.step()
    assert resumed.get_last_lr()[0] == pytest.approx(1e-2 * 0.5 * (1 + math.cos(math.pi * 4 / 12)))
