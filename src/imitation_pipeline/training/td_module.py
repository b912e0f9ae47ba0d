"""DQN-BC: behavioural cloning plus a TD term on the same network (``bc.td_weight > 0``).

The policy's action logits are read as Q-values (no separate head, so the checkpoint and the PPO
transfer are unchanged) and ``td_weight * Huber(Q(s, a) - (r + gamma * (1 - done) * max_a' Q_target(s', a')))``
is added to the BC loss, on transitions drawn from ``td_sampler`` (a replay buffer of the
demonstrations). Cross-entropy only fixes the logits up to a per-state constant; the TD term pins that
constant to the return, so the two losses do not fight, and softmax(Q) stays the BC policy.
``Q_target`` is a frozen copy of the policy, refreshed (hard copy) every ``target_update_every``
optimizer steps (``target_updates`` counts the refreshes); it is not part of the saved policy.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from imitation_pipeline.training.bc_module import BCModule


class TDBCModule(BCModule):
    def __init__(self, arch: dict, observation_space, action_space, *, td_sampler: Callable[[int], dict],
                 td_weight: float = 1.0, gamma: float = 0.99, target_update_every: int = 500,
                 td_batch_size: int = 256, **bc_kwargs):
        super().__init__(arch, observation_space, action_space, **bc_kwargs)
        if td_sampler is None:
            raise ValueError("the TD term needs a td_sampler (transitions with rewards)")
        self.td_weight, self.gamma = float(td_weight), float(gamma)
        self.target_update_every, self.td_batch_size = max(int(target_update_every), 1), int(td_batch_size)
        self.td_sampler = td_sampler
        self.target_policy = copy.deepcopy(self.policy)
        self.target_policy.requires_grad_(False)
        self.target_updates = 0

    def td_loss(self, batch: dict) -> torch.Tensor:
        """Huber TD error of Q = action logits against the target network (no gradient into it)."""
        q = self.action_logits(batch["obs"]).gather(1, batch["actions"].long()[:, None]).squeeze(1)
        with torch.no_grad():
            next_q = self.logits_of(self.target_policy, batch["next_obs"]).max(dim=1).values
            target = batch["rewards"].float() + self.gamma * (1.0 - batch["dones"].float()) * next_q
        return F.smooth_l1_loss(q, target)

    def update_target(self) -> None:
        self.target_policy.load_state_dict(self.policy.state_dict())
        self.target_updates += 1

    def _td_batch(self) -> dict:
        batch = self.td_sampler(self.td_batch_size)
        return {k: ({kk: vv.to(self.device) for kk, vv in v.items()} if isinstance(v, dict) else v.to(self.device))
                for k, v in batch.items()}

    def extra_loss(self, batch_size: int) -> torch.Tensor:
        td = self.td_loss(self._td_batch())
        self.log("train/td", td, on_step=True, on_epoch=True, batch_size=batch_size)
        return self.td_weight * td

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        if self.global_step % self.target_update_every == 0:
            self.update_target()
