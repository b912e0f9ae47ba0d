"""Labels at the decision rate: executability of held labels, and relabelling of frame-level demos.

An env with ``frame_skip`` k holds each action for k frames (stopping early on a terminal frame).
A demonstration recorded frame by frame (a human, a frame-level planner) changes input *inside*
k-frame windows, so the labels a policy learns at that rate must be checked, and where needed
derived again. The replay file is never changed; everything here derives labels from it.

* :func:`held_run` / :func:`check_executable`: take the label of every window start (frames
  0, k, 2k, ...), hold it for k frames in a fresh simulator and say whether that wins (and if not,
  how and when it ends: "dies at frame 812").
* :func:`decision_labels`: the executable labels of a replay at stride k, in this order:

  1. the raw sampled labels, when they already win held (``source = "raw"``);
  2. **tracking** (one compiled pass, :func:`_track`, on copies of the simulator's state arrays):
     window by window, the held action that keeps the agent on the demonstrated trajectory. The
     agent is matched to a demonstration frame ``tau`` that advances k +- ``slack`` frames per
     window (an agent a frame behind still counts as on the trajectory); the deviation is the
     distance in position plus ``vel_weight`` x the difference in speed. The human's action at
     ``tau`` is kept while its k-frame outcome stays within ``accept_px``; otherwise every action
     is tried and, where several end about equally close (``ambiguous_px``), each is followed by
     the best action of the next window (lookahead) before choosing (ties keep the human's);
  3. **search** where tracking leaves the demonstration (deviation over ``diverge_px``), dies or
     runs out without winning: the planner (:func:`npp_sim.planner.search.plan` with
     ``frame_skip`` k, so its inputs hold one byte per k-frame block and are executable by
     construction) plans to the goal from the tracked state at the divergence window, and when
     that fails from a few windows earlier (``backups``), first greedily with a small node budget
     and then with the full one (``search_nodes``). Where the plan passes the demonstration again
     (within ``rejoin_px``, later than where tracking left it), tracking resumes from there;
     otherwise the plan's labels run to the goal. Labels from the planner count in
     ``search_share``.

  The final label sequence is always replayed held in a fresh simulator; it is executable only if
  that replay wins. Everything is deterministic: node budgets end the searches (``budget_s`` is a
  wall-clock guard for pathological maps only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from .env import ACTION_CONTROLS, ACTION_INPUT_BYTES
from .layout import E_ACTIVE, N_STATE, N_X, N_XS, N_Y, N_YS
from .planner.rollout import check_arity, copy_pairs, tick_state

_ST_DEAD, _ST_WON = 6, 8  # 6 dead, 7 dying, 8 celebrating
_HORS = np.array([h for h, _ in ACTION_CONTROLS], dtype=np.int64)
_JUMPS = np.array([j for _, j in ACTION_CONTROLS], dtype=np.int64)
_BYTES = np.array(ACTION_INPUT_BYTES, dtype=np.uint8)
_ACTION_OF_BYTE = np.full(256, -1, dtype=np.int64)
for _a, _b in enumerate(ACTION_INPUT_BYTES):
    _ACTION_OF_BYTE[_b] = _a

# tracking pass outcomes
_RAN_OUT, _WON, _DIED = 0, 1, 2
# origin of a label
_TRACK, _BRIDGE, _SEARCH = 0, 1, 2


@dataclass(frozen=True)
class RelabelConfig:
    """Parameters of :func:`decision_labels` (see the module docstring)."""

    accept_px: float = 3.0  # keep the raw label while its deviation stays within this
    vel_weight: float = 4.0  # px of deviation per px/frame of speed difference
    lookahead: int = 1  # windows of lookahead where one window is ambiguous (0 or 1)
    ambiguous_px: float = 2.0  # actions within this of the best one-window cost are ambiguous
    slack: int = 2  # frames the matched demonstration frame may drift per window (< stride)
    lag_px: float = 0.5  # deviation charged per frame of drift
    extra_windows: int = 30  # windows tracking may run past the demonstration's length
    diverge_px: float = 12.0  # tracking has left the demonstration beyond this deviation
    abandon_px: float = 64.0  # ...and is given up (search takes over) beyond this one
    search: bool = True  # plan toward the goal where tracking fails
    search_nodes: tuple[int, ...] = (500, 4000)  # planner node budgets: all start points with
    # the first, then with the next...
    budget_s: float = 20.0  # wall-clock guard per planner call
    backups: tuple[int, ...] = (2, 5, 10, 20, 40)  # windows before the divergence to plan from
    rejoin_px: float = 6.0  # a bridge or planned run is back on the demonstration within this deviation
    bridge_width: int = 32  # beam width of the bridge search back onto the demonstration
    bridge_frames: int = 96  # its horizon (frames)
    bridge_backups: tuple[int, ...] = (1, 4)  # windows before the divergence to bridge from
    max_segments: int = 12  # tracking segments (each ended by a bridge or a search) per replay
    fallback_backups: tuple[int, ...] = (8, 32)  # last resort: plan from this many windows before
    # the end of the labels fixed so far, then from the spawn


@dataclass(frozen=True)
class HeldRun:
    """The outcome of holding one label per window for ``stride`` frames from the spawn state."""

    stride: int
    windows: int
    outcome: str  # "won" | "died" | "neither"
    outcome_frame: int | None

    @property
    def executable(self) -> bool:
        return self.outcome == "won"

    def describe(self) -> str:
        if self.outcome == "won":
            return f"wins at frame {self.outcome_frame}"
        if self.outcome == "died":
            return f"dies at frame {self.outcome_frame}"
        return f"neither wins nor dies in {self.windows * self.stride} frames"


@dataclass
class DecisionLabels:
    """Labels (Discrete(6) actions, one per ``stride``-frame window) and how they were obtained.

    ``hor``/``jump``: the held per-frame controls of those labels, cut at the winning frame when
    executable (the states these produce are the ones to observe). ``source``: "raw", "tracking",
    "search" (planned from the spawn state) or "tracking+search"; ``search_share``: the share of
    windows whose label came from the planner. ``reason``: why not executable (None when it is).
    """

    stride: int
    labels: np.ndarray
    hor: np.ndarray
    jump: np.ndarray
    executable: bool
    relabelled: bool
    source: str
    search_windows: int = 0
    bridge_windows: int = 0
    reason: str | None = None
    raw: HeldRun | None = None
    outcome_frame: int | None = None
    searches: list = field(default_factory=list)

    @property
    def search_share(self) -> float:
        return self.search_windows / max(len(self.labels), 1)

    @property
    def windows(self) -> int:
        return int(len(self.labels))

    def summary(self) -> dict:
        return {"executable": self.executable, "relabelled": self.relabelled, "source": self.source,
                "search_share": round(self.search_share, 6), "labels": self.windows,
                "raw_held": self.raw.describe() if self.raw else None, "reason": self.reason}


# --- helpers ---------------------------------------------------------------------------------------
def window_labels(actions: np.ndarray, stride: int) -> np.ndarray:
    """The label of every window: the action at frames 0, k, 2k, ..."""
    return np.asarray(actions)[::stride].astype(np.uint8)


def held_controls(labels: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame ``(hor, jump)`` int8 arrays of ``labels`` each held for ``stride`` frames."""
    lab = np.asarray(labels, dtype=np.int64)
    return (np.repeat(_HORS[lab], stride).astype(np.int8),
            np.repeat(_JUMPS[lab], stride).astype(np.int8))


def held_input_bytes(labels: np.ndarray, stride: int) -> np.ndarray:
    """Per-frame input bytes of ``labels`` each held for ``stride`` frames."""
    return np.repeat(_BYTES[np.asarray(labels, dtype=np.int64)], stride)


def labels_of_input_bytes(inputs: np.ndarray, stride: int) -> np.ndarray:
    """Labels of a block-constant input sequence (one per ``stride``-frame block)."""
    acts = _ACTION_OF_BYTE[np.asarray(inputs, dtype=np.int64)[::stride]]
    if (acts < 0).any():
        raise ValueError("input bytes outside the six actions")
    return acts.astype(np.uint8)


def _sim(map_data, source: str):
    from .simulator import Simulator

    return Simulator(map_data, source)


def held_run(map_data, labels: np.ndarray, stride: int, *, source: str = "<replay>") -> HeldRun:
    """Hold each label for ``stride`` frames in a fresh simulator (what ``NppEnv`` does)."""
    hor, jump = held_controls(labels, stride)
    tr = _sim(map_data, source).run(hor, jump)
    return HeldRun(int(stride), int(len(labels)), tr.outcome, tr.outcome_frame)


def check_executable(map_data, input_bytes, stride: int, *, lr_rule: str = "cancel",
                     source: str = "<replay>") -> HeldRun:
    """Do the raw sampled labels of a replay (input at frames 0, k, 2k, ...), held, win?"""
    from .regenerate import actions_of_inputs

    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    labels = window_labels(actions_of_inputs(input_bytes, lr_rule), stride)
    return held_run(map_data, labels, stride, source=source)


# --- compiled tracking pass ------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _copy(dst, src, edges):
    """Copy a state; the grid-edge counters (the two largest arrays) only when ``edges`` (they
    change only on maps with doors)."""
    copy_pairs(((dst[0], src[0]), (dst[1], src[1]), (dst[2], src[2]), (dst[3], src[3]),
                (dst[4], src[4]), (dst[5], src[5]), (dst[6], src[6]), (dst[7], src[7])))
    if edges:
        copy_pairs(((dst[8], src[8]), (dst[9], src[9])))


@njit(cache=True, inline="always")
def _hold(state, statics, hor, jump, k):
    """Tick ``state`` k frames with one control; stop on a terminal frame. Returns the state."""
    ni = state[1]
    for _ in range(k):
        tick_state(state, statics, hor, jump)
        s = ni[N_STATE]
        if s >= _ST_DEAD and s <= _ST_WON:
            return s
    return ni[N_STATE]


@njit(cache=True, inline="always")
def _align(nf, target, n, slack, lag_px, dx, dy, dxs, dys, vw):
    """Deviation of the ninja from the demonstration near frame ``target``: the best over demo
    frames ``target - slack .. target + slack`` (clipped to 0..n) plus ``lag_px`` per frame of
    shift, so an agent a frame or two behind (or ahead) still counts as on the trajectory.
    Returns ``(deviation, matched frame)``."""
    best = np.inf
    best_f = min(target, n)
    lo = max(target - slack, 0)
    hi = min(target + slack, n)
    if lo > hi:
        lo = hi
    for f in range(lo, hi + 1):
        ex = nf[N_X] - dx[f]
        ey = nf[N_Y] - dy[f]
        ev = nf[N_XS] - dxs[f]
        ew = nf[N_YS] - dys[f]
        d = math.sqrt(ex * ex + ey * ey) + vw * math.sqrt(ev * ev + ew * ew) + lag_px * abs(f - target)
        if d < best:
            best = d
            best_f = f
    return best, best_f


@njit(cache=True)
def _track(cur, start, s1, s2, statics, edges, hors, jumps, acts, k, n, dx, dy, dxs, dys, accept,
           vw, slack, lag_px, lookahead, ambiguous_px, abandon_px, tau0, out_labels, out_dev, out_tau):
    """Tracking pass from ``cur`` (ticked in place), one window per iteration, at most
    ``out_labels.shape[0]`` windows.

    ``tau`` is the demonstration frame the agent is matched to (it starts at ``tau0`` and advances by
    k +- ``slack`` per window); the raw label of a window is the human's action at ``tau``.
    Returns ``(windows labelled, outcome)`` with outcome 0 (ran out of windows), 1 (won in the
    last labelled window) or 2 (every action dies in the window after the last labelled one).
    ``out_dev[w]``/``out_tau[w]``: deviation and matched frame at the end of window w.
    """
    nw = out_labels.shape[0]
    tau = tau0
    c1 = np.empty(6)
    f1 = np.zeros(6, dtype=np.int64)
    order = np.zeros(6, dtype=np.int64)
    for w in range(nw):
        r = acts[min(tau, n - 1)]
        _copy(start, cur, edges)
        s = _hold(cur, statics, hors[r], jumps[r], k)
        if s == _ST_WON:
            out_labels[w] = r
            out_dev[w] = 0.0
            out_tau[w] = n
            return w + 1, 1
        if s < _ST_DEAD:
            d, f = _align(cur[0], tau + k, n, slack, lag_px, dx, dy, dxs, dys, vw)
            if d <= accept:
                out_labels[w] = r
                out_dev[w] = d
                out_tau[w] = f
                tau = f
                continue
        # one-window cost of every action (the raw label first, so it wins ties)
        best_a = -1
        b1 = np.inf
        for i in range(6):
            a = r if i == 0 else (i - 1 if i - 1 < r else i)
            order[i] = a
            c1[a] = np.inf
            _copy(s1, start, edges)
            s = _hold(s1, statics, hors[a], jumps[a], k)
            if s == _ST_WON:
                best_a = a
                break
            if s >= _ST_DEAD:
                continue
            c1[a], f1[a] = _align(s1[0], tau + k, n, slack, lag_px, dx, dy, dxs, dys, vw)
            if c1[a] < b1:
                b1 = c1[a]
                best_a = a
        if best_a >= 0 and s != _ST_WON and lookahead > 0:
            # ambiguous: several actions end about as close; look one window further
            m = 0
            for i in range(6):
                if c1[order[i]] <= b1 + ambiguous_px:
                    m += 1
            if m > 1:
                best = np.inf
                for i in range(6):
                    a = order[i]
                    if c1[a] > b1 + ambiguous_px:
                        continue
                    c2 = 0.0
                    if f1[a] < n:
                        _copy(s1, start, edges)
                        _hold(s1, statics, hors[a], jumps[a], k)
                        c2 = np.inf
                        for bb in range(6):
                            _copy(s2, s1, edges)
                            t = _hold(s2, statics, hors[bb], jumps[bb], k)
                            if t == _ST_WON:
                                c2 = -1e12
                                break
                            if t >= _ST_DEAD:
                                continue
                            v, _f2 = _align(s2[0], f1[a] + k, n, slack, lag_px, dx, dy, dxs, dys, vw)
                            if v < c2:
                                c2 = v
                    if c1[a] + c2 < best:
                        best = c1[a] + c2
                        best_a = a
        if best_a < 0:
            _copy(cur, start, edges)
            return w, 2
        _copy(cur, start, edges)
        s = _hold(cur, statics, hors[best_a], jumps[best_a], k)
        out_labels[w] = best_a
        if s == _ST_WON:
            out_dev[w] = 0.0
            out_tau[w] = n
            return w + 1, 1
        d, f = _align(cur[0], tau + k, n, slack, lag_px, dx, dy, dxs, dys, vw)
        out_dev[w] = d
        out_tau[w] = f
        tau = f
        if d > abandon_px:
            return w + 1, 0
    return nw, 0


_DOOR_TYPES = (5, 6, 8)


def track(sim, demo, actions: np.ndarray, stride: int, n: int, cfg: RelabelConfig, tau0: int = 0):
    """Run the tracking pass from ``sim``'s current state, matched to demonstration frame ``tau0``
    (``demo``: the demonstration's trace, ``actions``: its per-frame actions, ``n``: its winning
    frame). ``sim`` ends in the state after the last labelled window.

    Returns ``(labels, deviations, matched frames, outcome)``, one entry per labelled window;
    outcome "won", "died" (every action dies in the next window) or "ran out".
    """
    check_arity(sim._state, sim._statics)
    cur = sim._state
    start, s1, s2 = (tuple(a.copy() for a in cur) for _ in range(3))
    nw = -(-max(n - tau0, 1) // stride)
    cap = nw + nw // 2 + cfg.extra_windows
    labels = np.zeros(cap, dtype=np.int64)
    dev = np.full(cap, np.inf)
    tau = np.zeros(cap, dtype=np.int64)
    slack = min(cfg.slack, stride - 1)
    edges = bool(np.isin(sim.entity_type, _DOOR_TYPES).any())
    done, out = _track(cur, start, s1, s2, sim._statics, edges, _HORS, _JUMPS,
                       np.ascontiguousarray(actions[:n], dtype=np.int64), int(stride), int(n),
                       demo.x, demo.y, demo.xspeed, demo.yspeed, float(cfg.accept_px),
                       float(cfg.vel_weight), int(slack), float(cfg.lag_px), int(cfg.lookahead),
                       float(cfg.ambiguous_px), float(cfg.abandon_px), int(tau0), labels, dev, tau)
    return labels[:done].astype(np.uint8), dev[:done], tau[:done], ("ran out", "won", "died")[out]


@njit(cache=True, inline="always")
def _slot(pool, i):
    """State ``i`` of a pool (a tuple of the state arrays, each with a leading slot axis)."""
    return (pool[0][i], pool[1][i], pool[2][i], pool[3][i], pool[4][i], pool[5][i], pool[6][i],
            pool[7][i], pool[8][i], pool[9][i])


@njit(cache=True)
def _bridge(P, C, statics, edges, hors, jumps, k, width, depth, sw_row, dx, dy, dxs, dys, dsw, lo,
            expect0, after, n, vw, lag_px, rejoin, pos_q, vel_q, seq_p, seq_c, score, match, keys,
            out_seq):
    """Beam search over held actions from ``P[0]`` back onto the demonstration.

    A state's score is its best deviation from demonstration frames ``lo`` .. (ahead of the
    nominal frame ``expect0 + depth * k`` by a few windows), plus ``lag_px`` per frame it lags
    behind that nominal frame, with the switch state matching. The best ``width`` distinct states
    (quantised position and speed) of each depth are expanded with all six actions. Success: a
    state within ``rejoin`` of a demonstration frame later than ``after`` (or a win). Returns
    ``(windows, matched frame)`` with the actions in ``out_seq``; ``(0, -1)`` when none is found.
    """
    npar = 1
    for d in range(depth):
        expect = expect0 + (d + 1) * k
        hi = min(max(expect, after + 1) + 4 * k, n)
        nc = 0
        for p in range(npar):
            for a in range(6):
                cs = _slot(C, nc)
                _copy(cs, _slot(P, p), edges)
                s = _hold(cs, statics, hors[a], jumps[a], k)
                if s >= _ST_DEAD and s != _ST_WON:
                    continue
                nf = cs[0]
                kx = int(np.floor(nf[N_X] / pos_q))
                ky = int(np.floor(nf[N_Y] / pos_q))
                kvx = int(np.round(nf[N_XS] / vel_q))
                kvy = int(np.round(nf[N_YS] / vel_q))
                dup = False
                for q in range(nc):
                    if keys[q, 0] == kx and keys[q, 1] == ky and keys[q, 2] == kvx and keys[q, 3] == kvy:
                        dup = True
                        break
                if dup and s != _ST_WON:
                    continue
                for i in range(d):
                    seq_c[nc, i] = seq_p[p, i]
                seq_c[nc, d] = a
                if s == _ST_WON:
                    for i in range(d + 1):
                        out_seq[i] = seq_c[nc, i]
                    return d + 1, n
                flag = 0
                if sw_row >= 0 and cs[3][sw_row, E_ACTIVE] == 0:
                    flag = 1
                best = np.inf
                bf = -1
                for f in range(lo, hi + 1):
                    if dsw[f] != flag:
                        continue
                    ex = nf[N_X] - dx[f]
                    ey = nf[N_Y] - dy[f]
                    ev = nf[N_XS] - dxs[f]
                    ew = nf[N_YS] - dys[f]
                    dev = math.sqrt(ex * ex + ey * ey) + vw * math.sqrt(ev * ev + ew * ew)
                    if f > after and dev <= rejoin:
                        for i in range(d + 1):
                            out_seq[i] = seq_c[nc, i]
                        return d + 1, f
                    if f < expect:
                        dev += lag_px * (expect - f)
                    if dev < best:
                        best = dev
                        bf = f
                score[nc] = best
                match[nc] = bf
                keys[nc, 0] = kx
                keys[nc, 1] = ky
                keys[nc, 2] = kvx
                keys[nc, 3] = kvy
                nc += 1
        if nc == 0:
            return 0, -1
        order = np.argsort(score[:nc])
        npar = min(width, nc)
        for i in range(npar):
            c = order[i]
            _copy(_slot(P, i), _slot(C, c), edges)
            for j in range(d + 1):
                seq_p[i, j] = seq_c[c, j]
    return 0, -1


def bridge(sim, demo, stride: int, n: int, lo: int, after: int, cfg: RelabelConfig) -> tuple[np.ndarray, int]:
    """Beam-search held actions from ``sim``'s current state back onto the demonstration (later
    than frame ``after``; ``lo``: the demonstration frame the state is matched to). Returns
    ``(labels, matched frame)`` (the frame is ``n`` when the labels win), or an empty array."""
    width = int(cfg.bridge_width)
    depth = max(1, int(cfg.bridge_frames) // stride)
    state = sim._state
    P = tuple(np.empty((width,) + a.shape, a.dtype) for a in state)
    C = tuple(np.empty((6 * width,) + a.shape, a.dtype) for a in state)
    for dst, a in zip(P, state, strict=True):
        dst[0] = a
    edges = bool(np.isin(sim.entity_type, _DOOR_TYPES).any())
    seq_p = np.zeros((width, depth), dtype=np.int64)
    seq_c = np.zeros((6 * width, depth), dtype=np.int64)
    score = np.zeros(6 * width)
    match = np.zeros(6 * width, dtype=np.int64)
    keys = np.zeros((6 * width, 4), dtype=np.int64)
    out = np.zeros(depth, dtype=np.int64)
    dsw = demo.switch_activated.astype(np.int64)
    j, f = _bridge(P, C, sim._statics, edges, _HORS, _JUMPS, int(stride), width, depth,
                   int(sim._world.last_switch), demo.x, demo.y, demo.xspeed, demo.yspeed, dsw, int(lo),
                   int(lo), int(after), int(n), float(cfg.vel_weight), float(cfg.lag_px),
                   float(cfg.rejoin_px), 3.0, 0.5, seq_p, seq_c, score, match, keys, out)
    return out[:j].astype(np.uint8), int(f)


def _rejoin(trace, stride: int, demo, after: int, n: int, cfg: RelabelConfig) -> tuple[int, int]:
    """First block end of a planned run (``trace`` from its start state) where the agent is back on
    the demonstration at a frame later than ``after``: ``(blocks, demo frame)``, or (-1, -1)."""
    if after + 1 >= n:
        return -1, -1
    ends = np.arange(stride, trace.frames + 1 - stride, stride)  # never the plan's last block
    if ends.size == 0:
        return -1, -1
    f = slice(after + 1, n)
    pos = np.hypot(trace.x[ends, None] - demo.x[None, f], trace.y[ends, None] - demo.y[None, f])
    vel = np.hypot(trace.xspeed[ends, None] - demo.xspeed[None, f],
                   trace.yspeed[ends, None] - demo.yspeed[None, f])
    dev = pos + cfg.vel_weight * vel
    dev[trace.switch_activated[ends, None] != demo.switch_activated[None, f]] = np.inf
    hit = np.flatnonzero((dev <= cfg.rejoin_px).any(axis=1))
    if hit.size == 0:
        return -1, -1
    j = int(hit[0])
    return j + 1, after + 1 + int(np.argmin(dev[j]))


# --- the whole procedure ---------------------------------------------------------------------------
def _finish(level, labels: np.ndarray, stride: int, source: str) -> tuple[bool, HeldRun, np.ndarray]:
    """Replay held labels in a fresh simulator; cut them after the winning window."""
    run = held_run(level, labels, stride, source=source)
    if run.executable:
        labels = labels[: -(-run.outcome_frame // stride)]
    return run.executable, run, labels


def _snapshot_at(sim, base: tuple, labels: np.ndarray, w0: int, stride: int, cache: dict):
    """The state after the first ``w0`` held labels from ``base`` (None if terminal), memoised."""
    if w0 not in cache:
        sim.restore(base)
        if w0:
            sim.run(*held_controls(labels[:w0], stride))
        cache[w0] = None if (sim.dead or sim.won) else sim.snapshot()
    return cache[w0]


def _result(stride, labels, executable, run: HeldRun, **kw) -> DecisionLabels:
    hor, jump = held_controls(labels, stride)
    if executable:
        hor, jump = hor[: run.outcome_frame], jump[: run.outcome_frame]
    return DecisionLabels(int(stride), np.asarray(labels, dtype=np.uint8), hor, jump, executable,
                          outcome_frame=run.outcome_frame, **kw)


def decision_labels(map_data, input_bytes, stride: int, *, lr_rule: str = "cancel", relabel: bool = True,
                    config: RelabelConfig | None = None, source: str = "<replay>") -> DecisionLabels:
    """Executable labels for a replay at ``stride`` k (see the module docstring).

    The replay itself must win in the simulator; otherwise nothing is executable
    (``reason`` says so). With ``relabel`` False only the raw sampled labels are checked.
    """
    from .map_data import LevelData, parse_map
    from .regenerate import actions_of_inputs

    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    cfg = config or RelabelConfig()
    level = map_data if isinstance(map_data, LevelData) else parse_map(map_data, source)
    inputs = np.asarray(input_bytes, dtype=np.uint8)
    actions = actions_of_inputs(inputs, lr_rule)
    sim = _sim(level, source)
    demo = sim.run(*held_controls(actions, 1))  # the demonstration itself (row f = after frame f)
    raw_all = window_labels(actions, stride)
    if demo.outcome != "won":
        run = held_run(level, raw_all, stride, source=source)
        what = "dies" if demo.outcome == "died" else "does not win"
        where = f" at frame {demo.outcome_frame}" if demo.outcome_frame is not None else ""
        return _result(stride, raw_all, False, run, relabelled=False, source="raw", raw=run,
                       reason=f"not executable: the replay itself {what}{where}")
    n = int(demo.outcome_frame)
    raw = window_labels(actions[:n], stride)
    ok, run_raw, labels = _finish(level, raw, stride, source)
    if ok:
        return _result(stride, labels, True, run_raw, relabelled=False, source="raw", raw=run_raw)
    fail = f"not executable at stride {stride}: held labels {run_raw.describe()}"
    if not relabel:
        return _result(stride, raw, False, run_raw, relabelled=False, source="raw", raw=run_raw, reason=fail)

    from .planner.search import DEFAULT_ATTEMPTS, MapContext, SearchConfig, plan

    greedy = (SearchConfig(weight=4.0, pos_q=6.0, vel_q=1.0, share=1.0),)
    ctx = None
    searches: list[dict] = []

    def done(labels: np.ndarray, origin: np.ndarray):
        """Verify held ``labels`` from the spawn state; the result when they win, else None."""
        ok, run, labels = _finish(level, labels.astype(np.uint8), stride, source)
        if not ok:
            return None
        origin = origin[: len(labels)]
        n_search = int((origin == _SEARCH).sum())
        kind = "search" if n_search == len(labels) else "tracking+search" if n_search else "tracking"
        return _result(stride, labels, True, run, relabelled=True, source=kind, search_windows=n_search,
                       bridge_windows=int((origin == _BRIDGE).sum()), raw=run_raw, searches=searches)

    def planned_from(state, nodes: int, attempts, remaining: int):
        res = plan(ctx, state, max_nodes=nodes, budget_s=cfg.budget_s, attempts=attempts,
                   max_frames=2 * remaining + 600, refine=False, frame_skip=stride)
        return res, (labels_of_input_bytes(res.inputs, stride) if res.success else None)

    sim.reset()
    prefix = np.zeros(0, dtype=np.uint8)  # labels fixed so far
    origin = np.zeros(0, dtype=np.int8)  # where each came from: tracking, bridge or search
    tau0 = 0
    fail = f"not executable at stride {stride}: held labels {run_raw.describe()}"
    for segment in range(cfg.max_segments):
        base = sim.snapshot()
        tracked, dev, taus, out = track(sim, demo, actions, stride, n, cfg, tau0)
        labels = np.concatenate([prefix, tracked])
        lab_origin = np.concatenate([origin, np.full(len(tracked), _TRACK, np.int8)])
        if out == "won" and (result := done(labels, lab_origin)) is not None:
            return result
        fail = f"not executable at stride {stride}: relabelled run {held_run(level, labels, stride).describe()}"
        if not cfg.search or segment == cfg.max_segments - 1:
            break
        off = np.flatnonzero(dev > cfg.diverge_px)  # where tracking leaves the demonstration
        w_div = int(off[0]) if off.size else len(tracked)
        left_at = max(int(taus[w_div - 1]) if 0 < w_div <= len(taus) else tau0, tau0)
        snaps: dict[int, tuple | None] = {}

        def tau_at(w0: int, taus=taus, tau0=tau0) -> int:
            return int(taus[w0 - 1]) if w0 else tau0

        # a short beam search back onto the demonstration (its labels still follow the human's path)
        step = None
        if segment < cfg.max_segments - 2:
            for back in cfg.bridge_backups:
                w0 = max(w_div - back, 0)
                if _snapshot_at(sim, base, tracked, w0, stride, snaps) is None:
                    continue
                sim.restore(snaps[w0])
                seq, f = bridge(sim, demo, stride, n, tau_at(w0), left_at, cfg)
                if len(seq):
                    step = (w0, seq, f, _BRIDGE)
                    break
        # else the planner toward the goal, from the divergence or a few windows earlier
        if step is None:
            ctx = ctx or MapContext(level.map_bytes, source)
            starts = list(dict.fromkeys(max(w_div - b, 0) for b in cfg.backups))
            exhausted: set[int] = set()
            planned = None
            for nodes, attempts in zip(cfg.search_nodes, (greedy, DEFAULT_ATTEMPTS), strict=False):
                for w0 in starts:
                    if w0 in exhausted or _snapshot_at(sim, base, tracked, w0, stride, snaps) is None:
                        continue
                    res, planned = planned_from(snaps[w0], nodes, attempts, max(n - tau_at(w0), 0))
                    searches.append({"window": len(prefix) + w0, "nodes": int(res.nodes), "stop": res.stop})
                    if res.stop == "exhausted":
                        exhausted.add(w0)
                    if planned is not None:
                        break
                if planned is not None:
                    break
            if planned is None:
                break
            sim.restore(snaps[w0])
            j, f = _rejoin(sim.run(*held_controls(planned, stride)), stride, demo, left_at, n, cfg)
            if j < 0 or segment >= cfg.max_segments - 2:  # to the goal without meeting the demo again
                result = done(np.concatenate([prefix, tracked[:w0], planned]),
                              np.concatenate([origin, np.full(w0, _TRACK, np.int8),
                                              np.full(len(planned), _SEARCH, np.int8)]))
                if result is not None:
                    return result
                break
            step = (w0, planned[:j], f, _SEARCH)
        # back on the demonstration: track again from there
        w0, seq, tau0, kind = step
        prefix = np.concatenate([prefix, tracked[:w0], seq]).astype(np.uint8)
        origin = np.concatenate([origin, np.full(w0, _TRACK, np.int8), np.full(len(seq), kind, np.int8)])
        sim.restore(snaps[w0])
        sim.run(*held_controls(seq, stride))
        if sim.won and (result := done(prefix, origin)) is not None:
            return result

    # last resort: plan to the goal from earlier along the labels fixed so far, finally from the spawn
    if cfg.search and relabel:
        ctx = ctx or MapContext(level.map_bytes, source)
        for w in dict.fromkeys([max(len(prefix) - b, 0) for b in cfg.fallback_backups] + [0]):
            sim.reset()
            if w:
                sim.run(*held_controls(prefix[:w], stride))
            if sim.dead or sim.won:
                continue
            res, planned = planned_from(sim.snapshot(), cfg.search_nodes[-1], DEFAULT_ATTEMPTS, n)
            searches.append({"window": w, "nodes": int(res.nodes), "stop": res.stop, "fallback": True})
            if planned is not None:
                result = done(np.concatenate([prefix[:w], planned]),
                              np.concatenate([origin[:w], np.full(len(planned), _SEARCH, np.int8)]))
                if result is not None:
                    return result
    return _result(stride, labels if len(labels) else raw, False, held_run(level, labels if len(labels) else raw,
                   stride), relabelled=True, source="tracking", raw=run_raw, reason=fail, searches=searches,
                   search_windows=int((lab_origin == _SEARCH).sum()) if len(labels) else 0)


__all__ = ["DecisionLabels", "HeldRun", "RelabelConfig", "check_executable", "decision_labels",
           "held_controls", "held_input_bytes", "held_run", "labels_of_input_bytes", "track",
           "window_labels"]
