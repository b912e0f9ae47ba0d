"""Regenerate replays into observation shards, with a content-keyed cache and parallel workers.

One shard per replay, named by the hash of (replay bytes, observation config, simulator
fingerprint): a shard that exists is never recomputed, and any change to the replay, the
observation config or the simulator code gives new names, never stale hits. Shards are written
atomically, so a killed run leaves no partial shard; rerunning completes the rest. The manifest
lists the shards in replay-name order, so results are byte-identical for any worker count.

Decision rate (``stride`` k > 1): a shard's labels are labels an agent acting every k frames can
execute (:func:`npp_sim.relabel.decision_labels`): the raw sampled labels when, each held for k
frames, they still win; otherwise relabelled ones (tracking the demonstration, search toward the
goal where tracking fails). The observations are regenerated from the states those held labels
produce, so observation and label always agree and the shard replays to a win by construction.
Every record says whether the replay was ``executable``, ``relabelled``, the ``search_share`` of
its labels and, when not executable, the ``reason``. With ``require_executable`` such replays are
left out (listed with the reason); without it they keep their raw labels on the human's states.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from atomic_files import write_json_atomic

from imitation_pipeline.data.shards import SHARD_SUFFIX, verify_shard, write_shard
from imitation_pipeline.errors import DatasetError

MANIFEST_VERSION = 1
# The simulator modules that produce a shard: these and, transitively, every npp_sim module they
# import (found by reading their import statements, so a new dependency is covered without a list).
_FINGERPRINT_ROOTS = ("npp_sim.regenerate", "npp_sim.relabel", "npp_sim.observations", "npp_sim.simulator",
                      "npp_sim.env", "npp_sim.formats")


def _module_file(root: Path, module: str) -> Path | None:
    parts = module.split(".")[1:]
    if not parts:
        return root / "__init__.py"
    rel = Path(*parts)
    for cand in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def imported_modules(path: Path, module: str) -> set[str]:
    """The absolute names one source file (the module ``module``) imports, anywhere in it: imports
    inside functions too; ``from pkg import name`` gives ``pkg`` and ``pkg.name``."""
    import ast

    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{a.name}" for a in node.names)  # `from pkg import module`
    return out


def simulator_sources() -> list[str]:
    """Paths (relative to the ``npp_sim`` package) of every module the observation path uses."""
    import npp_sim

    root = Path(npp_sim.__file__).parent
    seen: dict[str, Path] = {}
    todo = ["npp_sim", *_FINGERPRINT_ROOTS]
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        path = _module_file(root, mod)
        if path is None:  # `from npp_sim.x import name`: name is not a module
            continue
        seen[mod] = path
        todo.extend(m for m in imported_modules(path, mod) - seen.keys()
                    if m == "npp_sim" or m.startswith("npp_sim."))
        parent = mod.rpartition(".")[0]  # importing a submodule runs its package's __init__
        if parent and parent not in seen:
            todo.append(parent)
    return sorted(p.relative_to(root).as_posix() for p in seen.values())


@lru_cache(maxsize=1)
def simulator_fingerprint() -> str:
    """Hash of the simulator and observation code (a change invalidates every cached shard)."""
    import npp_sim

    root = Path(npp_sim.__file__).parent
    h = hashlib.sha256()
    for name in simulator_sources():
        h.update(name.encode())
        h.update((root / name).read_bytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class ObsConfig:
    """What decides the content of a shard besides the replay itself."""

    modalities: tuple[str, ...]
    stride: int = 1
    lr_rule: str = "cancel"
    max_frames: int = 20000
    relabel: bool = True  # stride > 1: derive executable labels where the raw ones are not
    require_executable: bool = True  # leave out replays whose labels cannot be made executable

    def key(self) -> str:
        doc = json.dumps({**asdict(self), "modalities": sorted(self.modalities), "sim": simulator_fingerprint()},
                         sort_keys=True)
        return hashlib.sha256(doc.encode()).hexdigest()[:16]


def spread_over_levels(replays: list[Path]) -> list[Path]:
    """``replays`` ordered so that the first N cover as many levels as they can: one replay of every level
    before a second of any. A demo folder names a level's replays ``<level>.replay`` (the clean demo, taken
    first) and ``<level>.<variant>.replay`` (noisy, takeover), so the level is the name before its first dot;
    other names are a level each. Deterministic (by name)."""
    groups: dict[str, list[Path]] = {}
    for p in replays:
        groups.setdefault(p.name.split(".", 1)[0], []).append(p)
    ranked = [sorted(g, key=lambda p: (p.name.count("."), p.name)) for _, g in sorted(groups.items())]
    return [g[r] for r in range(max(map(len, ranked), default=0)) for g in ranked if r < len(g)]


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def list_replays(replay_dir: str | os.PathLike) -> list[Path]:
    return replay_entries(replay_dir)[0]


def replay_entries(replay_dir: str | os.PathLike) -> tuple[list[Path], list[Path]]:
    """``(replay files, other entries)`` of a replay folder by name: hidden entries and JSON files
    (manifests, reports) are not replays; directories, FIFOs and dangling links are returned as the
    second list, to be reported as skipped."""
    d = Path(replay_dir)
    if not d.is_dir():
        raise DatasetError(f"{d}: replay directory not found")
    files, others = [], []
    for p in sorted(d.iterdir()):
        if p.name.startswith(".") or p.suffix == ".json":
            continue
        (files if p.is_file() else others).append(p)
    if not files:
        raise DatasetError(f"{d}: no replay files in directory")
    return files, others


def skipped_reason(path: Path) -> str:
    if path.is_symlink() and not path.exists():
        what = "a dangling link"
    elif path.is_dir():
        what = "a directory"
    else:
        what = "not a regular file"
    return f"{path.name}: skipped ({what})"


# --- worker side ---------------------------------------------------------------------------------
_builder_cache: dict = {}


def _builder(cfg: ObsConfig):
    from npp_sim.observations import ObservationBuilder

    if cfg not in _builder_cache:
        _builder_cache[cfg] = ObservationBuilder(cfg.modalities, max_frames=cfg.max_frames)
    return _builder_cache[cfg]


def _record_from_meta(meta: dict, shard: Path, replay_bytes: int) -> dict:
    return {
        "file": meta["replay"],
        "sha256": meta["replay_sha256"],
        "shard": shard.name,
        "samples": meta["samples"],
        "frames": meta["frames_total"],
        "format": meta["format"],
        "category": meta["category"],
        "level_id": meta["level_id"],
        "outcome": meta["outcome"],
        "executable": meta.get("executable", meta["outcome"] == "won"),
        "relabelled": meta.get("relabelled", False),
        "search_share": meta.get("search_share", 0.0),
        "bridge_share": meta.get("bridge_share", 0.0),
        "label_source": meta.get("label_source", "raw"),
        "reason": meta.get("not_executable_reason"),
        "replay_bytes": replay_bytes,
        "observation_bytes": meta["observation_bytes"],
        "shard_bytes": shard.stat().st_size,
        "error": None,
    }


def normalize_category(category: str | None, fmt: str) -> str:
    """``train_very_simple`` (nclone file names) -> ``very_simple``; attract files -> ``attract``."""
    if not category:
        return "attract" if fmt == "attract" else "unknown"
    for prefix in ("train_", "test_"):
        if category.startswith(prefix):
            return category[len(prefix):]
    return str(category)


def shard_path(shard_dir: str | os.PathLike, sha: str) -> Path:
    return Path(shard_dir) / f"{sha[:24]}{SHARD_SUFFIX}"


def verdict_path(shard_dir: str | os.PathLike, sha: str, include_unsuccessful: bool) -> Path:
    return Path(shard_dir) / f"{sha[:24]}.excluded{'-all' if include_unsuccessful else ''}.json"


def cached_record(path: str, sha: str, shard_dir: str, include_unsuccessful: bool = False) -> dict | None:
    """The manifest record of an existing shard or exclusion verdict; None if not yet processed.

    Shards and verdicts are keyed by content, so two replay files with the same bytes share them: the
    record's ``file`` is always ``path``'s name, never the name stored when the shard was made. A shard
    is used only when every array matches its checksum; a damaged one is removed (and rebuilt)."""
    name = Path(path).name
    shard = shard_path(shard_dir, sha)
    if not shard.exists():
        verdict = verdict_path(shard_dir, sha, include_unsuccessful)
        try:
            record = json.loads(verdict.read_text())
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            return None
        if not isinstance(record, dict):
            return None
        return {**record, **_renamed(record, name), "cached": True}
    try:
        meta = verify_shard(shard)
        record = _record_from_meta(meta, shard, Path(path).stat().st_size)
    except (DatasetError, KeyError, TypeError):
        shard.unlink(missing_ok=True)  # damaged (disk trouble or not ours): rebuild it
        return None
    return {**record, "file": name, "cached": True}


def _renamed(record: dict, name: str) -> dict:
    """A verdict's fields with its file name replaced (messages name the file they were made for)."""
    old = record.get("file")
    out: dict = {"file": name}
    if isinstance(old, str) and old != name:
        for key in ("error", "reason", "skipped"):
            if isinstance(record.get(key), str):
                out[key] = record[key].replace(old, name)
    return out


def process_replay(path: str, sha: str, shard_dir: str, cfg: ObsConfig, include_unsuccessful: bool,
                   compress: bool) -> dict:
    """Make (or reuse) the shard of one replay; never raises for one replay's failure (``error`` says why)."""
    path_ = Path(path)
    cached = cached_record(path, sha, shard_dir, include_unsuccessful)
    if cached is not None:
        return cached
    base = {"file": path_.name, "sha256": sha, "shard": None, "samples": 0, "replay_bytes": 0,
            "observation_bytes": 0, "shard_bytes": 0, "error": None, "outcome": None,
            "executable": False, "relabelled": False, "search_share": 0.0, "label_source": None}
    try:
        base["replay_bytes"] = path_.stat().st_size
        return _process(path_, sha, shard_dir, cfg, include_unsuccessful, compress, base)
    except Exception as err:  # noqa: BLE001 - one replay's failure is its error row, never the stage's
        # not remembered as a verdict: a bug fixed later must not stay cached
        why = f"{path_.name}: failed ({type(err).__name__}: {err})"
        return {**base, "error": why, "reason": why, "cached": False}


def _process(path_: Path, sha: str, shard_dir: str, cfg: ObsConfig, include_unsuccessful: bool,
             compress: bool, base: dict) -> dict:
    from npp_sim.formats import DemoFormatError, read_demo
    from npp_sim.simulator import run_inputs

    shard, size = shard_path(shard_dir, sha), base["replay_bytes"]
    try:
        demo = read_demo(path_, strict=True)
    except DemoFormatError as err:
        return _excluded({**base, "error": str(err), "reason": str(err)}, shard_dir, sha, include_unsuccessful)
    if cfg.max_frames > 0 and len(demo.inputs) > cfg.max_frames:
        why = (f"{path_.name}: {len(demo.inputs)} frames, more than the limit of {cfg.max_frames} "
               "(generate.max_frames); not simulated")
        return _excluded({**base, "error": why, "reason": why}, shard_dir, sha, include_unsuccessful)
    trace = run_inputs(demo.map_data, demo.inputs, lr_rule=cfg.lr_rule, source=path_.name)
    if trace.outcome != "won" and not include_unsuccessful:
        why = f"not won ({trace.outcome})"
        return _excluded({**base, "outcome": trace.outcome, "skipped": why, "reason": why},
                         shard_dir, sha, include_unsuccessful)
    obs, actions, frames, labels = _samples(demo, trace, cfg, path_.name)
    obs, actions, frames, labels["noise_samples_dropped"] = _drop_noise(demo, cfg, labels, obs, actions, frames)
    if not labels["executable"] and trace.outcome == "won" and cfg.require_executable:
        return _excluded({**base, "outcome": trace.outcome, **_label_fields(labels),
                          "skipped": labels["not_executable_reason"],
                          "reason": labels["not_executable_reason"]},
                         shard_dir, sha, include_unsuccessful)
    meta = {
        "replay": path_.name,
        "replay_sha256": sha,
        "format": demo.format,
        "category": normalize_category(demo.meta.get("category"), demo.format),
        "level_id": str(demo.meta.get("level_id") or path_.stem),
        "outcome": trace.outcome,
        "outcome_frame": trace.outcome_frame,
        "frames_total": int(len(demo.inputs)),
        "samples": int(len(actions)),
        **labels,
        "observation_bytes": int(sum(v.nbytes for v in obs.values()) + actions.nbytes),
        "obs_config": {**asdict(cfg), "modalities": list(cfg.modalities)},
        "simulator": simulator_fingerprint(),
    }
    write_shard(shard, obs, actions, frames, meta, compress=compress)
    return {**_record_from_meta(meta, shard, size), "cached": False}


def _drop_noise(demo, cfg: ObsConfig, labels: dict, obs: dict, actions, frames):
    """Leave out the samples of injected-noise blocks (noisy expert demos, ``npp_sim.planner.noisy``):
    their recorded input is the noise, not the expert's choice. Only when the samples are those blocks
    (raw labels at the demo's decision rate); returns the arrays and how many samples were dropped."""
    import numpy as np

    extra = demo.meta.get("extra") or {}
    blocks = extra.get("noise_blocks") if isinstance(extra, dict) else None
    if not blocks or labels.get("label_source") != "raw" or int(extra.get("decision_frame_skip", 0)) != cfg.stride:
        return obs, actions, frames, 0
    keep = np.ones(len(actions), dtype=bool)
    idx = np.asarray([b for b in blocks if isinstance(b, int) and 0 <= b < len(actions)], dtype=np.int64)
    keep[idx] = False
    return {k: v[keep] for k, v in obs.items()}, actions[keep], frames[keep], int((~keep).sum())


def _label_fields(labels: dict) -> dict:
    return {"executable": labels["executable"], "relabelled": labels["relabelled"],
            "search_share": labels["search_share"], "label_source": labels["label_source"]}


def _samples(demo, trace, cfg: ObsConfig, name: str):
    """``(observations, actions, frames, label meta)`` of one replay at ``cfg.stride``.

    Stride 1, or a replay that is not won: the recorded input of every sampled frame on the human's
    states. Stride k > 1: the executable labels (raw or relabelled) on the states they produce
    when each is held for k frames; when there are none, the raw sampled labels on the human's
    states (kept only without ``require_executable``).
    """
    import numpy as np
    from npp_sim.regenerate import regenerate

    builder = _builder(cfg)
    won = trace.outcome == "won"
    fields = {"executable": won, "relabelled": False, "search_share": 0.0, "label_source": "raw",
              "not_executable_reason": None, "held_frames": trace.outcome_frame}
    if cfg.stride > 1 and won:
        from npp_sim.relabel import decision_labels
        from npp_sim.simulator import Simulator

        dl = decision_labels(demo.map_data, demo.inputs, cfg.stride, lr_rule=cfg.lr_rule,
                             relabel=cfg.relabel, source=name)
        fields = {"executable": dl.executable, "relabelled": dl.relabelled,
                  "search_share": round(float(dl.search_share), 6), "label_source": dl.source,
                  "not_executable_reason": dl.reason, "held_frames": dl.outcome_frame,
                  "search_windows": int(dl.search_windows),
                  "bridge_share": round(dl.bridge_windows / max(dl.windows, 1), 6)}
        if dl.executable:
            sim = Simulator(demo.map_data, name)
            obs = builder.observe_replay(sim, dl.hor, dl.jump, cfg.stride)
            actions = dl.labels.astype(np.uint8)
            frames = np.arange(0, len(dl.hor), cfg.stride, dtype=np.int32)
            if len(actions) != len(frames):
                raise RuntimeError(f"{name}: {len(actions)} labels for {len(frames)} windows")
            return obs, actions, frames, fields
        fields["label_source"] = "raw"
    elif not won:
        what = "dies" if trace.outcome == "died" else "does not win"
        fields["not_executable_reason"] = f"not executable: the replay itself {what}"
    obs, actions, frames = regenerate(demo.map_data, demo.inputs, builder, lr_rule=cfg.lr_rule,
                                      stride=cfg.stride, source=name)
    return obs, actions, frames, fields


def _excluded(record: dict, shard_dir: str, sha: str, include_unsuccessful: bool) -> dict:
    """Remember why a replay was left out (the verdict depends only on its bytes and the config)."""
    write_json_atomic(verdict_path(shard_dir, sha, include_unsuccessful), record)
    return {**record, "cached": False}


def _run_job(args):
    return process_replay(*args)


def _init_worker() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")


# --- driver --------------------------------------------------------------------------------------
def generate_shards(
    replay_dir: str | os.PathLike,
    cache_dir: str | os.PathLike,
    cfg: ObsConfig,
    *,
    workers: int = 1,
    include_unsuccessful: bool = False,
    compress: bool = True,
    progress: bool = True,
    limit: int = 0,
) -> tuple[Path, dict]:
    """Make every shard (of ``limit`` replays spread over levels when limit > 0: :func:`spread_over_levels`),
    write the manifest; return ``(manifest path, manifest)``."""
    replays, others = replay_entries(replay_dir)
    if limit > 0:
        replays = sorted(spread_over_levels(replays)[:limit])
    shard_dir = Path(cache_dir) / cfg.key()
    shard_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_files(shard_dir)
    shas = [sha256_file(p) for p in replays]
    jobs = [(str(p), s, str(shard_dir), cfg, include_unsuccessful, compress) for p, s in zip(replays, shas, strict=True)]
    t0 = time.perf_counter()
    records = [rec for rec in (cached_record(j[0], j[1], j[2], include_unsuccessful) for j in jobs) if rec is not None]
    done = {r["file"] for r in records}
    todo = [j for j in jobs if Path(j[0]).name not in done]
    records += _run_all(todo, min(workers, len(todo)), progress) if todo else []
    records += [{"file": p.name, "sha256": None, "shard": None, "samples": 0, "error": skipped_reason(p),
                 "outcome": None} for p in others]
    records.sort(key=lambda r: r["file"])
    used = [r for r in records if r["shard"]]
    dataset_key = hashlib.sha256(
        json.dumps([[r["file"], r["sha256"]] for r in used] + [include_unsuccessful]).encode()
    ).hexdigest()[:16]
    replay_bytes = sum(r["replay_bytes"] for r in used)
    shard_bytes = sum(r["shard_bytes"] for r in used)
    manifest = {
        "version": MANIFEST_VERSION,
        "dataset_key": dataset_key,
        "replay_dir": str(Path(replay_dir).resolve()),
        "obs_config": {**asdict(cfg), "modalities": list(cfg.modalities)},
        "obs_key": cfg.key(),
        "simulator": simulator_fingerprint(),
        "include_unsuccessful": include_unsuccessful,
        "shards": [{k: v for k, v in r.items() if k != "cached"} for r in used],
        "excluded": [_excluded_entry(r) for r in records if not r["shard"]],
        "executability": executability_summary(records, cfg),
        "totals": {
            "replays": len(used),
            "samples": sum(r["samples"] for r in used),
            "replay_bytes": replay_bytes,
            "observation_bytes": sum(r["observation_bytes"] for r in used),
            "shard_bytes": shard_bytes,
        },
    }
    path = shard_dir / f"manifest-{dataset_key}.json"
    write_json_atomic(path, manifest)
    stats = {
        "seconds": time.perf_counter() - t0,
        "computed": sum(1 for r in records if r.get("cached") is False),
        "cached": sum(1 for r in records if r.get("cached") is True),
    }
    return path, {**manifest, "run": stats}


def _excluded_entry(r: dict) -> dict:
    return {"file": r["file"], "reason": r.get("error") or r.get("skipped"),
            "executable": bool(r.get("executable", False)), "relabelled": bool(r.get("relabelled", False)),
            "search_share": float(r.get("search_share") or 0.0)}


def executability_summary(records: list[dict], cfg: ObsConfig) -> dict:
    """Counts over the replays that won in the simulator (the ones whose labels were checked)."""
    won = [r for r in records if r.get("outcome") == "won" and not r.get("error")]
    ex = [r for r in won if r.get("executable")]
    samples = sum(r["samples"] for r in ex if r["shard"])
    searched = sum(r["samples"] * float(r.get("search_share") or 0.0) for r in ex if r["shard"])
    bad = [r for r in won if not r.get("executable")]
    return {
        "stride": cfg.stride,
        "relabel": cfg.relabel,
        "require_executable": cfg.require_executable,
        "checked": len(won),
        "executable": len(ex),
        "executable_raw": sum(1 for r in ex if not r.get("relabelled")),
        "relabelled": sum(1 for r in ex if r.get("relabelled")),
        "with_search": sum(1 for r in ex if float(r.get("search_share") or 0.0) > 0),
        "search_share": round(searched / samples, 6) if samples else 0.0,
        "not_executable": len(bad),
        "not_executable_left_out": sum(1 for r in bad if not r["shard"]),
        "not_executable_files": [{"file": r["file"], "reason": r.get("reason")} for r in bad],
    }


def _run_all(jobs: Sequence[tuple], workers: int, progress: bool) -> list[dict]:
    from tqdm import tqdm

    bar = tqdm(total=len(jobs), desc="generate shards", unit="replay", disable=not progress, leave=False)
    try:
        if workers <= 1:
            out = []
            for job in jobs:
                out.append(process_replay(*job))
                bar.update()
            return out
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                 initializer=_init_worker) as pool:
            out = []
            for rec in pool.map(_run_job, jobs, chunksize=1):
                out.append(rec)
                bar.update()
            return out
    finally:
        bar.close()


def _remove_stale_temp_files(shard_dir: Path, older_than_s: float = 3600.0) -> None:
    """Temporary files of killed runs (never visible as shards) are removed once they are old."""
    now = time.time()
    for tmp in shard_dir.glob(".*.tmp"):
        try:
            if now - tmp.stat().st_mtime > older_than_s:
                tmp.unlink()
        except FileNotFoundError:
            pass


def load_manifest(path: str | os.PathLike) -> dict:
    path = Path(path)
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError as err:
        raise DatasetError(f"{path}: shard manifest not found (run stage=generate first)") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path}: corrupt shard manifest ({err})") from err
    if manifest.get("version") != MANIFEST_VERSION:
        raise DatasetError(f"{path}: unsupported manifest version {manifest.get('version')!r}")
    return manifest
