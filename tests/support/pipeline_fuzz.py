"""Fuzz the pipeline's input paths with mutated replays and mutated maps (``make fuzz``).

Every mutated replay goes through ``stage=verify``'s per-file path (:func:`verify_file`); batches of
them go through ``stage=generate`` (:func:`generate_shards`, one worker); every mutated map is played
in :class:`npp_sim.env.NppEnv` (reset, random actions, an ``rgb_array`` frame) and, with random
inputs, written as a v2 replay for verify and generate too. The oracle: bad input may only give the
project's own errors as a row / exception (``DemoFormatError``, ``MapFormatError``, a report row);
a *traceback* is any other exception, or a row whose error says a replay's processing crashed
(the stages' safety net caught an exception that should not have happened).

    python tests/support/pipeline_fuzz.py --replays 10000 --maps 1000      # the long run (make fuzz)
    python tests/support/pipeline_fuzz.py --replays 60 --maps 20           # seconds (the test suite's)

Seeds: the reference replays and attract files (``../shared/npp_reference``) when present, the
built-in demos (``demos/npp``) and generated levels of every category. Deterministic for ``--seed``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
REFERENCE = (REPO / ".." / "shared" / "npp_reference").resolve()
CRASH_MARKERS = ("simulation failed (", ": failed (")  # the stages' safety-net rows
MAX_FRAMES = 20_000
TILES_OFFSET, COUNTS_OFFSET, ENTITIES_OFFSET = 184, 1150, 1230


@dataclass
class FuzzResult:
    replays: int = 0
    maps: int = 0
    verify_rows: Counter = field(default_factory=Counter)
    generate_rows: Counter = field(default_factory=Counter)
    env_outcomes: Counter = field(default_factory=Counter)
    tracebacks: list[str] = field(default_factory=list)
    seconds: float = 0.0
    keep_dir: Path | None = None  # inputs that gave a traceback are copied here

    def failed(self, text: str, name: str, data: bytes | None) -> None:
        self.tracebacks.append(text)
        if self.keep_dir is not None and data is not None:
            self.keep_dir.mkdir(parents=True, exist_ok=True)
            (self.keep_dir / name).write_bytes(data)

    def summary(self) -> dict:
        return {"replays": self.replays, "maps": self.maps, "verify": dict(self.verify_rows),
                "generate": dict(self.generate_rows), "env": dict(self.env_outcomes),
                "tracebacks": len(self.tracebacks), "seconds": round(self.seconds, 1)}


# --- seeds and mutations -------------------------------------------------------------------------
def seed_replays(limit: int = 40) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    if REFERENCE.is_dir():
        files = sorted((REFERENCE / "replays").glob("*.replay"))[:limit] + sorted((REFERENCE / "attract").iterdir())[:8]
        out += [(p.name, p.read_bytes()) for p in files if p.is_file()]
    demos = sorted((REPO / "demos" / "npp").glob("*.replay"))[:limit]
    out += [(p.name, p.read_bytes()) for p in demos]
    if not out:  # a fresh checkout without data: encode a few generated levels
        from npp_sim.formats import encode_demo

        for lv in seed_levels()[:6]:
            out.append((f"{lv[0]}.replay", encode_demo(lv[1], np.zeros(120, np.uint8), success=False)))
    return out


def seed_levels() -> list[tuple[str, bytes]]:
    from npp_sim.levelgen import CATEGORIES, generate_level

    levels = []
    for k, cat in enumerate(CATEGORIES):
        for i in range(2):
            lv = generate_level(cat, 100_000_000 + k * 1_000_000 + i)
            levels.append((lv.level_id, lv.map_data))
    return levels


def mutate_bytes(data: bytes, rng: np.random.Generator) -> bytes:
    """One to a few byte-level edits anywhere (headers, map block, inputs)."""
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):
        op = int(rng.integers(0, 8))
        n = len(b)
        if n == 0:
            b += bytes(rng.integers(0, 256, 16, dtype=np.uint8))
            continue
        i = int(rng.integers(0, n))
        if op == 0:
            b[i] ^= 1 << int(rng.integers(0, 8))
        elif op == 1:
            b[i] = int(rng.choice([0, 1, 0x7F, 0x80, 0xFF, int(rng.integers(0, 256))]))
        elif op == 2:
            del b[i:]  # truncate
        elif op == 3:
            b[i:i] = bytes(rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8))
        elif op == 4:
            del b[i:i + int(rng.integers(1, 64))]
        elif op == 5:  # 32-bit fields: lengths, versions, counts
            j = i - i % 4
            b[j:j + 4] = int(rng.choice([0, 1, 2, 0xFFFFFFFF, 0x7FFFFFFF, n, n + 1, int(rng.integers(0, 1 << 31))])
                             ).to_bytes(4, "little")
        elif op == 6:  # duplicate a slice (longer input sections)
            j = int(rng.integers(i, n + 1))
            b[j:j] = b[i:j][:4096]
        else:  # random tail
            b += bytes(rng.integers(0, 256, int(rng.integers(1, 200)), dtype=np.uint8))
    return bytes(b)


def mutate_replay(data: bytes, rng: np.random.Generator) -> bytes:
    """Half byte-level edits (mostly format errors), half semantic ones: the replay decoded, its map
    edited (:func:`mutate_map`) and its inputs changed, re-encoded as a valid v2 or v1 file (these
    reach the simulator and the observation builder)."""
    from npp_sim.formats import DemoFormatError, encode_demo, encode_v1, read_demo

    if rng.random() < 0.5:
        return mutate_bytes(data, rng)
    try:
        demo = read_demo(data, name="seed", strict=False)
    except DemoFormatError:
        return mutate_bytes(data, rng)
    m = mutate_map(demo.map_data, rng) if rng.random() < 0.7 else demo.map_data
    inputs = np.array(demo.inputs, np.uint8)
    op = int(rng.integers(0, 4))
    if op == 0 and len(inputs):  # random input bytes in a window
        i = int(rng.integers(0, len(inputs)))
        inputs[i:i + 200] = rng.integers(0, 6, len(inputs[i:i + 200]), dtype=np.uint8)
    elif op == 1:  # cut or extend
        n = int(rng.integers(0, max(len(inputs) * 2, 2)))
        inputs = np.resize(inputs, n).astype(np.uint8) if n else inputs[:0]
    elif op == 2 and rng.random() < 0.1:  # longer than max_frames
        inputs = np.zeros(MAX_FRAMES + int(rng.integers(1, 5000)), np.uint8)
    try:
        if rng.random() < 0.5:
            return encode_demo(m, inputs, success=bool(rng.integers(0, 2)), check_map=False)
        return encode_v1(m, np.minimum(inputs, 5), success=True, check_map=False)
    except (DemoFormatError, ValueError):
        return mutate_bytes(data, rng)


def mutate_map(map_data: bytes, rng: np.random.Generator) -> bytes:
    """Semantic edits that keep the map block well formed: tiles, entity records, the ninja's spawn."""
    m = bytearray(map_data)
    n_ent = (len(m) - ENTITIES_OFFSET) // 5
    for _ in range(int(rng.integers(1, 8))):
        op = int(rng.integers(0, 6))
        if op == 0:  # random tiles (0-37; 34-37 glitched)
            for _ in range(int(rng.integers(1, 40))):
                m[TILES_OFFSET + int(rng.integers(0, 966))] = int(rng.integers(0, 38))
        elif op == 1 and n_ent:  # move an entity (often onto the ninja)
            e = ENTITIES_OFFSET + 5 * int(rng.integers(0, n_ent))
            if rng.random() < 0.5:
                m[e + 1:e + 3] = m[ENTITIES_OFFSET + 1:ENTITIES_OFFSET + 3]
            else:
                m[e + 1], m[e + 2] = int(rng.integers(0, 256)), int(rng.integers(0, 256))
        elif op == 2 and n_ent:  # change an entity's orientation / mode
            e = ENTITIES_OFFSET + 5 * int(rng.integers(0, n_ent))
            m[e + 3 + int(rng.integers(0, 2))] = int(rng.integers(0, 256))
        elif op == 3:  # add an entity of any type at a random or the spawn position
            t = int(rng.choice([1, 2, 10, 11, 14, 17, 20, 21, 24, 25, 26, 28, int(rng.integers(0, 40))]))
            x, y = (m[ENTITIES_OFFSET + 1], m[ENTITIES_OFFSET + 2]) if rng.random() < 0.4 else (
                int(rng.integers(0, 256)), int(rng.integers(0, 256)))
            if t in (3, 6, 8):  # doors need their switch record; keep it simple
                t = 25
            m += bytes([t, x, y, int(rng.integers(0, 8)) * (1 if rng.random() < 0.8 else 32), 0])
            c = COUNTS_OFFSET + 2 * t
            m[c:c + 2] = (int.from_bytes(m[c:c + 2], "little") + 1 & 0xFFFF).to_bytes(2, "little")
            n_ent += 1
        elif op == 4:  # wall the spawn in / clear the level
            for _ in range(int(rng.integers(1, 12))):
                m[TILES_OFFSET + int(rng.integers(0, 966))] = int(rng.choice([0, 1, 14, 15, 18, 30]))
        else:  # a random count (records and counts disagree)
            c = COUNTS_OFFSET + 2 * int(rng.integers(0, 40))
            m[c:c + 2] = int(rng.integers(0, 4)).to_bytes(2, "little")
    return bytes(m)


# --- the paths under test ------------------------------------------------------------------------
def _crashed(text: str | None) -> bool:
    return bool(text) and any(mark in text for mark in CRASH_MARKERS)


def _verify(path: Path, res: FuzzResult) -> None:
    from imitation_pipeline.stages.verify import verify_file

    try:
        rec = verify_file(path, lr_rule="cancel", play_inconsistent=bool(res.replays % 2), max_frames=MAX_FRAMES)
    except Exception:  # noqa: BLE001
        res.failed(f"verify {path.name}:\n{traceback.format_exc()}", path.name, path.read_bytes())
        return
    if _crashed(rec["error"]):
        res.failed(f"verify {path.name}: {rec['error']}", path.name, path.read_bytes())
    res.verify_rows["error" if rec["error"] and rec["outcome"] is None else rec["outcome"]] += 1


def _generate(folder: Path, cache: Path, res: FuzzResult, stride: int) -> None:
    from imitation_pipeline.data.generation import ObsConfig, generate_shards

    cfg = ObsConfig(modalities=("game_state",), stride=stride, max_frames=MAX_FRAMES)
    try:
        _, manifest = generate_shards(folder, cache, cfg, workers=1, progress=False, include_unsuccessful=True)
    except Exception:  # noqa: BLE001
        res.failed(f"generate {folder}:\n{traceback.format_exc()}", "generate", None)
        return
    for ex in manifest["excluded"]:
        if _crashed(ex["reason"]):
            p = folder / ex["file"]
            res.failed(f"generate {ex['file']} (stride {stride}): {ex['reason']}", f"stride{stride}_{ex['file']}",
                       p.read_bytes() if p.is_file() else None)
    res.generate_rows["shard"] += len(manifest["shards"])
    res.generate_rows["excluded"] += len(manifest["excluded"])


def _env(name: str, map_data: bytes, rng: np.random.Generator, res: FuzzResult, steps: int) -> None:
    from npp_sim.env import NppEnv
    from npp_sim.errors import MapFormatError

    try:
        env = NppEnv([map_data], observation=("player_frame", "game_state"), frame_skip=int(rng.integers(1, 5)),
                     max_frames=4000, render_mode="rgb_array")
    except MapFormatError:
        res.env_outcomes["map_error"] += 1
        return
    except Exception:  # noqa: BLE001
        res.failed(f"env {name} (make):\n{traceback.format_exc()}", f"{name}.map", map_data)
        return
    try:
        obs, _ = env.reset(seed=int(rng.integers(0, 1 << 30)))
        assert env.observation_space.contains(obs), "reset observation outside the observation space"
        outcome = "running"
        for t in range(steps):
            obs, _, term, trunc, info = env.step(int(rng.integers(0, 6)))
            if t % 64 == 0:
                assert env.observation_space.contains(obs), f"step {t}: observation outside the space"
            if term or trunc:
                outcome = "won" if info["is_success"] else "died" if info["dead"] else "truncated"
                break
        frame = env.render()
        assert frame is not None and frame.shape == (600, 1056, 3)
        res.env_outcomes[outcome] += 1
    except Exception:  # noqa: BLE001
        res.failed(f"env {name}:\n{traceback.format_exc()}", f"{name}.map", map_data)
    finally:
        env.close()


def run_fuzz(replays: int, maps: int, seed: int = 0, batch: int = 50, env_steps: int = 300,
             workdir: str | Path | None = None, progress: bool = False, keep_dir: str | Path | None = None
             ) -> FuzzResult:
    """Run the fuzz campaign; returns counts and every traceback found."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*skipping entity types")  # expected for odd maps
        return _run_fuzz(replays, maps, seed, batch, env_steps, workdir, progress, keep_dir)


def _run_fuzz(replays: int, maps: int, seed: int, batch: int, env_steps: int, workdir, progress: bool,
              keep_dir) -> FuzzResult:
    from npp_sim.formats import encode_demo

    rng = np.random.default_rng(seed)
    res = FuzzResult(keep_dir=None if keep_dir is None else Path(keep_dir))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pipeline-fuzz-", dir=workdir) as tmp:
        tmp = Path(tmp)
        cache = tmp / "cache"
        seeds, levels = seed_replays(), seed_levels()

        def flush(folder: Path, k: int) -> Path:
            if any(folder.iterdir()):
                _generate(folder, cache, res, stride=4 if k % 4 == 3 else 1)
                for p in folder.iterdir():
                    p.unlink()
            return folder

        folder = tmp / "batch"
        folder.mkdir()
        k = 0

        def added(n: int, what: str, report_every: int) -> None:
            """The n-th file of a kind is in the folder: generate the folder every ``batch`` files."""
            nonlocal k
            if n % batch == 0:
                flush(folder, k)
                k += 1
            if progress and n % report_every == 0:
                print(f"  {n} {what}, {len(res.tracebacks)} tracebacks", file=sys.stderr)

        for i in range(replays):
            name, data = seeds[int(rng.integers(0, len(seeds)))]
            path = folder / f"r{i:06d}_{name}"
            path.write_bytes(mutate_replay(data, rng))
            _verify(path, res)
            res.replays += 1
            added(i + 1, "replays", 500)
        flush(folder, k)
        for j in range(maps):
            name, data = levels[int(rng.integers(0, len(levels)))]
            m = mutate_map(data, rng)
            _env(f"m{j:05d}_{name}", m, rng, res, env_steps)
            inputs = rng.choice(np.array([0, 1, 2, 3, 4, 5], np.uint8), size=int(rng.integers(1, 1500)))
            try:
                blob = encode_demo(m, inputs, success=False, check_map=False)
            except Exception:  # noqa: BLE001 - a map encode_demo refuses is not a replay; nothing to play
                blob = None
            if blob is not None:
                path = folder / f"m{j:05d}_{name}.replay"
                path.write_bytes(blob)
                _verify(path, res)
            res.maps += 1
            added(j + 1, "maps", 100)
        flush(folder, k)
    res.seconds = time.perf_counter() - t0
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replays", type=int, default=10_000)
    ap.add_argument("--maps", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=50, help="replays per generate call")
    ap.add_argument("--env-steps", type=int, default=300)
    ap.add_argument("--report", default=None, help="write the summary and every traceback as JSON here")
    ap.add_argument("--keep", default=None, help="copy every input that gave a traceback into this folder")
    args = ap.parse_args(argv)
    res = run_fuzz(args.replays, args.maps, seed=args.seed, batch=args.batch, env_steps=args.env_steps,
                   progress=True, keep_dir=args.keep)
    print(json.dumps(res.summary(), indent=2))
    for tb in res.tracebacks[:5]:
        print(tb, file=sys.stderr)
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(json.dumps({**res.summary(), "traceback_texts": res.tracebacks}, indent=2))
    return 1 if res.tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
