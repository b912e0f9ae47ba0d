"""The expert planner's success on a folder of maps: the ceiling a policy is compared with.

Usage::

    python -m imitation_pipeline.evaluation.planner_ceiling <maps folder> --out planner.json \\
        [--frame-skip 4] [--max-nodes 40000] [--budget-s 60]
    python -m imitation_pipeline.evaluation.planner_ceiling --suite test --per-category 10 --out planner.json

``--suite test`` plans the generated test suite instead (the levels ``stage=evaluate`` scores every policy on,
``--per-category`` levels of each category: 10 as in the README's tables); ``train`` and ``eval`` likewise.
The folder is read exactly as ``evaluate.levels_dir`` reads it (:mod:`imitation_pipeline.rl.folder_suite`:
category = subfolder, duplicates once, non-maps skipped with a reason). For each level the planner plans
at the decision rate from the spawn; a level counts as won when the plan, replayed in the simulator, wins.
The JSON has the shape of ``stage=evaluate``'s (``episodes``, ``per_category``, ``macro``), so
``python -m imitation_pipeline.evaluation.arms`` can put it beside policies.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def plan_levels(levels, *, frame_skip: int, max_nodes: int, budget_s: float) -> list[dict]:
    from npp_sim.planner import solve

    out = []
    for name, cat, data in zip(levels.names, levels.categories, levels.maps, strict=True):
        t0 = time.perf_counter()
        res = solve(data, max_nodes=max_nodes, budget_s=budget_s, frame_skip=frame_skip)
        out.append({"level": name, "category": cat, "success": bool(res.success), "stop": res.stop,
                    "frames": int(res.frames), "nodes": int(res.nodes),
                    "seconds": round(time.perf_counter() - t0, 2)})
    return out


def summarise(episodes: list[dict]) -> dict:
    cats = sorted({e["category"] for e in episodes})
    per = {c: {"success_rate": float(np.mean([e["success"] for e in episodes if e["category"] == c])),
               "levels": sum(1 for e in episodes if e["category"] == c)} for c in cats}
    return {"per_category": per, "macro": {"success_rate": float(np.mean([v["success_rate"] for v in per.values()]))}}


def main(argv=None) -> int:
    from imitation_pipeline.errors import UserFacingError
    from imitation_pipeline.rl.folder_suite import folder_level_set

    ap = argparse.ArgumentParser(prog="python -m imitation_pipeline.evaluation.planner_ceiling",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", help="a folder of maps (as evaluate.levels_dir)")
    ap.add_argument("--suite", choices=("train", "eval", "test"), help="plan a generated suite instead of a folder")
    ap.add_argument("--per-category", type=int, default=10, help="levels per category of --suite")
    ap.add_argument("--out", type=Path, required=True, help="JSON file to write")
    ap.add_argument("--frame-skip", type=int, default=4)
    ap.add_argument("--max-nodes", type=int, default=40000)
    ap.add_argument("--budget-s", type=float, default=60.0)
    a = ap.parse_args(argv)
    if a.frame_skip < 1 or a.max_nodes < 1 or a.budget_s <= 0 or a.per_category < 1:
        print("error: --frame-skip, --max-nodes and --per-category must be >= 1 and --budget-s > 0", file=sys.stderr)
        return 2
    if (a.folder is None) == (a.suite is None):
        print("error: give a maps folder or --suite, not both", file=sys.stderr)
        return 2
    try:
        if a.suite:
            from npp_sim.levelgen import CATEGORIES

            from imitation_pipeline.rl.levels import level_set

            counts = dict.fromkeys(CATEGORIES, a.per_category)
            levels = level_set({"train": counts, a.suite: counts}, a.suite)
            source = {"suite": a.suite, "per_category": a.per_category}
        else:
            levels = folder_level_set(a.folder, "folder")
            source = {"levels_dir": str(Path(a.folder).resolve())}
    except UserFacingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    episodes = plan_levels(levels, frame_skip=a.frame_skip, max_nodes=a.max_nodes, budget_s=a.budget_s)
    result = {"policy": "planner", **source, "frame_skip": a.frame_skip,
              "max_nodes": a.max_nodes, "budget_s": a.budget_s, **summarise(episodes), "episodes": episodes,
              "skipped": levels.skipped}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1) + "\n")
    for c, v in result["per_category"].items():
        print(f"{c:>12}: planner wins {v['success_rate']:.2f} of {v['levels']} levels")
    print(f"macro {result['macro']['success_rate']:.3f} -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
