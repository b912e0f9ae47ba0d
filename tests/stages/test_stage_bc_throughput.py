"""Where stage=bc spends its time (time_split), batched rollouts, their spacing, per-rank batches,
data placement, the GPU preset's batch / lr scaling, and DDP on the CPU (gloo)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from app_support import DEMOS, compose, run_cli
from omegaconf import OmegaConf

from imitation_pipeline.data.array_datamodule import BatchSampler, data_device
from imitation_pipeline.training.callbacks import RolloutEvaluation
from imitation_pipeline.training.timing import TimeSplit, format_split
from imitation_pipeline.training.trainer import torch_threads as trainer_threads

ROLLOUTS = ["stage=bc", "arch=simple_cnn", f"dataset.path={DEMOS}"]  # debug=tiny: 3 batches, 1+1 rollout levels


class Clock:
    def __init__(self, t: float = 100.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_time_split_parts_are_exclusive_and_add_up() -> None:
    clock = Clock()
    split = TimeSplit(clock)
    split.begin()
    with split.section("data"):
        clock.t += 2
    split.start("validation")
    clock.t += 1
    with split.section("rollouts"):  # inside validation: counted once, as rollouts
        clock.t += 5
        with split.section("checkpointing"):
            clock.t += 0.5
    clock.t += 1
    split.stop("validation")
    split.stop("validation")  # a closing hook without its opening one: nothing happens
    split.start("optimizer")
    clock.t += 10
    split.stop("optimizer")
    clock.t += 0.5  # claimed by no part: other
    split.end()
    out = split.split()
    assert out["data"] == 2 and out["validation"] == 2 and out["rollouts"] == 5 and out["checkpointing"] == 0.5
    assert out["optimizer"] == 10 and out["other"] == 0.5 and out["total"] == 20
    assert out["optimizer_share"] == 0.5
    line = format_split(out)
    assert line.startswith("time_split (s): optimizer 10.0 (50%), rollouts 5.0 (25%)") and line.endswith("total 20.0")


def test_time_split_follows_lightning_hooks() -> None:
    clock = Clock()
    split = TimeSplit(clock)
    split.begin()
    split.on_train_epoch_start(None, None)
    clock.t += 1  # fetching the first batch
    for _ in range(3):
        split.on_train_batch_start(None, None, None, 0)
        clock.t += 4
        split.on_train_batch_end(None, None, None, None, 0)
        clock.t += 1
    split.on_validation_start(None, None)
    clock.t += 2
    split.on_validation_end(None, None)
    split.on_train_epoch_end(None, None)
    split.end()
    out = split.split()
    assert out["optimizer"] == 12 and out["batches"] == 4 and out["validation"] == 2 and out["other"] == 0


def test_rollout_spacing() -> None:
    cb = RolloutEvaluation(None, ["m"], ["a"], every_n_epochs=1, max_share=0.2)
    assert cb.spacing is None
    assert cb.choose_spacing(rollout_s=1.0, epoch_s=10.0) == 1  # 1 s of 11: under 20 %
    assert cb.choose_spacing(rollout_s=10.0, epoch_s=10.0) == 4  # 10 / (10 + 4 x 10) = 20 %
    assert cb.choose_spacing(rollout_s=10.0, epoch_s=0.5) == 80
    assert RolloutEvaluation(None, ["m"], ["a"], max_share=0.0).spacing == 1  # never spaced out

    def trainer(epoch: int, max_epochs: int = 10):
        return SimpleNamespace(sanity_checking=False, current_epoch=epoch, max_epochs=max_epochs)

    cb.spacing = 4
    assert [e + 1 for e in range(10) if cb.due(trainer(e))] == [4, 8, 10]  # the last epoch always
    cb.spacing = 1
    assert [e + 1 for e in range(3) if cb.due(trainer(e))] == [1, 2, 3]
    three = RolloutEvaluation(None, ["m"], ["a"], every_n_epochs=3)
    assert [e + 1 for e in range(10) if three.due(trainer(e))] == [3, 6, 9]  # as configured: no extra round


def test_rollouts_play_every_level_together_like_one_at_a_time() -> None:
    """The batched rollout (play_levels, one policy call per step) gives each level the episode a
    level-by-level loop gives it (argmax on both sides; the callback samples by default)."""
    import torch
    from gymnasium import spaces
    from npp_sim.levelgen import generate_level
    from npp_sim.observation_spec import observation_space

    from imitation_pipeline.configs.arch import SimpleCNNConfig
    from imitation_pipeline.policies import build_policy
    from imitation_pipeline.training.bc_data import rollout_spec

    arch = OmegaConf.to_container(OmegaConf.structured(SimpleCNNConfig(name="simple_cnn")))
    cfg = OmegaConf.create({"env": {"frame_skip": 4, "max_frames": 20000,
                                    "reward": {"win": 1.0, "death": -0.5, "switch": 0.1, "time_penalty": 0.0}},
                            "arch": arch})
    torch.manual_seed(0)
    policy = build_policy(arch, observation_space(arch["modalities"]), spaces.Discrete(6))
    levels = [generate_level(c, s).map_data for c, s in (("very_simple", 100000000), ("simple", 101000001),
                                                          ("mine_heavy", 104000002))]
    spec = rollout_spec(cfg, arch["modalities"], 120)
    cb = RolloutEvaluation(spec, levels[:2], ["a", "b"], train_levels=levels[2:], train_names=["c"], deterministic=True)
    state = torch.random.get_rng_state()
    out = cb.evaluate(policy)
    assert torch.equal(torch.random.get_rng_state(), state)  # training's RNG untouched

    from dataclasses import replace

    def one(i: int) -> tuple[bool, float, int]:
        env = replace(spec, maps=[levels[i]], names=["x"])()
        obs, _ = env.reset(seed=0, options={"level_index": 0})
        total, steps, done, info = 0.0, 0, False, {}
        while not done:
            action, _ = policy.predict(obs, deterministic=True)
            obs, r, term, trunc, info = env.step(int(action))
            total, steps, done = total + r, steps + 1, term or trunc
        return bool(info.get("is_success")), total, steps

    ref = [one(i) for i in range(3)]
    # the episodes differ (a win, a time-out, a death with this seed), so agreement is not all-timeouts by chance
    assert len({r[2] for r in ref}) == 3 and any(r[0] for r in ref[:2])
    assert out["rollout/success_rate"] == pytest.approx(np.mean([r[0] for r in ref[:2]]))
    assert out["rollout/return"] == pytest.approx(np.mean([r[1] for r in ref[:2]]))
    assert out["rollout/length"] == pytest.approx(np.mean([r[2] for r in ref[:2]]))
    assert out["rollout/train_success_rate"] == float(ref[2][0])


@pytest.mark.parametrize(("n", "batch", "world"), [(100, 16, 1), (100, 16, 2), (100, 16, 3), (10, 16, 2), (96, 16, 4)])
def test_batch_sampler_gives_each_rank_an_equal_share(n: int, batch: int, world: int) -> None:
    single = [tuple(b) for b in BatchSampler(n, batch, True, 7)]
    ranks = [BatchSampler(n, batch, True, 7, rank=r, world=world) for r in range(world)]
    shares = [[tuple(b) for b in s] for s in ranks]
    assert len({len(s) for s in shares}) == 1 and all(len(s) == len(ranks[0]) for s in shares)
    assert len(ranks[0]) == -(-len(single) // world)
    assert {b for s in shares for b in s} == set(single)  # every batch of the epoch, padding repeats some


def test_data_device_rules() -> None:
    import torch

    cuda, cpu = torch.device("cuda", 0), torch.device("cpu")
    assert data_device(None, "auto", 10) is None and data_device(cpu, "always", 10) is None
    assert data_device(cuda, "auto", 10, free_bytes=100) == cuda
    assert data_device(cuda, "auto", 60, free_bytes=100) is None  # more than half the free memory
    assert data_device(cuda, "never", 10, free_bytes=100) is None
    assert data_device(cuda, "always", 10**12, free_bytes=100) == cuda
    assert data_device(torch.device("mps"), "auto", 10, free_bytes=100) is None
    with pytest.raises(ValueError, match="data_on_device must be auto, always or never, got 'sometimes'"):
        data_device(cuda, "sometimes", 1)


def test_gpu_preset_scales_batch_and_lr() -> None:
    from imitation_pipeline.training.trainer import scaled_batch_and_lr, trainer_devices

    def cfg(**trainer):
        return OmegaConf.create({"bc": {"batch_size": 256, "lr": 3e-4}, "trainer": trainer})

    assert scaled_batch_and_lr(cfg()) == (256, 3e-4)
    assert scaled_batch_and_lr(cfg(batch_scale=4)) == (1024, pytest.approx(6e-4))
    assert scaled_batch_and_lr(cfg(batch_scale=4, lr_scaling="linear")) == (1024, pytest.approx(1.2e-3))
    assert scaled_batch_and_lr(cfg(batch_scale=4, lr_scaling="none")) == (1024, 3e-4)
    assert trainer_devices(OmegaConf.create({"accelerator": "cpu", "devices": -1})) == 1
    assert trainer_devices(OmegaConf.create({"accelerator": "gpu", "devices": -1})) == -1

    gpu = compose("stage=bc", "trainer=gpu", validate=False)
    assert scaled_batch_and_lr(gpu) == (1024, pytest.approx(2e-3))  # the default bc.lr 1e-3 x sqrt(4)


def test_torch_threads_default_to_the_usable_cores_shared_by_cpu_ranks(monkeypatch) -> None:
    """trainer.torch_threads=0 uses every core the process may run on (OMP_NUM_THREADS=1, which the
    Makefile and CI export for worker processes, must not hold BC to one thread); CPU DDP ranks share them."""
    from imitation_pipeline.training import trainer as tr

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setattr(tr, "usable_cores", lambda: 8)

    def threads(**t):
        return tr.torch_threads(OmegaConf.create({"accelerator": "cpu", "devices": 1, **t}))

    assert threads() == 8 and threads(torch_threads=0) == 8 and threads(torch_threads=3) == 3
    assert threads(devices=2) == 4 and threads(devices=3) == 2 and threads(devices=16) == 1
    assert threads(devices=-1) == 8  # -1 on the CPU is one process
    assert threads(accelerator="gpu", devices=4) == 8  # the GPU ranks' host threads are not split


def test_usable_cores_follow_the_affinity_mask(monkeypatch) -> None:
    """A process pinned to 2 of 16 cores gets 2 threads; without an affinity call, the core count."""
    from imitation_pipeline.training import trainer as tr

    monkeypatch.setattr(tr.os, "cpu_count", lambda: 16)
    monkeypatch.setattr(tr.os, "sched_getaffinity", lambda pid: {0, 5}, raising=False)
    assert tr.usable_cores() == 2
    monkeypatch.delattr(tr.os, "sched_getaffinity")
    assert tr.usable_cores() == 16
    monkeypatch.setattr(tr.os, "cpu_count", lambda: None)  # unknown: one
    assert tr.usable_cores() == 1


def _run(args: list[str], cwd) -> subprocess.CompletedProcess:
    return run_cli([*args, "debug=tiny"], cwd)


def test_gpu_trainer_without_cuda_is_a_user_error(cfg) -> None:
    import torch

    from imitation_pipeline.errors import user_error_types
    from imitation_pipeline.stages import bc

    if torch.cuda.is_available():
        pytest.skip("CUDA is visible")
    with pytest.raises(user_error_types(), match=r"^trainer.accelerator=gpu, but torch .* sees no CUDA device"):
        bc.run(cfg(*ROLLOUTS, "trainer=gpu"))  # the CLI prints it as one line, exit 2


def test_summary_has_time_split_and_last_checkpoint_follows_every_epoch(cfg, tmp_path, caplog) -> None:
    """monitor=rollout/success_rate stays 0 on a tiny budget: best.ckpt is epoch 1's, last.ckpt must
    still be the final epoch's (resume continues from there)."""
    import torch

    from imitation_pipeline.stages import bc

    run = tmp_path / "run"
    with caplog.at_level(logging.INFO, logger="imitation_pipeline"):
        s = bc.run(cfg(*ROLLOUTS, "trainer.max_epochs=2", "bc.monitor=rollout/success_rate", f"run_dir={run}"))
    assert s == json.loads((run / "bc_summary.json").read_text())
    split = s["time_split"]
    parts = ("data", "optimizer", "batches", "validation", "rollouts", "checkpointing", "other")
    assert all(split[k] >= 0 for k in parts) and split["optimizer"] > 0 and split["rollouts"] > 0
    assert sum(split[k] for k in parts) == pytest.approx(split["total"], abs=0.01)
    assert 0 < split["optimizer_share"] < 1
    assert sum(m.startswith("time_split (s): ") for m in caplog.messages) == 1
    assert len(s["rollouts"]) == 2 and s["best_score"] == 0.0
    assert s["torch_threads"] == torch.get_num_threads() == trainer_threads(cfg(*ROLLOUTS).trainer)
    last = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["global_step"] == s["global_step"] == 6
    assert torch.load(run / "checkpoints" / "best.ckpt", weights_only=True)["global_step"] == 3
    pointer = json.loads((tmp_path / "cache" / "latest" / "bc-simple_cnn-seed0.json").read_text())
    assert pointer["last"] == str((run / "checkpoints" / "last.ckpt").resolve()) and pointer["global_step"] == 6


@pytest.fixture
def fresh_process_group():
    """Lightning's DDP leaves its process group and MASTER_ADDR/PORT behind: undone after the test."""
    import torch.distributed as dist

    saved = dict(os.environ)
    yield
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
    os.environ.clear()
    os.environ.update(saved)


def test_ddp_on_cpu_runs_end_to_end_and_resumes(cfg, tmp_path, fresh_process_group) -> None:
    """trainer=ddp with the CPU (gloo): devices -1 = one process; checkpoints, pointer, summary, resume."""
    from imitation_pipeline.stages import bc

    ddp = ["trainer=ddp", "trainer.accelerator=cpu", "trainer.precision=32-true", "trainer.batch_scale=1",
           "bc.checkpoint_pointer=ptr.json"]
    first, second = tmp_path / "first", tmp_path / "second"
    s = bc.run(cfg(*ROLLOUTS, *ddp, "trainer.max_epochs=1", f"run_dir={first}"))
    assert s["world_size"] == 1 and s["global_step"] == 3 and Path(s["last_checkpoint"]).is_file()
    assert s["rollouts"] and "rollout/success_rate" in s["metrics"]
    assert json.loads((tmp_path / "ptr.json").read_text())["last"] == str(Path(s["last_checkpoint"]).resolve())
    assert bc.run(cfg(*ROLLOUTS, *ddp, "trainer.max_epochs=2", "resume=true", f"run_dir={second}"))["global_step"] == 6
    assert json.loads((second / "bc_summary.json").read_text())["global_step"] == 6


@pytest.mark.slow
def test_ddp_two_cpu_processes_one_summary_no_repeated_lines(tmp_path) -> None:
    """Two gloo processes: each steps half the batches; rank 0 alone writes and prints."""
    run = tmp_path / "run"
    proc = _run([*ROLLOUTS, "trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2", "trainer.precision=32-true",
                 "trainer.batch_scale=1", "trainer.limit_train_batches=1.0", "trainer.max_epochs=2",
                 f"hydra.run.dir={run}"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    s = json.loads((run / "bc_summary.json").read_text())
    assert s["world_size"] == 2 and len(s["rollouts"]) == 2
    lines = proc.stdout.splitlines()
    assert sum(ln.startswith("time_split (s): ") for ln in lines) == 1
    assert sum(ln.startswith("bc: best ") for ln in lines) == 1
    assert list(run.glob("**/bc_summary.json")) == [run / "bc_summary.json"]
