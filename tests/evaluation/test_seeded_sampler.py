"""Sampled evaluation actions depend on (seed, level) only, never on which levels share a batch."""

from __future__ import annotations

import numpy as np
import torch

from imitation_pipeline.evaluation.runner import LevelSeededSampler, tempered


class _FixedPolicy:
    """Stands in for an SB3 policy: the same action distribution for every observation row."""

    def __init__(self, probs):
        self.probs = torch.tensor(probs, dtype=torch.float32)

    def obs_to_tensor(self, observation):
        return torch.as_tensor(observation), True

    def get_distribution(self, obs):
        dist = torch.distributions.Categorical(probs=self.probs.expand(len(obs), -1))
        return type("D", (), {"distribution": dist})()

    def predict(self, observation, state=None, episode_start=None, deterministic=False):
        return np.full(len(observation), int(self.probs.argmax())), state


def _actions(levels, steps=50, seed=7):
    sampler = LevelSeededSampler(_FixedPolicy([0.1, 0.2, 0.3, 0.4]), levels, seed)
    return np.stack([sampler.predict(np.zeros((len(levels), 1)))[0] for _ in range(steps)], axis=1)


def test_a_levels_actions_do_not_depend_on_its_batch() -> None:
    together = _actions([3, 5, 9])
    assert np.array_equal(together[1], _actions([5])[0])
    assert np.array_equal(together[2], _actions([9, 3])[0])
    assert not np.array_equal(together[0], together[1])  # levels draw different streams
    assert not np.array_equal(_actions([3], seed=8)[0], together[0])  # and the seed matters


def test_samples_follow_the_policy_and_argmax_is_the_mode() -> None:
    draws = _actions(list(range(40)), steps=100).ravel()
    freq = np.bincount(draws, minlength=4) / draws.size
    assert np.allclose(freq, [0.1, 0.2, 0.3, 0.4], atol=0.03)
    sampler = LevelSeededSampler(_FixedPolicy([0.1, 0.2, 0.3, 0.4]), [0, 1], 0)
    assert sampler.predict(np.zeros((2, 1)), deterministic=True)[0].tolist() == [3, 3]


def test_temperature_sharpens_towards_argmax_and_one_is_the_policy() -> None:
    probs = np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]])
    assert np.allclose(tempered(probs, 1.0), probs)
    half = tempered(probs, 0.5)  # p^2, renormalised
    assert np.allclose(half[0], np.array([1, 4, 9, 16]) / 30)
    assert np.allclose(half.sum(axis=1), 1) and (half[:, 0] > 0).all()
    assert np.allclose(tempered(probs, 1e-4)[0], [0, 0, 0, 1])  # no underflow to NaN at a tiny T
    assert np.allclose(tempered(probs, 1e4)[0], 0.25, atol=1e-3)  # a huge T is uniform
    sampler = LevelSeededSampler(_FixedPolicy([0.1, 0.2, 0.3, 0.4]), list(range(40)), 0, temperature=0.5)
    draws = np.stack([sampler.predict(np.zeros((40, 1)))[0] for _ in range(100)]).ravel()
    assert np.allclose(np.bincount(draws, minlength=4) / draws.size, np.array([1, 4, 9, 16]) / 30, atol=0.03)


def test_a_temperature_must_be_positive() -> None:
    import pytest

    with pytest.raises(ValueError, match="temperature must be > 0"):
        LevelSeededSampler(_FixedPolicy([0.5, 0.5]), [0], 0, temperature=0.0)
