"""Build planner demonstrations: solve train-suite levels and write v2 replays plus a manifest.

Usage::

    python -m npp_sim.planner.build_demos --out demos/npp --per-category 80 --frame-skip 4 --workers 2

Levels are the first levels of each category of the train suite (the seeds of
:func:`npp_sim.levelgen.suite.suite_seeds` with the train base seed), tried in order until
``--per-category`` of them are solved (easy categories get ``--easy-factor`` times as many) or
``--max-tries`` levels were tried. ``--maps DIR`` plans the map files of a folder instead
(category "reference").

**Decision rate.** ``--frame-skip`` k (default 4, the pipeline's ``env.frame_skip``) makes the planner
search over actions held for whole k-frame blocks, so every demo is executable by an agent acting every k
frames: the label sampled at frames 0, k, 2k, ..., each held for k frames, replays the demo exactly. Each
demo is checked for that (and for winning on its last input byte) before it is written. Files still store
one input byte per simulator frame (v2 header ``frame_skip`` 1); the decision rate is recorded in the
replay's metadata (``decision_frame_skip``) and in the manifest. Plans get canonical labels
(:mod:`npp_sim.canonical`, ``--raw-labels`` turns it off): a jump is held only in blocks where it changes
the trajectory, so the same situation is not labelled RIGHT in one demo and RIGHT+JUMP in another.

**Expert.** ``--expert plan`` (default) plans once from the spawn (``--max-nodes``) and the demo is that
plan. ``--expert receding`` plays the receding-horizon expert instead
(:class:`~npp_sim.planner.expert.PlannerExpert` with ``memory=False``): a fresh search (``--replan-nodes``)
at every decision, its first label held for one block. Each label is then a function of the state it was
given, not of where a plan was made; it costs one search per decision, and a level counts as solved
when the episode wins within ``--max-frames``. An episode that wanders runs to that cap, one search per
decision (one complex level ran past 15 minutes at 3,000 frames), so lower ``--max-frames`` bounds a build's
time. Noisy demos of a receding build use the same expert.

**Parallel and resumable.** ``--workers`` plans levels in a process pool (a progress bar counts them).
The manifest is rewritten atomically after every level, so a killed build keeps what it solved; a rerun
with the same planner settings keeps every listed demo whose file is intact (and every recorded failure,
unless ``--retry-failed``) and plans only the rest. Which levels end up as demos does not depend on the
worker count: each category takes its first solved levels in suite order. Demos of categories the build
does not plan (``--categories``) are kept as they are, so a folder can be built one category at a time.
``*.replay`` files the manifest does not list are removed, so the directory always matches the manifest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from .search import DEFAULT_ATTEMPTS, MapContext, block_constant, plan

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "npp-planner-demos"
MANIFEST_VERSION = 1
EASY = ("very_simple", "simple")
EXPERTS = ("plan", "receding")


def _level(category: str, seed: int | None, maps_dir: str | None, name: str | None):
    """(level_id, map bytes) of one candidate: a train-suite level or a map file."""
    if maps_dir is not None:
        return name, (Path(maps_dir) / name).read_bytes()
    from npp_sim.levelgen import generate_level

    lvl = generate_level(category, seed)
    return lvl.level_id, lvl.map_data


def _candidates(category: str, count: int, maps_dir: str | None) -> list[tuple]:
    """(category, seed, file name) of the first ``count`` candidates of a category, in order."""
    if maps_dir is not None:
        files = sorted(p.name for p in Path(maps_dir).iterdir() if p.is_file() and not p.suffix)
        return [(category, None, f) for f in files[:count]]
    from npp_sim.levelgen.suite import SUITE_BASE_SEEDS, suite_seeds

    return [(cat, seed, None) for cat, seed in suite_seeds({category: count}, SUITE_BASE_SEEDS["train"])]


def solve_level(job: tuple) -> dict:
    """Plan one candidate (runs in a worker): a demo row with its inputs, or a failure row."""
    category, seed, name, maps_dir, settings = job
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from npp_sim.simulator import run_inputs

    level_id, data = _level(category, seed, maps_dir, name)
    fs = settings["frame_skip"]
    if settings.get("expert", "plan") == "receding":
        row, inputs = _receding(data, settings)
        row, attempt = {"level_id": str(level_id), "category": category, "seed": seed, **row}, -1
    else:
        res = plan(MapContext(data, source=str(level_id)), None, max_nodes=settings["max_nodes"],
                   budget_s=settings["budget_s"], max_frames=settings["max_frames"], frame_skip=fs,
                   mine_margin=settings.get("mine_margin", 0.0))
        row = {"level_id": str(level_id), "category": category, "seed": seed, "nodes": res.nodes,
               "seconds": round(res.seconds, 3), "mine_margin": res.mine_margin}
        inputs, attempt = (np.asarray(res.inputs, dtype=np.uint8) if res.success else None), res.attempt
        if not res.success:
            row["stop"] = res.stop
    if inputs is None:
        return row
    cleared = 0
    # a receding episode too: an answer's jump that the following answers made useless is cleared
    if settings.get("canonical", True) and fs > 1:
        from npp_sim.canonical import canonical_inputs

        inputs, cleared = canonical_inputs(data, inputs, fs)
    held = np.repeat(inputs[::fs], fs)[:len(inputs)]  # what an agent acting every fs frames plays
    trace = run_inputs(data, held)
    if not block_constant(inputs, fs) or trace.outcome != "won" or trace.outcome_frame != len(inputs):
        return {**row, "stop": f"not executable at frame_skip {fs}"}
    return {**row, "inputs": inputs.tobytes().hex(), "attempt": attempt, "map": data.hex(),
            "jumps_cleared": cleared}


def _receding(data: bytes, settings: dict) -> tuple[dict, np.ndarray | None]:
    """One clean episode of the receding-horizon expert: ``(row fields, inputs or None when not won)``;
    ``nodes`` counts its searches (one per decision)."""
    from .noisy import noisy_expert_episode

    t0 = time.perf_counter()
    stats: dict = {}
    inputs, _, outcome = noisy_expert_episode(
        data, frame_skip=settings["frame_skip"], noise=0.0, max_frames=settings["max_frames"],
        max_nodes=settings["max_nodes"], replan_nodes=settings["replan_nodes"],
        budget_s=settings["replan_budget_s"], mine_margin=settings.get("mine_margin", 0.0), memory=False, stats=stats)
    row = {"nodes": int(stats.get("replans", 0)), "seconds": round(time.perf_counter() - t0, 3),
           "mine_margin": settings.get("mine_margin", 0.0), "fallbacks": int(stats.get("fallbacks", 0))}
    if outcome != "won":
        return {**row, "stop": f"receding expert: {outcome}"}, None
    return row, inputs


def noisy_level(job: tuple) -> dict:
    """Play one noisy expert episode on a solved level (runs in a worker); see :mod:`.noisy`."""
    category, seed, name, maps_dir, settings, k, plan_hex = job
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from .noisy import noisy_expert_episode

    level_id, data = _level(category, seed, maps_dir, name)
    t0 = time.perf_counter()
    clean = np.frombuffer(bytes.fromhex(plan_hex), dtype=np.uint8)
    fs = settings["frame_skip"]
    # about max_noise_events injected blocks per episode at most (long levels get a lower rate)
    noise = min(settings["noise"], settings["max_noise_events"] / max(1.0, len(clean) / fs))
    receding = settings.get("expert", "plan") == "receding"
    inputs, noise_blocks, outcome = noisy_expert_episode(
        data, frame_skip=fs, noise=noise, seed=1000 * k + 1, max_frames=settings["max_frames"],
        max_nodes=settings["max_nodes"], replan_nodes=settings["replan_nodes"],
        budget_s=settings["replan_budget_s"], plan=clean, mine_margin=settings.get("mine_margin", 0.0),
        memory=not receding)
    row = {"level_id": str(level_id), "category": category, "seed": seed, "noisy": k, "outcome": outcome,
           "noise": round(noise, 4), "seconds": round(time.perf_counter() - t0, 3)}
    if outcome != "won":
        return row
    return {**row, "inputs": inputs.tobytes().hex(), "map": data.hex(), "noise_blocks": noise_blocks}


def _atomic_json(path: Path, obj) -> None:
    """The manifest, written like the demos (temporary file + rename, permissions as ``open()`` gives)."""
    from atomic_files import write_text_atomic

    write_text_atomic(path, json.dumps(obj, indent=1, sort_keys=False) + "\n")


def _previous(out: Path, planner: dict, frame_skip: int, retry_failed: bool) -> tuple[dict, dict]:
    """Demo and failure rows of an earlier build with the same settings, keyed by (category, level)."""
    path = out / MANIFEST
    try:
        old = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}, {}
    if old.get("planner") != planner or old.get("frame_skip", 1) != frame_skip:
        return {}, {}
    demos = {}
    for d in old.get("demos", []):
        f = out / d["file"]
        if f.is_file() and hashlib.sha256(f.read_bytes()).hexdigest() == d.get("file_sha256"):
            demos[(d["category"], d["level_id"])] = d
    fails = {} if retry_failed else {(d["category"], d["level_id"]): d for d in old.get("failures", [])}
    for d in old.get("noisy", []):
        f = out / d["file"]
        if f.is_file() and hashlib.sha256(f.read_bytes()).hexdigest() == d.get("file_sha256"):
            demos[(d["category"], d["level_id"], d["noisy"], old.get("noise"))] = d
    for d in old.get("noisy_failures", []):
        fails[(d["category"], d["level_id"], d["noisy"], old.get("noise"))] = d
    return demos, fails


def build(out: str | Path, per_category: int = 6, *, categories=None, easy_factor: float = 1.5,
          max_tries: int | None = None, max_nodes: int = 40000, budget_s: float = 120.0,
          max_frames: int = 6000, frame_skip: int = 4, workers: int = 1, maps_dir: str | None = None,
          retry_failed: bool = False, canonical: bool = True, noisy_per_level: int = 0, noise: float = 0.15,
          replan_nodes: int = 3000, replan_budget_s: float = 10.0, max_noise_events: float = 12.0,
          mine_margin: float = 12.0, expert: str = "plan", noisy_per_category: dict[str, int] | None = None,
          progress: bool = False, log=print) -> dict:
    """Solve levels and write demos + manifest into ``out``; returns the manifest dict.

    ``noisy_per_category`` overrides ``noisy_per_level`` for the categories it names (e.g. more recovery
    data where a student still fails); a rerun with a smaller count drops the extra noisy demos."""
    from npp_sim.formats import read_demo, write_demo

    noisy_counts = dict(noisy_per_category or {})
    if any(int(n) < 0 for n in noisy_counts.values()) or noisy_per_level < 0:
        raise ValueError(f"noisy demos per level must be >= 0, got {noisy_per_level} and {noisy_counts}")
    if frame_skip < 1:
        raise ValueError(f"frame_skip must be >= 1, got {frame_skip}")
    if expert not in EXPERTS:
        raise ValueError(f"expert must be one of {', '.join(EXPERTS)}, got {expert!r}")
    if maps_dir is not None and not Path(maps_dir).is_dir():  # no default folder: the caller names it
        raise ValueError(f"maps_dir {maps_dir}: not a directory")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if maps_dir is not None:
        cats, generator_version = ("reference",), None
    else:
        from npp_sim.levelgen import CATEGORIES, GENERATOR_VERSION

        cats, generator_version = tuple(categories) if categories else CATEGORIES, GENERATOR_VERSION
    planner = {"max_nodes": max_nodes, "budget_s": budget_s, "max_frames": max_frames,
               "attempts": [a.__dict__ for a in DEFAULT_ATTEMPTS], "canonical_labels": canonical,
               "mine_margin": mine_margin}
    if expert != "plan":  # (a plan build's manifest keeps its old form, so its resume still matches)
        planner.update(expert=expert, replan_nodes=replan_nodes, replan_budget_s=replan_budget_s)
    settings = {"expert": expert, "max_nodes": max_nodes, "budget_s": budget_s, "max_frames": max_frames, "frame_skip": frame_skip,
                "canonical": canonical, "noise": noise, "replan_nodes": replan_nodes,
                "replan_budget_s": replan_budget_s, "max_noise_events": max_noise_events, "mine_margin": mine_margin}
    kept, kept_fail = _previous(out, planner, frame_skip, retry_failed)
    if kept or kept_fail:
        log(f"resuming: {len(kept)} demos and {len(kept_fail)} failures kept from the earlier build")
    # demos of categories this build does not plan stay as they are (a build of one category adds to a folder)
    other = {"demos": [d for k, d in kept.items() if len(k) == 2 and k[0] not in cats],
             "noisy": [d for k, d in kept.items() if len(k) == 4 and k[0] not in cats],
             "failures": [d for k, d in kept_fail.items() if len(k) == 2 and k[0] not in cats],
             "noisy_failures": [d for k, d in kept_fail.items() if len(k) == 4 and k[0] not in cats]}
    if other["demos"]:
        log(f"kept {len(other['demos'])} demos (and {len(other['noisy'])} noisy ones) of categories not planned now")

    want = {c: int(round(per_category * easy_factor)) if c in EASY else int(per_category) for c in cats}
    cands = {c: _candidates(c, max_tries if max_tries is not None else 2 * want[c], maps_dir) for c in cats}
    results: dict[tuple, dict] = {}  # (category, index) -> row
    nxt = dict.fromkeys(cats, 0)

    def key_of(c, i):
        cat, seed, name = cands[c][i]
        return cat, (name if maps_dir is not None else _level_id(cat, seed))

    def solved(c):
        return sum(1 for (cc, _), r in results.items() if cc == c and "inputs" in r)

    def manifest():
        demos, failures = [], []
        for c in cats:
            got = 0
            for i in range(nxt[c]):
                r = results.get((c, i))
                if r is None or got >= want[c]:
                    continue
                if "inputs" in r:
                    demos.append(r["row"])
                    got += 1
                else:
                    failures.append(r)
        return {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION,
                "generator_version": generator_version,
                "suite": "train" if maps_dir is None else "reference",
                "frame_skip": frame_skip, "planner": planner, "demos": other["demos"] + demos,
                "failures": other["failures"] + failures,
                "noise": noise if noisy_per_level or any(noisy_counts.values()) or other["noisy"] else None,
                "noisy": other["noisy"] + [noisy_rows[k] for k in sorted(noisy_rows) if "file" in noisy_rows[k]],
                "noisy_failures": other["noisy_failures"]
                + [noisy_rows[k] for k in sorted(noisy_rows) if "file" not in noisy_rows[k]]}

    noisy_rows: dict[tuple, dict] = {}  # (demo order, k) -> manifest row

    def record(c, i, r):
        if "inputs" in r and "row" not in r:
            inputs = np.frombuffer(bytes.fromhex(r["inputs"]), dtype=np.uint8)
            data = bytes.fromhex(r["map"])
            name = f"{r['level_id']}.replay"
            write_demo(out / name, data, inputs, success=True, level_id=r["level_id"], category=c,
                       frame_skip=1, recorder="planner" if expert == "plan" else f"planner-{expert}",
                       meta={"planner_nodes": r["nodes"], "planner_attempt": r["attempt"],
                             "max_nodes": max_nodes, "seed": r["seed"], "decision_frame_skip": frame_skip})
            row = {"file": name, **{k: r[k] for k in ("level_id", "category", "seed", "nodes", "seconds")},
                   "frames": int(len(inputs)), "frame_skip": frame_skip, "attempt": r["attempt"],
                   "jumps_cleared": r["jumps_cleared"], "mine_margin": r.get("mine_margin", 0.0),
                   "map_sha256": hashlib.sha256(data).hexdigest(),
                   "inputs_sha256": hashlib.sha256(inputs.tobytes()).hexdigest(),
                   "file_sha256": hashlib.sha256((out / name).read_bytes()).hexdigest()}
            r = {"inputs": True, "row": row}
        results[(c, i)] = r

    from tqdm import tqdm

    bar = tqdm(desc="planner demos", unit="level", disable=not progress, total=sum(want.values()))
    pool = None
    if workers > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))
    t0 = time.perf_counter()
    try:
        while True:  # waves: each category plans its next (still wanted) candidates, in suite order
            jobs = []
            for c in cats:
                need = want[c] - solved(c)
                while need > 0 and nxt[c] < len(cands[c]):
                    i = nxt[c]
                    nxt[c] += 1
                    k = key_of(c, i)
                    if k in kept:
                        results[(c, i)] = {"inputs": True, "row": kept[k]}
                        need -= 1
                        bar.update()
                    elif k in kept_fail:
                        results[(c, i)] = kept_fail[k]
                    else:
                        cat, seed, name = cands[c][i]
                        jobs.append(((c, i), (cat, seed, name, maps_dir, settings)))
                        need -= 1
            if not jobs:
                break
            rows = pool.map(solve_level, [j for _, j in jobs]) if pool else map(solve_level, [j for _, j in jobs])
            for (ci, _), r in zip(jobs, rows, strict=True):
                record(*ci, r)
                ok = "inputs" in results[ci]
                bar.update(1 if ok else 0)
                row = results[ci]["row"] if ok else r
                log(f"{ci[0]:12s} {row['level_id']:28s} "
                    + (f"ok frames={row['frames']:5d}" if ok else f"FAILED ({r['stop']})")
                    + f" nodes={row['nodes']:6d} {row['seconds']:.1f}s")
                _atomic_json(out / MANIFEST, manifest())
        # noisy expert episodes (DART) on every solved level: recovery states, expert-labelled
        solved_rows = manifest()["demos"][len(other["demos"]):]
        jobs = []
        for order, d in enumerate(solved_rows):
            for k in range(noisy_counts.get(d["category"], noisy_per_level)):
                key = (d["category"], d["level_id"], k, noise)
                prev = kept.get(key) or kept_fail.get(key)
                if prev is not None:
                    noisy_rows[(order, k)] = prev
                    continue
                name = d["level_id"] if maps_dir is not None else None
                plan_hex = np.asarray(read_demo(out / d["file"]).inputs, dtype=np.uint8).tobytes().hex()
                jobs.append(((order, k), (d["category"], d["seed"], name, maps_dir, settings, k, plan_hex)))
        if jobs:
            bar.reset(total=len(jobs))
            bar.set_description("noisy expert demos")
            rows = pool.map(noisy_level, [j for _, j in jobs]) if pool else map(noisy_level, [j for _, j in jobs])
            for (ok_key, _), r in zip(jobs, rows, strict=True):
                bar.update()
                if "inputs" in r:
                    inputs = np.frombuffer(bytes.fromhex(r.pop("inputs")), dtype=np.uint8)
                    data = bytes.fromhex(r.pop("map"))
                    name = f"{r['level_id']}.noisy{r['noisy']}.replay"
                    write_demo(out / name, data, inputs, success=True, level_id=r["level_id"],
                               category=r["category"], frame_skip=1, recorder="planner-noisy",
                               meta={"seed": r["seed"], "decision_frame_skip": frame_skip, "noise": r["noise"],
                                     "noise_blocks": r["noise_blocks"]})
                    r = {"file": name, **{k: v for k, v in r.items() if k != "noise_blocks"},
                         "frames": int(len(inputs)), "noise_blocks": len(r["noise_blocks"]),
                         "map_sha256": hashlib.sha256(data).hexdigest(),
                         "inputs_sha256": hashlib.sha256(inputs.tobytes()).hexdigest(),
                         "file_sha256": hashlib.sha256((out / name).read_bytes()).hexdigest()}
                noisy_rows[ok_key] = r
                log(f"{r['category']:12s} {r['level_id']:28s} noisy{r['noisy']} {r['outcome']}"
                    f" {r['seconds']:.1f}s")
                _atomic_json(out / MANIFEST, manifest())
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    m = manifest()
    listed = {d["file"] for d in m["demos"]} | {d["file"] for d in m["noisy"]} | _derived_files(out)
    for old in out.glob("*.replay"):
        if old.name not in listed:
            old.unlink()
    _atomic_json(out / MANIFEST, m)
    log(f"{len(m['demos'])} demos and {len(m['noisy'])} noisy expert demos in {time.perf_counter() - t0:.0f}s")
    return m


def _derived_files(out: Path) -> set[str]:
    """The demos listed in ``out``'s takeover.json and self_demos.json (the app's ``stage=takeover`` and
    ``stage=self_demos``): kept."""
    from .takeover import DERIVED_MANIFESTS

    files: set[str] = set()
    for name in DERIVED_MANIFESTS:
        try:
            files |= {d["file"] for d in json.loads((out / name).read_text())["demos"]}
        except (FileNotFoundError, json.JSONDecodeError, KeyError, TypeError):
            pass
    return files


def _level_id(category: str, seed: int) -> str:
    from npp_sim.levelgen.generator import level_id_for

    return level_id_for(category, seed)


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
    ap.add_argument("--frame-skip", type=int, default=4,
                    help="decision rate: plan actions held for this many frames (the env's frame_skip)")
    ap.add_argument("--workers", type=int, default=1, help="planner processes")
    ap.add_argument("--maps", default=None, help="plan the map files of this folder instead of the train suite")
    ap.add_argument("--retry-failed", action="store_true", help="plan levels an earlier build failed again")
    ap.add_argument("--raw-labels", action="store_true", help="keep the planner's jumps that change nothing")
    ap.add_argument("--noisy-per-level", type=int, default=0,
                    help="noisy expert episodes (DART) per solved level: recovery states, expert-labelled")
    ap.add_argument("--noisy-per-category", nargs="+", default=[], metavar="CATEGORY=N",
                    help="override --noisy-per-level for these categories (e.g. medium=12 complex=12)")
    ap.add_argument("--noise", type=float, default=0.15, help="per-decision probability of a random action")
    ap.add_argument("--max-noise-events", type=float, default=12.0,
                    help="cap on the expected injected blocks per episode (long levels get a lower rate)")
    ap.add_argument("--expert", choices=EXPERTS, default="plan",
                    help="plan: one search from the spawn; receding: a fresh search at every decision "
                         "(labels a function of the state; one search per decision)")
    ap.add_argument("--replan-nodes", type=int, default=3000,
                    help="node budget of each replan after noise (of every search with --expert receding)")
    ap.add_argument("--replan-budget-s", type=float, default=10.0, help="seconds cap of each replan")
    ap.add_argument("--mine-margin", type=float, default=12.0,
                    help="px (edge to edge) plans keep from deadly mines where they can (0: none); a policy that "
                         "acts one decision late then still clears the mines the plan passed")
    a = ap.parse_args(argv)
    if a.workers < 1 or a.frame_skip < 1 or a.per_category < 1:
        ap.error("--workers, --frame-skip and --per-category must be >= 1")
    if a.maps is not None and not Path(a.maps).is_dir():
        ap.error(f"--maps {a.maps}: not a directory")
    from npp_sim.levelgen import CATEGORIES

    noisy_per_category = {}
    for item in a.noisy_per_category:  # with --maps a category is a folder name; otherwise a generated one
        cat, _, n = item.partition("=")
        if not cat or not n.isdigit() or (a.maps is None and cat not in CATEGORIES):
            ap.error(f"--noisy-per-category {item}: expected CATEGORY=N (N >= 0)"
                     + ("" if a.maps else f", CATEGORY one of {', '.join(CATEGORIES)}"))
        noisy_per_category[cat] = int(n)
    t0 = time.perf_counter()
    m = build(a.out, a.per_category, categories=a.categories, easy_factor=a.easy_factor,
              max_tries=a.max_tries, max_nodes=a.max_nodes, budget_s=a.budget_s,
              max_frames=a.max_frames, frame_skip=a.frame_skip, workers=a.workers, maps_dir=a.maps,
              retry_failed=a.retry_failed, canonical=not a.raw_labels, noisy_per_level=a.noisy_per_level,
              noise=a.noise, replan_nodes=a.replan_nodes, replan_budget_s=a.replan_budget_s,
              max_noise_events=a.max_noise_events, mine_margin=a.mine_margin, expert=a.expert,
              noisy_per_category=noisy_per_category, progress=sys.stderr.isatty(), log=lambda s: print(s, flush=True))
    print(summary_table(m))
    size = sum((Path(a.out) / d["file"]).stat().st_size for d in m["demos"])
    print(f"{len(m['demos'])} demos, {size} bytes, {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
