"""Expert demonstrations with injected noise (DART, Laskey et al. 2017): recovery states, expert-labelled.

A clean planner demo only visits states on the expert's path, so a policy that imitates it and slips once
(jumps a block late, stops at a wall with jump still held) is somewhere the demos never show, and stays
stuck there. Here the planner expert plays at the decision rate, and before each decision, with
probability ``noise``, a random action is held for that block instead; the expert then replans from
wherever the noise left the ninja (:class:`~npp_sim.planner.expert.PlannerExpert`), so the demo shows
how to recover. Only won episodes are kept.

``noise_kind="late"`` injects the error an imitator of these demos makes most (measured: 31-55% of a BC
policy's label errors repeat the previous label where the expert has just switched): at a decision where the
expert's action differs from the one just played, with probability ``noise``, the previous action is held one
more block instead, so the demo shows how to recover from switching one decision late.

The result is an ordinary replay (one input byte per frame, block-constant, so executable at the
decision rate): the injected blocks are recorded as they were played, and their indices are returned
(``noise_blocks``) so a consumer can leave those labels out.
"""

from __future__ import annotations

import numpy as np

from .expert import ACTION_CONTROLS, PlannerExpert
from .takeover import hold, outcome

NOISE_KINDS = ("random", "late")


def noisy_expert_episode(map_data: bytes, *, frame_skip: int = 4, noise: float = 0.15, seed: int = 0,
                         max_frames: int = 6000, max_nodes: int = 20000, replan_nodes: int = 3000,
                         budget_s: float = 30.0, plan: np.ndarray | None = None,
                         mine_margin: float = 0.0, memory: bool = True,
                         stats: dict | None = None, noise_kind: str = "random") -> tuple[np.ndarray, list[int], str]:
    """Play one noisy expert episode; returns ``(input bytes per frame, noise block indices, outcome)``
    with outcome "won", "dead" or "timeout". ``plan``: a known winning plan from the spawn at this
    decision rate (e.g. the clean demo), followed until the first noise instead of planning afresh (only
    with ``memory``; ``memory=False`` is the receding-horizon expert, a fresh search at every decision, and
    with ``noise=0`` its clean demo). ``stats``: updated with the expert's counters (searches, fallbacks)."""
    from npp_sim.simulator import Simulator

    if noise_kind not in NOISE_KINDS:
        raise ValueError(f"noise_kind must be one of {', '.join(NOISE_KINDS)}, got {noise_kind!r}")
    rng = np.random.default_rng(seed)
    sim = Simulator(map_data)
    expert = PlannerExpert(map_data, max_nodes=max_nodes, replan_nodes=replan_nodes, budget_s=budget_s,
                           max_frames=max_frames, frame_skip=frame_skip, seed=seed, mine_margin=mine_margin,
                           memory=memory)
    if plan is not None and memory:
        expert.follow(sim.snapshot(), plan)
    inputs: list[int] = []
    noise_blocks: list[int] = []
    block, last = 0, None
    while outcome(sim, max_frames) == "running":
        a = expert.act(sim)
        if noise_kind == "random" and rng.random() < noise:
            a = int(rng.integers(len(ACTION_CONTROLS)))
            noise_blocks.append(block)
        elif noise_kind == "late" and last is not None and a != last and rng.random() < noise:
            a = last  # switch one block late
            noise_blocks.append(block)
        hold(sim, a, frame_skip, inputs)
        block, last = block + 1, a
    if stats is not None:
        stats.update(expert.stats)
    return np.asarray(inputs, dtype=np.uint8), noise_blocks, outcome(sim, max_frames)
