"""The BC student's own wins as demos (``stage=self_demos``).

The planner's demos are not one policy: replanned from nearby states it returns other, equally good plans, and BC
averages them into a policy that executes none of them (README, "Expert takeover"). A student's own winning
episodes are one policy's and executable by construction. Here the student plays every demonstrated level
``self_demos.episodes`` times (sampled actions, as ``stage=evaluate``); of each level's wins, the
``self_demos.keep_per_level`` shortest distinct ones are written beside the demos as ordinary replays (the
actions held for the decision's frames), every block labelled, and BC trains on them with the rest: filtered
behavioural cloning, or expert iteration with the student as its own expert. Each replay is played again in the
simulator before it is written; one that does not win there is an error, never a silent demo.

Levels of ``self_demos.skip_categories`` are left out (by default very_simple and simple, which the student
already wins). Like ``stage=takeover`` the replays are listed by round in ``<demos>/self_demos.json``;
``self_demos.rounds`` > 1 trains each later round's student by ``stage=bc`` on the demos as they are then.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from pathlib import Path

from npp_sim.planner.takeover import SELF_DEMOS_MANIFEST as MANIFEST
from omegaconf import DictConfig

from imitation_pipeline.dagger.takeover import (
    STUDENT_WINS,
    RoundManifest,
    demo_levels,
    require_npp,
    student_plays,
    student_rounds,
)
from imitation_pipeline.errors import UserFacingError


class NotReplayableError(RuntimeError):
    """A won episode whose actions, held in a fresh simulator, do not win: the env and the simulator disagree."""


def kept_wins(records: list[dict], keep: int) -> dict[str, list[dict]]:
    """Per level, up to ``keep`` won episodes: the shortest first, one per distinct action sequence."""
    by_level: dict[str, list[dict]] = {}
    for r in sorted((r for r in records if r["outcome"] == "won"), key=lambda r: (len(r["actions"]), r["episode"])):
        kept = by_level.setdefault(r["level"], [])
        if len(kept) < keep and all(k["actions"] != r["actions"] for k in kept):
            kept.append(r)
    return by_level


def write_win(demos: Path, map_data: bytes, record: dict, rnd: int, frame_skip: int, ckpt_sha: str) -> dict:
    """Write one won episode as a replay after checking it wins in the simulator; its manifest row."""
    import numpy as np
    from npp_sim.formats import write_demo
    from npp_sim.relabel import held_input_bytes, held_run

    level_id = record["level"]  # demo_levels' names are the replays' level ids
    labels = np.asarray(record["actions"], dtype=np.uint8)
    run = held_run(map_data, labels, frame_skip, source=record["level"])
    if not run.executable:
        raise NotReplayableError(f"{record['level']}: the student's won episode {record['episode']} "
                                 f"{run.describe()} when replayed in the simulator")
    name = f"{level_id}.self{rnd}-{record['episode']}.replay"
    write_demo(demos / name, map_data, held_input_bytes(labels, frame_skip), success=True, level_id=level_id,
               category=record["category"], frame_skip=1, recorder=STUDENT_WINS,
               meta={"decision_frame_skip": frame_skip, "self_demo": {"round": rnd, "episode": record["episode"],
                                                                      "checkpoint_sha256": ckpt_sha}})
    return {"file": name, "level_id": level_id, "category": record["category"], "round": rnd,
            "episode": record["episode"], "decisions": len(labels), "frames": run.outcome_frame,
            "file_sha256": hashlib.sha256((demos / name).read_bytes()).hexdigest()}


def collect(cfg: DictConfig) -> dict:
    """Rounds ``self_demos.round`` .. ``+ rounds - 1``; returns the run summary (also written to
    ``<run_dir>/self_demos_summary.json``)."""
    s = cfg.self_demos
    require_npp(cfg, "self_demos", "plays N++ levels")
    demos = Path(str(s.demos))
    maps, names, categories = demo_levels(demos)
    skip = set(s.skip_categories or ())
    chosen = [i for i, c in enumerate(categories) if c not in skip]
    if not chosen:
        raise UserFacingError(f"self_demos.skip_categories={sorted(skip)} leaves none of the {len(names)} levels "
                              f"of {demos}")
    levels = ([maps[i] for i in chosen], [names[i] for i in chosen], [categories[i] for i in chosen])
    manifest = RoundManifest(demos, MANIFEST, "npp-self-demos", int(cfg.env.frame_skip))
    return student_rounds(cfg, s, levels, manifest, collect_round, "self_demos_summary.json", "self_demos")


def collect_round(cfg: DictConfig, levels, checkpoint: str, rnd: int, manifest: RoundManifest) -> dict:
    s = cfg.self_demos
    demos = Path(str(s.demos))
    t0 = time.perf_counter()
    records, frame_skip, student_s = student_plays(cfg, s, levels, checkpoint, rnd, episodes=int(s.episodes))
    ckpt_sha = hashlib.sha256(Path(checkpoint).read_bytes()).hexdigest()
    map_of = dict(zip(levels[1], levels[0], strict=True))
    written = Counter()
    for level, wins in kept_wins(records, int(s.keep_per_level)).items():
        for record in wins:
            manifest.add(write_win(demos, map_of[level], record, rnd, frame_skip, ckpt_sha))
            written[record["category"]] += 1
    per = {}
    for c in dict.fromkeys(levels[2]):
        mine = [r for r in records if r["category"] == c]
        per[c] = {"levels": len({r["level"] for r in mine}), "episodes": len(mine),
                  "won": sum(r["outcome"] == "won" for r in mine), "written": written[c]}
    summary = {"round": rnd, "checkpoint": str(Path(checkpoint).resolve()), "checkpoint_sha256": ckpt_sha,
               "episodes_per_level": int(s.episodes), "written": sum(written.values()), "per_category": per,
               "student_seconds": round(student_s, 1), "seconds": round(time.perf_counter() - t0, 1)}
    _print(summary, demos)
    return summary


def _print(summary: dict, demos: Path) -> None:
    print(f"self demos round {summary['round']}: {summary['written']} of the student's wins -> {demos}")
    print(f"  {'category':12s} levels  episodes won  written")
    for c, p in summary["per_category"].items():
        print(f"  {c:12s} {p['levels']:6d}  {p['episodes']:8d} {p['won']:3d}  {p['written']:7d}")
