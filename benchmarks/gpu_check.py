"""``make gpu-check`` / ``python -m benchmarks.gpu_check``: is the GPU kept busy?

For each architecture: ``stage=bc`` with ``trainer=gpu`` (the GPU preset: larger batches, AMP, data
on the device) for a few epochs on the built-in demos, sampling the GPU's utilisation (pynvml when
importable, else ``nvidia-smi``) while the training epochs run, and the same BC on the CPU with 2
threads as the reference (two epochs of a few batches, no validation; the first epoch is warm-up).
Then PPO env steps/s with ``ppo.device=cuda`` against ``ppo.device=cpu``, same envs and settings. Figures are ratios against references measured in the
same run; the goals printed next to them (issue 16):

* GPU utilisation during the BC training epochs (the first one, with its warm-up, left out) >= 80 %
  for impala_cnn and hgt;
* BC samples/s on the GPU >= 20 x the 2-thread CPU figure;
* PPO env steps/s with ``ppo.device=cuda`` >= with ``ppo.device=cpu``.

Without CUDA it prints one line and exits with status 2. Options: ``--archs a,b``, ``--epochs N``,
``--max-replays N`` (demos used; their shards are generated on first use), ``--cpu-batches N``,
``--ppo-steps N``, ``--no-cpu``, ``--no-ppo``, and any Hydra overrides after ``--`` (for the GPU runs,
e.g. ``-- trainer.channels_last=true trainer.precision=bf16-mixed``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path

ARCHS = ("simple_cnn", "impala_cnn", "hierarchical", "hgt")
UTIL_GOAL_ARCHS = ("impala_cnn", "hgt")
UTIL_GOAL, SPEEDUP_GOAL = 80.0, 20.0
CONF = Path(__file__).resolve().parents[1] / "conf"
NO_CUDA = "gpu-check: no CUDA device visible to torch {version} ({why}); nothing to measure on this machine"


# --- GPU utilisation sampling ------------------------------------------------------------------
def parse_smi(text: str) -> float | None:
    """The first number of ``nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits``."""
    for line in text.splitlines():
        field = line.split(",")[0].strip().rstrip("%").strip()
        try:
            return float(field)
        except ValueError:
            continue
    return None


def smi_reader(index: int = 0) -> Callable[[], float | None] | None:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    cmd = [exe, f"--id={index}", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"]

    def read() -> float | None:
        try:
            return parse_smi(subprocess.run(cmd, capture_output=True, text=True, timeout=5).stdout)
        except (OSError, subprocess.SubprocessError):
            return None

    return read


def nvml_reader(index: int = 0) -> Callable[[], float | None] | None:
    try:
        import pynvml

        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(index)
    except Exception:  # noqa: BLE001 - no bindings or no driver: fall back to nvidia-smi
        return None
    return lambda: float(pynvml.nvmlDeviceGetUtilizationRates(handle).gpu)


def utilisation_reader(index: int = 0) -> tuple[str, Callable[[], float | None] | None]:
    """(source, read) for the GPU's utilisation in %: pynvml, else nvidia-smi, else (none, None)."""
    for name, make in (("pynvml", nvml_reader), ("nvidia-smi", smi_reader)):
        read = make(index)
        if read is not None:
            return name, read
    return "none", None


class UtilSampler:
    """Reads the utilisation (%) every ``interval`` seconds on a thread: ``samples`` = [(time, %)]."""

    def __init__(self, read: Callable[[], float | None], interval: float = 0.2, clock=time.perf_counter):
        self.read, self.interval, self.clock = read, interval, clock
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            value = self.read()
            if value is not None:
                self.samples.append((self.clock(), value))
            self._stop.wait(self.interval)

    def __enter__(self) -> UtilSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def mean_in_windows(samples: Sequence[tuple[float, float]], windows: Sequence[tuple[float, float]]) -> float | None:
    """Mean of the samples taken inside any (start, end) window; None when none was."""
    inside = [v for t, v in samples if any(a <= t <= b for a, b in windows)]
    return sum(inside) / len(inside) if inside else None


# --- what a BC run did -------------------------------------------------------------------------
def epoch_probe():
    """A Lightning callback recording each training epoch's window (first step .. validation) and samples."""
    import lightning as L

    class EpochProbe(L.Callback):
        def __init__(self):
            self.windows: list[tuple[float, float]] = []
            self.samples: list[int] = []
            self._start: float | None = None

        def on_train_epoch_start(self, trainer, pl_module) -> None:
            self._start, self._n = time.perf_counter(), 0

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            self._n += len(batch["actions"])

        def _close(self) -> None:
            if self._start is not None:
                self.windows.append((self._start, time.perf_counter()))
                self.samples.append(self._n)
                self._start = None

        def on_validation_start(self, trainer, pl_module) -> None:
            if not trainer.sanity_checking:
                self._close()

        def on_train_epoch_end(self, trainer, pl_module) -> None:
            self._close()

    return EpochProbe()


def steady(windows: list[tuple[float, float]], samples: list[int]) -> tuple[list[tuple[float, float]], float]:
    """The windows after the first (warm-up) one when there are several, and their samples/s."""
    if len(windows) > 1:
        windows, samples = windows[1:], samples[1:]
    seconds = sum(b - a for a, b in windows)
    return windows, (sum(samples) / seconds if seconds > 0 else 0.0)


def compose(overrides: Sequence[str]):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from imitation_pipeline.configs import register

    register()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return hydra_compose(config_name="config", overrides=list(overrides))


def bc_overrides(arch: str, trainer: str, run_dir: str, args) -> list[str]:
    return [
        "stage=bc", f"arch={arch}", f"trainer={trainer}", "logger=none", f"run_dir={run_dir}",
        f"bc.max_replays={args.max_replays}", "bc.rollout_every_n_epochs=0", "trainer.enable_progress_bar=false",
        f"generate.workers={max(1, min(16, os.cpu_count() or 1))}",
        f"bc.checkpoint_pointer={run_dir}/pointer.json",
    ]


def run_bc(overrides: Sequence[str]) -> dict:
    """One ``stage=bc`` run in this process: summary, epoch windows and steady samples/s."""
    from imitation_pipeline.stages import bc

    probe = epoch_probe()
    summary = bc.run(compose(overrides), extra_callbacks=[probe])
    windows, sps = steady(probe.windows, probe.samples)
    return {"summary": summary, "windows": windows, "samples_per_s": sps}


# --- PPO -------------------------------------------------------------------------------------------
def ppo_steps_per_second(device: str, steps: int, overrides: Sequence[str] = ()) -> float:
    """Env steps/s of PPO ``learn`` on the default train levels and arch (``ppo.*`` defaults, plus
    ``overrides``), after one warm-up rollout."""
    from omegaconf import OmegaConf

    from imitation_pipeline.rl.envs import env_spec, make_train_env
    from imitation_pipeline.rl.levels import level_set
    from imitation_pipeline.rl.ppo import build_ppo

    cfg = compose(["stage=baseline", f"ppo.device={device}", "run_dir=.", *overrides])
    levels = level_set(cfg.suites, "train")
    spec = env_spec(cfg, levels.maps, levels.names, int(cfg.ppo.max_episode_frames))
    env = make_train_env(spec, int(cfg.ppo.n_envs), seed=0, kind=str(cfg.ppo.vec_env))
    try:
        arch = OmegaConf.to_container(cfg.arch, resolve=True)
        model = build_ppo(cfg.ppo, arch, env, learning_rate=float(cfg.ppo.learning_rate), seed=0)
        warm = int(cfg.ppo.n_steps) * int(cfg.ppo.n_envs)
        model.learn(warm)
        t0 = time.perf_counter()
        model.learn(max(steps, warm), reset_num_timesteps=False)
        return (model.num_timesteps - warm) / (time.perf_counter() - t0)
    finally:
        env.close()


def ppo_pair(steps: int) -> tuple[float, float]:
    """(cuda, cpu) env steps/s, one after the other in this process."""
    return ppo_steps_per_second("cuda", steps), ppo_steps_per_second("cpu", steps)


def fresh_process(fn: Callable, *args):
    """``fn(*args)`` in a new (spawned) interpreter. Measured on an H200: PPO on cuda ran 410 env steps/s
    after the BC runs in the same process against 873 in a fresh one (cpu: 517 and 605), so each PPO
    figure gets a process of its own, as a user's ``stage=finetune`` has."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


# --- report ----------------------------------------------------------------------------------------
def verdict(value: float | None, goal: float) -> str:
    if value is None:
        return "n/a"
    return "ok" if value >= goal else "BELOW GOAL"


def bc_line(arch: str, gpu: dict, cpu_sps: float | None, util: float | None) -> str:
    speedup = gpu["samples_per_s"] / cpu_sps if cpu_sps else None
    share = gpu["summary"].get("time_split", {}).get("optimizer_share")
    parts = [f"{arch:<13}", f"{gpu['samples_per_s']:>10.0f} samples/s (batch {gpu['summary'].get('batch_size')})"]
    parts.append(f"x{speedup:.1f} vs CPU [{verdict(speedup, SPEEDUP_GOAL)}]" if speedup else "no CPU reference")
    util_goal = verdict(util, UTIL_GOAL) if arch in UTIL_GOAL_ARCHS else "no goal"
    parts.append(f"GPU util {util:.0f}% [{util_goal}]" if util is not None else "GPU util n/a")
    if share is not None:
        parts.append(f"optimizer {share:.0%} of the stage")
    return "  ".join(parts)


def ppo_line(gpu_sps: float, cpu_sps: float) -> str:
    ratio = gpu_sps / cpu_sps if cpu_sps else 0.0
    return (f"PPO env steps/s: cuda {gpu_sps:.0f}, cpu {cpu_sps:.0f}, ratio {ratio:.2f} "
            f"[{verdict(ratio, 1.0)}]")


def cuda_absent() -> str | None:
    """The line to print when there is no CUDA device, else None."""
    import torch

    if torch.cuda.is_available():
        return None
    why = "a CPU-only build" if torch.version.cuda is None else "no device or driver"
    return NO_CUDA.format(version=torch.__version__, why=why)


def parse(argv: Sequence[str]):
    argv = list(argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpu_check", description=__doc__.split("\n\n")[0])
    p.add_argument("--archs", default=",".join(ARCHS))
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--max-replays", type=int, default=200)
    p.add_argument("--cpu-batches", type=int, default=3)  # per epoch; hgt takes ~15 s a batch on 2 threads
    p.add_argument("--ppo-steps", type=int, default=4096)
    p.add_argument("--no-cpu", action="store_true")
    p.add_argument("--no-ppo", action="store_true")
    args = p.parse_args(argv)
    args.archs = [a for a in args.archs.split(",") if a]
    unknown = sorted(set(args.archs) - set(ARCHS))
    if unknown:
        p.error(f"unknown arch(s) {', '.join(unknown)}; choose from {', '.join(ARCHS)}")
    args.overrides = extra
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    absent = cuda_absent()
    if absent:
        print(absent)
        return 2
    import logging

    import torch

    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    source, read = utilisation_reader()
    print(f"gpu-check on {torch.cuda.get_device_name(0)}; GPU utilisation from {source}", flush=True)
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        for arch in args.archs:
            cpu_sps = None
            if not args.no_cpu:  # the reference: 2 CPU threads, a few batches, same model
                torch.set_num_threads(2)
                os.environ["OMP_NUM_THREADS"] = "2"
                cpu = run_bc([*bc_overrides(arch, "cpu", f"{tmp}/{arch}-cpu", args), "trainer.max_epochs=2",
                              f"trainer.limit_train_batches={args.cpu_batches}", "trainer.limit_val_batches=0"])
                cpu_sps = cpu["samples_per_s"]
            sampler = UtilSampler(read) if read else None
            with sampler or nullcontext():
                gpu = run_bc([*bc_overrides(arch, "gpu", f"{tmp}/{arch}-gpu", args),
                              f"trainer.max_epochs={args.epochs}", *args.overrides])
            util = mean_in_windows(sampler.samples, gpu["windows"]) if sampler else None
            print(bc_line(arch, gpu, cpu_sps, util), flush=True)
    if not args.no_ppo:
        gpu_sps, cpu_sps = fresh_process(ppo_pair, args.ppo_steps)
        print(ppo_line(gpu_sps, cpu_sps), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
