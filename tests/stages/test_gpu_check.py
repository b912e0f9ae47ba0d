"""benchmarks.gpu_check without a GPU: the one-line exit, utilisation parsing and windowing, the
report lines, and the in-process BC run it measures (on the CPU here)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # benchmarks/ is a top-level folder of the repository, not an installed package
    sys.path.insert(0, str(REPO))
from benchmarks import gpu_check as g  # noqa: E402


def test_without_cuda_one_line_and_status_2(monkeypatch, capsys) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert g.main([]) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("gpu-check: no CUDA device visible to torch")


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="a CUDA machine runs the real check")
def test_make_target_prints_the_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.gpu_check"], capture_output=True, text=True, cwd=REPO,
                          timeout=300)
    assert proc.returncode == 2 and proc.stdout.count("\n") == 1 and "nothing to measure" in proc.stdout


def test_options() -> None:
    args = g.parse(["--archs", "hgt,impala_cnn", "--epochs", "2", "--", "trainer.channels_last=true"])
    assert args.archs == ["hgt", "impala_cnn"] and args.epochs == 2 and args.overrides == ["trainer.channels_last=true"]
    with pytest.raises(SystemExit):
        g.parse(["--archs", "resnet"])


def test_parse_nvidia_smi() -> None:
    assert g.parse_smi("87\n") == 87.0
    assert g.parse_smi("87 %, 1024 MiB\n") == 87.0
    assert g.parse_smi("[N/A]\n42\n") == 42.0
    assert g.parse_smi("") is None and g.parse_smi("No devices were found") is None


def test_nvidia_smi_reader_runs_the_tool(tmp_path, monkeypatch) -> None:
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 63\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    read = g.smi_reader(0)
    assert read is not None and read() == 63.0
    monkeypatch.setitem(sys.modules, "pynvml", None)  # no bindings: nvidia-smi it is
    assert g.utilisation_reader()[0] == "nvidia-smi"
    monkeypatch.setattr(g.shutil, "which", lambda name: None)
    assert g.utilisation_reader() == ("none", None)


def test_sampler_and_windows() -> None:
    values = iter([10.0, None, 90.0, 95.0] + [50.0] * 1000)
    with g.UtilSampler(lambda: next(values), interval=0.001) as sampler:
        while len(sampler.samples) < 4:
            time.sleep(0.001)
    assert [v for _, v in sampler.samples[:3]] == [10.0, 90.0, 95.0]  # None (no reading) skipped
    samples = [(0.5, 10.0), (1.5, 90.0), (2.5, 70.0), (3.5, 100.0), (9.0, 0.0)]
    assert g.mean_in_windows(samples, [(1.0, 3.0)]) == 80.0
    assert g.mean_in_windows(samples, [(1.0, 2.0), (3.0, 4.0)]) == 95.0
    assert g.mean_in_windows(samples, [(5.0, 6.0)]) is None
    windows, sps = g.steady([(0.0, 5.0), (5.0, 6.0), (6.0, 7.0)], [100, 1000, 3000])
    assert windows == [(5.0, 6.0), (6.0, 7.0)] and sps == 2000.0  # the warm-up epoch left out
    assert g.steady([(0.0, 2.0)], [100]) == ([(0.0, 2.0)], 50.0)


def test_epoch_probe_windows_exclude_validation() -> None:
    import torch

    probe = g.epoch_probe()
    t = SimpleNamespace(sanity_checking=True)
    probe.on_validation_start(t, None)  # the sanity check before training: no window
    t.sanity_checking = False
    for _ in range(2):
        probe.on_train_epoch_start(t, None)
        for _ in range(3):
            probe.on_train_batch_end(t, None, None, {"actions": torch.zeros(8)}, 0)
        probe.on_validation_start(t, None)
        probe.on_train_epoch_end(t, None)  # already closed at validation
    assert probe.samples == [24, 24] and len(probe.windows) == 2
    assert all(b >= a for a, b in probe.windows)


def test_report_lines() -> None:
    gpu = {"samples_per_s": 50_000.0, "summary": {"batch_size": 1024, "time_split": {"optimizer_share": 0.9}}}
    line = g.bc_line("impala_cnn", gpu, cpu_sps=1000.0, util=85.0)
    assert "x50.0 vs CPU [ok]" in line and "GPU util 85% [ok]" in line and "optimizer 90% of the stage" in line
    line = g.bc_line("hgt", {**gpu, "samples_per_s": 10_000.0}, cpu_sps=1000.0, util=60.0)
    assert "x10.0 vs CPU [BELOW GOAL]" in line and "GPU util 60% [BELOW GOAL]" in line
    assert "[no goal]" in g.bc_line("simple_cnn", gpu, None, 30.0) and "no CPU reference" in g.bc_line("hgt", gpu, None, None)
    assert g.ppo_line(900.0, 1000.0).endswith("ratio 0.90 [BELOW GOAL]")
    assert g.ppo_line(1500.0, 1000.0).endswith("ratio 1.50 [ok]")


def test_bc_run_in_process_on_the_cpu(tmp_path, monkeypatch) -> None:
    """The measured path (compose, stage=bc with the probe, steady samples/s) with trainer=cpu."""
    monkeypatch.setenv("IMITATION_PIPELINE_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(REPO)
    args = g.parse(["--max-replays", "6"])
    overrides = [*g.bc_overrides("simple_cnn", "cpu", str(tmp_path / "run"), args), "bc.batch_size=16",
                 "generate.workers=1", "trainer.max_epochs=2", "trainer.limit_train_batches=2",
                 "trainer.limit_val_batches=1"]
    out = g.run_bc(overrides)
    assert out["summary"]["global_step"] == 4 and len(out["windows"]) == 1 and out["samples_per_s"] > 0
    assert out["summary"]["time_split"]["optimizer"] > 0


def test_ppo_steps_per_second_on_the_cpu() -> None:
    sps = g.ppo_steps_per_second("cpu", 64, ["ppo.n_envs=1", "ppo.n_steps=32", "ppo.batch_size=32", "ppo.n_epochs=1"])
    assert sps > 0


def test_fresh_process_runs_the_function_in_another_interpreter() -> None:
    # PPO is timed in a spawned process: after the BC runs in the same process it ran at half speed (H200)
    pid, value = g.fresh_process(_pid_and_square, 7)
    assert pid != os.getpid() and value == 49


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x
