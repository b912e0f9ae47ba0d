"""``python -m imitation_pipeline.policies [--time] [--batch 32] [arch ...]``

Builds every arch from its config (``conf/arch/<name>.yaml`` composed by Hydra) on the real
observation space ``observation_space(arch.modalities)`` with 6 actions, and prints parameter counts.
With ``--time`` it also measures one BC step (forward + cross-entropy backward) per batch on CPU
(median of a few repeats after a warm-up; one thread unless OMP_NUM_THREADS says otherwise).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

CONF_DIR = Path(__file__).resolve().parents[3] / "conf"


def compose_arch(name: str):
    from hydra import compose, initialize_config_dir

    from imitation_pipeline.configs import register

    register()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=[f"arch={name}"]).arch


def time_bc_step(policy, obs, repeats: int = 5) -> tuple[float, float]:
    """Median seconds of (forward, forward + backward) for one BC cross-entropy step."""
    import torch

    actions = torch.zeros(next(iter(obs.values())).shape[0], dtype=torch.long)
    fwd, step = [], []
    for i in range(repeats + 1):
        policy.zero_grad(set_to_none=True)
        t0 = time.perf_counter()
        dist = policy.get_distribution(obs)
        t1 = time.perf_counter()
        (-dist.log_prob(actions).mean()).backward()
        t2 = time.perf_counter()
        if i:  # the first run is a warm-up
            fwd.append(t1 - t0)
            step.append(t2 - t0)
    return statistics.median(fwd), statistics.median(step)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m imitation_pipeline.policies", description=__doc__.split("\n\n")[1]
    )
    parser.add_argument("archs", nargs="*", help="arch names (default: every conf/arch/*.yaml)")
    parser.add_argument("--time", action="store_true", help="also time forward/backward per batch")
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    import torch
    from gymnasium import spaces
    from npp_sim.observation_spec import observation_space

    from imitation_pipeline.policies import build_policy, count_parameters, example_batch

    if "OMP_NUM_THREADS" in os.environ:
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    names = args.archs or sorted(p.stem for p in (CONF_DIR / "arch").glob("*.yaml"))
    cols = ["extractor", "pi", "vf", "action_head", "value_head", "total"]
    header = f"{'arch':<13}" + "".join(f"{c:>12}" for c in cols)
    if args.time:
        header += f"{'fwd ms':>10}{'fwd+bwd ms':>12}"
    print(header)
    for name in names:
        arch = compose_arch(name)
        space = observation_space(list(arch.modalities))
        torch.manual_seed(0)
        policy = build_policy(arch, space, spaces.Discrete(6))
        counts = count_parameters(policy)
        line = f"{name:<13}" + "".join(f"{counts[c]:>12,}" for c in cols)
        if args.time:
            obs = example_batch(space, args.batch, seed=0)
            fwd, step = time_bc_step(policy, obs)
            line += f"{fwd * 1e3:>10.0f}{step * 1e3:>12.0f}"
        print(line, flush=True)
    if args.time:
        print(f"(batch {args.batch}, {torch.get_num_threads()} thread(s), CPU, median of 5)")


if __name__ == "__main__":
    main()
