"""Re-evaluate finished ``stage=dagger`` runs and print a BC-vs-DAgger table (markdown).

    python -m imitation_pipeline.dagger.report RUN_DIR [RUN_DIR ...] [--episodes 5] [--heldout 0] [--json out.json]

For every run directory it loads ``checkpoints/last.ckpt`` (project schema) and the run's own config
(``run_config.yaml``, or Hydra's ``.hydra/config.yaml`` for older runs: env, world pool), then plays the student alone on the run's evaluation
episodes: once with argmax actions and ``--episodes`` times with sampled actions (torch seeded, so
reruns give the same numbers); ``--noise p`` also plays argmax actions of which a share p is replaced by
random buttons ("perturbed": recovery from states the policy's own actions avoid); ``--heldout K``
also plays K unseen worlds (seeds from 10**6). Runs are
grouped by method: ``dagger`` when the beta schedule ever drops below 1, else ``bc (beta=1)``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

RUN_CONFIG = "run_config.yaml"  # written by stage=dagger next to its checkpoints


def _method(cfg) -> str:
    from imitation_pipeline.dagger.schedule import betas_from_config

    betas = betas_from_config(cfg.dagger)
    horizon = int(cfg.dagger.get("rollout_max_steps", 0))
    suffix = f", rollouts <= {horizon} steps" if horizon > 0 else ""
    return ("bc (beta=1)" if min(betas) >= 1.0 else f"dagger ({cfg.dagger.beta_schedule})") + suffix


def run_config_path(run_dir: Path) -> Path:
    """The run's config: ``run_config.yaml`` (written by stage=dagger), else Hydra's ``.hydra/config.yaml``."""
    from imitation_pipeline.errors import UserFacingError

    for path in (run_dir / RUN_CONFIG, run_dir / ".hydra" / "config.yaml"):
        if path.is_file():
            return path
    raise UserFacingError(f"{run_dir}: not a stage=dagger run directory (no {RUN_CONFIG} or .hydra/config.yaml)")


def perturbed_modes(noise: float | Sequence[float]) -> list[tuple[str, float]]:
    """``(result key, noise level)`` per noise level > 0: one level is ``perturbed`` (as before), several
    are ``perturbed@<p>`` each, so one call gives every column of the README's table."""
    levels = [float(p) for p in ([noise] if isinstance(noise, int | float) else noise) if float(p) > 0]
    if len(levels) == 1:
        return [("perturbed", levels[0])]
    return [(f"perturbed@{p:g}", p) for p in levels]


def evaluate_run(run_dir: Path, episodes: int, heldout: int, noise: float | Sequence[float] = 0.0) -> dict:
    import torch
    from omegaconf import OmegaConf

    from imitation_pipeline.checkpoint import load_checkpoint
    from imitation_pipeline.dagger.envs import Episode, evaluate, make_task
    from imitation_pipeline.policies import build_policy

    cfg = OmegaConf.load(run_config_path(run_dir))
    modalities = list(cfg.arch.modalities)
    task = make_task(cfg, modalities)
    ckpt = load_checkpoint(run_dir / "checkpoints" / "last.ckpt", expect_observation_space=task.observation_space,
                           expect_action_space=task.action_space)
    policy = build_policy(ckpt["arch"], task.observation_space, task.action_space)
    policy.load_state_dict(ckpt["policy_state_dict"], strict=True)
    env = task.make_env()
    try:
        torch.manual_seed(0)
        out = {"run": str(run_dir), "method": _method(cfg), "seed": int(cfg.seed),
               "labels": int(ckpt["metrics"]["dataset_size"]),
               "argmax": evaluate(policy, task, env=env, deterministic=True),
               "sampled": evaluate(policy, task, env=env, deterministic=False,
                                   episodes=[ep for ep in task.eval_episodes for _ in range(episodes)])}
        for key, p in perturbed_modes(noise):
            out[key] = evaluate(policy, task, env=env, deterministic=True, action_noise=p,
                                episodes=[ep for ep in task.eval_episodes for _ in range(episodes)])
        if heldout:
            unseen = [Episode(f"world{10**6 + i}", seed=10**6 + i) for i in range(heldout)]
            out["heldout_sampled"] = evaluate(policy, task, env=env, deterministic=False, episodes=unseen)
    finally:
        env.close()
    return out


def _modes(results: list[dict]) -> list[str]:
    perturbed = sorted({k for r in results for k in r if k.startswith("perturbed")},
                       key=lambda k: float(k.split("@")[1]) if "@" in k else 0.0)
    return [m for m in ("argmax", "sampled", *perturbed, "heldout_sampled") if any(m in r for r in results)]


def summary_table(results: list[dict]) -> str:
    """The README's BC-vs-DAgger table: per method, success (milestones of 3), mean over seeds."""
    modes = _modes(results)

    def head(m: str, rs: list[dict]) -> str:
        if m.startswith("perturbed"):
            p = float(m.split("@")[1]) if "@" in m else float(rs[0].get("noise", [0])[0])
            return f"argmax, {100 * p:g}% random buttons"
        if m == "heldout_sampled":
            return f"{max(r.get('heldout', 0) for r in rs)} unseen worlds"
        return m

    lines = ["| policy | " + " | ".join(head(m, results) for m in modes) + " |", "|---|" + "---|" * len(modes)]
    for method in sorted({r["method"] for r in results}):
        rs = [r for r in results if r["method"] == method]
        cells = [f"{np.mean([r[m]['success_rate'] for r in rs if m in r]):.2f} "
                 f"({np.mean([r[m]['milestones'] for r in rs if m in r]):.2f})" for m in modes]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table(results: list[dict]) -> str:
    modes = _modes(results)
    lines = ["| method | seeds | expert labels | " + " | ".join(
        f"{m}: milestones (of 3) | {m}: success | {m}: return" for m in modes) + " |",
        "|---|---|---|" + "---|" * (3 * len(modes))]
    for method in sorted({r["method"] for r in results}):
        rs = [r for r in results if r["method"] == method]
        cells = [method, ",".join(str(r["seed"]) for r in rs), str(rs[0]["labels"])]
        for m in modes:
            for key in ("milestones", "success_rate", "return"):
                v = np.array([r[m][key] for r in rs if m in r])
                cells.append(f"{v.mean():.2f} ± {v.std():.2f}" if len(v) > 1 else f"{v.mean():.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    per_run = ["", "| run | method | seed | " + " | ".join(f"{m} milestones / success" for m in modes) + " |",
               "|---|---|---|" + "---|" * len(modes)]
    for r in results:
        per_run.append(f"| {Path(r['run']).name} | {r['method']} | {r['seed']} | " + " | ".join(
            f"{r[m]['milestones']:.2f} / {r[m]['success_rate']:.2f}" for m in modes if m in r) + " |")
    return "\n".join(lines + per_run)


def main(argv: list[str] | None = None) -> int:
    import os

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    p = argparse.ArgumentParser(prog="python -m imitation_pipeline.dagger.report", description=__doc__.split("\n")[0])
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--episodes", type=int, default=5, help="sampled-action episodes per evaluation world")
    p.add_argument("--heldout", type=int, default=0, help="also play this many unseen worlds (sampled actions)")
    p.add_argument("--noise", type=float, nargs="+", default=[0.0],
                   help="also play argmax actions replaced by random ones with this probability ('perturbed'); "
                        "several values give one column each")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    results = [{**evaluate_run(run, args.episodes, args.heldout, args.noise), "noise": list(args.noise),
                "heldout": args.heldout} for run in args.runs]
    print(table(results))
    print()
    print(summary_table(results))
    if args.json:
        from atomic_files import write_json_atomic

        write_json_atomic(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
