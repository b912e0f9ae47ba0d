"""The online planner expert (DAgger oracle): :class:`PlannerExpert`.

``act(sim_or_snapshot)`` answers "which Discrete(6) action would the expert take here?":

1. **Plan cache.** After every successful plan the expert replays it once from the state it was
   planned from and records an exact fingerprint (hash of every state array) of the state before
   each frame. When a later query's state has one of these fingerprints, the planned input for that
   frame is returned without searching (``stats["cache_hits"]``). Following the expert's own
   answers therefore costs one search per episode.
   The first plan on a map uses ``max_nodes`` and the shorter-plan refinement of
   :func:`~npp_sim.planner.search.plan`; replans use ``replan_nodes`` and no refinement.
2. **Replanning.** Any other state (the learner went off the plan) is planned from with a smaller
   node budget (``replan_nodes``; ``stats["replans"]``, ``stats["replan_solved"]``), and the new
   plan replaces the cache.
3. **Fallback when no plan is found** (counted in ``stats["fallbacks"]``):
   a. if the failed search found a non-dying partial path that gets closer to the goal, that path
      is cached like a plan and followed (``stats["partial"]``), so the expert keeps making
      progress without searching on every frame; when it runs out the expert replans;
   b. otherwise a one-step lookahead: every action is held for ``lookahead`` frames from the
      current state and the surviving action with the smallest geodesic distance to the goal is
      returned (NOOP when all of them die) (``stats["greedy"]``).

**Receding horizon** (``memory=False``): no plan is kept between calls; every call is a search with
``replan_nodes`` (and the first plan's shorter-plan refinement) from the state it is given, and the answer
is that plan's first label.
A label is then a function of the state alone. With memory, a label also depends on where the cached
plan was made: asked afresh on states of its own demos, the expert repeats the demo's label at only
66-78% of decisions, while two fresh searches from states 0.25 px apart agree at 93-94%
(``python -m npp_sim.planner.consistency``). It costs one search per decision.

With ``frame_skip`` k (the env's), plans hold one action per k-frame block counted from the state
they were planned from (see :func:`~npp_sim.planner.search.plan`), so an env that asks every k frames
and holds the answer for k frames follows the plan exactly; the greedy lookahead is rounded up to whole
blocks, and cached plans get canonical labels (:mod:`npp_sim.canonical`: a jump is held only where
it changes the trajectory). Terminal states (won, dead) get NOOP. Actions are the env's Discrete(6) ids; the plan's input bytes
map to them through :data:`npp_sim.env.ACTION_INPUT_BYTES`.
"""

from __future__ import annotations

import hashlib

import numpy as np

from npp_sim.layout import N_FRAME, N_STATE

from .rollout import copy_state, run_macro
from .search import MapContext, plan

ACTION_INPUT_BYTES = (0, 4, 2, 1, 5, 3)  # same table as npp_sim.env (kept here to avoid gym)
ACTION_OF_BYTE = {b: a for a, b in enumerate(ACTION_INPUT_BYTES)}
ACTION_CONTROLS = ((0, 0), (-1, 0), (1, 0), (0, 1), (-1, 1), (1, 1))
NOOP = 0


def fingerprint(state: tuple) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for a in state:
        h.update(np.ascontiguousarray(a).data)
    return h.digest()


class PlannerExpert:
    """Planner-backed expert for one map at a time (see the module docstring for the policy).

    ``map_data`` may be given here or later through :meth:`reset`; passing a
    :class:`~npp_sim.simulator.Simulator` to :meth:`act` also (re)binds the expert to its map.
    """

    def __init__(self, map_data=None, *, max_nodes: int = 20000, replan_nodes: int = 4000,
                 budget_s: float = 60.0, max_frames: int = 6000, lookahead: int = 6,
                 seed: int = 0, frame_skip: int = 1, mine_margin: float = 0.0, memory: bool = True):
        if int(frame_skip) < 1:
            raise ValueError(f"frame_skip must be >= 1, got {frame_skip}")
        self.frame_skip = int(frame_skip)
        self.max_nodes = int(max_nodes)
        self.replan_nodes = int(replan_nodes)
        self.budget_s = float(budget_s)
        self.max_frames = int(max_frames)
        self.lookahead = -(-int(lookahead) // self.frame_skip) * self.frame_skip
        self.seed = int(seed)
        self.mine_margin = float(mine_margin)  # see npp_sim.planner.search.plan
        self.memory = bool(memory)  # False: receding horizon (a fresh replan_nodes search at every call)
        self.ctx: MapContext | None = None
        self._fresh = True
        self.stats = dict.fromkeys(("calls", "cache_hits", "replans", "replan_solved",
                                    "fallbacks", "partial", "greedy", "terminal"), 0)
        self._index: dict[bytes, int] = {}
        self._inputs = np.zeros(0, dtype=np.uint8)
        if map_data is not None:
            self.reset(map_data)

    # --- map binding -------------------------------------------------------------------------
    def reset(self, map_data) -> None:
        """Bind to ``map_data`` (bytes) and forget the cached plan; the map's fields are reused
        when it is the same map as before."""
        data = bytes(np.asarray(map_data, dtype=np.uint8).tobytes()) \
            if isinstance(map_data, np.ndarray) else bytes(map_data)
        if self.ctx is None or self.ctx.map_data != data:
            self.ctx = MapContext(data)
        self._index = {}
        self._inputs = np.zeros(0, dtype=np.uint8)
        self._fresh = True

    def _state_of(self, sim_or_snapshot) -> tuple:
        if isinstance(sim_or_snapshot, tuple):
            if self.ctx is None:
                raise ValueError("PlannerExpert.act got a snapshot before reset(map_data)")
            return sim_or_snapshot
        sim = sim_or_snapshot
        data = bytes(np.asarray(sim.level.map_bytes, dtype=np.uint8).tobytes())
        if self.ctx is None or self.ctx.map_data != data:
            self.reset(data)
        return sim._state

    # --- the policy ----------------------------------------------------------------------------
    def act(self, sim_or_snapshot) -> int:
        """The expert's Discrete(6) action for the given simulator or snapshot (not modified)."""
        state = self._state_of(sim_or_snapshot)
        self.stats["calls"] += 1
        if int(state[1][N_STATE]) in (6, 7, 8):
            self.stats["terminal"] += 1
            return NOOP
        if not self.memory:
            self._index, self._fresh = {}, True
        i = self._index.get(fingerprint(state)) if self._index else None
        if i is not None:
            self.stats["cache_hits"] += 1
            return ACTION_OF_BYTE[int(self._inputs[i])]
        fresh, self._fresh = self._fresh, False
        budget = self.max_nodes if fresh and self.memory else self.replan_nodes
        self.stats["replans"] += 1
        left = max(self.max_frames - int(state[1][N_FRAME]), 1)
        res = plan(self.ctx, copy_state(state), max_nodes=budget, budget_s=self.budget_s,
                   max_frames=left, seed=self.seed, refine=fresh, frame_skip=self.frame_skip,
                   mine_margin=self.mine_margin)
        if res.success:
            self.stats["replan_solved"] += 1
            self._cache(state, res.inputs)
            return ACTION_OF_BYTE[int(self._inputs[0])]  # the cached plan's first label: canonical
        self.stats["fallbacks"] += 1
        if res.partial is not None and len(res.partial) > 0:
            self.stats["partial"] += 1
            self._cache(state, res.partial)
            return ACTION_OF_BYTE[int(self._inputs[0])]
        self.stats["greedy"] += 1
        self._index = {}
        return self._greedy(state)

    def follow(self, state: tuple, inputs: np.ndarray) -> None:
        """Adopt ``inputs`` (a plan from ``state``, e.g. a known demo) as the cached plan: states on it
        are answered from the cache, any other state replans (with ``replan_nodes``)."""
        self._cache(state, inputs)
        self._fresh = False

    def plan_inputs(self) -> np.ndarray:
        """The input bytes of the plan currently cached (empty when none)."""
        return self._inputs.copy()

    def _cache(self, state: tuple, inputs: np.ndarray) -> None:
        if self.frame_skip > 1:  # label only the jumps that matter (see npp_sim.canonical)
            from npp_sim.canonical import canonical_inputs

            inputs, _ = canonical_inputs(self.ctx.map_data, inputs, self.frame_skip, start=state)
        st = copy_state(state)
        index = {}
        statics = self.ctx.statics
        b = np.asarray(inputs, dtype=np.int64)
        hors = ((b >> 1) & 1) - ((b >> 2) & 1)
        jumps = b & 1
        for i in range(len(b)):
            index.setdefault(fingerprint(st), i)
            run_macro(st, statics, hors[i:i + 1], jumps[i:i + 1])
            if int(st[1][N_STATE]) in (6, 7, 8):
                break
        self._index = index
        self._inputs = np.asarray(inputs, dtype=np.uint8).copy()

    def _greedy(self, state: tuple) -> int:
        best_a, best_h = NOOP, np.inf
        statics = self.ctx.statics
        for a, (h, j) in enumerate(ACTION_CONTROLS):
            st = copy_state(state)
            hors = np.full(self.lookahead, h, dtype=np.int64)
            jumps = np.full(self.lookahead, j, dtype=np.int64)
            run_macro(st, statics, hors, jumps)
            s = int(st[1][N_STATE])
            if s in (6, 7):
                continue
            v = -1.0 if s == 8 else self.ctx.h_px(st)
            if v < best_h:
                best_a, best_h = a, v
        return best_a
