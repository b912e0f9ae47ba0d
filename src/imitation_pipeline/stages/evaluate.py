"""``stage=evaluate``: a checkpoint of this project's schema (finetune, baseline or bc) on a level suite.

The suite is a generated one (``evaluate.suite``), the maps of a folder (``evaluate.levels_dir``,
see :mod:`imitation_pipeline.rl.folder_suite`), or the levels a BC checkpoint trained or validated on
(``evaluate.bc_levels=train|val``, from the split its provenance records); a folder suite's JSON also
holds ``levels_dir``, ``levels`` (file, category, format, entity types the simulator skipped) and
``skipped`` (file, reason); a BC split's holds ``bc_split`` (side, replay folder, level names).

The policy is rebuilt from the checkpoint's own arch and loaded strictly; the env follows this
run's ``env`` block (frame skip, reward) with the checkpoint's modalities, and episodes end after
``evaluate.max_episode_frames`` frames. Output ``evaluate.output`` (JSON, atomic): overall,
macro-averaged and per-category success / death / time-out rates and return / length, plus one record
per episode (with its outcome: won, dead or timeout).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from atomic_files import write_json_atomic
from omegaconf import DictConfig, OmegaConf

from imitation_pipeline.errors import CheckpointError, UserFacingError

log = logging.getLogger(__name__)


def _refuse_sb3_zip(path: Path) -> None:
    """SB3's ``.zip`` snapshots are not in the project schema: name the ``.pt`` files to use instead."""
    import zipfile

    if not path.is_file() or not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return
    if "policy.pth" not in names and "data" not in names:
        return
    beside = sorted({p for d in (path.parent, path.parent.parent) for p in d.glob("*.pt")})
    hint = (f"use {' or '.join(str(p) for p in beside[:3])}" if beside
            else "use the .pt checkpoint written beside it (final.pt or best.pt)")
    raise CheckpointError(f"{path}: an SB3 PPO snapshot (.zip), not a checkpoint of this project; {hint}")


def _arch_override_note(cfg: DictConfig, ckpt_arch: str) -> str | None:
    """A line when the run's ``arch=`` was chosen on the command line but differs from the checkpoint's."""
    try:
        from hydra.core.hydra_config import HydraConfig

        overrides = list(HydraConfig.get().overrides.task)
    except (ValueError, ImportError, AttributeError):
        return None
    chosen = [o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0].lstrip("+~") == "arch" and "=" in o]
    if chosen and chosen[-1] != ckpt_arch:
        return (f"arch={chosen[-1]} is ignored: stage=evaluate rebuilds the policy from the checkpoint's own "
                f"arch ({ckpt_arch})")
    return None


def load_policy(path: str):
    """(policy, checkpoint) from any checkpoint of the schema, the arch taken from the checkpoint."""
    from gymnasium import spaces
    from npp_sim.observation_spec import observation_space

    from imitation_pipeline.checkpoint import load_checkpoint
    from imitation_pipeline.policies import build_policy

    _refuse_sb3_zip(Path(path))
    ckpt = load_checkpoint(path)
    arch = ckpt["arch"]
    try:
        obs_space = observation_space(list(arch["modalities"]))
    except (KeyError, ValueError) as err:
        raise CheckpointError(f"{path}: checkpoint arch has no usable modalities ({err})") from err
    load_checkpoint(path, expect_observation_space=obs_space, expect_action_space=spaces.Discrete(6))
    policy = build_policy(arch, obs_space, spaces.Discrete(6))
    try:
        policy.load_state_dict(ckpt["policy_state_dict"], strict=True)
    except RuntimeError as err:
        raise CheckpointError(f"{path}: policy weights do not fit arch {arch.get('name')!r}: "
                              f"{str(err).splitlines()[0]}") from err
    return policy, ckpt


def _category_counts(categories: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in categories:
        out[c] = out.get(c, 0) + 1
    return out


def _folder_fields(levels) -> dict:
    """What the JSON says about a folder suite: the folder, each level's file, and the files left out."""
    return {
        "levels_dir": levels.source,
        "levels": [{"file": n, "category": c, "format": f, "skipped_entity_types": t}
                   for n, c, f, t in zip(levels.names, levels.categories, levels.formats,
                                         levels.skipped_entity_types, strict=True)],
        "skipped": list(levels.skipped),
    }


def run(cfg: DictConfig) -> dict:
    import torch

    from imitation_pipeline.evaluation.runner import play_levels, summarise
    from imitation_pipeline.rl.envs import env_spec
    from imitation_pipeline.rl.levels import bc_split_levels, suite_levels

    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))))
    e = cfg.evaluate
    if not e.checkpoint:
        raise UserFacingError("stage=evaluate needs evaluate.checkpoint=<path to a .pt or BC .ckpt checkpoint>")
    if int(e.episodes) < 1:
        raise UserFacingError(f"evaluate.episodes must be >= 1, got {e.episodes}")
    policy, ckpt = load_policy(str(e.checkpoint))
    note = _arch_override_note(cfg, str(ckpt["arch"].get("name")))
    if note:
        log.warning(f"warning: {note}")
    levels_dir, bc_side = e.get("levels_dir"), e.get("bc_levels")
    if bc_side and levels_dir:
        raise UserFacingError("evaluate.bc_levels and evaluate.levels_dir both set: choose one")
    if bc_side:
        levels = bc_split_levels(ckpt["provenance"], str(bc_side), str(e.checkpoint))
        suite_name = f"BC {bc_side} levels of {levels.source}"
    else:
        levels = suite_levels(cfg.suites, str(e.suite), levels_dir, "evaluate.levels_dir")
        suite_name = f"folder {levels_dir}" if levels_dir else f"{e.suite} suite"
    modalities = list(ckpt["arch"]["modalities"])  # the env observes what the checkpoint's policy consumes
    run_cfg = OmegaConf.merge(cfg, {"arch": {"modalities": modalities}, "env": {"observation": modalities}})
    spec = env_spec(run_cfg, levels.maps, levels.names, int(e.max_episode_frames))
    trained_env = ckpt["provenance"].get("env")
    mismatch = [k for k in ("frame_skip", "max_frames")
                if trained_env and trained_env.get(k) != getattr(spec, k)]
    if mismatch:
        log.warning(f"warning: evaluating with env {', '.join(f'{k}={getattr(spec, k)}' for k in mismatch)}; "
              f"the checkpoint was trained with {', '.join(f'{k}={trained_env[k]}' for k in mismatch)}")

    t0 = time.perf_counter()
    records = play_levels(policy, spec, levels.categories, episodes=int(e.episodes),
                          deterministic=bool(e.deterministic), batch_envs=int(e.batch_envs), seed=int(cfg.seed),
                          progress=bool(e.progress), temperature=float(e.temperature))
    summary = summarise(records)
    prov = ckpt["provenance"]
    result = {
        "checkpoint": str(Path(e.checkpoint).resolve()),
        "checkpoint_stage": ckpt["stage"],
        "arch": ckpt["arch"].get("name"),
        "seed": prov.get("seed"),
        "eval_log": prov.get("eval_log"),
        "timesteps": prov.get("timesteps"),
        "suite": f"bc_{bc_side}" if bc_side else "folder" if levels_dir else str(e.suite),
        "suite_counts": (_category_counts(levels.categories) if levels_dir or bc_side
                         else OmegaConf.to_container(cfg.suites[str(e.suite)], resolve=True)),
        **(_folder_fields(levels) if levels_dir else {}),
        **({"bc_split": {"side": str(bc_side), "replay_dir": levels.source, "levels": list(levels.names)}}
           if bc_side else {}),
        "episodes_per_level": int(e.episodes),
        "deterministic": bool(e.deterministic),
        "temperature": None if bool(e.deterministic) else float(e.temperature),
        "env": {"frame_skip": spec.frame_skip, "max_frames": spec.max_frames,
                "max_episode_frames": int(e.max_episode_frames)},
        **summary,
        "seconds": round(time.perf_counter() - t0, 1),
        "episodes": records,
    }
    out = write_json_atomic(e.output, result)
    log.info(f"evaluate {ckpt['stage']} checkpoint on the {suite_name} ({len(levels)} levels): "
          f"macro success {summary['macro']['success_rate']:.3f}")
    for cat, s in summary["per_category"].items():
        log.info(f"  {cat:<12} success {s['success_rate']:.2f}  dead {s['death_rate']:.2f}  "
                 f"timeout {s['timeout_rate']:.2f}  return {s['mean_return']:+.3f}  length {s['mean_length']:.0f}")
    log.info(f"-> {out}")
    return result
