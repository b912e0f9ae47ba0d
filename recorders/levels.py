"""Where the keyboard recorder gets its levels: a suite directory, a directory of raw maps, one map
file, or (no path) levelgen's train suite, generated on the spot.

All sources give :class:`PlayLevel` (level_id, name, category, map bytes). Every map is checked
with ``check_map_block`` and parsed once by the simulator's parser so that a bad file fails at
start-up with its name, not in the middle of a session.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from npp_sim.formats import check_map_block, level_name
from npp_sim.map_data import parse_map

__all__ = ["PlayLevel", "LevelSourceError", "load_levels", "load_map_dir", "train_suite_levels"]

_SKIP_SUFFIXES = {".json", ".md", ".txt", ".csv", ".yaml", ".yml", ".py", ".npz", ".replay"}


class LevelSourceError(ValueError):
    """A level source is unusable; the message names the file or directory."""


class PlayLevel:
    """One playable level: ``level_id``, ``name``, ``category`` and its map bytes, given directly or
    made on first use by ``loader()`` (generated levels are built only when played)."""

    __slots__ = ("level_id", "name", "category", "_map_data", "_loader")

    def __init__(self, level_id: str, name: str, category: str | None, map_data: bytes | None = None,
                 *, loader: Callable[[], bytes] | None = None):
        if (map_data is None) == (loader is None):
            raise ValueError("PlayLevel needs exactly one of map_data and loader")
        self.level_id = str(level_id)
        self.name = str(name)
        self.category = category
        self._map_data = None if map_data is None else bytes(map_data)
        self._loader = loader

    @property
    def map_data(self) -> bytes:
        if self._map_data is None:
            self._map_data = bytes(self._loader())
        return self._map_data

    def __repr__(self) -> str:
        return f"PlayLevel({self.level_id!r}, category={self.category!r})"


def _check(map_data: bytes, source: str) -> None:
    problems = check_map_block(map_data)
    if problems:
        raise LevelSourceError(f"{source}: not a usable map ({'; '.join(problems)})")
    try:
        parse_map(map_data, source)
    except ValueError as exc:
        raise LevelSourceError(f"{source}: {exc}") from None


def _from_map_file(path: Path, category: str | None) -> PlayLevel:
    data = path.read_bytes()
    _check(data, str(path))
    return PlayLevel(level_id=path.stem if path.suffix == ".map" else path.name,
                     name=level_name(data) or path.name, category=category, map_data=data)


def load_map_dir(path: str | os.PathLike, category: str | None = None) -> list[PlayLevel]:
    """Every raw map file in ``path`` (sorted by name; hidden files and json/md/txt/... skipped).

    Raw maps carry no category; ``category`` is attached to them (it ends up in the demos).
    """
    root = Path(path)
    files = sorted(p for p in root.iterdir()
                   if p.is_file() and not p.name.startswith(".") and p.suffix.lower() not in _SKIP_SUFFIXES)
    levels = [_from_map_file(p, category) for p in files]
    if not levels:
        raise LevelSourceError(f"{root}: no map files found")
    return levels


def _load_suite(root: Path, category: str | None) -> list[PlayLevel]:
    """A levelgen suite directory (``suite.json`` + ``<level_id>.map``), read by levelgen's loader
    (which checks every file's sha256)."""
    from npp_sim.levelgen.suite import load_suite

    out = [PlayLevel(str(lv.level_id), str(lv.name), lv.category, bytes(lv.map_data))
           for lv in load_suite(root, category=category)]
    if not out:
        what = f" of category {category!r}" if category else ""
        raise LevelSourceError(f"{root}: suite has no levels{what}")
    for lv in out:
        _check(lv.map_data, f"{root}/{lv.level_id}")
    return out


def train_suite_levels(category: str | None = None, count: int | None = None) -> list[PlayLevel]:
    """The levels of levelgen's ``train`` suite (registered base seed, default counts), generated
    when first played (about 20 ms each): byte-identical to ``python -m npp_sim.levelgen build --suite train``, so demos name
    the suite's level ids and no manual build step is needed. Never the test suite.

    ``category`` keeps one category; ``count`` keeps the first ``count`` levels of each.
    """
    from npp_sim.levelgen import CATEGORIES, generate_level, level_id_for
    from npp_sim.levelgen.suite import DEFAULT_TRAIN_COUNTS, SUITE_BASE_SEEDS, suite_seeds

    if category is not None and category not in CATEGORIES:
        raise LevelSourceError(f"unknown level category {category!r}; expected one of "
                               f"{', '.join(CATEGORIES)}")
    counts = {c: n for c, n in DEFAULT_TRAIN_COUNTS.items() if category in (None, c)}
    if count is not None:
        counts = {c: min(n, int(count)) for c, n in counts.items()}
    out = []
    for cat, seed in suite_seeds(counts, SUITE_BASE_SEEDS["train"]):
        out.append(PlayLevel(level_id_for(cat, seed), f"gen {cat} {seed}", cat,
                             loader=lambda c=cat, s=seed: generate_level(c, s).map_data))
    if not out:
        raise LevelSourceError("no train-suite levels selected (count 0?)")
    return out


def load_levels(path: str | os.PathLike | None = None, category: str | None = None, *,
                count: int | None = None) -> list[PlayLevel]:
    """Levels to play.

    - ``path`` is a directory with ``suite.json``: a levelgen suite (``category`` filters it).
    - ``path`` is another directory: raw map files (``category`` is attached as their label).
    - ``path`` is a file: that one raw map.
    - ``path`` is None: the train suite generated on the spot (:func:`train_suite_levels`;
      ``category`` picks one category, ``count`` caps the levels per category).
    """
    if path is None or str(path) == "":
        return train_suite_levels(category, count)
    p = Path(path)
    if p.is_dir():
        if (p / "suite.json").is_file():
            return _load_suite(p, category)
        return load_map_dir(p, category)
    if p.is_file():
        return [_from_map_file(p, category)]
    raise LevelSourceError(f"{p}: no such file or directory")
