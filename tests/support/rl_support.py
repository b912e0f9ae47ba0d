"""Helpers of the RL tests: arch configs, BC and finetune checkpoints of the project schema, planner-made demos."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from app_support import compose


@cache
def _arch_node(name: str):
    return compose(f"arch={name}", validate=False).arch


def arch_config(name: str) -> dict:
    """The resolved arch config of conf/arch/<name>.yaml (schema defaults + the file), a fresh dict."""
    from omegaconf import OmegaConf

    return OmegaConf.to_container(_arch_node(name), resolve=True)


def write_bc_checkpoint(path: Path, arch_name: str, seed: int = 0, arch: dict | None = None):
    """A BC-stage checkpoint of a freshly built (seeded) policy, written with the project schema."""
    import torch
    from gymnasium import spaces
    from npp_sim.observation_spec import observation_space

    from imitation_pipeline.checkpoint import save_checkpoint
    from imitation_pipeline.policies import build_policy

    arch = arch or arch_config(arch_name)
    torch.manual_seed(seed)
    obs = observation_space(arch["modalities"])
    policy = build_policy(arch, obs, spaces.Discrete(6))
    with torch.no_grad():  # make every tensor distinguishable from a fresh PPO init
        for p in policy.parameters():
            p.add_(0.01 * torch.randn_like(p))
    save_checkpoint(path, policy_state_dict=policy.state_dict(), arch=arch, observation_space=obs,
                    action_space=spaces.Discrete(6), stage="bc", provenance={"dataset_hash": "test"})
    return policy


def build_demos(out: Path, counts: dict[str, int]) -> Path:
    """Planner-solved v2 replays of the first train-suite levels of each category."""
    from npp_sim.formats import write_demo
    from npp_sim.levelgen import build_named_suite
    from npp_sim.planner import solve

    out.mkdir(parents=True, exist_ok=True)
    for level in build_named_suite("train", counts):
        result = solve(level.map_data, budget_s=20)
        if result.success:
            write_demo(out / f"{level.level_id}.replay", level.map_data, result.inputs, success=True,
                       level_id=level.level_id, category=level.category, recorder="planner")
    return out


TINY_ARCH = {"name": "simple_cnn", "features_dim": 32, "net_arch_pi": [16], "net_arch_vf": [16], "activation": "relu",
             "modalities": ["player_frame", "game_state"], "channels": [8, 8, 8], "state_hidden": 16}


def tiny_checkpoint(path: Path) -> Path:
    """An untrained tiny simple_cnn policy saved as a finetune checkpoint of the project schema."""
    from gymnasium import spaces
    from npp_sim.observation_spec import observation_space

    from imitation_pipeline.checkpoint import save_checkpoint
    from imitation_pipeline.policies import build_policy

    space = observation_space(TINY_ARCH["modalities"])
    policy = build_policy(TINY_ARCH, space, spaces.Discrete(6))
    return save_checkpoint(path, policy_state_dict=policy.state_dict(), arch=TINY_ARCH, observation_space=space,
                           action_space=spaces.Discrete(6), stage="finetune", metrics={},
                           provenance={"dataset_hash": None, "git_revision": "x", "seed": 0})
