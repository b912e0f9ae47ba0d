"""``stage=generate``: replays -> cached observation shards (one per replay) + a manifest.

Each sample pairs the observation of the state before input t with input t's action (see
:mod:`npp_sim.regenerate`). Replays that are not won in the simulator are left out unless
``generate.include_unsuccessful=true``; unreadable files are reported and skipped.

At ``stride`` k > 1 the labels must be executable by an agent that holds each action for k frames
(:mod:`npp_sim.relabel`): raw sampled labels when they win held, relabelled ones otherwise
(``generate.relabel``), observed on the states they produce. Replays that cannot be made executable
are left out with their reason (``generate.require_executable=false`` keeps them with raw labels).
"""

from __future__ import annotations

import logging

from omegaconf import DictConfig, OmegaConf

from imitation_pipeline.data.generation import ObsConfig, generate_shards

log = logging.getLogger(__name__)


def obs_config_from(cfg: DictConfig) -> ObsConfig:
    g = cfg.generate
    return ObsConfig(
        modalities=tuple(OmegaConf.to_container(g.modalities, resolve=True)),
        stride=int(g.stride),
        lr_rule=str(g.lr_rule),
        max_frames=int(g.max_frames),
        relabel=bool(g.get("relabel", True)),
        require_executable=bool(g.get("require_executable", True)),
    )


def executability_line(e: dict) -> str:
    """One line (plus one per kept non-executable replay) on the labels' executability."""
    checked = max(e["checked"], 1)
    line = (f"  executable at stride {e['stride']}: {e['executable']}/{e['checked']} won replays "
            f"({100 * e['executable'] / checked:.1f}%; raw labels {e['executable_raw']}, relabelled "
            f"{e['relabelled']}, {e['with_search']} of them partly by search; search share of labels "
            f"{100 * e['search_share']:.1f}%)")
    if e["not_executable"]:
        kept = e["not_executable"] - e["not_executable_left_out"]
        line += (f"\n  not executable: {e['not_executable']} ({e['not_executable_left_out']} left out, "
                 f"{kept} kept with raw labels)")
        for r in e["not_executable_files"]:
            if r["file"] and kept:
                line += f"\n    kept {r['file']}: {r['reason']}"
    return line


def run(cfg: DictConfig) -> dict:
    g = cfg.generate
    path, manifest = generate_shards(
        g.replay_dir,
        g.cache_dir,
        obs_config_from(cfg),
        workers=int(g.workers),
        include_unsuccessful=bool(g.include_unsuccessful),
        compress=bool(g.compress),
    )
    t, run_ = manifest["totals"], manifest["run"]
    rb = max(t["replay_bytes"], 1)
    log.info(
        f"generate: {t['replays']} replays -> {t['samples']} samples in {run_['seconds']:.1f} s "
        f"({run_['computed']} computed, {run_['cached']} from cache)\n"
        f"  replays {rb / 1e3:.1f} kB; observations {t['observation_bytes'] / 1e6:.1f} MB raw "
        f"({t['observation_bytes'] / rb:.0f}x the replays), {t['shard_bytes'] / 1e6:.1f} MB as compressed "
        f"shards ({t['shard_bytes'] / rb:.0f}x)"
    )
    log.info(executability_line(manifest["executability"]))
    for ex in manifest["excluded"]:
        reason = ex["reason"] if len(ex["reason"]) < 200 else ex["reason"][:197] + "..."
        log.info(f"  left out {ex['file']}: {reason}")
    log.info(f"manifest: {path}")
    e = manifest["executability"]
    return {"manifest": str(path), **t, **run_, "executable": e["executable"], "checked": e["checked"],
            "relabelled": e["relabelled"], "search_share": e["search_share"]}
