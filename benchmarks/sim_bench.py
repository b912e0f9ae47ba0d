"""Speed of the N++ simulator on the reference replays (physics only, no rendering).

Loads every trace in ``../shared/npp_reference/traces`` (map bytes + input bytes), then runs each
replay through :func:`npp_sim.simulator.run_inputs` in one process and prints:

* JIT compile / cache-load time (the first call, measured separately);
* frames/s and replays/s including map loading (parse + geometry + entity setup) and excluding it;
* ratios against nclone's figures measured on this 2-core machine (5,000 frames/s and 20 replays/s
  including loading, about 11,000 frames/s excluding it; see ``npp_reference/README.md``);
* the with-loading rate per CPU second of this process as well, which is the stable figure when
  other work shares the machine (wall-clock rates drop with the load average).

Run: ``python -m benchmarks.sim_bench`` (or ``python benchmarks/sim_bench.py``).
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE = (REPO_ROOT / ".." / "shared" / "npp_reference").resolve()

NCLONE_FPS_WITH_LOAD = 5000.0
NCLONE_RPS_WITH_LOAD = 20.0
NCLONE_FPS_NO_LOAD = 11000.0


def _load_replays(ref: Path):
    out = []
    for p in sorted((ref / "traces").glob("*.npz")):
        with np.load(p, allow_pickle=False) as d:
            out.append((p.stem, d["map_data"].tobytes(), d["input_byte"].copy()))
    return out


def main(repeats: int = 5) -> dict:
    for extra in (REPO_ROOT / "envs", REPO_ROOT / "src"):
        if str(extra) not in sys.path:
            sys.path.insert(0, str(extra))
    if not REFERENCE.is_dir():
        print(f"reference data not found at {REFERENCE}; nothing to benchmark")
        return {}
    warnings.simplefilter("ignore")  # unsupported entity types in a few maps

    t0 = time.perf_counter()
    from npp_sim.inputs import decode_inputs
    from npp_sim.map_data import parse_map
    from npp_sim.simulator import Simulator, run_inputs
    replays = _load_replays(REFERENCE)
    name, md, ib = replays[0]
    run_inputs(md, ib)  # compile or load the cached machine code
    t_jit = time.perf_counter() - t0
    frames = sum(len(ib) for _, _, ib in replays)
    n = len(replays)

    best_with = best_load = best_run = best_cpu = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        c = time.process_time()
        for _, md, ib in replays:
            run_inputs(md, ib)
        best_with = min(best_with, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)

        sims, inputs = [], []
        t = time.perf_counter()
        for _, md, _ib in replays:
            sims.append(Simulator(parse_map(md)))
        best_load = min(best_load, time.perf_counter() - t)
        inputs = [decode_inputs(ib) for _, _, ib in replays]
        t = time.perf_counter()
        for sim, (h, j) in zip(sims, inputs, strict=True):
            sim.run(h, j)
        best_run = min(best_run, time.perf_counter() - t)

    fps_with = frames / best_with
    rps_with = n / best_with
    fps_no = frames / best_run
    rps_no = n / best_run
    res = {
        "replays": n, "frames": frames, "jit_s": t_jit,
        "fps_with_load": fps_with, "rps_with_load": rps_with,
        "fps_no_load": fps_no, "rps_no_load": rps_no,
        "load_ms_per_map": 1000 * best_load / n,
        "rps_with_load_cpu": n / best_cpu, "fps_with_load_cpu": frames / best_cpu,
    }
    print(f"npp_sim benchmark: {n} reference replays, {frames} frames (best of {repeats})")
    print(f"  JIT compile / cache load (first call): {t_jit:.2f} s")
    print(f"  map loading: {res['load_ms_per_map']:.3f} ms per map")
    print(f"  including loading: {fps_with:,.0f} frames/s, {rps_with:,.0f} replays/s"
          f"  (x{fps_with / NCLONE_FPS_WITH_LOAD:.0f} and x{rps_with / NCLONE_RPS_WITH_LOAD:.0f}"
          f" vs nclone's {NCLONE_FPS_WITH_LOAD:,.0f} frames/s, {NCLONE_RPS_WITH_LOAD:.0f} replays/s)")
    print(f"  excluding loading: {fps_no:,.0f} frames/s, {rps_no:,.0f} replays/s"
          f"  (x{fps_no / NCLONE_FPS_NO_LOAD:.0f} vs nclone's ~{NCLONE_FPS_NO_LOAD:,.0f} frames/s)")
    print(f"  including loading, per CPU second of this process (robust on a busy machine):"
          f" {res['fps_with_load_cpu']:,.0f} frames/s, {res['rps_with_load_cpu']:,.0f} replays/s"
          f"  (x{res['rps_with_load_cpu'] / NCLONE_RPS_WITH_LOAD:.0f} vs nclone's replays/s)")
    return res


if __name__ == "__main__":
    main()
