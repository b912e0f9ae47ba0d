"""Canonical decision labels: drop the jump presses that change nothing.

A demonstration at decision rate k (one input byte held per k-frame block) often holds jump where it has
no effect: running on the ground with jump held, or holding it through a fall. An agent imitating such
labels sees the same situation labelled RIGHT in one demo and RIGHT+JUMP in another, learns whichever is
more frequent, and then never *releases* jump, so it can never press it afresh (N++ needs a new press for
every jump and wall jump). Canonical labels keep a jump only where it matters.

Rule: blocks are visited in order; block i's jump bit is cleared when, with every later block unchanged,
the simulator state (every array, counters included) at the end of block i+1 is bit-identical to the
state the current labels reach there. The rest of the trajectory is then exactly the same, so the outcome
and frame of the outcome are kept by construction (the last block is cleared only when the episode still
ends the same way on the same frame). The observations of a canonical demo are regenerated from the
canonical inputs as for any other replay.
"""

from __future__ import annotations

import numpy as np

from npp_sim.layout import N_STATE


def _run(state, statics, hor: int, jump: int, frames: int) -> int:
    from npp_sim.planner.rollout import run_macro

    return int(run_macro(state, statics, np.full(frames, hor, np.int64), np.full(frames, jump, np.int64)))


def _equal(a: tuple, b: tuple) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def canonical_inputs(map_data: bytes, inputs: np.ndarray, frame_skip: int) -> tuple[np.ndarray, int]:
    """Block-constant ``inputs`` (one byte per ``frame_skip`` frames, see
    :func:`npp_sim.planner.block_constant`) with every jump that changes nothing cleared; returns
    ``(canonical inputs, number of blocks whose jump was cleared)``."""
    from npp_sim.planner.rollout import copy_state
    from npp_sim.simulator import Simulator

    k = int(frame_skip)
    b = np.asarray(inputs, dtype=np.uint8).copy()
    n = len(b)
    if n == 0:
        return b, 0
    blocks = [(s, min(s + k, n)) for s in range(0, n, k)]
    if any(len(set(b[s:e].tolist())) != 1 for s, e in blocks):
        raise ValueError(f"inputs are not constant within {k}-frame blocks")
    sim = Simulator(map_data)
    statics = sim._statics
    state = copy_state(sim.snapshot())

    def ctl(byte):
        byte = int(byte)
        return ((byte >> 1) & 1) - ((byte >> 2) & 1), byte & 1

    cleared = 0
    for i, (s, e) in enumerate(blocks):
        h, j = ctl(b[s])
        if j:
            ref = copy_state(state)
            cand = copy_state(state)
            if i + 1 < len(blocks):
                s2, e2 = blocks[i + 1]
                h2, j2 = ctl(b[s2])
                f_ref = _run(ref, statics, h, 1, e - s)
                f_cand = _run(cand, statics, h, 0, e - s)
                same_len = f_ref == f_cand == e - s  # neither ended inside block i
                if same_len:
                    _run(ref, statics, h2, j2, e2 - s2)
                    _run(cand, statics, h2, j2, e2 - s2)
            else:
                same_len = _run(ref, statics, h, 1, e - s) == _run(cand, statics, h, 0, e - s)
            if same_len and _equal(ref, cand) and int(ref[1][N_STATE]) == int(cand[1][N_STATE]):
                b[s:e] = b[s] & 0xFE
                cleared += 1
                h, j = ctl(b[s])
        _run(state, statics, h, j, e - s)
    return b, cleared
