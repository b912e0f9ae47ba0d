"""ReplayBuffer: next_obs with optimize_memory across episode ends and ring wrap-around; seeding."""

from __future__ import annotations

import numpy as np
import pytest

from imitation_pipeline.data.replay_buffer import ReplayBuffer


def _episodes(lengths, ends, seed=0):
    """Transitions (obs, next_obs, action, reward, terminated, truncated); obs are unique counters."""
    counter = 0
    out = []
    for length, end in zip(lengths, ends, strict=False):
        frames = np.arange(counter, counter + length + 1)
        counter += length + 1
        for t in range(length):
            last = t == length - 1
            out.append(
                (
                    frames[t],
                    frames[t + 1],
                    t % 10,
                    float(frames[t]),
                    last and end == "term",
                    last and end == "trunc",
                )
            )
    return out


def _obs(v):
    return np.full((2, 3), v % 256, dtype=np.uint8) + np.array(
        [[0, 1, 2], [v // 256 % 256, 0, 0]], dtype=np.uint8
    )


@pytest.mark.parametrize("size", [7, 16, 64])
def test_optimize_memory_matches_plain_buffer(size):
    transitions = _episodes([5, 1, 8, 3, 6, 2], ["term", "trunc", "term", "trunc", "term", "none"])
    plain = ReplayBuffer(size, (2, 3), optimize_memory=False)
    opt = ReplayBuffer(size, (2, 3), optimize_memory=True)
    for k, (o, n, a, r, term, trunc) in enumerate(transitions):
        for buf in (plain, opt):
            buf.add(_obs(o), _obs(n), a, r, term, trunc)
        # after every add, every stored transition gives the same batch in both buffers
        idx = np.arange(len(plain))
        bp, bo = plain.get(idx), opt.get(idx)
        assert np.array_equal(bp.observations, bo.observations)
        assert np.array_equal(bp.next_observations, bo.next_observations), f"after add {k}"
        assert np.array_equal(bp.dones, bo.dones) and np.array_equal(bp.rewards, bo.rewards)
    # the stored transitions are the latest `size` ones, with their true next observations
    kept = transitions[-min(size, len(transitions)) :]
    batch = opt.get(np.arange(len(opt)))
    by_obs = {int(o): int(n) for o, n, *_ in kept}
    for nxt, r in zip(batch.next_observations, batch.rewards, strict=True):
        assert np.array_equal(nxt, _obs(by_obs[int(r)]))
    assert opt.nbytes < plain.nbytes or size < 8


def test_dones_are_terminations_only():
    buf = ReplayBuffer(8, (2, 3), optimize_memory=True)
    for o, n, a, r, term, trunc in _episodes([2, 2], ["trunc", "term"]):
        buf.add(_obs(o), _obs(n), a, r, term, trunc)
    assert buf.get(np.arange(4)).dones.tolist() == [0.0, 0.0, 0.0, 1.0]


def test_chain_violation_is_an_error():
    buf = ReplayBuffer(8, (2, 3), optimize_memory=True)
    buf.add(_obs(0), _obs(1), 0, 0.0, False)
    with pytest.raises(ValueError, match="chained"):
        buf.add(_obs(5), _obs(6), 0, 0.0, False)


def test_sampling_is_seeded_and_add_episode():
    def filled(seed):
        buf = ReplayBuffer(50, (2, 3), optimize_memory=True, seed=seed)
        obs = np.stack([_obs(v) for v in range(10)])
        buf.add_episode(
            obs[:9], np.arange(9) % 10, np.ones(9), np.arange(9) == 8, final_observation=obs[9]
        )
        return buf

    a, b = filled(3).sample(32), filled(3).sample(32)
    assert np.array_equal(a.indices, b.indices) and np.array_equal(
        a.next_observations, b.next_observations
    )
    assert not np.array_equal(a.indices, filled(4).sample(32).indices)
    full = filled(0).get(np.arange(9))
    assert np.array_equal(full.next_observations[-1], _obs(9)) and full.dones[-1] == 1.0
    t = a.to_torch()
    assert tuple(t.observations.shape) == (32, 2, 3)
    with pytest.raises(ValueError, match='cannot sample from an empty replay buffer'):
        ReplayBuffer(4, (2, 3)).sample(1)
