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

from npp_sim.planner.rollout import copy_state, run_macro


def _run(state, statics, hor: int, jump: int, frames: int) -> int:
    return int(run_macro(state, statics, np.full(frames, hor, np.int64), np.full(frames, jump, np.int64)))


def _equal(a: tuple, b: tuple) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def canonical_inputs(map_data: bytes, inputs: np.ndarray, frame_skip: int,
                     start: tuple | None = None) -> tuple[np.ndarray, int]:
    """Block-constant ``inputs`` (one byte per ``frame_skip`` frames, see
    :func:`npp_sim.planner.block_constant`) with every jump that changes nothing cleared; returns
    ``(canonical inputs, number of blocks whose jump was cleared)``. ``start``: a simulator snapshot
    the inputs are played from (default: the map's spawn state).

    Blocks are visited from the last to the first, so a run of held jumps that change nothing is
    cleared as a whole (visiting forwards, every block but the run's last would be followed by a
    held jump, which clearing it would turn into a fresh press)."""
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
    state = copy_state(sim.snapshot() if start is None else start)
    starts = []
    for s, e in blocks:  # the state at every block start under the given labels
        starts.append(copy_state(state))
        _run(state, statics, *_ctl(b[s]), e - s)

    cleared = 0
    for i in range(len(blocks) - 1, -1, -1):
        s, e = blocks[i]
        h, j = _ctl(b[s])
        if not j:
            continue
        ref, cand = copy_state(starts[i]), copy_state(starts[i])
        f_ref = _run(ref, statics, h, 1, e - s)
        f_cand = _run(cand, statics, h, 0, e - s)
        if f_ref != f_cand:
            continue
        if i + 1 < len(blocks) and f_ref == e - s:
            s2, e2 = blocks[i + 1]
            _run(ref, statics, *_ctl(b[s2]), e2 - s2)
            _run(cand, statics, *_ctl(b[s2]), e2 - s2)
        if _equal(ref, cand):
            b[s:e] = b[s] & 0xFE
            cleared += 1
    return b, cleared


def _ctl(byte) -> tuple[int, int]:
    byte = int(byte)
    return ((byte >> 1) & 1) - ((byte >> 2) & 1), byte & 1
