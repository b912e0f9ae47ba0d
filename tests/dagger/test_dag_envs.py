"""Tasks: Pokemon frames in the policy's format (same preprocessing as pokemon_npz), the milestone
ablation's game_state, and evaluation records."""

from __future__ import annotations

import numpy as np
from omegaconf import OmegaConf

from imitation_pipeline.dagger.envs import make_task
from imitation_pipeline.dagger.experts import ScriptedStandInExpert
from imitation_pipeline.data.pokemon_frames import pokemon_obs_key
from imitation_pipeline.data.pokemon_npz import preprocess_frames


def _cfg(**env) -> OmegaConf:
    base = {"name": "pokemon_standin", "id": "PokemonStandIn-v0", "rows": 12, "cols": 16, "max_steps": 400,
            "step_reward": 0.0, "image_size": 84, "grayscale": False, "eval_episodes": 2, "eval_seed": 7,
            "eval_max_steps": 60, "observe_milestones": False}
    return OmegaConf.create({"env": {**base, **env}, "dagger": {"world_seed": 3, "num_worlds": 2}})


def test_obs_key_follows_the_arch_modalities() -> None:
    assert pokemon_obs_key(["player_frame", "game_state"]) == "player_frame"
    assert pokemon_obs_key(["image"]) == "image"


def test_standin_task_frames_episodes_and_milestone_state() -> None:
    task = make_task(_cfg(observe_milestones=True), ["player_frame", "game_state"])
    assert [task.train_episode(k).seed for k in range(4)] == [3, 4, 3, 4]  # a pool of 2 worlds
    assert [ep.seed for ep in task.eval_episodes] == [7, 8]
    env = task.make_env()
    obs, info = env.reset(seed=7)
    assert task.observation_space.contains(obs)
    assert np.array_equal(obs["player_frame"], preprocess_frames(env.raw_observation[None])[0])
    assert obs["game_state"].tolist() == [0.0, 0.0]
    expert = ScriptedStandInExpert()
    expert.reset(env.raw_observation, info, env)
    terminated = False
    for _ in range(200):
        obs, _, terminated, _, info = env.step(expert.act(env.raw_observation, info, env))
        if "talk_professor" in info["milestones"] and "pick_item" not in info["milestones"]:
            assert obs["game_state"].tolist() == [1.0, 0.0]
        if terminated:
            break
    assert terminated and task.success(info, terminated) and task.milestones(info) == 3
    assert obs["game_state"].tolist() == [1.0, 1.0]
    env.close()


def test_evaluate_records_and_action_noise() -> None:
    from imitation_pipeline.dagger.envs import evaluate

    class Stay:  # presses B forever: never reaches a milestone
        training = False

        def set_training_mode(self, mode: bool) -> None:
            self.training = mode

        def predict(self, obs, deterministic=True):
            return 1, None

    task = make_task(_cfg(eval_max_steps=15), ["player_frame"])
    calm = evaluate(Stay(), task)
    assert [r["length"] for r in calm["episodes"]] == [15, 15] and calm["milestones"] == 0.0
    assert calm["success_rate"] == 0.0 and calm["return"] == 0.0
    import gymnasium as gym

    class Record(gym.Wrapper):
        actions: list = []

        def step(self, action):
            self.actions.append(int(action))
            return self.env.step(action)

    runs = []
    for seed in (0, 0, 1):
        env = Record(task.make_env())
        env.actions = []
        evaluate(Stay(), task, env=env, action_noise=0.5, noise_seed=seed)
        runs.append(env.actions)
        env.close()
    assert runs[0] == runs[1] and runs[0] != runs[2]  # seeded
    assert 0.2 < np.mean([a != 1 for a in runs[0]]) < 0.6  # about half replaced (a random button may be B too)


def test_standin_task_passes_show_progress_and_old_configs_replay_panel_less() -> None:
    from pokemon_env.render import PROGRESS_BOX

    y1, x1 = PROGRESS_BOX[2], PROGRESS_BOX[3]
    frames = {}
    for label, cfg in (("on", _cfg(show_progress=True)), ("off", _cfg(show_progress=False)), ("old", _cfg())):
        env = make_task(cfg, ["player_frame"]).make_env()
        env.reset(seed=7)
        frames[label] = env.raw_observation[:y1, :x1].copy()
        env.close()
    assert not np.array_equal(frames["on"], frames["off"])
    assert np.array_equal(frames["old"], frames["off"])  # a run config written before the panel existed


def test_sampled_evaluation_is_seeded_per_episode_whatever_the_batch() -> None:
    """evaluate runs on the one rollout loop: episode k samples from its own generator (seed, k), so its
    records do not depend on batch_envs or on a shared env; the seed matters."""
    import torch
    from gymnasium import spaces
    from omegaconf import OmegaConf

    from imitation_pipeline.configs.arch import SimpleCNNConfig
    from imitation_pipeline.dagger.envs import evaluate
    from imitation_pipeline.policies import build_policy

    arch = OmegaConf.to_container(OmegaConf.structured(SimpleCNNConfig(name="simple_cnn", modalities=["image"])))
    task = make_task(_cfg(eval_episodes=3, eval_max_steps=25), ["image"])
    torch.manual_seed(0)
    policy = build_policy(arch, task.observation_space, spaces.Discrete(10))

    import gymnasium as gym

    def actions(**kw) -> dict:
        class Record(gym.Wrapper):  # each episode's actions, by its world seed
            def reset(self, **reset_kw):
                self.seed = reset_kw["seed"]
                taken[self.seed] = []
                return self.env.reset(**reset_kw)

            def step(self, action):
                taken[self.seed].append(int(action))
                return self.env.step(action)

        taken: dict[int, list[int]] = {}
        if kw.pop("shared", False):
            env = Record(task.make_env())
            evaluate(policy, task, env=env, deterministic=False, **kw)
            env.close()
        else:
            make = task.make_env
            task.make_env = lambda: Record(make())
            try:
                evaluate(policy, task, deterministic=False, **kw)
            finally:
                task.make_env = make
        return taken

    one = actions(shared=True, seed=1)
    assert sorted(one) == [7, 8, 9] and all(len(a) == 25 for a in one.values())
    assert actions(seed=1, batch_envs=3) == one == actions(seed=1, batch_envs=2)
    assert actions(shared=True, seed=2) != one
