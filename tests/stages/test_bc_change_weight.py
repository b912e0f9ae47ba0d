"""Keyframe weighting of the BC loss (bc.change_weight) and the change points it weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from imitation_pipeline.data.array_datamodule import ArrayBatches, DemoArrays, change_points


def test_change_points_mark_label_changes_and_replay_starts() -> None:
    actions = np.array([1, 1, 4, 4, 2, 2, 2])
    replay = np.array([0, 0, 0, 0, 0, 1, 1])
    assert change_points(actions, replay).tolist() == [True, False, True, False, True, True, False]
    assert change_points(actions[:1], replay[:1]).tolist() == [True]
    assert change_points(actions, None).tolist() == [True, False, True, False, True, False, False]


def test_batches_carry_the_change_flags() -> None:
    arrays = DemoArrays({"x": np.zeros((5, 2), np.float32)}, np.array([0, 0, 3, 3, 3]), np.zeros(5, np.int32),
                        np.zeros(5, np.int32), np.arange(5, dtype=np.int32), [], ["c"])
    batch = ArrayBatches(arrays)[np.array([4, 2, 0])]
    assert batch["change"].tolist() == [True, True, False]  # rows come back sorted: 0, 2, 4


@pytest.fixture(scope="module")
def module():
    from gymnasium import spaces
    from npp_sim.observation_spec import observation_space

    from imitation_pipeline.training.bc_module import BCModule

    modalities = ["player_frame", "game_state"]
    arch = {"name": "simple_cnn", "modalities": modalities, "features_dim": 16, "net_arch_pi": [16],
            "net_arch_vf": [16], "channels": [4, 8, 8]}
    return BCModule(arch, observation_space(modalities), spaces.Discrete(6))


def _batch(n: int = 32):
    from npp_sim.observation_spec import GAME_STATE_DIM, PLAYER_FRAME_SHAPE

    g = torch.Generator().manual_seed(0)
    return {"obs": {"game_state": torch.randn(n, GAME_STATE_DIM, generator=g),
                    "player_frame": torch.randint(0, 256, (n, *PLAYER_FRAME_SHAPE), generator=g, dtype=torch.uint8)},
            "actions": torch.randint(0, 6, (n,), generator=g),
            "change": torch.arange(n) % 4 == 0}


def test_weight_one_is_the_plain_nll_and_a_weight_reweights_the_changes(module) -> None:
    batch = _batch()
    with torch.no_grad():
        logits = module.action_logits(batch["obs"])
        plain = F.cross_entropy(logits, batch["actions"])
        per = F.cross_entropy(logits, batch["actions"], reduction="none")
        _, nll1, _, _ = module._losses(batch, 1.0)
        _, nll3, _, _ = module._losses(batch, 3.0)
    assert torch.allclose(nll1, plain)
    w = 1.0 + 2.0 * batch["change"].float()
    assert torch.allclose(nll3, (w * per).sum() / w.sum())
    assert not torch.allclose(nll3, plain)
