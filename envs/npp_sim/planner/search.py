"""Best-first search over simulator states with macro-actions.

Search design
-------------
* **Nodes** are simulator states. A node is expanded by applying every macro-action to a copy of
  its state in a compiled rollout (:func:`npp_sim.planner.rollout.run_macro`); children whose
  ninja dies are pruned, a child whose ninja wins ends the search.
* **Macro-actions** hold one control (hor in -1/0/1, jump on/off) for k frames. k is adaptive:
  ``k_far`` frames in open space, ``k_near`` frames when the ninja is close to a mine or to its
  current target (switch/exit door). Jump height in N++ grows with how long jump is held, so each
  direction also has a long-hold jump (``long_hold`` frames), and when the parent's last input held
  jump, "release one frame then press" variants, because a new jump (and a wall jump) needs a fresh
  press.
* **Priority** is weighted A*: ``f = g + weight * h`` with g the frames used so far and h the
  geodesic distance (:mod:`npp_sim.planner.field`) to the exit switch plus switch-to-door distance
  before the switch is hit, and to the exit door afterwards, divided by ``speed`` px/frame. Cells
  near mines cost extra in that distance, so routes keep away from mines.
* **Deduplication**: a child is dropped when its discretised key was generated before: position in
  ``pos_q`` px, velocity in ``vel_q`` px/frame, movement state, last jump input, the activation
  state of switches, doors and mines, and (only on maps with moving hazards) the time in
  ``time_bucket`` frames.
* **Memory**: children are kept as (parent, macro) only; a child's state is re-simulated from its
  parent when it is popped (the kernel is deterministic), and expanded states share the arrays
  that did not change with their parent.
* **Attempts**: :data:`DEFAULT_ATTEMPTS` runs a greedy coarse search first and a finer, more
  optimal one with the rest of the node budget if the first fails. After a first solution, a
  refinement search (:data:`REFINE`, lower weight, frame limit = the plan's length - 1) looks for a
  strictly shorter plan with part of the remaining budget.
* **Budget** is counted in expanded nodes, so results are reproducible; a wall-clock cap
  (``budget_s``) guards against slow maps (only it can make results machine-dependent, and the
  result records which budget ended the search).
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field

import numpy as np

from npp_sim.layout import (
    E_ACTIVE,
    E_LINK,
    E_TYPE,
    EF_X,
    EF_Y,
    N_JUMP,
    N_STATE,
    N_X,
    N_Y,
)

from .field import CELL, DOOR_GOAL_R, MINE_TYPES, SWITCH_GOAL_R, DistanceField
from .rollout import (
    F_CLEAR,
    F_COLS,
    F_H,
    O_FRAMES,
    O_STATE,
    check_arity,
    copy_state,
    expand,
    heuristic_px,
    run_macro,
    share_state,
)

ST_DEAD, ST_DYING, ST_WON = 6, 7, 8
MOVER_TYPES = (14, 17, 20, 25, 26, 28)
SIGNATURE_TYPES = (1, 4, 6, 8, 21)  # entities whose activation/toggle state changes the problem


@dataclass(frozen=True)
class SearchConfig:
    """Parameters of one search attempt (see the module docstring)."""

    weight: float = 2.0
    speed: float = 3.0
    pos_q: float = 4.0
    vel_q: float = 0.5
    k_far: int = 6
    k_near: int = 3
    long_hold: int = 18
    near_px: float = 36.0
    time_bucket: int = 30
    share: float = 1.0  # fraction of the node budget for this attempt (leftovers roll over)


DEFAULT_ATTEMPTS = (
    SearchConfig(weight=4.0, pos_q=6.0, vel_q=1.0, share=0.35),
    SearchConfig(weight=2.0, pos_q=3.0, vel_q=0.5, share=1.0),
)
#: after a first solution, a less greedy search that only keeps strictly shorter plans
REFINE = SearchConfig(weight=2.0, pos_q=6.0, vel_q=1.0)
REFINE_FACTOR = 4  # refinement budget: this many times the nodes of the first solution...
REFINE_MIN_NODES = 2000  # ...but at least this many (always within max_nodes)


@dataclass
class PlanResult:
    """Outcome of a planning call.

    ``inputs``: uint8 input bytes (one per frame, the last one wins) or None; ``success`` is True
    only when the inputs were replayed from the start state and won. ``frames`` = len(inputs).
    ``nodes``: expanded nodes (the deterministic budget), ``generated``: children simulated.
    ``partial``: inputs towards the closest-to-goal state found (never dies) when not solved.
    ``stop``: "solved", "nodes" (node budget spent), "time" (wall-clock cap), "exhausted" (no
    open nodes left) or "frames".
    """

    inputs: np.ndarray | None
    success: bool
    frames: int
    nodes: int
    generated: int
    seconds: float
    stop: str = ""
    attempt: int = -1
    partial: np.ndarray | None = None
    best_h: float = math.inf
    attempts: list = field(default_factory=list)
    mine_margin: float = 0.0  # the clearance (px, edge to edge) every deadly mine was kept at


def _macro_arrays(seq):
    hors = np.array([h for h, _ in seq], dtype=np.int64)
    jumps = np.array([j for _, j in seq], dtype=np.int64)
    return hors, jumps


def input_byte(hor: int, jump: int) -> int:
    return (1 if jump else 0) | (2 if hor > 0 else 0) | (4 if hor < 0 else 0)


class MapContext:
    """Everything the search needs about one map, computed once: simulator, statics, fields."""

    def __init__(self, map_data, source: str = "<map>"):
        from npp_sim.simulator import Simulator

        self.map_data = bytes(np.asarray(map_data, dtype=np.uint8).tobytes()) \
            if isinstance(map_data, np.ndarray) else bytes(map_data)
        self.sim = Simulator(self.map_data, source)
        self.statics = self.sim._statics
        self.initial = self.sim.snapshot()
        check_arity(self.initial, self.statics)
        ef, ei = self.initial[2], self.initial[3]
        types = ei[:, E_TYPE]
        self.pairs = []  # (switch row, door row, (sx, sy), (dx, dy))
        for d in np.flatnonzero(types == 3).tolist():
            s = int(ei[d, E_LINK])
            if s >= 0:
                self.pairs.append((s, d, (float(ef[s, EF_X]), float(ef[s, EF_Y])),
                                   (float(ef[d, EF_X]), float(ef[d, EF_Y]))))
        mines = np.flatnonzero(np.isin(types, MINE_TYPES))
        self.mine_rows = mines.astype(np.int64)
        self.mine_xy = np.stack([ef[mines, EF_X], ef[mines, EF_Y]], axis=1) if mines.size \
            else np.zeros((0, 2))
        self.sig_rows = np.flatnonzero(np.isin(types, SIGNATURE_TYPES))
        self.has_movers = bool(np.isin(types, MOVER_TYPES).any())
        self.field = DistanceField(self.sim.level.tiles, self.mine_xy)
        # per pair: field to the switch, field to the door, switch-to-door cost
        self.fields = []
        for _s, _d, sxy, dxy in self.pairs:
            fs = self.field.to(sxy[0], sxy[1], SWITCH_GOAL_R)
            fd = self.field.to(dxy[0], dxy[1], DOOR_GOAL_R)
            self.fields.append((fs, fd, _lookup(fd, sxy[0], sxy[1])))
        self.sw_rows = np.array([p[0] for p in self.pairs], dtype=np.int64)
        if self.fields:
            self.field_stack = np.stack([np.stack([fs, fd]) for fs, fd, _ in self.fields])
        else:
            self.field_stack = np.zeros((0, 2) + self.field.free.shape)
        self.sw2door = np.array([v for _, _, v in self.fields], dtype=np.float64)
        self._near_cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    def near_masks(self, near_px: float):
        """Lattice masks of cells within ``near_px`` of a mine or the target (pre/post switch)."""
        m = self._near_cache.get(near_px)
        if m is not None:
            return m
        gy, gx = np.mgrid[0:self.field.free.shape[0], 0:self.field.free.shape[1]]
        cx = gx * CELL + CELL / 2
        cy = gy * CELL + CELL / 2
        base = np.zeros(cx.shape, dtype=bool)
        for x, y in self.mine_xy:
            base |= (cx - x) ** 2 + (cy - y) ** 2 < near_px ** 2
        pre = base.copy()
        post = base.copy()
        r = near_px * 1.5
        for _, _, (sx, sy), (dx, dy) in self.pairs:
            pre |= (cx - sx) ** 2 + (cy - sy) ** 2 < r ** 2
            post |= (cx - dx) ** 2 + (cy - dy) ** 2 < r ** 2
        m = (pre, post)
        self._near_cache[near_px] = m
        return m

    def switch_hit(self, state) -> bool:
        ei = state[3]
        return any(ei[s, E_ACTIVE] == 0 for s, _, _, _ in self.pairs)

    def h_px(self, state) -> float:
        """Geodesic cost (px) from the ninja to winning."""
        return float(heuristic_px(state[0], state[3], self.sw_rows, self.field_stack,
                                  self.sw2door))


def _lookup(f: np.ndarray, x: float, y: float) -> float:
    gx = min(max(int(x // CELL), 0), f.shape[1] - 1)
    gy = min(max(int(y // CELL), 0), f.shape[0] - 1)
    return float(f[gy, gx])


def _blocks(frames: int, frame_skip: int) -> int:
    """``frames`` rounded up to a whole number of ``frame_skip``-frame blocks (at least one)."""
    return max(1, -(-int(frames) // frame_skip)) * frame_skip


class _Macros:
    """The macro table of one config: ids -> (hors, jumps) arrays and per-situation id lists.

    With ``frame_skip`` k > 1 every macro is a run of whole k-frame blocks, each block holding one
    control (the k-frame macro lengths are rounded up to multiples of k; "release then press" releases
    for one block), so any concatenation of macros from a block boundary is block-constant: an agent
    that holds each action for k frames can execute the plan exactly.
    """

    def __init__(self, cfg: SearchConfig, order: tuple[int, ...] = (1, -1, 0), frame_skip: int = 1):
        self.table: list[tuple[np.ndarray, np.ndarray]] = []
        self.sets: dict[tuple[int, int], np.ndarray] = {}
        fs = int(frame_skip)
        self.k_near = _blocks(cfg.k_near, fs)
        self.k_far = _blocks(cfg.k_far, fs)
        long_hold = _blocks(cfg.long_hold, fs)
        for k in sorted({self.k_far, self.k_near}):
            for held in (0, 1):
                ids = []
                for h in order:
                    seqs = [[(h, 0)] * k, [(h, 1)] * k, [(h, 1)] * long_hold]
                    if held:
                        seqs += [[(h, 0)] * fs + [(h, 1)] * max(k - fs, fs),
                                 [(h, 0)] * fs + [(h, 1)] * (long_hold - fs)]
                    for seq in seqs:
                        ids.append(len(self.table))
                        self.table.append(_macro_arrays(seq))
                self.sets[(k, held)] = np.array(ids, dtype=np.int64)
        width = max(len(h) for h, _ in self.table)
        self.hors = np.zeros((len(self.table), width), dtype=np.int64)
        self.jumps = np.zeros((len(self.table), width), dtype=np.int64)
        self.lens = np.zeros(len(self.table), dtype=np.int64)
        for m, (h, j) in enumerate(self.table):
            self.hors[m, :len(h)] = h
            self.jumps[m, :len(j)] = j
            self.lens[m] = len(h)


def _inputs_of(path_macros, path_frames, table) -> np.ndarray:
    out = []
    for m, n in zip(path_macros, path_frames, strict=True):
        hors, jumps = table[m]
        out.extend(input_byte(int(hors[i]), int(jumps[i])) for i in range(n))
    return np.array(out, dtype=np.uint8)


def _search(ctx: MapContext, start: tuple, cfg: SearchConfig, max_nodes: int, deadline: float,
            max_frames: int, seed: int, frame_skip: int = 1, mine_margin: float = 0.0) -> dict:
    """One weighted-A* attempt from ``start``; returns a dict with the path and counters.

    ``mine_margin`` > 0 prunes, like a death, every child that passes closer than that many px
    (edge to edge) to a deadly mine."""
    order = (1, -1, 0)
    if seed:
        rng = np.random.default_rng(seed)
        order = tuple(int(v) for v in rng.permutation(np.array(order)))
    macros = _Macros(cfg, order, frame_skip)
    table = macros.table
    near_pre, near_post = ctx.near_masks(cfg.near_px)
    statics = ctx.statics
    tb = int(cfg.time_bucket) if ctx.has_movers else 0
    speed, w = float(cfg.speed), float(cfg.weight)
    pos_q, vel_q = float(cfg.pos_q), float(cfg.vel_q)  # one compiled signature for expand()
    nmax = max(len(v) for v in macros.sets.values())
    out_i = np.zeros((nmax, 4), dtype=np.int64)
    out_f = np.zeros((nmax, F_COLS), dtype=np.float64)
    mine_rows = ctx.mine_rows if mine_margin > 0 else ctx.mine_rows[:0]
    margin = float(mine_margin)
    out_k = np.zeros((nmax, 8), dtype=np.int64)
    scratch = copy_state(start)
    args = (ctx.sig_rows.astype(np.int64), ctx.sw_rows, ctx.field_stack, ctx.sw2door)

    parent = [-1]
    macro = [-1]
    nframes = [0]
    g = [0]
    states = {0: start}
    h0 = ctx.h_px(start)
    best = (h0, 0)
    seen = set()
    heap = [(w * h0 / speed, 0, 0)]
    expanded = generated = 0
    stop = "exhausted"
    win = -1

    while heap:
        if expanded >= max_nodes:
            stop = "nodes"
            break
        if (expanded & 63) == 0 and time.perf_counter() > deadline:
            stop = "time"
            break
        _, _, nid = heapq.heappop(heap)
        st = states.get(nid)
        if st is None:  # re-simulate the child from its parent (deterministic)
            pst = states[parent[nid]]
            st = copy_state(pst)
            run_macro(st, statics, *table[macro[nid]])
            st = share_state(st, pst)
            states[nid] = st
        expanded += 1
        nf, ni = st[0], st[1]
        switch = ctx.switch_hit(st)
        near = near_post if switch else near_pre
        gx = min(max(int(nf[N_X] // CELL), 0), near.shape[1] - 1)
        gy = min(max(int(nf[N_Y] // CELL), 0), near.shape[0] - 1)
        k = macros.k_near if near[gy, gx] else macros.k_far
        ids = macros.sets[(k, 1 if ni[N_JUMP] else 0)]
        gn = g[nid]
        nc = ids.shape[0]
        expand(tuple(zip(scratch, st, strict=True)), scratch, statics, macros.hors, macros.jumps, macros.lens,
               ids, *args, int(gn), pos_q, vel_q, tb, mine_rows, out_i, out_f, out_k)
        generated += nc
        frames = out_i[:nc, O_FRAMES].tolist()
        sts = out_i[:nc, O_STATE].tolist()
        hs = out_f[:nc, F_H].tolist()
        clears = out_f[:nc, F_CLEAR].tolist()
        keys = out_k[:nc].tolist()
        for c in range(nc):
            s = sts[c]
            if s == ST_DEAD or s == ST_DYING or clears[c] < margin:
                continue
            gc = gn + frames[c]
            if s == ST_WON:
                win = len(parent)
                parent.append(nid)
                macro.append(int(ids[c]))
                nframes.append(frames[c])
                g.append(gc)
                break
            if gc > max_frames:
                continue
            key = tuple(keys[c])
            if key in seen:
                continue
            seen.add(key)
            cid = len(parent)
            parent.append(nid)
            macro.append(int(ids[c]))
            nframes.append(frames[c])
            g.append(gc)
            hc = hs[c]
            if hc < best[0]:
                best = (hc, cid)
            heapq.heappush(heap, (gc + w * hc / speed, cid, cid))
        if win >= 0:
            stop = "solved"
            break

    def path_to(node):
        ms, fs = [], []
        while node > 0:
            ms.append(macro[node])
            fs.append(nframes[node])
            node = parent[node]
        return _inputs_of(ms[::-1], fs[::-1], table)

    return {
        "inputs": path_to(win) if win >= 0 else None,
        "partial": path_to(best[1]) if win < 0 else None,
        "best_h": best[0],
        "nodes": expanded,
        "generated": generated,
        "stop": stop,
    }


def verify(ctx: MapContext, start: tuple, inputs: np.ndarray) -> bool:
    """Replay ``inputs`` from ``start`` in a fresh simulator; True when it wins on the last byte."""
    from npp_sim.simulator import Simulator

    if inputs is None or len(inputs) == 0:
        return False
    sim = Simulator(ctx.map_data)
    sim.restore(start)
    b = np.asarray(inputs, dtype=np.int64)
    hor = ((b >> 1) & 1) - ((b >> 2) & 1)
    tr = sim.run(hor, b & 1)
    return tr.outcome == "won" and tr.outcome_frame == len(b)


def block_constant(inputs: np.ndarray, frame_skip: int) -> bool:
    """True when ``inputs`` change only at multiples of ``frame_skip`` (each block holds one byte),
    i.e. an agent acting every ``frame_skip`` frames can reproduce them exactly."""
    b = np.asarray(inputs, dtype=np.uint8)
    k = int(frame_skip)
    if k <= 1 or len(b) == 0:
        return True
    return bool(np.array_equal(b, np.repeat(b[::k], k)[:len(b)]))


def plan(ctx: MapContext, start: tuple | None = None, *, max_nodes: int = 20000,
         budget_s: float = 60.0, max_frames: int = 6000, seed: int = 0,
         attempts=DEFAULT_ATTEMPTS, refine: bool = True, frame_skip: int = 1,
         mine_margin: float = 0.0) -> PlanResult:
    """Plan from ``start`` (a simulator snapshot; default: the map's initial state).

    Attempts run in order until one finds a verified plan. With ``refine``, the rest of the node
    budget (up to ``REFINE_FACTOR`` x the nodes used so far, at least ``REFINE_MIN_NODES``) goes to
    a less greedy search limited to plans strictly shorter than the first; the shorter verified
    plan wins (``attempt`` = ``len(attempts)`` marks a refined plan).

    ``frame_skip`` k plans at the decision rate of an env with that frame skip: the returned inputs
    hold one byte per k-frame block counted from ``start`` (:func:`block_constant`), so the labels
    sampled every k frames, each held for k frames, replay the plan exactly.

    ``mine_margin`` m > 0 keeps the ninja at least m px (edge to edge) from every deadly mine on
    every frame, so a student that executes the plan a little late or early does not touch a mine
    the plan grazed; where no such plan is found within the budget, the search is repeated without
    the margin (``PlanResult.mine_margin`` says which plan was returned).
    """
    if mine_margin > 0 and ctx.mine_rows.size:
        t0 = time.perf_counter()
        safe = _plan(ctx, start, max_nodes, budget_s, max_frames, seed, attempts, refine, frame_skip,
                     float(mine_margin))
        if safe.success:
            safe.mine_margin = float(mine_margin)
            return safe
        rest = _plan(ctx, start, max_nodes, max(0.0, budget_s - (time.perf_counter() - t0)), max_frames,
                     seed, attempts, refine, frame_skip, 0.0)
        rest.nodes += safe.nodes
        rest.generated += safe.generated
        rest.attempts = [{**a, "mine_margin": float(mine_margin)} for a in safe.attempts] + rest.attempts
        return rest
    return _plan(ctx, start, max_nodes, budget_s, max_frames, seed, attempts, refine, frame_skip, 0.0)


def _plan(ctx: MapContext, start, max_nodes: int, budget_s: float, max_frames: int, seed: int, attempts,
          refine: bool, frame_skip: int, mine_margin: float) -> PlanResult:
    if int(frame_skip) < 1:
        raise ValueError(f"frame_skip must be >= 1, got {frame_skip}")
    t0 = time.perf_counter()
    deadline = t0 + budget_s
    from_scratch = start is None
    start = ctx.initial if start is None else tuple(a.copy() for a in start)
    res = PlanResult(None, False, 0, 0, 0, 0.0, stop="exhausted")
    if not ctx.pairs:
        res.stop = "no exit"
        return res
    s = int(start[1][N_STATE])
    if s in (ST_DEAD, ST_DYING, ST_WON):
        res.stop = "terminal"
        return res
    left = int(max_nodes)
    for i, cfg in enumerate(attempts):
        last = i == len(attempts) - 1
        share = left if last else min(left, int(math.ceil(max_nodes * cfg.share)))
        if share <= 0:
            break
        out = _search(ctx, start, cfg, share, deadline, max_frames, seed, frame_skip, mine_margin)
        left -= out["nodes"]
        res.nodes += out["nodes"]
        res.generated += out["generated"]
        res.attempts.append({"attempt": i, "nodes": out["nodes"], "stop": out["stop"]})
        res.stop = out["stop"]
        if out["inputs"] is not None:
            ok = block_constant(out["inputs"], frame_skip) and verify(ctx, start, out["inputs"])
            if from_scratch and ok:
                from npp_sim.simulator import run_inputs

                ok = run_inputs(ctx.map_data, out["inputs"]).outcome == "won"
            if ok:
                res.inputs = out["inputs"]
                res.success = True
                res.frames = int(len(out["inputs"]))
                res.attempt = i
                break
            res.stop = "verify failed"
        if out["best_h"] < res.best_h:
            res.best_h = out["best_h"]
            res.partial = out["partial"]
        if out["stop"] == "time":
            break
    if refine and res.success and left > 0 and time.perf_counter() < deadline:
        share = min(left, max(REFINE_MIN_NODES, REFINE_FACTOR * res.nodes))
        out = _search(ctx, start, REFINE, share, deadline, res.frames - 1, seed, frame_skip, mine_margin)
        res.nodes += out["nodes"]
        res.generated += out["generated"]
        res.attempts.append({"attempt": len(attempts), "nodes": out["nodes"],
                             "stop": out["stop"], "refine": True})
        if out["inputs"] is not None and len(out["inputs"]) < res.frames:
            ok = block_constant(out["inputs"], frame_skip) and verify(ctx, start, out["inputs"])
            if from_scratch and ok:
                from npp_sim.simulator import run_inputs

                ok = run_inputs(ctx.map_data, out["inputs"]).outcome == "won"
            if ok:
                res.inputs = out["inputs"]
                res.frames = int(len(out["inputs"]))
                res.attempt = len(attempts)
    res.seconds = time.perf_counter() - t0
    return res


def solve(map_data, *, budget_s: float = 60.0, max_nodes: int = 20000, max_frames: int = 6000,
          seed: int = 0, attempts=DEFAULT_ATTEMPTS, refine: bool = True,
          frame_skip: int = 1, mine_margin: float = 0.0) -> PlanResult:
    """Find input bytes that win ``map_data`` in our simulator from the spawn state.

    Deterministic for the same arguments as long as the node budget (``max_nodes``), not the
    wall-clock cap ``budget_s``, ends the search. A returned plan has been replayed from scratch
    with :func:`npp_sim.simulator.run_inputs` and won on its last input byte.
    """
    ctx = MapContext(map_data)
    return plan(ctx, None, max_nodes=max_nodes, budget_s=budget_s, max_frames=max_frames,
                seed=seed, attempts=attempts, refine=refine, frame_skip=frame_skip, mine_margin=mine_margin)


__all__ = ["DEFAULT_ATTEMPTS", "REFINE", "MapContext", "PlanResult", "SearchConfig", "block_constant",
           "input_byte", "plan", "solve", "verify"]
