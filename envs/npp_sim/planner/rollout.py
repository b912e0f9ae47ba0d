"""Compiled rollouts and node expansion.

The simulator state is a tuple of arrays (``Simulator._state``); these functions are written for
any such tuple, so they keep working when the simulator adds or drops a state array. A "pair
tuple" is ``tuple(zip(dst, src))``; :func:`copy_pairs` copies every ``src`` into its ``dst``.
"""

from __future__ import annotations

import numpy as np
from numba import literal_unroll, njit

from npp_sim import kernel as K
from npp_sim.layout import E_ACTIVE, E_STATE, EF_X, EF_Y, N_JUMP, N_STATE, N_X, N_XS, N_Y, N_YS

from .field import CELL

_DEAD = K.ST_DEAD  # 6 dead, 7 dying, 8 celebrating
_WON = K.ST_CELEBRATING

# K.tick takes the 10 state arrays, the 8 statics and the two inputs as separate arguments; it
# is called with explicit indexing (not *args, which numba refuses for inlined callees)
_TICK_ARITY = (10, 8)


@njit(cache=True, inline="always")
def tick_state(s, t, hor, jump):
    K.tick(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9],
           t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], hor, jump)


def check_arity(state: tuple, statics: tuple) -> None:
    if (len(state), len(statics)) != _TICK_ARITY:
        raise RuntimeError(f"npp_sim.planner expects {_TICK_ARITY[0]} state arrays and "
                           f"{_TICK_ARITY[1]} statics for kernel.tick, got {len(state)} and "
                           f"{len(statics)}; update npp_sim.planner.rollout.tick_state")


# columns of the expansion outputs
O_FRAMES, O_STATE, O_JUMP, O_SWITCH = 0, 1, 2, 3  # out_i
F_X, F_Y, F_XS, F_YS, F_H, F_CLEAR = 0, 1, 2, 3, 4, 5  # out_f
F_COLS = 6
KEY_COLS = 8
#: contact distance of the ninja and a toggled (deadly) mine: ninja radius 10 + mine radius 4
MINE_CONTACT_PX = K.NINJA_RADIUS + 4.0


@njit(cache=True)
def copy_pairs(pairs):
    for p in literal_unroll(pairs):
        d = p[0].reshape(-1)
        s = p[1].reshape(-1)
        for i in range(d.shape[0]):
            d[i] = s[i]


@njit(cache=True)
def diff_mask(pairs):
    """Bit i set when array i of the two states differs."""
    mask = 0
    bit = 1
    for p in literal_unroll(pairs):
        a = p[0].reshape(-1)
        b = p[1].reshape(-1)
        for i in range(a.shape[0]):
            if a[i] != b[i]:
                mask |= bit
                break
        bit <<= 1
    return mask


@njit(cache=True)
def run_macro(state, statics, hors, jumps):
    """Tick ``state`` in place with inputs (hors[i], jumps[i]); return the frames actually run.

    Stops right after the first frame that leaves the ninja dead, dying or celebrating, so the
    returned count is the number of input bytes a replay of this segment needs.
    """
    ni = state[1]
    n = hors.shape[0]
    for i in range(n):
        tick_state(state, statics, hors[i], jumps[i])
        s = ni[N_STATE]
        if s >= _DEAD and s <= _WON:
            return i + 1
    return n


@njit(cache=True)
def heuristic_px(nf, ei, sw_rows, fields, sw2door):
    """Geodesic cost from the ninja to winning, minimum over exit (switch, door) pairs."""
    gh = fields.shape[2]
    gw = fields.shape[3]
    gx = int(nf[N_X] // CELL)
    gy = int(nf[N_Y] // CELL)
    gx = min(max(gx, 0), gw - 1)
    gy = min(max(gy, 0), gh - 1)
    best = np.inf
    for p in range(sw_rows.shape[0]):
        if ei[sw_rows[p], E_ACTIVE] == 0:
            v = fields[p, 1, gy, gx]
        else:
            v = fields[p, 0, gy, gx] + sw2door[p]
        if v < best:
            best = v
    return best


@njit(cache=True)
def mine_clearance(nf, ef, ei, mine_rows):
    """Distance (px) between the ninja's edge and the nearest deadly (toggled) mine's edge; inf if none."""
    best = np.inf
    for r in mine_rows:
        if ei[r, E_ACTIVE] != 0 and ei[r, E_STATE] == 0:
            d = np.hypot(ef[r, EF_X] - nf[N_X], ef[r, EF_Y] - nf[N_Y]) - MINE_CONTACT_PX
            if d < best:
                best = d
    return best


@njit(cache=True)
def expand(pairs, scratch, statics, hors, jumps, lens, ids, sig_rows, sw_rows, fields, sw2door,
           g0, pos_q, vel_q, time_bucket, mine_rows, out_i, out_f, out_k):
    """Simulate every macro ``ids[c]`` from the parent (the ``src`` side of ``pairs``).

    ``scratch`` is the ``dst`` side. Fills, per child c: out_i (frames run, movement state, last
    jump input, switch hit), out_f (x, y, xspeed, yspeed, heuristic px, the smallest clearance to a
    deadly mine over the macro's frames among ``mine_rows``; inf when ``mine_rows`` is empty) and
    out_k (the deduplication key: quantised position and velocity, state, jump input, entity
    signature, time bucket).
    """
    nf = scratch[0]
    ni = scratch[1]
    ef = scratch[2]
    ei = scratch[3]
    for c in range(ids.shape[0]):
        m = ids[c]
        copy_pairs(pairs)
        n = lens[m]
        f = n
        clear = np.inf
        for i in range(n):
            tick_state(scratch, statics, hors[m, i], jumps[m, i])
            s = ni[N_STATE]
            if s >= _DEAD and s <= _WON:
                f = i + 1
                break
            if mine_rows.shape[0]:
                clear = min(clear, mine_clearance(nf, ef, ei, mine_rows))
        out_f[c, F_CLEAR] = clear
        out_i[c, O_FRAMES] = f
        out_i[c, O_STATE] = ni[N_STATE]
        out_i[c, O_JUMP] = ni[N_JUMP]
        hit = 0
        for p in range(sw_rows.shape[0]):
            if ei[sw_rows[p], E_ACTIVE] == 0:
                hit = 1
        out_i[c, O_SWITCH] = hit
        out_f[c, F_X] = nf[N_X]
        out_f[c, F_Y] = nf[N_Y]
        out_f[c, F_XS] = nf[N_XS]
        out_f[c, F_YS] = nf[N_YS]
        out_f[c, F_H] = heuristic_px(nf, ei, sw_rows, fields, sw2door)
        sig = np.int64(0)
        for r in sig_rows:
            sig = sig * np.int64(1000003) + ei[r, E_ACTIVE] * 7 + ei[r, E_STATE]
        out_k[c, 0] = int(np.floor(nf[N_X] / pos_q))
        out_k[c, 1] = int(np.floor(nf[N_Y] / pos_q))
        out_k[c, 2] = int(np.round(nf[N_XS] / vel_q))
        out_k[c, 3] = int(np.round(nf[N_YS] / vel_q))
        out_k[c, 4] = ni[N_STATE]
        out_k[c, 5] = ni[N_JUMP]
        out_k[c, 6] = sig
        out_k[c, 7] = (g0 + f) // time_bucket if time_bucket > 0 else 0


def copy_state(state: tuple) -> tuple:
    return tuple(a.copy() for a in state)


def share_state(state: tuple, like: tuple) -> tuple:
    """``state`` with every array equal to the one in ``like`` replaced by that (shared) array.

    States kept for later expansion are never ticked in place (children tick copies), so sharing
    unchanged arrays with the parent keeps the planner's memory small.
    """
    mask = diff_mask(tuple(zip(state, like, strict=True)))
    return tuple(a if (mask >> i) & 1 else b for i, (a, b) in enumerate(zip(state, like, strict=True)))
