"""Fixed level suites: deterministic seed ranges, storage without pickle, loading with checks.

Seeds: level i of category c in a suite with base seed B gets seed
``B + CATEGORY_INDEX[c] * CATEGORY_STRIDE + i`` (i < CATEGORY_STRIDE). The train and test bases are
``SUITE_BASE_SEEDS`` and their ranges ``[B, B + len(CATEGORIES) * CATEGORY_STRIDE)`` are disjoint,
which :func:`check_disjoint_seeds` asserts for any two suites.

Storage (one directory per suite)::

    <dir>/suite.json          {"format": "npp-level-suite", "version": 1, "name": ...,
                               "generator_version": ..., "base_seed": ..., "counts": {...},
                               "levels": [{"level_id", "category", "seed", "file", "sha256",
                                           "name"}, ...]}
    <dir>/<level_id>.map      raw map data (the bytes the simulator loads)

Every file is written to a temporary name in the same directory and renamed into place
(:mod:`atomic_files`); ``suite.json`` is written last, so a suite directory is either complete or has no
(new) index. :func:`load_suite` raises :class:`SuiteError` naming the file for a missing or
unreadable index, a missing level file, a sha256 mismatch or malformed map data.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from atomic_files import write_bytes_atomic, write_text_atomic

from .errors import SuiteError
from .generator import CATEGORIES, GENERATOR_VERSION, Level, generate_level

__all__ = [
    "CATEGORY_INDEX",
    "CATEGORY_STRIDE",
    "DEFAULT_TRAIN_COUNTS",
    "DEFAULT_TEST_COUNTS",
    "SUITE_BASE_SEEDS",
    "SUITE_FORMAT",
    "SUITE_VERSION",
    "build_suite",
    "build_named_suite",
    "check_disjoint_seeds",
    "suite_seeds",
    "save_suite",
    "load_suite",
    "load_map_dir",
]

SUITE_FORMAT = "npp-level-suite"
SUITE_VERSION = 1
CATEGORY_INDEX = {c: i for i, c in enumerate(CATEGORIES)}
CATEGORY_STRIDE = 1_000_000

#: default category counts (250 levels each); configs may override them
DEFAULT_TRAIN_COUNTS = {"very_simple": 30, "simple": 50, "medium": 50, "complex": 40,
                        "mine_heavy": 40, "exploration": 40}
DEFAULT_TEST_COUNTS = dict(DEFAULT_TRAIN_COUNTS)
#: base seeds of the named suites; each owns [base, base + 6 * CATEGORY_STRIDE)
SUITE_BASE_SEEDS = {"train": 100_000_000, "test": 900_000_000}

INDEX_NAME = "suite.json"
MAP_SUFFIX = ".map"
_SKIP_SUFFIXES = (".json", ".md", ".txt", ".csv", ".yaml", ".yml", ".py")


def suite_seeds(counts: dict[str, int], base_seed: int) -> list[tuple[str, int]]:
    """(category, seed) for every level of a suite, in category order then index order."""
    unknown = set(counts) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories {sorted(unknown)}; expected {CATEGORIES}")
    out = []
    for cat in CATEGORIES:
        n = int(counts.get(cat, 0))
        if n < 0 or n > CATEGORY_STRIDE:
            raise ValueError(f"count for {cat} must be in 0..{CATEGORY_STRIDE}, got {n}")
        out.extend((cat, base_seed + CATEGORY_INDEX[cat] * CATEGORY_STRIDE + i) for i in range(n))
    return out


def seed_range(base_seed: int) -> range:
    """Every seed a suite with this base can use."""
    return range(base_seed, base_seed + len(CATEGORIES) * CATEGORY_STRIDE)


def check_disjoint_seeds(base_a: int, base_b: int) -> None:
    """Raise ValueError when two suites' seed ranges overlap."""
    a, b = seed_range(base_a), seed_range(base_b)
    if a.start < b.stop and b.start < a.stop:
        raise ValueError(f"suite seed ranges overlap: base {base_a} and base {base_b}")


def _check_named_bases() -> None:
    names = sorted(SUITE_BASE_SEEDS)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            check_disjoint_seeds(SUITE_BASE_SEEDS[a], SUITE_BASE_SEEDS[b])


_check_named_bases()


def build_suite(name: str, counts: dict[str, int], base_seed: int) -> list[Level]:
    """Generate every level of a suite (deterministic; ``name`` is recorded by :func:`save_suite`).

    For the named suites ``train`` / ``test`` the base seed must be the registered one, so their
    seed ranges can never overlap.
    """
    if name in SUITE_BASE_SEEDS and base_seed != SUITE_BASE_SEEDS[name]:
        raise ValueError(f"suite {name!r} must use base seed {SUITE_BASE_SEEDS[name]}, "
                         f"got {base_seed}")
    for other, base in SUITE_BASE_SEEDS.items():
        if other != name:
            check_disjoint_seeds(base_seed, base)
    return [generate_level(cat, seed) for cat, seed in suite_seeds(counts, base_seed)]


def build_named_suite(name: str, counts: dict[str, int] | None = None) -> list[Level]:
    """``train`` or ``test`` with its registered base seed and default counts."""
    if name not in SUITE_BASE_SEEDS:
        raise ValueError(f"unknown suite {name!r}; expected one of {sorted(SUITE_BASE_SEEDS)}")
    if counts is None:
        counts = DEFAULT_TRAIN_COUNTS if name == "train" else DEFAULT_TEST_COUNTS
    return build_suite(name, counts, SUITE_BASE_SEEDS[name])


# --------------------------------------------------------------------------------------------
# storage


def _safe_file_name(level_id: str) -> str:
    if not level_id or "/" in level_id or "\\" in level_id or level_id.startswith("."):
        raise ValueError(f"level id {level_id!r} cannot be used as a file name")
    return level_id + MAP_SUFFIX


def save_suite(levels: list[Level], directory, name: str = "", base_seed: int | None = None,
               counts: dict[str, int] | None = None) -> Path:
    """Write ``<level_id>.map`` per level and then ``suite.json``; returns the index path."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ids = [lv.level_id for lv in levels]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate level ids in suite")
    entries = []
    for lv in levels:
        fname = _safe_file_name(lv.level_id)
        write_bytes_atomic(d / fname, lv.map_data)
        entries.append({"level_id": lv.level_id, "category": lv.category, "seed": lv.seed,
                        "file": fname, "sha256": lv.sha256, "name": lv.name})
    if counts is None:
        counts = {}
        for lv in levels:
            counts[lv.category] = counts.get(lv.category, 0) + 1
    index = {"format": SUITE_FORMAT, "version": SUITE_VERSION, "name": name,
             "generator_version": GENERATOR_VERSION, "base_seed": base_seed,
             "counts": counts, "levels": entries}
    path = d / INDEX_NAME
    write_text_atomic(path, json.dumps(index, indent=1, sort_keys=True) + "\n")
    return path


def _read_index(d: Path) -> dict:
    path = d / INDEX_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SuiteError(path, "suite index not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SuiteError(path, f"cannot read suite index: {err}") from None
    try:
        index = json.loads(text)
    except json.JSONDecodeError as err:
        raise SuiteError(path, f"not valid JSON: {err}") from None
    if not isinstance(index, dict) or index.get("format") != SUITE_FORMAT:
        raise SuiteError(path, f"not a level suite index (format != {SUITE_FORMAT!r})")
    if index.get("version") != SUITE_VERSION:
        raise SuiteError(path, f"unsupported suite version {index.get('version')!r}")
    levels = index.get("levels")
    if not isinstance(levels, list):
        raise SuiteError(path, "'levels' must be a list")
    for i, e in enumerate(levels):
        if not isinstance(e, dict) or not all(k in e for k in ("level_id", "category", "file",
                                                                  "sha256")):
            raise SuiteError(path, f"level entry {i} lacks level_id/category/file/sha256")
        f = str(e["file"])
        if "/" in f or "\\" in f or f.startswith("."):
            raise SuiteError(path, f"level entry {i} has an unsafe file name {f!r}")
    return index


def load_suite(directory, category: str | None = None, ids=None) -> list[Level]:
    """Load a suite written by :func:`save_suite`, optionally only one category or some ids.

    Raises :class:`SuiteError` naming the offending file on any problem (unknown ids included).
    """
    d = Path(directory)
    index = _read_index(d)
    entries = index["levels"]
    if category is not None:
        entries = [e for e in entries if e["category"] == category]
    if ids is not None:
        wanted = list(ids)
        have = {e["level_id"] for e in entries}
        missing = [i for i in wanted if i not in have]
        if missing:
            raise SuiteError(d / INDEX_NAME, f"level ids not in suite: {missing[:5]}")
        keep = set(wanted)
        entries = [e for e in entries if e["level_id"] in keep]
    out = []
    for e in entries:
        path = d / e["file"]
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise SuiteError(path, "level file listed in suite.json is missing") from None
        except OSError as err:
            raise SuiteError(path, f"cannot read level file: {err}") from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != e["sha256"]:
            raise SuiteError(path, f"sha256 mismatch: file has {digest[:12]}..., "
                                   f"suite.json lists {str(e['sha256'])[:12]}...")
        out.append(Level.from_map_data(data, level_id=str(e["level_id"]),
                                       category=str(e["category"]), seed=e.get("seed"),
                                       name=e.get("name"), source=str(path), strict=True))
    return out


def load_map_dir(directory, category: str = "official") -> list[Level]:
    """Load every raw map file in a directory (sorted by name) as levels named after the files.

    Hidden files and files with metadata suffixes (.json, .md, .txt, ...) are skipped. Structure
    is checked leniently (official maps leave some entity counts at 0); malformed data raises
    :class:`SuiteError` naming the file.
    """
    d = Path(directory)
    if not d.is_dir():
        raise SuiteError(d, "map directory not found")
    out = []
    for path in sorted(d.iterdir(), key=lambda p: p.name):
        if path.name.startswith(".") or not path.is_file() or path.suffix in _SKIP_SUFFIXES:
            continue
        try:
            data = path.read_bytes()
        except OSError as err:
            raise SuiteError(path, f"cannot read map file: {err}") from None
        level_id = path.name[:-len(MAP_SUFFIX)] if path.name.endswith(MAP_SUFFIX) else path.name
        out.append(Level.from_map_data(data, level_id=level_id, category=category, seed=None,
                                       source=str(path), strict=False))
    return out
