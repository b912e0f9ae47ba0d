"""PPO's torch threads by phase (``ppo.update_threads``): the gradient updates use every usable core (or N),
the rollouts keep ``OMP_NUM_THREADS`` while the env workers step the envs; the summary records both."""

from __future__ import annotations

import pytest
import torch


def _record_threads(monkeypatch) -> dict[str, list[int]]:
    """Wraps RegularisedPPO.train (the update phase) and its per-step bookkeeping (the rollout phase)."""
    from imitation_pipeline.rl.ppo import RegularisedPPO

    seen: dict[str, list[int]] = {"update": [], "rollout": []}
    train, info = RegularisedPPO.train, RegularisedPPO._update_info_buffer

    def recorded_train(self):
        seen["update"].append(torch.get_num_threads())
        return train(self)

    def recorded_info(self, *args, **kwargs):
        seen["rollout"].append(torch.get_num_threads())
        return info(self, *args, **kwargs)

    monkeypatch.setattr(RegularisedPPO, "train", recorded_train)
    monkeypatch.setattr(RegularisedPPO, "_update_info_buffer", recorded_info)
    return seen


@pytest.mark.parametrize(("option", "cores", "update"), [("ppo.update_threads=3", 8, 3),
                                                          ("ppo.update_threads=0", 5, 5)])
def test_updates_use_the_cores_and_rollouts_one_thread(cfg, tmp_path, monkeypatch, option, cores, update) -> None:
    from imitation_pipeline.stages import baseline

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    seen = _record_threads(monkeypatch)
    before = torch.get_num_threads()
    try:
        summary = baseline.run(cfg("stage=baseline", "ppo.vec_env=dummy", option, f"run_dir={tmp_path / 'b'}"))
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    assert summary["torch_threads"] == {"rollout": 1, "update": update}
    assert seen["update"] and set(seen["update"]) == {update}  # 256 steps / (2 envs x 64): 2 updates
    assert seen["rollout"] and set(seen["rollout"]) == {1}
    assert after == 1  # the stage ends in the rollout setting (evaluation follows in the pipeline)
