"""Relabelling speed: executable labels at the decision rate vs plain replay regeneration.

Replays: ../shared/npp_reference/replays (the 89 readable human replays) when present, else the
built-in demos (demos/npp). For each stride k (4, the pipeline's decision rate, and 2) it times,
in the same process and run:

* **relabel**: :func:`npp_sim.relabel.decision_labels` on every replay (executability check of the
  raw labels, tracking, bridges and planner search where needed, final verification);
* **plain regeneration** (the reference): :func:`npp_sim.regenerate.regenerate` of the same
  replays with the standard BC observation set, at stride k (what ``stage=generate`` did before)
  and at stride 1;
* **generate at stride k**: relabel plus observing the held states (what ``stage=generate`` now
  does per replay), as a ratio against plain regeneration at stride k.

Rates are frames of replay per CPU second of this process, best of two runs (robust when other
work shares the machine; wall-clock figures are printed too). Also printed: executable counts (raw, relabelled) and
the share of labels that came from search. Goal (issue 12): relabel >= 0.25x plain regeneration.
Run: ``python -m benchmarks relabel_bench``.
"""

from __future__ import annotations

import os
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

from .obs_bench import STANDARD, reference_replays  # noqa: E402

GOAL = 0.25


def _timed(fn, *args):
    c, w = time.process_time(), time.perf_counter()
    out = fn(*args)
    return out, time.process_time() - c, time.perf_counter() - w


def _regenerate(data, builder, stride: int) -> int:
    from npp_sim.regenerate import regenerate

    for _, m, i in data:
        regenerate(m, i, builder, stride=stride)
    return sum(len(i) for _, _, i in data)


def _relabel(data, stride: int) -> list:
    from npp_sim.relabel import decision_labels

    return [decision_labels(m, i, stride, source=name) for name, m, i in data]


def _warm_up(data) -> None:
    """Compile / load every JIT path (tracking, bridge, planner, rejoin) before timing."""
    from npp_sim.relabel import RelabelConfig, check_executable, decision_labels

    eager = RelabelConfig(accept_px=0.0, diverge_px=0.0, lookahead=1, ambiguous_px=1e9, max_segments=4)
    for name, m, i in data:
        if not check_executable(m, i, 4).executable:
            decision_labels(m, i, 4, config=eager, source=name)
            break


def _best(fn, *args, repeats: int = 2):
    """The run with the least CPU time of ``repeats``: ``(result, cpu s, wall s)``."""
    return min((_timed(fn, *args) for _ in range(repeats)), key=lambda r: r[1])


def _observe(data, results, builder, stride: int) -> None:
    from npp_sim.simulator import Simulator

    for (name, m, _), r in zip(data, results, strict=True):
        if r.executable:
            builder.observe_replay(Simulator(m, name), r.hor, r.jump, stride)


def main() -> dict:
    warnings.simplefilter("ignore")
    from npp_sim.observations import ObservationBuilder

    src, data = reference_replays()
    frames = sum(len(i) for _, _, i in data)
    builder = ObservationBuilder(STANDARD)
    t0 = time.perf_counter()
    _warm_up(data)
    _regenerate(data[:1], builder, 1)
    print(f"{len(data)} replays ({frames} frames) from {src}; JIT load/compile "
          f"{time.perf_counter() - t0:.1f} s (not counted)")
    out = {}
    for stride in (4, 2):
        _, c1, _ = _best(_regenerate, data, builder, 1)
        _, ck, wk = _best(_regenerate, data, builder, stride)
        results, cr, wr = _best(_relabel, data, stride)
        _, co, _ = _timed(_observe, data, results, builder, stride)
        ex = sum(r.executable for r in results)
        raw = sum(r.executable and not r.relabelled for r in results)
        windows = sum(r.windows for r in results if r.executable)
        searched = sum(r.search_windows for r in results if r.executable)
        bridged = sum(r.bridge_windows for r in results if r.executable)
        with_search = sum(r.executable and r.search_windows > 0 for r in results)
        fps_r, fps_k, fps_1 = frames / cr, frames / ck, frames / c1
        fps_gen = frames / (cr + co)
        print(f"\nstride {stride}: executable {ex}/{len(data)} (raw labels {raw}, relabelled {ex - raw}, "
              f"{with_search} with planner labels); labels from search {100 * searched / max(windows, 1):.1f}%, "
              f"from bridges {100 * bridged / max(windows, 1):.1f}%")
        print(f"  plain regeneration, stride {stride} (reference): {fps_k:>10,.0f} frames/s")
        print(f"  plain regeneration, stride 1:           {fps_1:>10,.0f} frames/s")
        print(f"  relabel:                                {fps_r:>10,.0f} frames/s  = {fps_r / fps_k:.2f}x "
              f"regeneration at stride {stride}, {fps_r / fps_1:.2f}x at stride 1 (goal >= {GOAL}x); "
              f"wall {frames / wr:,.0f} frames/s")
        print(f"  generate at stride {stride} (relabel + observe): {fps_gen:>10,.0f} frames/s  = "
              f"{fps_gen / fps_k:.2f}x plain regeneration at stride {stride} (wall for regeneration "
              f"{frames / wk:,.0f} frames/s)")
        out[stride] = {"executable": ex, "raw": raw, "replays": len(data), "search_share": searched / max(windows, 1),
                       "bridge_share": bridged / max(windows, 1), "relabel_fps": fps_r,
                       "regen_fps_same_stride": fps_k, "regen_fps_stride1": fps_1, "generate_fps": fps_gen,
                       "ratio": fps_r / fps_k, "ratio_stride1": fps_r / fps_1}
    return out


if __name__ == "__main__":
    main()
