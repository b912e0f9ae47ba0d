"""Observation generation speed over whole replays (map load + physics + observations).

Replays: ../shared/npp_reference/replays when present, else the built-in demos (demos/npp).
Reference measured in the same run: physics only (``run_inputs``, map loading included), so the
ratio shows what observations cost on top of simulation. Figures: one process with the standard
BC observation set, with every modality (graph included), and the standard set on 2 worker
processes (the 2-core goal: >= 20,000 frames/s; nclone renders ~100 frames/s on this machine).
"""

from __future__ import annotations

import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

STANDARD = ("player_frame", "global_view", "game_state", "entities")
ALL = (*STANDARD, "graph")
ROOT = Path(__file__).resolve().parents[1]


def reference_replays() -> tuple[str, list[tuple[str, bytes, object]]]:
    """(folder, [(file name, map bytes, input array)]) of the human reference replays (the built-in
    demos when ../shared is absent); unreadable files are skipped."""
    from npp_sim.formats import DemoFormatError, read_demo

    ref = ROOT.parent / "shared" / "npp_reference" / "replays"
    src = ref if ref.is_dir() else ROOT / "demos" / "npp"
    out = []
    for p in sorted(src.iterdir()):
        try:
            d = read_demo(p)
        except (DemoFormatError, IsADirectoryError):
            continue
        out.append((p.name, d.map_data, d.inputs))
    return str(src), out


def _replays() -> tuple[str, list[tuple[bytes, bytes]]]:
    src, reps = reference_replays()
    return src, [(m, x.tobytes()) for _, m, x in reps]


def _physics(data) -> int:
    import numpy as np
    from npp_sim.simulator import run_inputs

    n = 0
    for m, i in data:
        n += len(run_inputs(m, np.frombuffer(i, np.uint8)).x) - 1
    return n


def _observe(data, modalities) -> int:
    import numpy as np
    from npp_sim.observations import ObservationBuilder
    from npp_sim.regenerate import regenerate

    b = ObservationBuilder(modalities)
    n = 0
    for m, i in data:
        obs, actions, _ = regenerate(m, np.frombuffer(i, np.uint8), b)
        n += len(actions)
    return n


def _timed(fn, *args) -> tuple[int, float]:
    t0 = time.perf_counter()
    n = fn(*args)
    return n, time.perf_counter() - t0


def _worker(args):
    os.environ["OMP_NUM_THREADS"] = "1"
    warnings.simplefilter("ignore")
    data, modalities = args
    return _timed(_observe, data, modalities)


def main() -> dict:
    warnings.simplefilter("ignore")
    src, data = _replays()
    t0 = time.perf_counter()
    _observe(data[:1], ALL)  # compile / load the JIT cache
    _physics(data[:1])
    print(f"{len(data)} replays from {src}; JIT load/compile {time.perf_counter() - t0:.1f} s (not counted)")
    frames, t_phys = _timed(_physics, data)
    phys = frames / t_phys
    print(f"physics only (reference):         {phys:>10,.0f} frames/s  {len(data) / t_phys:>8,.0f} replays/s")
    out = {"physics_fps": phys}
    for label, mods in (("standard BC set, 1 process", STANDARD), ("all modalities, 1 process", ALL)):
        n, t = _timed(_observe, data, mods)
        fps = n / t
        out[label] = fps
        print(f"{label + ':':<33} {fps:>10,.0f} frames/s  {len(data) / t:>8,.0f} replays/s  "
              f"= {fps / phys:.2f}x physics")
    halves = [data[0::2], data[1::2]]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_worker, [(data[:1], STANDARD)] * 2))  # warm both workers
        t0 = time.perf_counter()
        results = list(pool.map(_worker, [(h, STANDARD) for h in halves]))
    wall = time.perf_counter() - t0
    fps2 = sum(n for n, _ in results) / wall
    out["standard BC set, 2 processes"] = fps2
    print(f"{'standard BC set, 2 processes:':<33} {fps2:>10,.0f} frames/s  = {fps2 / 20000:.2f}x the 20,000 goal, "
          f"{fps2 / 100:,.0f}x nclone's ~100 frames/s rendering")
    return out
