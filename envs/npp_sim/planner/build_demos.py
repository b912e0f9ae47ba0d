"""Build planner demonstrations: solve train-suite levels and write v2 replays plus a manifest.

Usage::

    python -m npp_sim.planner.build_demos --out demos/npp --per-category 6

Levels are the first levels of each category of the train suite (the seeds of
:func:`npp_sim.levelgen.suite.suite_seeds` with the train base seed), tried in order until
``--per-category`` of them are solved (easy categories get ``--easy-factor`` times as many) or
``--max-tries`` levels were tried. When :mod:`npp_sim.levelgen` cannot be imported, the hand-made
test maps under ``--fallback-maps`` are used instead (category "reference").

Every replay is written with ``recorder="planner"``, ``success=True``, its level id and category,
one input byte per frame, and is checked with ``run_inputs(map, inputs).outcome == "won"`` before it
is written. ``manifest.json`` lists every demo (file, level id, category, seed, frames, nodes,
seconds, map and input sha256) and every level that was tried but not solved. Existing ``*.replay``
files from earlier builds in ``--out`` are removed first so the directory matches the manifest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .search import DEFAULT_ATTEMPTS, MapContext, plan

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "npp-planner-demos"
MANIFEST_VERSION = 1
EASY = ("very_simple", "simple")
DEFAULT_FALLBACK_MAPS = "/work/shared/npp_reference/maps/test_maps"


def _levels(category: str, count: int):
    """(level_id, category, seed, map bytes) of the first ``count`` train levels of a category."""
    from npp_sim.levelgen import generate_level
    from npp_sim.levelgen.suite import SUITE_BASE_SEEDS, suite_seeds

    for cat, seed in suite_seeds({category: count}, SUITE_BASE_SEEDS["train"]):
        lvl = generate_level(cat, seed)
        yield lvl.level_id, cat, seed, lvl.map_data


def _fallback_levels(directory: str):
    for p in sorted(Path(directory).iterdir()):
        if p.is_file() and not p.suffix:
            yield p.name, "reference", None, p.read_bytes()


def _atomic_json(path: Path, obj) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".manifest.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1, sort_keys=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def build(out: str | Path, per_category: int = 6, *, categories=None, easy_factor: float = 1.5,
          max_tries: int | None = None, max_nodes: int = 40000, budget_s: float = 120.0,
          max_frames: int = 6000, fallback_maps: str = DEFAULT_FALLBACK_MAPS, log=print) -> dict:
    """Solve levels and write demos + manifest into ``out``; returns the manifest dict."""
    from npp_sim.formats import write_demo
    from npp_sim.simulator import run_inputs

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        from npp_sim.levelgen import CATEGORIES, GENERATOR_VERSION

        use_levelgen = True
    except ImportError as exc:  # levelgen unavailable: hand-made maps
        log(f"levelgen unavailable ({exc}); using {fallback_maps}")
        CATEGORIES, GENERATOR_VERSION, use_levelgen = ("reference",), None, False
    cats = tuple(categories) if categories else CATEGORIES
    for old in out.glob("*.replay"):
        old.unlink()

    demos, failures = [], []
    for cat in cats:
        want = int(round(per_category * easy_factor)) if cat in EASY else int(per_category)
        tries = max_tries if max_tries is not None else 2 * want
        source = _levels(cat, tries) if use_levelgen else _fallback_levels(fallback_maps)
        got = 0
        for level_id, category, seed, data in source:
            if got >= want:
                break
            ctx = MapContext(data, source=level_id)
            res = plan(ctx, None, max_nodes=max_nodes, budget_s=budget_s, max_frames=max_frames)
            row = {"level_id": level_id, "category": category, "seed": seed,
                   "nodes": res.nodes, "seconds": round(res.seconds, 3)}
            if not res.success:
                failures.append({**row, "stop": res.stop})
                log(f"{category:12s} {level_id:28s} FAILED ({res.stop}) nodes={res.nodes} "
                    f"{res.seconds:.1f}s")
                continue
            inputs = np.asarray(res.inputs, dtype=np.uint8)
            if run_inputs(data, inputs).outcome != "won":  # plan() already checked; be explicit
                failures.append({**row, "stop": "replay not won"})
                continue
            name = f"{level_id}.replay"
            write_demo(out / name, data, inputs, success=True, level_id=level_id,
                       category=category, frame_skip=1, recorder="planner",
                       meta={"planner_nodes": res.nodes, "planner_attempt": res.attempt,
                             "max_nodes": max_nodes, "seed": seed})
            demos.append({"file": name, **row, "frames": int(len(inputs)),
                          "attempt": res.attempt,
                          "map_sha256": hashlib.sha256(data).hexdigest(),
                          "inputs_sha256": hashlib.sha256(inputs.tobytes()).hexdigest()})
            got += 1
            log(f"{category:12s} {level_id:28s} ok frames={len(inputs):5d} nodes={res.nodes:6d} "
                f"{res.seconds:.1f}s")
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "generator_version": GENERATOR_VERSION,
        "suite": "train" if use_levelgen else "reference",
        "planner": {"max_nodes": max_nodes, "budget_s": budget_s, "max_frames": max_frames,
                    "attempts": [a.__dict__ for a in DEFAULT_ATTEMPTS]},
        "demos": demos,
        "failures": failures,
    }
    _atomic_json(out / MANIFEST, manifest)
    return manifest


def summary_table(manifest: dict) -> str:
    """Markdown table: per category, levels tried, solved, solve rate, mean seconds/frames."""
    rows = {}
    for d in manifest["demos"]:
        r = rows.setdefault(d["category"], {"ok": 0, "fail": 0, "sec": [], "frames": []})
        r["ok"] += 1
        r["sec"].append(d["seconds"])
        r["frames"].append(d["frames"])
    for d in manifest["failures"]:
        r = rows.setdefault(d["category"], {"ok": 0, "fail": 0, "sec": [], "frames": []})
        r["fail"] += 1
        r["sec"].append(d["seconds"])
    lines = ["| category | tried | solved | rate | mean s/level | max s | mean frames |",
             "|---|---|---|---|---|---|---|"]
    for cat, r in rows.items():
        n = r["ok"] + r["fail"]
        fr = f"{np.mean(r['frames']):.0f}" if r["frames"] else "-"
        lines.append(f"| {cat} | {n} | {r['ok']} | {r['ok'] / n:.0%} | {np.mean(r['sec']):.1f} "
                     f"| {max(r['sec']):.1f} | {fr} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m npp_sim.planner.build_demos",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="demos/npp")
    ap.add_argument("--per-category", type=int, default=6)
    ap.add_argument("--categories", nargs="*", default=None)
    ap.add_argument("--easy-factor", type=float, default=1.5,
                    help="very_simple and simple get this many times --per-category demos")
    ap.add_argument("--max-tries", type=int, default=None,
                    help="levels tried per category (default: twice the wanted demos)")
    ap.add_argument("--max-nodes", type=int, default=40000)
    ap.add_argument("--budget-s", type=float, default=120.0)
    ap.add_argument("--max-frames", type=int, default=6000)
    ap.add_argument("--fallback-maps", default=DEFAULT_FALLBACK_MAPS)
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    m = build(a.out, a.per_category, categories=a.categories, easy_factor=a.easy_factor,
              max_tries=a.max_tries, max_nodes=a.max_nodes, budget_s=a.budget_s,
              max_frames=a.max_frames, fallback_maps=a.fallback_maps,
              log=lambda s: print(s, flush=True))
    print(summary_table(m))
    size = sum((Path(a.out) / d["file"]).stat().st_size for d in m["demos"])
    print(f"{len(m['demos'])} demos, {size} bytes, {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
