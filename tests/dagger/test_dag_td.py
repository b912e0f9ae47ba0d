"""DQN-BC: the TD loss against a target network that updates on schedule; the Pokemon datamodule's
batches and replay buffer of demonstrations."""

from __future__ import annotations

import lightning as L
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gymnasium import spaces

from imitation_pipeline.data.pokemon_datamodule import PokemonDataModule
from imitation_pipeline.training.bc_module import BCModule
from imitation_pipeline.training.td_module import TDBCModule

KEY = "image"
SPACE = spaces.Dict({KEY: spaces.Box(0, 255, (3, 84, 84), np.uint8)})
ARCH = {"name": "simple_cnn", "modalities": [KEY], "features_dim": 32, "net_arch_pi": [16], "net_arch_vf": [16],
        "channels": [4, 8, 8]}


def _transitions(n: int, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {"obs": {KEY: torch.randint(0, 256, (n, 3, 84, 84), generator=g, dtype=torch.uint8)},
            "next_obs": {KEY: torch.randint(0, 256, (n, 3, 84, 84), generator=g, dtype=torch.uint8)},
            "actions": torch.randint(0, 10, (n,), generator=g), "rewards": torch.rand(n, generator=g),
            "dones": (torch.rand(n, generator=g) < 0.3).float()}


def _module(**kw) -> TDBCModule:
    torch.manual_seed(0)
    return TDBCModule(ARCH, SPACE, spaces.Discrete(10), lr=1e-2, **kw)


def test_plain_bc_builds_no_target_network() -> None:
    torch.manual_seed(0)
    module = BCModule(ARCH, SPACE, spaces.Discrete(10))
    assert not hasattr(module, "target_policy") and module.extra_loss(4) == 0.0
    assert not any(k.startswith("target_policy") for k in module.state_dict())
    with pytest.raises(ValueError, match="needs a td_sampler"):
        _module(td_sampler=None)


def test_td_loss_uses_the_target_network() -> None:
    module = _module(td_weight=1.0, gamma=0.9, td_sampler=_transitions)
    with torch.no_grad():  # make the target differ from the online network
        for p in module.target_policy.parameters():
            p.add_(0.05 * torch.randn_like(p))
    batch = _transitions(6, seed=1)
    q = module.logits_of(module.policy, batch["obs"]).gather(1, batch["actions"][:, None]).squeeze(1)
    next_q = module.logits_of(module.target_policy, batch["next_obs"]).max(1).values
    expected = F.smooth_l1_loss(q, batch["rewards"] + 0.9 * (1 - batch["dones"]) * next_q.detach())
    online_next = module.logits_of(module.policy, batch["next_obs"]).max(1).values
    not_online = F.smooth_l1_loss(q, batch["rewards"] + 0.9 * (1 - batch["dones"]) * online_next.detach())
    loss = module.td_loss(batch)
    assert torch.allclose(loss, expected) and not torch.allclose(loss, not_online)
    loss.backward()  # gradients reach the online network only
    assert all(p.grad is None for p in module.target_policy.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.policy.parameters())


class _Snapshots(L.Callback):
    """The policy's parameters after every optimizer step (index = global step)."""

    def __init__(self):
        self.after_step: dict[int, dict] = {}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.after_step[trainer.global_step] = {k: v.clone() for k, v in pl_module.policy.state_dict().items()}


def test_target_network_updates_every_k_steps() -> None:
    module = _module(td_weight=0.5, target_update_every=3, td_sampler=_transitions, td_batch_size=4)
    initial = {k: v.clone() for k, v in module.policy.state_dict().items()}
    g = torch.Generator().manual_seed(2)
    batches = [{"obs": {KEY: torch.randint(0, 256, (4, 3, 84, 84), generator=g, dtype=torch.uint8)},
                "actions": torch.randint(0, 10, (4,), generator=g), "category": torch.zeros(4, dtype=torch.long)}
               for _ in range(8)]
    snaps = _Snapshots()
    trainer = L.Trainer(max_steps=7, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, callbacks=[snaps], accelerator="cpu", limit_val_batches=0)
    trainer.fit(module, train_dataloaders=torch.utils.data.DataLoader(batches, batch_size=None))
    assert trainer.global_step == 7
    assert module.target_updates == 2  # after steps 3 and 6
    target = module.target_policy.state_dict()
    for k, v in target.items():
        assert torch.equal(v, snaps.after_step[6][k]), k
    changed = [k for k in target if not torch.equal(target[k], module.policy.state_dict()[k])]
    assert changed  # step 7 moved the online network; the target waits for step 9
    assert any(not torch.equal(snaps.after_step[3][k], initial[k]) for k in initial)
    assert "train/td" in trainer.callback_metrics


def test_pokemon_datamodule_batches_and_replay_buffer(tiny_demos) -> None:
    dm = PokemonDataModule(str(tiny_demos), "player_frame", batch_size=8, val_fraction=0.25, split_seed=0, td=True)
    dm.setup("fit")
    train_files = {r["file"] for r in dm.train_replays}
    val_files = {r["file"] for r in dm.val_replays}
    assert len(val_files) == 1 and len(train_files) == 3 and not train_files & val_files  # split by episode
    batch = next(iter(dm.train_dataloader()))
    assert set(batch) == {"obs", "actions", "category", "change"}
    assert batch["obs"]["player_frame"].shape == (8, 3, 84, 84) and batch["obs"]["player_frame"].dtype == torch.uint8
    assert batch["actions"].dtype == torch.int64 and int(batch["actions"].max()) < 10
    assert len(dm.buffer) == len(dm.train)  # every training transition, nothing from validation
    td = dm.td_batch(16)
    assert td["obs"]["player_frame"].shape == td["next_obs"]["player_frame"].shape == (16, 3, 84, 84)
    # next_obs of a non-final step is the episode's next frame
    b = dm.buffer
    i = int(np.flatnonzero(~b.episode_end[:len(b)])[0])
    assert np.array_equal(b.get([i]).next_observations[0], b.observations[i + 1])
    # each transition carries its recorded reward and the episode's termination, in recording order
    train_eps = [dm.data.episodes[i] for i in dm.data.split(0.25, 0)[0]]
    assert sorted(dm.data.names[i] for i in dm.data.split(0.25, 0)[0]) == sorted(train_files)
    rewards = np.concatenate([e.rewards for e in train_eps]).astype(np.float32)
    terminated = np.concatenate([np.eye(len(e), dtype=np.float32)[-1] * float(e.metadata.get("terminated",
                                 bool(e.dones[-1]))) for e in train_eps])
    assert np.any(rewards != 0), "the stand-in's demos must carry rewards for this check to mean anything"
    assert np.array_equal(b.rewards[:len(b)], rewards)
    idx = np.random.default_rng(0).integers(0, len(b), size=16)  # td_batch's draw (buffer_seed=0)
    assert np.array_equal(td["rewards"].numpy(), rewards[idx])
    assert np.array_equal(td["dones"].numpy(), terminated[idx])


def test_td_needs_rewards_on_npp() -> None:
    from omegaconf import OmegaConf

    from imitation_pipeline.errors import UserFacingError
    from imitation_pipeline.training.bc_data import _npp_data

    cfg = OmegaConf.create({"bc": {"td_weight": 0.5}})
    with pytest.raises(UserFacingError, match="needs rewards"):
        _npp_data(cfg, ["player_frame"])
