"""PPO construction (one place for both arms) and the BC regulariser.

:class:`RegularisedPPO` is SB3's PPO plus an optional term ``beta_t * KL(pi_BC || pi)`` in the loss,
where ``pi_BC`` is a frozen copy of the BC policy and ``beta_t`` falls linearly from
``bc_kl_coef`` at step 0 to 0 at ``bc_kl_anneal_steps`` (``0``: constant ``bc_kl_coef``). While ``beta_t == 0`` (always, for the
baseline) ``train()`` is SB3's own; otherwise it runs the same update written out (cleanrl style)
with the KL term added. ``value_grad_to_extractor = False`` (``finetune.value_grad_to_extractor``) also takes
the written-out update, with the critic reading the shared extractor's features detached, so the value loss
of a fresh value head cannot rewrite the features the BC policy acts on. Only discrete action spaces (N++'s ``Discrete(6)``) are supported.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.utils import explained_variance

from imitation_pipeline.policies import policy_class_for, policy_kwargs_for


class RegularisedPPO(PPO):
    bc_policy = None
    bc_kl_coef = 0.0
    bc_kl_anneal_steps = 1
    # False: the value loss does not train a features extractor the policy shares (the critic reads it detached)
    value_grad_to_extractor = True

    def set_bc_regulariser(self, bc_policy, coef: float, anneal_steps: int) -> None:
        """Regularise towards a frozen copy of ``bc_policy`` (call after the BC weights are loaded)."""
        if coef > 0 and not isinstance(self.action_space, spaces.Discrete):
            raise ValueError("the BC KL regulariser supports Discrete action spaces only")
        # a new policy from the same constructor arguments + the weights (no deepcopy: module state such as
        # the optimizer may hold tensors that do not copy)
        frozen = type(bc_policy)(**bc_policy._get_constructor_parameters())
        frozen.load_state_dict(bc_policy.state_dict(), strict=True)
        frozen.to(self.device)  # the KL term runs where PPO's batches are (ppo.device)
        frozen.set_training_mode(False)
        for p in frozen.parameters():
            p.requires_grad_(False)
        self.bc_policy, self.bc_kl_coef, self.bc_kl_anneal_steps = frozen, float(coef), max(0, int(anneal_steps))

    def bc_kl_weight(self) -> float:
        if self.bc_policy is None or self.bc_kl_coef <= 0:
            return 0.0
        if self.bc_kl_anneal_steps == 0:
            return self.bc_kl_coef
        return self.bc_kl_coef * max(0.0, 1.0 - self.num_timesteps / self.bc_kl_anneal_steps)

    def train(self) -> None:
        weight = self.bc_kl_weight()
        self.logger.record("train/bc_kl_coef", weight)
        if weight == 0.0 and self.value_grad_to_extractor:
            super().train()
        else:
            self._train_with_bc_kl(weight)

    def _policy_outputs(self, obs, actions):
        """(values, log_prob, entropy, logits) in one forward pass (SB3's evaluate_actions + logits)."""
        pol = self.policy
        features = pol.extract_features(obs)
        if pol.share_features_extractor:
            latent_pi = pol.mlp_extractor.forward_actor(features)
            latent_vf = pol.mlp_extractor.forward_critic(features if self.value_grad_to_extractor else features.detach())
        else:
            pi_f, vf_f = features
            latent_pi, latent_vf = pol.mlp_extractor.forward_actor(pi_f), pol.mlp_extractor.forward_critic(vf_f)
        logits = pol.action_net(latent_pi)
        logp_all = F.log_softmax(logits, dim=-1)
        log_prob = logp_all.gather(1, actions.unsqueeze(1)).squeeze(1)
        entropy = -(logp_all.exp() * logp_all).sum(-1)
        return pol.value_net(latent_vf).flatten(), log_prob, entropy, logp_all

    def _train_with_bc_kl(self, weight: float) -> None:
        """SB3's PPO update (same clipping, normalisation, logging) + ``weight * KL(pi_BC || pi)``."""
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        clip_range = self.clip_range(self._current_progress_remaining)
        clip_range_vf = None if self.clip_range_vf is None else self.clip_range_vf(self._current_progress_remaining)
        logs: dict[str, list[float]] = {k: [] for k in ("pg", "value", "entropy", "clip", "bc_kl")}
        continue_training = True
        for _epoch in range(self.n_epochs):
            approx_kl_divs = []
            for batch in self.rollout_buffer.get(self.batch_size):
                actions = batch.actions.long().flatten()
                values, log_prob, entropy, logp_all = self._policy_outputs(batch.observations, actions)
                advantages = batch.advantages
                if self.normalize_advantage and len(advantages) > 1:
                    advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
                ratio = torch.exp(log_prob - batch.old_log_prob)
                pg_loss = -torch.min(advantages * ratio,
                                     advantages * torch.clamp(ratio, 1 - clip_range, 1 + clip_range)).mean()
                if clip_range_vf is not None:
                    values = batch.old_values + torch.clamp(values - batch.old_values, -clip_range_vf, clip_range_vf)
                value_loss = F.mse_loss(batch.returns, values)
                entropy_loss = -entropy.mean()
                loss = pg_loss + self.ent_coef * entropy_loss + self.vf_coef * value_loss
                if weight > 0:
                    with torch.no_grad():
                        bc_logp = self.bc_policy.get_distribution(batch.observations).distribution.logits
                    bc_kl = (bc_logp.exp() * (bc_logp - logp_all)).sum(-1).mean()  # KL(pi_BC || pi)
                    loss = loss + weight * bc_kl
                    logs["bc_kl"].append(bc_kl.item())

                with torch.no_grad():
                    log_ratio = log_prob - batch.old_log_prob
                    approx_kl = torch.mean((torch.exp(log_ratio) - 1) - log_ratio).item()
                approx_kl_divs.append(approx_kl)
                for k, v in (("pg", pg_loss), ("value", value_loss), ("entropy", entropy_loss)):
                    logs[k].append(v.item())
                logs["clip"].append(torch.mean((torch.abs(ratio - 1) > clip_range).float()).item())
                if self.target_kl is not None and approx_kl > 1.5 * self.target_kl:
                    continue_training = False
                    break
                self.policy.optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
                self.policy.optimizer.step()
            self._n_updates += 1
            if not continue_training:
                break

        rb = self.rollout_buffer
        self.logger.record("train/entropy_loss", np.mean(logs["entropy"]))
        self.logger.record("train/policy_gradient_loss", np.mean(logs["pg"]))
        self.logger.record("train/value_loss", np.mean(logs["value"]))
        if logs["bc_kl"]:  # only while the KL term is in the loss
            self.logger.record("train/bc_kl", np.mean(logs["bc_kl"]))
        self.logger.record("train/approx_kl", np.mean(approx_kl_divs))
        self.logger.record("train/clip_fraction", np.mean(logs["clip"]))
        self.logger.record("train/loss", loss.item())
        self.logger.record("train/explained_variance", explained_variance(rb.values.flatten(), rb.returns.flatten()))
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/clip_range", clip_range)
        if clip_range_vf is not None:
            self.logger.record("train/clip_range_vf", clip_range_vf)


def resolve_device(name: str) -> str:
    """``ppo.device``: auto (cuda when a CUDA device is visible, else cpu) | cpu | cuda."""
    import torch

    from imitation_pipeline.errors import UserFacingError

    name = str(name)
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise UserFacingError("ppo.device=cuda, but torch sees no CUDA device (use ppo.device=auto or cpu)")
    if name not in ("cpu", "cuda"):
        raise UserFacingError(f"ppo.device must be auto, cpu or cuda; got {name!r}")
    return name


def build_ppo(ppo_cfg, arch: dict, env, *, learning_rate: float, seed: int,
              ent_coef: float | None = None) -> RegularisedPPO:
    """PPO over ``env`` with the arch's policy (exactly the network BC trains), on ``ppo.device``.

    ``learning_rate`` and ``ent_coef`` (default ``ppo_cfg.ent_coef``) are per arm. Evaluation and the
    KL-to-BC term run on the same device (SB3 moves observations to the policy's device).
    """
    ent = float(ppo_cfg.ent_coef if ent_coef is None else ent_coef)
    model = RegularisedPPO(
        policy_class_for(env.observation_space), env,
        learning_rate=float(learning_rate), n_steps=int(ppo_cfg.n_steps), batch_size=int(ppo_cfg.batch_size),
        n_epochs=int(ppo_cfg.n_epochs), gamma=float(ppo_cfg.gamma), gae_lambda=float(ppo_cfg.gae_lambda),
        clip_range=float(ppo_cfg.clip_range), ent_coef=ent, vf_coef=float(ppo_cfg.vf_coef),
        max_grad_norm=float(ppo_cfg.max_grad_norm),
        target_kl=None if ppo_cfg.target_kl is None else float(ppo_cfg.target_kl),
        policy_kwargs=policy_kwargs_for(arch), seed=int(seed), device=resolve_device(getattr(ppo_cfg, "device", "auto")),
        verbose=0,
    )
    # a silent logger until the caller sets its own: SB3 would otherwise make a /tmp/SB3-<date> folder per learn()
    model.set_logger(Logger(folder=None, output_formats=[]))
    return model
