"""The one rollout loop (``evaluation.runner.play``): groups on env slots, cuts, recorded trajectories, and
``play_levels`` on it giving every level the same episodes whatever the batch."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from imitation_pipeline.evaluation.runner import Episode, play


class Countdown(gym.Env):
    """Observes the steps left; terminates when none are (``options["length"]``), reward 1 per step."""

    observation_space = gym.spaces.Box(0, 100, (1,), np.float32)
    action_space = gym.spaces.Discrete(3)

    def __init__(self):
        self.closed, self.left = False, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.left = int((options or {}).get("length", 5))
        return np.array([self.left], np.float32), {"start": True}

    def step(self, action):
        self.left -= 1
        return np.array([self.left], np.float32), 1.0, self.left <= 0, False, {"action": int(action)}

    def close(self):
        self.closed = True


class Recorder:
    """An actor that answers each row's group and logs the (group, step) it was asked for."""

    def __init__(self):
        self.calls: list[list[tuple[int, int]]] = []

    def __call__(self, observation, groups, steps):
        assert observation.shape == (len(groups), 1) and observation.dtype == np.float32
        self.calls.append(list(zip(groups, steps, strict=True)))
        return np.array(groups) % 3


def _groups():
    return [[Episode("a0", options={"length": 3}), Episode("a1", options={"length": 2})],
            [Episode("b0", options={"length": 4})],
            [],
            [Episode("d0", options={"length": 9}, max_steps=5), Episode("d1", max_steps=0)]]


@pytest.mark.parametrize("batch_envs", [1, 2, 8])
def test_groups_play_in_order_with_their_cuts_whatever_the_batch(batch_envs: int) -> None:
    envs: list[Countdown] = []

    def make() -> Countdown:
        envs.append(Countdown())
        return envs[-1]

    actor = Recorder()
    out = play(actor, make, _groups(), batch_envs=batch_envs, max_steps=100)
    assert [[(p.episode.name, p.length, p.terminated) for p in g] for g in out] == [
        [("a0", 3, True), ("a1", 2, True)], [("b0", 4, True)], [], [("d0", 5, False), ("d1", 0, False)]]
    assert [p.ret for g in out for p in g] == [3.0, 2.0, 4.0, 5.0, 0.0]
    assert out[3][1].info == {"start": True}  # an episode of no steps ends at its reset
    assert len(envs) == min(batch_envs, 3) and all(e.closed for e in envs)  # one slot per running group, closed
    assert max(len(c) for c in actor.calls) == min(batch_envs, 3)
    asked = sorted(x for c in actor.calls for x in c)  # each group's steps asked once per episode step
    assert asked == sorted([(0, t) for t in range(3)] + [(0, t) for t in range(2)] + [(1, t) for t in range(4)]
                           + [(3, t) for t in range(5)])


def test_env_per_group_gives_each_group_its_own_env_closed_when_done() -> None:
    made: dict[int, Countdown] = {}

    def make(group: int) -> Countdown:
        made[group] = Countdown()
        return made[group]

    out = play(Recorder(), make, _groups(), batch_envs=2, max_steps=100, env_per_group=True)
    assert [[p.length for p in g] for g in out] == [[3, 2], [4], [], [5, 0]]
    assert sorted(made) == [0, 1, 3] and all(e.closed for e in made.values())  # no env for the empty group


def test_an_env_instance_is_the_one_slot_and_stays_open_and_trajectories_are_kept() -> None:
    env = Countdown()
    out = play(lambda obs, groups, steps: np.array([2] * len(groups)), env, _groups()[:2], batch_envs=8,
               max_steps=2, record=True)
    assert not env.closed
    first = out[0][0]
    assert first.length == 2 and not first.terminated  # cut by max_steps
    t = first.trajectory
    assert [float(o[0]) for o in t["observations"]] == [3.0, 2.0, 1.0]  # T + 1 observations
    assert t["actions"] == [2, 2] and t["rewards"] == [1.0, 1.0] and t["terminations"] == [False, False]


def test_play_levels_gives_each_level_the_same_sampled_episodes_in_any_batch() -> None:
    import torch
    from gymnasium import spaces
    from npp_sim.levelgen import generate_level
    from npp_sim.observation_spec import observation_space
    from omegaconf import OmegaConf

    from imitation_pipeline.configs.arch import SimpleCNNConfig
    from imitation_pipeline.evaluation.runner import play_levels
    from imitation_pipeline.policies import build_policy
    from imitation_pipeline.rl.envs import env_spec

    arch = OmegaConf.to_container(OmegaConf.structured(SimpleCNNConfig(name="simple_cnn")))
    cfg = OmegaConf.create({"env": {"frame_skip": 4, "max_frames": 20000,
                                    "reward": {"win": 1.0, "death": -0.5, "switch": 0.1, "time_penalty": -0.0001}},
                            "arch": arch})
    torch.manual_seed(5)
    policy = build_policy(arch, observation_space(arch["modalities"]), spaces.Discrete(6))
    pairs = [("very_simple", 100000000), ("simple", 101000001), ("mine_heavy", 104000002)]
    spec = env_spec(cfg, [generate_level(c, s).map_data for c, s in pairs], [f"{c}/{s}" for c, s in pairs], 800)
    cats = [c for c, _ in pairs]
    runs = [play_levels(policy, spec, cats, episodes=2, seed=3, batch_envs=b) for b in (1, 2, 3)]
    assert runs[0] == runs[1] == runs[2]
    assert [(r["level"], r["episode"]) for r in runs[0]] == [(n, e) for n in spec.names for e in (0, 1)]
    assert len({r["length"] for r in runs[0]}) > 1  # episodes that end early and ones cut at the limit
    assert play_levels(policy, spec, cats, episodes=2, seed=4, batch_envs=3) != runs[0]  # the seed matters
