"""``stage=generate``: replays -> cached observation shards (one per replay) + a manifest.

Each sample pairs the observation of the state before input t with input t's action (see
:mod:`npp_sim.regenerate`). Replays that are not won in the simulator are left out unless
``generate.include_unsuccessful=true``; unreadable files are reported and skipped.
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
    )


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
    print(
        f"generate: {t['replays']} replays -> {t['samples']} samples in {run_['seconds']:.1f} s "
        f"({run_['computed']} computed, {run_['cached']} from cache)\n"
        f"  replays {rb / 1e3:.1f} kB; observations {t['observation_bytes'] / 1e6:.1f} MB raw "
        f"({t['observation_bytes'] / rb:.0f}x the replays), {t['shard_bytes'] / 1e6:.1f} MB as compressed "
        f"shards ({t['shard_bytes'] / rb:.0f}x)"
    )
    for ex in manifest["excluded"]:
        reason = ex["reason"] if len(ex["reason"]) < 200 else ex["reason"][:197] + "..."
        print(f"  left out {ex['file']}: {reason}")
    print(f"manifest: {path}")
    return {"manifest": str(path), **t, **run_}
