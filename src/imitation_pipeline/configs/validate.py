"""Value checks of the composed config, run before any stage (types are checked by the schemas).

Every numeric option with a valid range and every option with a fixed set of values has a rule here,
so ``bc.batch_size=0`` or ``ppo.vec_env=fast`` fails in one line naming the key, before any work:
``bc.batch_size=0: must be >= 1``. Keys absent from the composed config (another env's options) or
whose interpolation does not resolve there (``generate.stride`` under a Pokemon env) are skipped: the
stage that reads them reports those itself.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

from omegaconf import DictConfig, OmegaConf

from imitation_pipeline.configs.env import REWARD_SHAPINGS
from imitation_pipeline.configs.stages import LR_SCHEDULES
from imitation_pipeline.errors import UserFacingError

_ABSENT = object()
Check = Callable[[object], str | None]  # None when the value is fine, else what is wrong


def at_least(lo: float) -> Check:
    return lambda v: None if _num(v) and v >= lo else f"must be >= {lo:g}"


def positive(v) -> str | None:
    return None if _num(v) and v > 0 else "must be > 0"


def unit(v) -> str | None:
    return None if _num(v) and 0 <= v <= 1 else "must be in [0, 1]"


def half_open_unit(v) -> str | None:
    return None if _num(v) and 0 <= v < 1 else "must be in [0, 1)"


def open_unit(v) -> str | None:
    return None if _num(v) and 0 < v < 1 else "must be in (0, 1)"


def one_of(*choices) -> Check:
    return lambda v: None if v in choices else "must be one of " + ", ".join(
        "null" if c is None else str(c) for c in choices)


def optional(check: Check) -> Check:
    return lambda v: None if v is None else check(v)


def either(value, check: Check) -> Check:
    return lambda v: None if v == value else check(v) and f"{check(v)} (or {value})"


def _num(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def directory(v) -> str | None:
    return None if isinstance(v, str) and v and os.path.isdir(os.path.expanduser(v)) else "not a directory"


LR_RULES = ("cancel", "left_wins")
SUITES = ("test", "eval", "train")

RULES: dict[str, Check] = {
    "seed": at_least(0),
    # env (npp)
    "env.frame_skip": at_least(1), "env.max_frames": at_least(1), "env.lr_rule": one_of(*LR_RULES),
    # env (pokemon)
    "env.rows": at_least(10), "env.cols": at_least(12), "env.max_steps": at_least(1),
    "env.image_size": at_least(8), "env.eval_episodes": at_least(1), "env.eval_max_steps": at_least(1),
    "env.frames_per_action": at_least(1), "env.hold_frames": at_least(0), "env.reset_noop_max": at_least(0),
    # dataset
    "dataset.val_fraction": lambda v: None if _num(v) and 0 <= v < 1 else "must be in [0, 1)",
    "dataset.split_seed": at_least(0), "dataset.max_levels": at_least(0), "dataset.image_size": at_least(8),
    "dataset.num_actions": at_least(1),
    # arch
    "arch.features_dim": at_least(1), "arch.activation": one_of("relu", "tanh", "gelu"),
    "arch.state_hidden": at_least(1), "arch.blocks_per_stage": at_least(1), "arch.entity_hidden": at_least(1),
    "arch.fusion_hidden": at_least(1), "arch.fusion_heads": at_least(1), "arch.hidden": at_least(1),
    "arch.heads": at_least(1), "arch.layers": at_least(1), "arch.ninja_type": at_least(0),
    # trainer
    "trainer.devices": either(-1, at_least(1)), "trainer.num_nodes": at_least(1),
    "trainer.accelerator": one_of("cpu", "gpu", "cuda", "mps", "tpu", "auto"),
    "trainer.precision": one_of("32-true", "32", "16-mixed", "bf16-mixed", "16-true", "bf16-true", "64-true"),
    "trainer.max_epochs": either(-1, at_least(1)), "trainer.max_steps": either(-1, at_least(1)),
    "trainer.limit_train_batches": positive, "trainer.limit_val_batches": at_least(0),
    "trainer.log_every_n_steps": at_least(1), "trainer.batch_scale": at_least(1),
    "trainer.lr_scaling": one_of("sqrt", "linear", "none"), "trainer.data_on_device": one_of("auto", "always", "never"),
    "trainer.torch_threads": at_least(0),
    "ppo.update_threads": at_least(0),
    # stages
    "verify.lr_rule": one_of(*LR_RULES), "verify.max_frames": at_least(0),
    "generate.stride": at_least(1), "generate.lr_rule": one_of(*LR_RULES), "generate.max_frames": at_least(1),
    "generate.workers": at_least(1),
    "bc.lr": positive, "bc.lr_schedule": one_of(*LR_SCHEDULES), "bc.weight_decay": at_least(0), "bc.batch_size": at_least(1), "bc.entropy_coef": at_least(0),
    "bc.class_weighting": one_of("none", "balanced"), "bc.freeze_extractor_steps": at_least(0),
    "bc.split_by": one_of("level", "replay"), "bc.max_replays": at_least(0),
    "bc.monitor": one_of("val/loss", "val/nll", "val/accuracy", "rollout/success_rate", "rollout/return",
                         "rollout/length", "rollout/milestones", "rollout/train_success_rate"),
    "bc.change_weight": positive, "bc.early_stopping_patience": at_least(0), "bc.rollout_every_n_epochs": at_least(0),
    "bc.rollout_levels": at_least(0), "bc.rollout_train_levels": at_least(0), "bc.rollout_max_frames": at_least(1),
    "bc.rollout_max_share": half_open_unit,
    "bc.evaluate_suite": one_of(None, *SUITES), "bc.td_weight": at_least(0), "bc.gamma": unit,
    "bc.target_update_every": at_least(1), "bc.td_batch_size": at_least(0),
    "export.lr_rule": one_of(*LR_RULES),
    "takeover.round": at_least(1), "takeover.rounds": at_least(1), "takeover.max_episode_frames": at_least(1), "takeover.workers": at_least(1),
    "takeover.batch_envs": at_least(1), "takeover.expert.max_nodes": at_least(1),
    "takeover.expert.replan_nodes": at_least(1), "takeover.expert.budget_s": positive,
    "takeover.expert.mine_margin": at_least(0),
    "self_demos.round": at_least(1), "self_demos.rounds": at_least(1), "self_demos.episodes": at_least(1),
    "self_demos.keep_per_level": at_least(1), "self_demos.max_episode_frames": at_least(1),
    "self_demos.batch_envs": at_least(1),
    "ppo.total_timesteps": at_least(1), "ppo.n_envs": at_least(1), "ppo.vec_env": one_of("auto", "subproc", "dummy"),
    "ppo.device": one_of("auto", "cpu", "cuda"),
    "env.reward_shaping": one_of(*REWARD_SHAPINGS), "env.shaping_distance_px": positive,
    "ppo.max_episode_frames": at_least(1), "ppo.n_steps": at_least(1), "ppo.batch_size": at_least(1),
    "ppo.n_epochs": at_least(1), "ppo.learning_rate": positive, "ppo.gamma": unit, "ppo.gae_lambda": unit,
    "ppo.clip_range": positive, "ppo.ent_coef": at_least(0), "ppo.vf_coef": at_least(0),
    "ppo.max_grad_norm": positive, "ppo.target_kl": optional(positive), "ppo.eval_freq": at_least(0),
    "ppo.eval_episodes": at_least(1), "ppo.checkpoint_freq": at_least(0),
    "finetune.learning_rate": positive, "finetune.ent_coef": optional(at_least(0)),
    "finetune.freeze_extractor_steps": at_least(0), "finetune.value_warmup_steps": at_least(0),
    "finetune.bc_kl_coef": at_least(0), "finetune.bc_kl_anneal_steps": optional(at_least(0)),
    "finetune.demo_starts": unit,
    "baseline.learning_rate": positive,
    "evaluate.suite": one_of(*SUITES), "evaluate.episodes": at_least(1), "evaluate.max_episode_frames": at_least(1),
    "evaluate.batch_envs": at_least(1), "evaluate.levels_dir": optional(directory), "evaluate.temperature": positive,
    "evaluate.bc_levels": one_of(None, "train", "val"),
    "suites.train_dir": optional(directory), "suites.eval_dir": optional(directory),
    "compare.confidence": open_unit, "compare.bootstrap_reps": at_least(100),
    "pipeline.frame_skip": optional(at_least(1)), "pipeline.bc_max_epochs": optional(at_least(1)),
    "pipeline.rl_checkpoint": one_of("final", "best"),
    "dagger.iterations": at_least(1), "dagger.steps_per_iteration": at_least(1),
    "dagger.beta_schedule": one_of("constant", "linear", "exponential"), "dagger.beta0": unit,
    "dagger.beta_decay": unit, "dagger.beta_linear_iterations": at_least(0), "dagger.eval_every": at_least(1),
    "dagger.epochs_per_iteration": at_least(1), "dagger.max_updates_per_iteration": at_least(0),
    "dagger.lr": positive, "dagger.weight_decay": at_least(0), "dagger.batch_size": at_least(1),
    "dagger.entropy_coef": at_least(0), "dagger.rollout_max_steps": at_least(0), "dagger.world_seed": at_least(0),
    "dagger.num_worlds": at_least(0), "dagger.npp_max_frames": at_least(1),
    "dagger.expert.kind": one_of("auto", "scripted", "planner", "callable", "subprocess"),
    "dagger.expert.timeout_s": positive, "dagger.expert.planner_max_nodes": at_least(1),
    "dagger.expert.planner_replan_nodes": at_least(1), "dagger.expert.planner_budget_s": positive,
    "dagger.expert.planner_mine_margin": at_least(0),
}  # fmt: skip

# lists of numbers: every element must pass
LIST_RULES: dict[str, Check] = {
    "arch.net_arch_pi": at_least(1), "arch.net_arch_vf": at_least(1), "arch.channels": at_least(1),
    "arch.local_channels": at_least(1), "arch.global_channels": at_least(1), "pipeline.seeds": at_least(0),
}  # fmt: skip
# mappings category -> count
COUNT_RULES = ("suites.train", "suites.eval", "suites.test", "dagger.npp_train_levels", "dagger.npp_eval_levels")


def _value(cfg: DictConfig, key: str):
    parent, _, leaf = key.rpartition(".")
    try:  # a value taken from another key (`${bc.lr}`) is checked there, once
        node = OmegaConf.select(cfg, parent) if parent else cfg
        if OmegaConf.is_config(node) and leaf in node and OmegaConf.is_interpolation(node, leaf):
            return _ABSENT
    except Exception:  # noqa: BLE001
        return _ABSENT
    try:
        value = OmegaConf.select(cfg, key, default=_ABSENT, throw_on_missing=False)
    except Exception:  # noqa: BLE001 - an interpolation that does not resolve under this config
        return _ABSENT
    if OmegaConf.is_config(value):
        try:
            return OmegaConf.to_container(value, resolve=True)
        except Exception:  # noqa: BLE001
            return _ABSENT
    return value


def problems(cfg: DictConfig) -> list[str]:
    """Every ``key=value: what is wrong`` line of the config (empty when it is fine)."""
    out: list[str] = []
    for key, check in RULES.items():
        v = _value(cfg, key)
        if v is _ABSENT or v == "???":
            continue
        why = check(v)
        if why:
            out.append(f"{key}={_show(v)}: {why}")
    for key, check in LIST_RULES.items():
        v = _value(cfg, key)
        if isinstance(v, list):
            for i, item in enumerate(v):
                why = check(item)
                if why:
                    out.append(f"{key}[{i}]={_show(item)}: {why}")
    callbacks = cfg.get("callbacks") if OmegaConf.is_dict(cfg) else None
    if OmegaConf.is_dict(callbacks):  # null (left out) or a `_target_` entry each; not resolved here
        for name in callbacks:
            entry = callbacks._get_node(name)
            if not (entry._is_none() or (OmegaConf.is_dict(entry) and "_target_" in entry)):
                out.append(f"callbacks.{name}={_show(entry._value())}: must be null or a mapping with a _target_")
    for key in COUNT_RULES:
        v = _value(cfg, key)
        if isinstance(v, dict):
            for cat, n in v.items():
                if not (isinstance(n, int) and not isinstance(n, bool) and n >= 0):
                    out.append(f"{key}.{cat}={_show(n)}: must be an integer >= 0")
    return out


def _show(v) -> str:
    return "null" if v is None else str(v)


def validate(cfg: DictConfig) -> None:
    """Raise one :class:`UserFacingError` listing every invalid option (the first few of them)."""
    found = problems(cfg)
    if found:
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        raise UserFacingError("invalid option " + "; ".join(found[:3]) + more)
