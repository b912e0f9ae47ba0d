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


class Replay:
    """The actor of the export: each group's (replay's) recorded actions, in order."""

    def __init__(self, actions: list[np.ndarray]):
        self.actions = actions

    def __call__(self, observation, groups, steps) -> np.ndarray:
        return np.array([self.actions[g][t] for g, t in zip(groups, steps, strict=True)])


def replay_episodes(env, actions: list[np.ndarray]) -> list:
    """Each replay's recorded actions played on ``env`` (replay ``i`` = ``level_index`` ``i``) through the one
    rollout loop, stopping at the first termination or truncation; the :class:`Played` episodes keep their
    trajectories (T+1 observations)."""
    from imitation_pipeline.evaluation.runner import Episode, play

    groups = [[Episode(str(i), options={"level_index": i}, max_steps=len(a))] for i, a in enumerate(actions)]
    return [p for (p,) in play(Replay(actions), env, groups, record=True)]


def episode_buffer(played, episode_id: int):
    """The Minari ``EpisodeBuffer`` of one replayed episode."""
    from minari.data_collector import EpisodeBuffer

    t, level_index = played.trajectory, int(played.episode.options["level_index"])
    n = played.length
    stacked = {k: np.stack([f[k] for f in t["observations"]]) for k in t["observations"][0]}
    # which level (= replay) the episode plays: the env spec's level_names[level_index] names the replay file
    return EpisodeBuffer(id=episode_id, seed=episode_id, options={"level_index": level_index},
                         observations=stacked, actions=np.asarray(t["actions"], np.int64), rewards=t["rewards"],
                         terminations=t["terminations"], truncations=t["truncations"],
                         infos={"level_index": np.full((n + 1, 1), level_index, np.int64)})  # (1,): arrow needs a shape


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
    episodes = replay_episodes(env, [actions_of_inputs(demo.inputs, e.lr_rule) for _, demo in demos])
    for (name, _), played in zip(demos, episodes, strict=True):
        if not played.info.get("is_success") and not e.include_unsuccessful:
            skipped.append((name, "not won in the simulator"))
            continue
        buffers.append(episode_buffer(played, len(buffers)))
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
