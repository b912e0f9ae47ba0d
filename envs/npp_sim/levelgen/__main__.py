"""``python -m npp_sim.levelgen``: preview levels, print them as text, build suites."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import SuiteError
from .generator import CATEGORIES, generate_level
from .preview import ascii_map, render_png
from .suite import (
    DEFAULT_TEST_COUNTS,
    DEFAULT_TRAIN_COUNTS,
    SUITE_BASE_SEEDS,
    build_suite,
    save_suite,
)


def _level_bytes(args) -> tuple[bytes, str]:
    if args.map:
        path = Path(args.map)
        return path.read_bytes(), path.name
    lv = generate_level(args.category, args.seed)
    return lv.map_data, f"{lv.level_id} (attempts {lv.attempts})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m npp_sim.levelgen", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("preview", "ascii"):
        p = sub.add_parser(name, help="draw a level as PNG" if name == "preview"
                           else "print a level as text")
        p.add_argument("--category", choices=CATEGORIES, default="medium")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--map", help="a raw map file instead of a generated level")
        if name == "preview":
            p.add_argument("--out", required=True, help="output PNG path")
    b = sub.add_parser("build", help="generate a suite directory (train or test)")
    b.add_argument("--suite", choices=sorted(SUITE_BASE_SEEDS), required=True)
    b.add_argument("--out", required=True, help="output directory")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "preview":
            data, title = _level_bytes(args)
            render_png(data, args.out, title=title)
            print(args.out)
        elif args.cmd == "ascii":
            data, title = _level_bytes(args)
            print(title)
            print(ascii_map(data))
        else:
            counts = DEFAULT_TRAIN_COUNTS if args.suite == "train" else DEFAULT_TEST_COUNTS
            t0 = time.perf_counter()
            levels = build_suite(args.suite, counts, SUITE_BASE_SEEDS[args.suite])
            path = save_suite(levels, args.out, name=args.suite,
                              base_seed=SUITE_BASE_SEEDS[args.suite], counts=counts)
            print(f"{len(levels)} levels in {time.perf_counter() - t0:.1f}s -> {path}")
    except (SuiteError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
