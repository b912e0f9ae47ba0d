"""``stage=export``: the dataset's demonstrations as a Minari dataset.

Each replay is played through the N++ env of the one env factory (frame_skip 1, the env's reward config)
with its recorded actions, so observations, rewards, terminations and truncations are exactly what
an agent would see; every episode stores T+1 observations (including the one after the last
action), as Minari expects. Unreadable replays, and unwon ones unless
``export.include_unsuccessful``, are reported and left out.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np
from omegaconf import DictConfig, OmegaConf

from imitation_pipeline.data.generation import list_replays
from imitation_pipeline.env_factory import make_env
from imitation_pipeline.errors import DatasetError, UserFacingError

log = logging.getLogger(__name__)


def episode_of(env, level_index: int, actions: np.ndarray, episode_id: int):
    from minari.data_collector import EpisodeBuffer

    obs, _ = env.reset(seed=episode_id, options={"level_index": level_index})
    frames = [obs]
    rewards, terms, truncs = [], [], []
    info: dict = {}
    for a in actions:
        obs, r, term, trunc, info = env.step(int(a))
        frames.append(obs)
        rewards.append(float(r))
        terms.append(bool(term))
        truncs.append(bool(trunc))
        if term or trunc:
            break
    n = len(rewards)
    stacked = {k: np.stack([f[k] for f in frames]) for k in frames[0]}
    # which level (= replay) the episode plays: the env spec's level_names[level_index] names the replay file
    buf = EpisodeBuffer(id=episode_id, seed=episode_id, options={"level_index": int(level_index)},
                        observations=stacked, actions=np.asarray(actions[:n], np.int64), rewards=rewards,
                        terminations=terms, truncations=truncs,
                        infos={"level_index": np.full((n + 1, 1), level_index, np.int64)})  # (1,): arrow needs a shape
    return buf, bool(info.get("is_success")), n


def run(cfg: DictConfig) -> dict:
    from npp_sim.env import env_spec_for
    from npp_sim.formats import DemoFormatError, read_demo
    from npp_sim.regenerate import actions_of_inputs

    e = cfg.export
    out_dir = Path(e.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ["MINARI_DATASETS_PATH"] = str(out_dir.resolve())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import minari

    files = list_replays(e.replay_dir)
    demos, skipped = [], []
    for path in files:
        try:
            demos.append((path.name, read_demo(path)))
        except DemoFormatError as err:
            skipped.append((path.name, str(err)))
    if not demos:
        raise DatasetError(f"{e.replay_dir}: no readable replays to export")
    modalities = list(OmegaConf.to_container(e.modalities, resolve=True))
    env_kwargs = {"observation": modalities, "frame_skip": 1, "max_frames": int(cfg.env.max_frames),
                  "reward": OmegaConf.to_container(cfg.env.reward, resolve=True)}
    maps, names = [d.map_data for _, d in demos], [n for n, _ in demos]
    env = make_env(cfg.env, levels=maps, level_names=names, reward_shaping="none", **env_kwargs)
    buffers, exported = [], []
    for i, (name, demo) in enumerate(demos):
        buf, won, steps = episode_of(env, i, actions_of_inputs(demo.inputs, e.lr_rule), len(buffers))
        if not won and not e.include_unsuccessful:
            skipped.append((name, "not won in the simulator"))
            continue
        buffers.append(buf)
        exported.append(name)
    if not buffers:
        raise DatasetError(f"{e.replay_dir}: no replay qualified for export (all unreadable or not won)")
    try:
        # the spec rebuilds the env over these maps (dataset.recover_environment()); level_names are the replays
        spec = env_spec_for(maps, names, **env_kwargs)
        ds = minari.create_dataset_from_buffers(
            str(e.dataset_id), buffers, env=spec, action_space=env.action_space,
            observation_space=env.observation_space, algorithm_name="recorded demonstrations (compact replays)",
            description=f"N++ demonstrations regenerated from {len(buffers)} replays by imitation-pipeline "
                        f"(modalities: {', '.join(modalities)})",
            data_format="arrow",
        )
    except ValueError as err:  # e.g. malformed id or an existing dataset of that id
        raise UserFacingError(f"export.dataset_id={e.dataset_id}: {err}") from err
    for name, why in skipped:
        log.info(f"  left out {name}: {why[:160]}")
    log.info(f"export: {ds.total_episodes} episodes, {ds.total_steps} steps -> {out_dir / str(e.dataset_id)} "
          f"(load with MINARI_DATASETS_PATH={out_dir} minari.load_dataset('{e.dataset_id}'))")
    return {"dataset_id": str(e.dataset_id), "path": str(out_dir), "episodes": int(ds.total_episodes),
            "steps": int(ds.total_steps), "exported": exported, "skipped": [n for n, _ in skipped]}
