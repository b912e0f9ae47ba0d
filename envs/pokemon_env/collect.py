"""Collect expert episodes as NPZ files (format: :mod:`pokemon_env.episodes`).

    python -m pokemon_env.collect --env PokemonStandIn-v0 --expert scripted --episodes 20 --out demos/pokemon
        [--seed 0] [--epsilon 0.0] [--max-steps N] [--env-kwargs '{"rows": 18}']

``--expert`` is ``scripted``, ``random`` or ``package.module:Class`` (any object with ``reset(obs,
info)`` and ``act(obs, info)``). Episode k is reset with seed ``seed + k``, so a run is reproducible.
Files are numbered after those already in ``--out`` and written atomically.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pokemon_env.episodes import EpisodeBuffer, EpisodeWriter
from pokemon_env.errors import PokemonEnvError
from pokemon_env.expert import Expert, make_expert


@dataclass
class EpisodeResult:
    path: Path
    length: int
    total_reward: float
    milestones: tuple[str, ...]
    terminated: bool


def run_episode(
    env, expert: Expert, seed: int | None
) -> tuple[EpisodeBuffer, np.ndarray, dict[str, Any]]:
    """Play one episode; returns the steps (obs before each action), the final obs and a summary."""
    obs, info = env.reset(seed=seed)
    expert.reset(obs, info)
    buf = EpisodeBuffer()
    terminated = truncated = False
    while not (terminated or truncated):
        action = int(expert.act(obs, info))
        next_obs, reward, terminated, truncated, info = env.step(action)
        buf.add(obs, action, reward, terminated or truncated)
        obs = next_obs
    summary = {
        "terminated": bool(terminated),
        "truncated": bool(truncated),
        "milestones": list(info.get("milestones", ())),
    }
    return buf, obs, summary


def collect(
    env_id: str,
    expert: Expert,
    episodes: int,
    out_dir: str | Path,
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
) -> list[EpisodeResult]:
    import gymnasium as gym

    import pokemon_env  # noqa: F401  (registers the ids)

    env = gym.make(env_id, **(env_kwargs or {}))
    writer = EpisodeWriter(out_dir)
    results = []
    try:
        for k in range(episodes):
            ep_seed = seed + k
            buf, final_obs, summary = run_episode(env, expert, ep_seed)
            meta = {
                "env_id": env_id,
                "seed": ep_seed,
                "source": getattr(expert, "name", type(expert).__name__),
                **summary,
            }
            path = writer.write(buf, meta, final_observation=final_obs)
            results.append(
                EpisodeResult(
                    path,
                    len(buf),
                    float(np.sum(buf.rewards)),
                    tuple(summary["milestones"]),
                    summary["terminated"],
                )
            )
    finally:
        env.close()
    return results


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m pokemon_env.collect", description=__doc__.split("\n")[0]
    )
    p.add_argument("--env", default="PokemonStandIn-v0")
    p.add_argument("--expert", default="scripted", help="scripted | random | module:Class")
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--epsilon", type=float, default=0.0, help="scripted expert: random-button probability"
    )
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument(
        "--env-kwargs", default="{}", help="JSON object of keyword arguments for gymnasium.make"
    )
    args = p.parse_args(argv)
    try:
        env_kwargs = json.loads(args.env_kwargs)
        if not isinstance(env_kwargs, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        p.error(f"--env-kwargs must be a JSON object ({exc})")
    if args.max_steps is not None:
        env_kwargs["max_steps"] = args.max_steps
    try:
        expert = make_expert(args.expert, seed=args.seed, epsilon=args.epsilon)
        results = collect(args.env, expert, args.episodes, args.out, args.seed, env_kwargs)
    except PokemonEnvError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    solved = sum(r.terminated for r in results)
    steps = sum(r.length for r in results)
    print(f"wrote {len(results)} episodes ({steps} steps, {solved} terminated) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
