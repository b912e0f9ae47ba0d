"""Expert takeover from a student's own states: correction demos where the student fails.

BC trained on the expert's demonstrations does not win even its own training levels: one late jump puts
it in a state the demos never visit, and it does not recover (the compounding error of Ross et al. 2011).
DAgger labels every state the student visits; human-gated DAgger (Kelly et al. 2019) lets the expert take
over only where the student is about to fail. This module is that takeover for the planner expert: the
student's actions (one Discrete(6) action per ``frame_skip``-frame block) are replayed up to a branch
block, then the planner expert (:class:`~npp_sim.planner.expert.PlannerExpert`) plays from the student's
state to the end of the level.

The result is an ordinary replay (one input byte per frame, block-constant, executable at the decision
rate): the student's blocks are recorded as played and their indices returned (``student_blocks``), so a
consumer leaves their labels out exactly like the injected blocks of the noisy demos (:mod:`.noisy`).
Choosing the student and the branch blocks is the app's job (it needs the policy); this module needs
only the simulator and the planner.
"""

from __future__ import annotations

import numpy as np

from .expert import ACTION_CONTROLS, ACTION_INPUT_BYTES, PlannerExpert

#: the file listing a demo folder's takeover demos (written by the app's ``stage=takeover``, kept by build_demos)
TAKEOVER_MANIFEST = "takeover.json"
SELF_DEMOS_MANIFEST = "self_demos.json"  # the app's stage=self_demos: the student's own wins
#: the manifests of demos derived from a student (listed files are kept by build_demos)
DERIVED_MANIFESTS = (TAKEOVER_MANIFEST, SELF_DEMOS_MANIFEST)


def hold(sim, action: int, frame_skip: int, inputs: list[int]) -> None:
    """Hold ``action`` for one block of ``frame_skip`` frames (fewer if the episode ends), appending the
    recorded input byte of every frame to ``inputs``."""
    hor, jump = ACTION_CONTROLS[action]
    for _ in range(frame_skip):
        sim.tick(hor, jump)
        inputs.append(ACTION_INPUT_BYTES[action])
        if sim.won or sim.dead:
            return


def outcome(sim, max_frames: int) -> str:
    """"won", "dead", "timeout" (``max_frames`` reached) or "running"."""
    return "won" if sim.won else "dead" if sim.dead else "timeout" if sim.frame >= max_frames else "running"


def takeover_episode(map_data: bytes, student_actions, branch: int, *, frame_skip: int = 4,
                     max_frames: int = 6000, max_nodes: int = 20000, replan_nodes: int = 3000,
                     budget_s: float = 20.0, mine_margin: float = 0.0,
                     seed: int = 0, memory: bool = True) -> tuple[np.ndarray, list[int], str]:
    """The student's first ``branch`` actions, then the expert to the end; returns ``(input bytes per frame,
    student block indices, outcome)``. Outcome "won", "dead" or "timeout" is the expert's; "student_ended"
    when the student's prefix already ended the episode (nothing to take over). ``memory=False``: the
    receding-horizon expert (a fresh ``replan_nodes`` search at every decision)."""
    from npp_sim.simulator import Simulator

    if not 0 <= int(branch) <= len(student_actions):
        raise ValueError(f"branch {branch} outside the student's {len(student_actions)} actions")
    sim = Simulator(map_data)
    inputs: list[int] = []
    for a in student_actions[: int(branch)]:
        hold(sim, int(a), frame_skip, inputs)
        if sim.won or sim.dead or sim.frame >= max_frames:
            return np.asarray(inputs, dtype=np.uint8), list(range(int(branch))), "student_ended"
    expert = PlannerExpert(map_data, max_nodes=max_nodes, replan_nodes=replan_nodes, budget_s=budget_s, max_frames=max_frames, frame_skip=frame_skip, seed=seed,
                           mine_margin=mine_margin, memory=memory)
    while outcome(sim, max_frames) == "running":
        hold(sim, expert.act(sim), frame_skip, inputs)
    return np.asarray(inputs, dtype=np.uint8), list(range(int(branch))), outcome(sim, max_frames)


def takeover_job(job: dict) -> dict:
    """:func:`takeover_episode` in a worker process: ``job`` holds ``map_hex``, ``actions``, ``branch`` and the
    keyword settings (``settings``); returns ``outcome``, ``seconds``, the expert's ``stats`` and, when won,
    ``inputs_hex`` and ``student_blocks``."""
    import os
    import time

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    t0 = time.perf_counter()
    inputs, student_blocks, result = takeover_episode(bytes.fromhex(job["map_hex"]), job["actions"], job["branch"],
                                                      **job["settings"])
    row = {"outcome": result, "seconds": round(time.perf_counter() - t0, 3)}
    if result == "won":
        row.update(inputs_hex=inputs.tobytes().hex(), student_blocks=student_blocks)
    return row
