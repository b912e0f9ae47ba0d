"""How consistent is the planner expert with itself? Ask it afresh on states of its own demos.

Along a clean demo (a plan found from the spawn), every ``every``-th decision state is given to a fresh
:class:`~npp_sim.planner.expert.PlannerExpert` (one search with the replanning node budget ``replan_nodes``;
being its first plan, it also gets the shorter-plan refinement), and its answer is compared with the demo's
label there. A consistent expert would agree everywhere: the demo's
own continuation is a winning plan from that state. Disagreement measures how much of a label is the
search's tie-breaking rather than the state, i.e. what no student can learn from the state alone.
``--nudge-px`` d also asks it on each state with the ninja moved d px: how smooth the fresh expert (the
receding-horizon expert of ``build_demos --expert receding``) is in the state.

Usage::

    python -m npp_sim.planner.consistency --demos demos/npp --categories medium mine_heavy --count 5
    python -m npp_sim.planner.consistency --categories medium mine_heavy --count 3 --nudge-px 0.25
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from npp_sim.layout import N_X, N_XOLD

from .expert import ACTION_CONTROLS, ACTION_OF_BYTE, PlannerExpert


def _decision_states(map_data: bytes, inputs, frame_skip: int, every: int):
    """``(state, label)`` at the demo's decisions ``every, 2*every, ...`` (the spawn left out)."""
    from npp_sim.simulator import Simulator

    labels = [ACTION_OF_BYTE[int(b)] for b in np.asarray(inputs, dtype=np.uint8)[::frame_skip]]
    sim = Simulator(map_data)
    for t, label in enumerate(labels):
        if t > 0 and t % every == 0:
            yield sim.snapshot(), label
        hor, jump = ACTION_CONTROLS[label]
        for _ in range(frame_skip):
            sim.tick(hor, jump)
            if sim.won or sim.dead:
                return


def _fresh_expert(map_data: bytes, frame_skip: int, replan_nodes: int, mine_margin: float,
                  budget_s: float) -> PlannerExpert:
    """Answers every call with a fresh first search (receding horizon), the map's fields computed once."""
    return PlannerExpert(map_data, frame_skip=frame_skip, mine_margin=mine_margin, replan_nodes=replan_nodes,
                         budget_s=budget_s, memory=False)


def demo_agreement(map_data: bytes, inputs, *, frame_skip: int = 4, every: int = 3, replan_nodes: int = 3000,
                   mine_margin: float = 12.0, budget_s: float = 10.0) -> tuple[int, int]:
    """``(agreeing, asked)`` over the demo's decision states ``every, 2*every, ...`` (the spawn left out)."""
    expert = _fresh_expert(map_data, frame_skip, replan_nodes, mine_margin, budget_s)
    agree = asked = 0
    for state, label in _decision_states(map_data, inputs, frame_skip, every):
        agree += int(expert.act(state) == label)
        asked += 1
    return agree, asked


def nudged_agreement(map_data: bytes, inputs, *, nudge_px: float = 0.25, frame_skip: int = 4, every: int = 3,
                     replan_nodes: int = 3000, mine_margin: float = 12.0, budget_s: float = 10.0) -> tuple[int, int]:
    """``(agreeing, asked)``: the fresh expert on a demo state vs on the same state with the ninja moved
    ``nudge_px`` to the right (position and previous position alike, so its speed is unchanged). How
    smooth the receding-horizon expert is in the state: what a student with a perfect view could learn."""
    expert = _fresh_expert(map_data, frame_skip, replan_nodes, mine_margin, budget_s)
    agree = asked = 0
    for state, _ in _decision_states(map_data, inputs, frame_skip, every):
        nudged = tuple(a.copy() for a in state)
        nudged[0][N_X] += nudge_px
        nudged[0][N_XOLD] += nudge_px
        agree += int(expert.act(state) == expert.act(nudged))
        asked += 1
    return agree, asked


def main(argv: list[str] | None = None) -> int:
    from npp_sim.formats import read_demo

    ap = argparse.ArgumentParser(prog="python -m npp_sim.planner.consistency", description=__doc__.split("\n\n")[0])
    ap.add_argument("--demos", default="demos/npp", help="a build_demos folder (manifest.json)")
    ap.add_argument("--categories", nargs="+", default=["medium", "mine_heavy"])
    ap.add_argument("--count", type=int, default=5, help="clean demos per category (the first in the manifest)")
    ap.add_argument("--every", type=int, default=3, help="ask at every k-th decision")
    ap.add_argument("--replan-nodes", type=int, default=3000)
    ap.add_argument("--nudge-px", type=float, default=0.0,
                    help="> 0: also compare the fresh expert's answers on each state and on it nudged this many px")
    ap.add_argument("--out", help="write the result as JSON here")
    args = ap.parse_args(argv)
    demos = Path(args.demos)
    manifest = json.loads((demos / "manifest.json").read_text())
    fs, margin = int(manifest["frame_skip"]), float(manifest["planner"].get("mine_margin", 0.0))
    result = {"method": __doc__.split("\n\n")[1].replace("\n", " "), "every": args.every, "nudge_px": args.nudge_px,
              "replan_nodes": args.replan_nodes, "categories": {}}
    for cat in args.categories:
        rows = [d for d in manifest["demos"] if d["category"] == cat][: args.count]
        per = []
        for d in rows:
            demo = read_demo(demos / d["file"])
            agree, asked = demo_agreement(demo.map_data, demo.inputs, frame_skip=fs, every=args.every,
                                          replan_nodes=args.replan_nodes, mine_margin=margin)
            row = {"level_id": d["level_id"], "agree": agree, "asked": asked}
            if args.nudge_px > 0:
                row["nudged_agree"], _ = nudged_agreement(demo.map_data, demo.inputs, nudge_px=args.nudge_px,
                                                          frame_skip=fs, every=args.every,
                                                          replan_nodes=args.replan_nodes, mine_margin=margin)
            per.append(row)
        agree, asked = sum(p["agree"] for p in per), sum(p["asked"] for p in per)
        result["categories"][cat] = {"agree": agree, "asked": asked, "share": agree / max(asked, 1), "demos": per}
        line = (f"{cat:12s} the expert asked afresh agrees with its demo at {agree}/{asked} decisions "
                f"({agree / max(asked, 1):.0%})")
        if args.nudge_px > 0:
            nudged = sum(p["nudged_agree"] for p in per)
            result["categories"][cat].update(nudged_agree=nudged, nudged_share=nudged / max(asked, 1))
            line += f"; with itself {args.nudge_px} px away at {nudged}/{asked} ({nudged / max(asked, 1):.0%})"
        print(line)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
