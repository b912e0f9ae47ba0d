"""Behavioural cloning as a LightningModule around the SB3 policy PPO will later run.

The module owns an SB3 ``ActorCriticPolicy`` built from the arch config, so BC trains exactly the
network (extractor, policy MLP, action head) that fine-tuning loads; only the value head is left
for PPO. Loss = negative log-likelihood of the demonstrated action (optionally class-weighted)
minus ``entropy_coef`` x the policy entropy.

The DQN-BC hybrid (``bc.td_weight > 0``) is the subclass
:class:`~imitation_pipeline.training.td_module.TDBCModule`: it adds a TD term through
:meth:`BCModule.extra_loss`.

Checkpoints written by Lightning also carry the project's schema (``policy_state_dict``, arch,
spaces, stage, metrics, provenance), so every ``.ckpt`` it saves loads with
:func:`imitation_pipeline.checkpoint.load_checkpoint`.
"""

from __future__ import annotations

import math
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F

from imitation_pipeline.checkpoint import SCHEMA_VERSION, describe_space
from imitation_pipeline.configs.stages import LR_SCHEDULES
from imitation_pipeline.errors import UserFacingError
from imitation_pipeline.policies import build_policy

ACTION_NAMES = ("noop", "left", "right", "jump", "left_jump", "right_jump")


class BCModule(L.LightningModule):
    def __init__(
        self,
        arch: dict,
        observation_space,
        action_space,
        *,
        lr: float = 3e-4,
        weight_decay: float = 0.0,
        entropy_coef: float = 0.0,
        class_weights: torch.Tensor | None = None,
        freeze_extractor_steps: int = 0,
        categories: list[str] | None = None,
        provenance: dict | None = None,
        action_names: list[str] | None = None,
        channels_last: bool = False,
        change_weight: float = 1.0,
        lr_schedule: str = "constant",
    ):
        super().__init__()
        if lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {lr_schedule!r}")
        self.arch = dict(arch)
        self.observation_space, self.action_space = observation_space, action_space
        self.policy = build_policy(self.arch, observation_space, action_space)
        self._freeze_value_branch()
        self.lr, self.weight_decay, self.entropy_coef = lr, weight_decay, entropy_coef
        self.freeze_extractor_steps = int(freeze_extractor_steps)
        self.register_buffer("class_weights", class_weights if class_weights is not None else torch.ones(action_space.n))
        self.categories = list(categories or [])
        self.provenance = dict(provenance or {})
        self._frozen = False
        self._val_stats: dict[str, torch.Tensor] = {}
        self.action_names = tuple(action_names) if action_names else ACTION_NAMES  # per-action val metrics
        self.channels_last = bool(channels_last)
        self.change_weight = float(change_weight)
        self.lr_schedule = lr_schedule

    def _freeze_value_branch(self) -> None:
        """The value branch (PPO's; no BC loss reaches it) gets no gradients: frozen, DDP does not
        wait for them (no unused-parameter search needed), and AdamW skipped them anyway."""
        p = self.policy
        actor = {id(w) for m in (p.pi_features_extractor, p.mlp_extractor.policy_net, p.action_net)
                 for w in m.parameters()}
        for w in p.parameters():
            if id(w) not in actor:
                w.requires_grad_(False)

    # --- the policy's action distribution ----------------------------------------------------
    def action_logits(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        features = self.policy.extract_features(obs, self.policy.pi_features_extractor)  # SB3 preprocessing
        latent_pi = self.policy.mlp_extractor.forward_actor(features)
        return self.policy.action_net(latent_pi)

    @staticmethod
    def logits_of(policy, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        features = policy.extract_features(obs, policy.pi_features_extractor)
        return policy.action_net(policy.mlp_extractor.forward_actor(features))

    def _losses(self, batch: dict, change_weight: float = 1.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        logits = self.action_logits(batch["obs"])
        actions = batch["actions"]
        if change_weight != 1.0 and "change" in batch:
            # keyframe weighting: the decisions where the demonstrator changed its input count change_weight
            # times (the class-weighted mean otherwise: sum of w_i * nll_i over sum of w_i)
            w = self.class_weights[actions] * (1.0 + (change_weight - 1.0) * batch["change"].float())
            per = F.cross_entropy(logits, actions, reduction="none")
            nll = (w * per).sum() / w.sum()
        else:
            nll = F.cross_entropy(logits, actions, weight=self.class_weights)
        logp = F.log_softmax(logits, dim=-1)
        entropy = -(logp.exp() * logp).sum(-1).mean()
        loss = nll - self.entropy_coef * entropy
        return loss, nll, entropy, logits

    # --- training ----------------------------------------------------------------------------
    def _set_extractor_frozen(self, frozen: bool) -> None:
        if frozen == self._frozen:
            return
        for p in self.policy.features_extractor.parameters():
            p.requires_grad_(not frozen)
        self._frozen = frozen

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        self._set_extractor_frozen(self.global_step < self.freeze_extractor_steps)

    def extra_loss(self, batch_size: int) -> torch.Tensor | float:
        """A term added to the training loss (subclasses: the DQN-BC TD term); 0 here."""
        return 0.0

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss, nll, entropy, logits = self._losses(batch, self.change_weight)
        acc = (logits.argmax(-1) == batch["actions"]).float().mean()
        n = len(batch["actions"])
        loss = loss + self.extra_loss(n)
        self.log_dict({"train/loss": loss, "train/nll": nll, "train/entropy": entropy, "train/accuracy": acc},
                      on_step=True, on_epoch=True, prog_bar=False, batch_size=n)
        return loss

    def on_validation_epoch_start(self) -> None:
        n_act, n_cat = self.action_space.n, max(len(self.categories), 1)
        z = lambda *s: torch.zeros(*s, device=self.device)  # noqa: E731
        self._val_stats = {"act_hit": z(n_act), "act_n": z(n_act), "cat_hit": z(n_cat), "cat_n": z(n_cat)}

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        loss, nll, entropy, logits = self._losses(batch)
        hit = (logits.argmax(-1) == batch["actions"]).float()
        n = len(batch["actions"])
        self.log_dict({"val/loss": loss, "val/nll": nll, "val/accuracy": hit.mean()}, on_epoch=True,
                      prog_bar=True, batch_size=n, sync_dist=True)
        if "change" in batch:  # accuracy on the decisions where the demonstrator changed its input
            change = batch["change"]
            self.log("val/change_accuracy", hit[change].mean() if change.any() else hit.new_tensor(0.0),
                     on_epoch=True, batch_size=max(int(change.sum()), 1), sync_dist=True)
        s = self._val_stats
        s["act_hit"].index_add_(0, batch["actions"], hit)
        s["act_n"].index_add_(0, batch["actions"], torch.ones_like(hit))
        s["cat_hit"].index_add_(0, batch["category"], hit)
        s["cat_n"].index_add_(0, batch["category"], torch.ones_like(hit))

    def on_validation_epoch_end(self) -> None:
        if not self._val_stats:
            return
        s = {k: self.trainer.strategy.reduce(v, reduce_op="sum") if self.trainer.world_size > 1 else v
             for k, v in self._val_stats.items()}  # counts of every rank's share of the batches
        metrics = {}
        for a, name in enumerate(self.action_names[: self.action_space.n]):
            if s["act_n"][a] > 0:
                metrics[f"val/accuracy_{name}"] = s["act_hit"][a] / s["act_n"][a]
        for c, name in enumerate(self.categories):
            if s["cat_n"][c] > 0:
                metrics[f"val/accuracy_cat_{name}"] = s["cat_hit"][c] / s["cat_n"][c]
        if metrics:
            self.log_dict(metrics, sync_dist=True)  # equal on every rank already: a no-op mean, no warning

    def configure_optimizers(self):
        params = [p for p in self.policy.parameters()]
        # one fused kernel for the whole update on a GPU (the model is on its device by now)
        fused = self.device.type == "cuda"
        optimizer = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay, fused=fused or None)
        if self.lr_schedule == "constant":
            return optimizer
        total = float(self.trainer.estimated_stepping_batches)  # inf when neither max_epochs nor max_steps ends the run
        if not math.isfinite(total) or total < 1:
            raise UserFacingError(f"bc.lr_schedule={self.lr_schedule} needs a run of known length "
                                  f"(trainer.max_epochs or trainer.max_steps), got {total} optimizer steps")
        # the factor is a closure over this run's length, which a checkpoint does not store: a resumed run
        # (maybe given more epochs) follows the cosine of its own length from the restored step count
        cosine = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total)))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": cosine, "interval": "step"}}

    def setup(self, stage: str) -> None:
        # NHWC convolutions (tensor cores under AMP), before the optimizer and its state exist
        if self.channels_last and self.trainer.strategy.root_device.type != "cpu":
            self.policy.to(memory_format=torch.channels_last)

    # --- the project's checkpoint schema inside Lightning's checkpoints ----------------------
    def schema_payload(self) -> dict:
        metrics = {}
        if self.trainer is not None:
            for k, v in self.trainer.callback_metrics.items():
                try:
                    metrics[k] = float(v)
                except (TypeError, ValueError):
                    pass
        return {
            "schema_version": SCHEMA_VERSION,
            "policy_state_dict": {k: v.detach().cpu() for k, v in self.policy.state_dict().items()},
            "arch": self.arch,
            "observation_space": describe_space(self.observation_space),
            "action_space": describe_space(self.action_space),
            "stage": "bc",
            "metrics": metrics,
            "provenance": {**self.provenance, "global_step": int(self.global_step)},
        }

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint.update(self.schema_payload())
        checkpoint.pop("hyper_parameters", None)  # configs live in 'arch'/'provenance' as plain data
