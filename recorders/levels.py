"""Where the keyboard recorder gets its levels: a suite directory, a directory of raw maps, one map
file, or (no path) levels generated on the spot by :mod:`npp_sim.levelgen`.

All sources give :class:`PlayLevel` (level_id, name, category, map bytes). Every map is checked
with ``check_map_block`` and parsed once by the simulator's parser so that a bad file fails at
start-up with its name, not in the middle of a session.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from npp_sim.formats import check_map_block, level_name
from npp_sim.map_data import parse_map

__all__ = ["PlayLevel", "LevelSourceError", "load_levels", "load_map_dir", "generated_levels",
           "DEFAULT_COUNT"]

DEFAULT_COUNT = 5  # generated levels per category when no directory is given
_SKIP_SUFFIXES = {".json", ".md", ".txt", ".csv", ".yaml", ".yml", ".py", ".npz", ".replay"}


class LevelSourceError(ValueError):
    """A level source is unusable; the message names the file or directory."""


@dataclass(frozen=True)
class PlayLevel:
    level_id: str
    name: str
    category: str | None
    map_data: bytes = field(repr=False)


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
    """A levelgen suite (``suite.json`` + ``<level_id>.map``), through levelgen's own loader when it
    has one, else by reading ``suite.json``'s level list."""
    try:
        from npp_sim import levelgen
    except ImportError:  # pragma: no cover - levelgen is part of npp_sim
        levelgen = None
    loader = getattr(levelgen, "load_suite", None)
    if loader is not None:
        levels = loader(root, category=category) if category else loader(root)
        out = [PlayLevel(str(lv.level_id), str(getattr(lv, "name", lv.level_id)),
                         getattr(lv, "category", category), bytes(lv.map_data)) for lv in levels]
    else:
        try:
            manifest = json.loads((root / "suite.json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise LevelSourceError(f"{root / 'suite.json'}: unreadable ({exc})") from None
        entries = manifest.get("levels", []) if isinstance(manifest, dict) else []
        out = []
        for e in entries:
            if not isinstance(e, dict) or "level_id" not in e:
                continue
            if category and e.get("category") != category:
                continue
            lv = _from_map_file(root / f"{e['level_id']}.map", e.get("category"))
            out.append(PlayLevel(lv.level_id, e.get("name") or lv.name, e.get("category"), lv.map_data))
    if not out:
        what = f" of category {category!r}" if category else ""
        raise LevelSourceError(f"{root}: suite has no levels{what}")
    for lv in out:
        _check(lv.map_data, f"{root}/{lv.level_id}")
    return out


def generated_levels(categories: Sequence[str] | None = None, count: int = DEFAULT_COUNT,
                     seed: int = 0) -> list[PlayLevel]:
    """``count`` levels per category (seeds ``seed .. seed+count-1``), easiest category first."""
    from npp_sim.levelgen import CATEGORIES, generate_level

    cats = list(categories) if categories else list(CATEGORIES)
    for c in cats:
        if c not in CATEGORIES:
            raise LevelSourceError(f"unknown level category {c!r}; expected one of {', '.join(CATEGORIES)}")
    out = []
    for c in cats:
        for s in range(int(seed), int(seed) + int(count)):
            lv = generate_level(c, s)
            out.append(PlayLevel(lv.level_id, lv.name, lv.category, bytes(lv.map_data)))
    return out


def load_levels(path: str | os.PathLike | None = None, category: str | None = None, *,
                count: int = DEFAULT_COUNT, seed: int = 0) -> list[PlayLevel]:
    """Levels to play.

    - ``path`` is a directory with ``suite.json``: a levelgen suite (``category`` filters it).
    - ``path`` is another directory: raw map files (``category`` is attached as their label).
    - ``path`` is a file: that one raw map.
    - ``path`` is None: generated levels, ``count`` per category from ``seed`` (``category`` picks one).
    """
    if path is None or str(path) == "":
        return generated_levels([category] if category else None, count=count, seed=seed)
    p = Path(path)
    if p.is_dir():
        if (p / "suite.json").is_file():
            return _load_suite(p, category)
        return load_map_dir(p, category)
    if p.is_file():
        return [_from_map_file(p, category)]
    raise LevelSourceError(f"{p}: no such file or directory")
