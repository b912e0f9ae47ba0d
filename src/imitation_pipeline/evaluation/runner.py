"""Play a policy on every level of a suite and summarise per category.

One implementation, on SB3's ``evaluate_policy``: the levels are split into chunks of
``batch_envs``; each chunk is a ``DummyVecEnv`` with one single-level env per level, so every level
is played exactly ``episodes`` times and the policy sees one batch per step. Per-episode records
come from ``evaluate_policy``'s callback (the finishing env's index identifies the level). With
``deterministic=True`` (argmax actions, a bit-exact simulator) the numbers are identical on every
run. Sampled actions draw from one numpy generator per level, seeded by (seed, level index), so they are
identical on every run too, whatever ``batch_envs`` is (see :class:`LevelSeededSampler`).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch

from imitation_pipeline.rl.envs import EnvSpec, make_level_envs


class LevelSeededSampler:
    """``predict`` for SB3's ``evaluate_policy``: one batched forward pass, then each env's action drawn
    from its own generator (``np.random.default_rng((seed, level))``), so a level's episodes do not depend
    on which other levels share its batch."""

    def __init__(self, policy, levels: list[int], seed: int):
        self.policy = policy
        self.rngs = [np.random.default_rng((int(seed), int(level))) for level in levels]

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = False):
        if deterministic:
            return self.policy.predict(observation, state, episode_start, deterministic=True)
        with torch.no_grad():
            obs, _ = self.policy.obs_to_tensor(observation)
            probs = self.policy.get_distribution(obs).distribution.probs.double().cpu().numpy()
        probs /= probs.sum(axis=1, keepdims=True)
        actions = np.array([rng.choice(probs.shape[1], p=p) for rng, p in zip(self.rngs, probs, strict=True)])
        return actions, state


def play_levels(policy, spec: EnvSpec, categories: list[str], *, episodes: int = 1, deterministic: bool = False,
                batch_envs: int = 32, seed: int = 0, progress: bool = False) -> list[dict]:
    """One record per (level, episode): level, category, episode, success, return, length, frames."""
    from stable_baselines3.common.evaluation import evaluate_policy
    from tqdm.auto import tqdm

    n = len(spec.maps)
    records: list[dict] = []
    bar = tqdm(total=n * episodes, desc="evaluate", unit="episode", disable=not progress, leave=False)
    was_training = policy.training
    policy.set_training_mode(False)
    try:
        for start in range(0, n, max(1, batch_envs)):
            indices = list(range(start, min(n, start + batch_envs)))
            venv = make_level_envs(spec, indices)

            def on_step(local_vars: dict, _globals: dict, indices=indices) -> None:
                if not local_vars["done"]:
                    return
                i, info = local_vars["i"], local_vars["info"]
                level = indices[i]
                records.append({
                    "level": spec.names[level], "category": categories[level],
                    "episode": int(local_vars["episode_counts"][i]),
                    "success": bool(info.get("is_success", False)),
                    "return": float(info["episode"]["r"]), "length": int(info["episode"]["l"]),
                    "frames": int(info.get("frame", 0)),
                })
                bar.update(1)
                bar.set_postfix(success=f"{np.mean([r['success'] for r in records]):.2f}")

            try:
                evaluate_policy(LevelSeededSampler(policy, indices, seed), venv,
                                n_eval_episodes=len(indices) * episodes, deterministic=deterministic,
                                callback=on_step, warn=False)
            finally:
                venv.close()
    finally:
        bar.close()
        policy.set_training_mode(was_training)
    order = {name: i for i, name in enumerate(spec.names)}
    return sorted(records, key=lambda r: (order[r["level"]], r["episode"]))


def summarise(records: list[dict]) -> dict:
    """Overall (per episode), per category, and macro (mean over categories) success / return / length."""

    def stats(rs: list[dict]) -> dict:
        return {
            "episodes": len(rs),
            "levels": len({r["level"] for r in rs}),
            "success_rate": float(np.mean([r["success"] for r in rs])),
            "mean_return": float(np.mean([r["return"] for r in rs])),
            "mean_length": float(np.mean([r["length"] for r in rs])),
            "mean_frames": float(np.mean([r["frames"] for r in rs])),
        }

    by_cat: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_cat[r["category"]].append(r)
    per_category = {c: stats(rs) for c, rs in by_cat.items()}
    macro = {k: float(np.mean([s[k] for s in per_category.values()]))
             for k in ("success_rate", "mean_return", "mean_length", "mean_frames")}
    return {"overall": stats(records), "macro": macro, "per_category": per_category}
