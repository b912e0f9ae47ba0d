"""How fast ``python -m imitation_pipeline --help`` answers (goal: under 2 s).

Reference measured in the same run: a bare interpreter start (``python -c pass``), so the ratio
shows what the app adds on top of Python itself.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def _wall(cmd: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(repeats: int = 5) -> dict:
    bare = _wall([sys.executable, "-c", "pass"], repeats)
    help_s = _wall([sys.executable, "-m", "imitation_pipeline", "--help"], repeats)
    print(f"python -c pass:                 {bare:.3f} s (reference)")
    print(f"imitation_pipeline --help:      {help_s:.3f} s  = {help_s / bare:.1f}x the bare interpreter "
          f"({'meets' if help_s < 2.0 else 'MISSES'} the 2 s goal)")
    return {"bare_s": bare, "help_s": help_s}
