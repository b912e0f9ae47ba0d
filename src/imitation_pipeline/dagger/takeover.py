"""Expert takeover demos where a BC student fails (``stage=takeover``).

BC on the planner's demos does not win even the levels it was trained on: after one late jump the
student is where no demo went (the compounding error DAgger was made for). Here the student plays every
demonstrated level once (sampled actions, as ``stage=evaluate``); where it dies, the planner expert plays on
from the student's state ``takeover.back`` decisions before the death, and where it times out (lost), from
fixed fractions of its episode (``takeover.lost_fractions``). Each won continuation is written as an
ordinary replay (:func:`npp_sim.planner.takeover.takeover_episode`): the student's blocks are listed in its
metadata like the noisy demos' injected blocks, so ``stage=generate`` leaves their labels out and the
samples are the expert's, on states the student reaches. Like every demonstration, they are replays, not
frames: any observation config regenerates them.

The demos go beside the others (``takeover.demos``), listed in ``takeover.json``; the level split keeps
a level's takeover demos on its side. ``takeover.rounds`` > 1 is DAgger's loop: each later round's student
is a BC (``stage=bc``, this config) trained on the demos as they then are. Rounds are made afresh from
``takeover.round`` on: its demos and every later round's are removed first (they came from students
trained on what is being redone).
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing as mp
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from npp_sim.planner.takeover import TAKEOVER_MANIFEST as MANIFEST
from omegaconf import DictConfig, OmegaConf

from imitation_pipeline.errors import DatasetError, UserFacingError

log = logging.getLogger(__name__)

RECORDER = "planner-takeover"
STUDENT_WINS = "student-wins"  # the recorder of stage=self_demos' replays (imitation_pipeline.dagger.self_demos)
OUTCOMES = ("won", "dead", "timeout")


def branch_blocks(outcome: str, decisions: int, back, lost_fractions) -> list[int]:
    """The decisions to take over at, after a student episode of ``decisions`` decisions: ``back`` decisions
    before a death, ``lost_fractions`` of a timed-out episode; none after a win. Decision 0 is left out
    (the expert from the spawn is the clean demo)."""
    if outcome == "won":
        return []
    if outcome == "dead":
        wanted = [decisions - int(b) for b in back]
    elif outcome == "timeout":
        wanted = [int(decisions * float(f)) for f in lost_fractions]
    else:
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {OUTCOMES}")
    return sorted({b for b in wanted if 0 < b < decisions})


def demo_levels(demos: str | Path) -> tuple[list[bytes], list[str], list[str]]:
    """``(maps, level ids, categories)``: one level per distinct map among the replays of ``demos``
    (takeover and self demos are not levels of their own), in file-name order."""
    from npp_sim.formats import DemoFormatError, read_demo

    from imitation_pipeline.data.generation import list_replays

    maps, names, categories, seen = [], [], [], set()
    for path in list_replays(demos):
        try:
            demo = read_demo(path)
        except DemoFormatError as err:
            raise DatasetError(str(err)) from err
        if demo.meta.get("recorder") in (RECORDER, STUDENT_WINS) or demo.map_data in seen:
            continue
        seen.add(demo.map_data)
        maps.append(demo.map_data)
        names.append(str(demo.meta.get("level_id") or path.stem))
        categories.append(str(demo.meta.get("category") or "custom"))
    return maps, names, categories


class RoundManifest:
    """The JSON list (``<demos>/<name>``) of the replays a student-driven stage wrote, by round: rows with
    ``file`` and ``round``. Redoing rounds from ``first`` on deletes their replays (they came from students
    trained on what is being redone) and keeps the earlier rounds'."""

    def __init__(self, demos: Path, name: str, fmt: str, frame_skip: int) -> None:
        self.path, self.fmt, self.frame_skip = demos / name, fmt, frame_skip
        self.rows: list[dict] = []

    def load(self) -> list[dict]:
        if not self.path.exists():
            return []
        try:
            rows = json.loads(self.path.read_text())["demos"]
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise DatasetError(f"{self.path}: not a {self.fmt} manifest ({err})") from err
        return [r for r in rows if isinstance(r, dict) and "file" in r]

    def redo_from(self, first: int) -> None:
        rows = self.load()
        for old in [r for r in rows if int(r.get("round", 0)) >= first]:
            (self.path.parent / old["file"]).unlink(missing_ok=True)
        self.rows = [r for r in rows if int(r.get("round", 0)) < first]
        self.write()

    def add(self, row: dict) -> None:
        self.rows.append(row)
        self.write()

    def write(self) -> None:
        from atomic_files import write_json_atomic

        write_json_atomic(self.path, {"format": self.fmt, "version": 1, "frame_skip": self.frame_skip,
                                      "demos": sorted(self.rows, key=lambda r: (r["round"], r["file"]))})


def require_npp(cfg: DictConfig, stage: str, why: str) -> None:
    if not str(cfg.env.get("_target_", "")).endswith(".npp_env"):
        raise UserFacingError(f"stage={stage} {why}: use env=npp")


def student_rounds(cfg: DictConfig, section: DictConfig, levels, manifest: RoundManifest, one_round,
                   summary_file: str, count_key: str) -> dict:
    """Rounds ``section.round`` .. ``section.round + section.rounds - 1`` of
    ``one_round(cfg, levels, student, round, manifest)``, after the manifest's rounds from ``section.round`` on
    are removed. The first round's student is ``section.checkpoint`` when set, every other one a BC trained by
    ``stage=bc`` (this config) on the demos as they are then (its summary goes under ``bc``). Returns the run
    summary, also written to ``<run_dir>/<summary_file>``."""
    from atomic_files import write_json_atomic

    from imitation_pipeline.stages import bc
    from imitation_pipeline.stages.pipeline import derive

    manifest.redo_from(int(section.round))
    first, run_dir, rounds = int(section.round), Path(str(cfg.run_dir)), []
    for rnd in range(first, first + int(section.rounds)):
        student = section.checkpoint if rnd == first and section.checkpoint else None
        bc_summary = None
        if student is None:
            bc_summary = bc.run(derive(cfg, "bc", run_dir / f"bc-round{rnd}"))
            student = bc_summary["best_checkpoint"] or bc_summary["last_checkpoint"]
        summary = one_round(cfg, levels, str(student), rnd, manifest)
        if bc_summary is not None:
            summary["bc"] = {k: bc_summary.get(k) for k in ("best_checkpoint", "best_score", "train_replays",
                                                            "val_replays", "train_samples", "evaluation")}
        rounds.append(summary)
    result = {"demos": str(section.demos), "rounds": rounds, count_key: len(manifest.rows)}
    write_json_atomic(run_dir / summary_file, result)
    return result


def student_plays(cfg: DictConfig, section: DictConfig, levels, checkpoint: str, rnd: int, episodes: int):
    """``(records, frame_skip, seconds)``: the student plays every level ``episodes`` times (sampled unless
    ``section.deterministic``), its actions recorded (:func:`~imitation_pipeline.evaluation.runner.play_levels`)."""
    import torch

    from imitation_pipeline.evaluation.runner import play_levels
    from imitation_pipeline.rl.envs import env_spec
    from imitation_pipeline.stages.evaluate import load_policy

    maps, names, categories = levels
    policy, ckpt = load_policy(checkpoint)
    modalities = list(ckpt["arch"]["modalities"])
    run_cfg = OmegaConf.merge(cfg, {"arch": {"modalities": modalities}, "env": {"observation": modalities}})
    spec = env_spec(run_cfg, maps, names, int(section.max_episode_frames))
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    records = play_levels(policy, spec, categories, episodes=episodes, deterministic=bool(section.deterministic),
                          batch_envs=int(section.batch_envs), seed=int(cfg.seed) + 1000 * rnd,
                          progress=bool(section.progress), actions=True)
    return records, spec.frame_skip, time.perf_counter() - t0


def collect(cfg: DictConfig) -> dict:
    """Rounds ``takeover.round`` .. ``takeover.round + takeover.rounds - 1``; returns the run summary."""
    t = cfg.takeover
    require_npp(cfg, "takeover", "plays N++ levels with the planner expert")
    demos = Path(str(t.demos))
    manifest = RoundManifest(demos, MANIFEST, "npp-takeover-demos", int(cfg.env.frame_skip))
    return student_rounds(cfg, t, demo_levels(demos), manifest, collect_round, "takeover_summary.json",
                          "takeover_demos")


def collect_round(cfg: DictConfig, levels, checkpoint: str, rnd: int, manifest: RoundManifest) -> dict:
    """One round from the student ``checkpoint``: play, take over, write; the manifest's rows grow."""
    from npp_sim.formats import write_demo
    from npp_sim.planner.takeover import takeover_job
    from tqdm.auto import tqdm

    t = cfg.takeover
    demos = Path(str(t.demos))
    maps, names, categories = levels
    t0 = time.perf_counter()
    records, frame_skip, student_s = student_plays(cfg, t, levels, checkpoint, rnd, episodes=1)
    settings = {"frame_skip": frame_skip, "max_frames": int(t.max_episode_frames),
                "max_nodes": int(t.expert.max_nodes), "replan_nodes": int(t.expert.replan_nodes),
                "budget_s": float(t.expert.budget_s), "mine_margin": float(t.expert.mine_margin),
                "memory": bool(t.expert.get("memory", True))}
    index = {name: i for i, name in enumerate(names)}
    jobs = [{"level": r["level"], "category": r["category"], "student": r["outcome"], "branch": b,
             "map_hex": maps[index[r["level"]]].hex(), "actions": r["actions"], "settings": settings}
            for r in records
            for b in branch_blocks(r["outcome"], len(r["actions"]), t.back, t.lost_fractions)]
    ckpt_sha = hashlib.sha256(Path(checkpoint).read_bytes()).hexdigest()
    results: list[dict] = []
    bar = tqdm(total=len(jobs), desc=f"takeover round {rnd}", unit="takeover", disable=not bool(t.progress))
    pool = ProcessPoolExecutor(max_workers=int(t.workers), mp_context=mp.get_context("spawn")) if jobs else None
    try:
        for job, res in zip(jobs, pool.map(takeover_job, jobs) if pool else [], strict=True):
            bar.update(1)
            row = {"level_id": job["level"], "category": job["category"], "round": rnd, "branch": job["branch"],
                   "student": job["student"], "outcome": res["outcome"], "seconds": res["seconds"]}
            results.append(row)
            if res["outcome"] != "won":
                continue
            name = f"{job['level']}.takeover{rnd}-{job['branch']}.replay"
            inputs = bytes.fromhex(res["inputs_hex"])
            write_demo(demos / name, bytes.fromhex(job["map_hex"]), inputs, success=True, level_id=job["level"],
                       category=job["category"], frame_skip=1, recorder=RECORDER,
                       meta={"decision_frame_skip": frame_skip, "noise_blocks": res["student_blocks"],
                             "takeover": {"round": rnd, "branch": job["branch"], "student": job["student"],
                                          "checkpoint_sha256": ckpt_sha}})
            manifest.add({**row, "file": name, "frames": len(inputs), "student_blocks": len(res["student_blocks"]),
                          "file_sha256": hashlib.sha256((demos / name).read_bytes()).hexdigest()})
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    summary = _summary(records, results, categories)
    summary.update(round=rnd, checkpoint=str(Path(checkpoint).resolve()), checkpoint_sha256=ckpt_sha,
                   written=sum(r["outcome"] == "won" for r in results), student_seconds=round(student_s, 1),
                   seconds=round(time.perf_counter() - t0, 1))
    _print(summary, demos)
    return summary


def _summary(records: list[dict], results: list[dict], categories: list[str]) -> dict:
    per: dict[str, dict] = {}
    for c in dict.fromkeys(categories):
        student = Counter(r["outcome"] for r in records if r["category"] == c)
        taken = Counter(r["outcome"] for r in results if r["category"] == c)
        per[c] = {"levels": sum(student.values()), **{f"student_{k}": student.get(k, 0) for k in OUTCOMES},
                  "takeovers": sum(taken.values()), "takeovers_won": taken.get("won", 0)}
    return {"per_category": per}


def _print(summary: dict, demos: Path) -> None:
    print(f"takeover round {summary['round']}: {summary['written']} takeover demos -> {demos}")
    print(f"  {'category':12s} levels  student won/dead/timeout  takeovers won/tried")
    for c, s in summary["per_category"].items():
        print(f"  {c:12s} {s['levels']:6d}  {s['student_won']:11d}/{s['student_dead']}/{s['student_timeout']}"
              f"  {s['takeovers_won']:13d}/{s['takeovers']}")
