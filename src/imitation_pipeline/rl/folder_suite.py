"""A level suite from a folder of N++ files (``evaluate.levels_dir``, ``suites.train_dir``, ``suites.eval_dir``).

Every regular file under the folder (recursively, sorted by relative path; hidden files and folders
are ignored) is read by content, never by name:

* raw N++ map data: a block that passes :func:`npp_sim.formats.check_map_block`,
* a replay (v0, v1, v2) or an attract file: whatever :func:`npp_sim.formats.read_demo` reads (the
  detection ``stage=verify`` uses); its map block is the level.

The level is named by its file (path relative to the folder), its category is the name of the
folder it lies in (``custom`` for files at the top). Files whose map is byte-identical to an earlier
one count once. Anything else (not a map, an inconsistent map block, a map the simulator cannot
load) is left out with one line naming the file and the reason; entity types the simulator does not
model are skipped by the simulator and listed per level (``LevelSet.skipped_entity_types``).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

from imitation_pipeline.errors import DatasetError

from .level_set import LevelSet

log = logging.getLogger(__name__)

TOP_CATEGORY = "custom"


def _files(root: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """(regular files, [(relative path, reason)] of the entries that are not) under ``root``, sorted."""
    files, others = [], []
    for d, dirs, names in os.walk(root):
        dirs[:] = sorted(n for n in dirs if not n.startswith("."))
        for n in names:
            if n.startswith("."):
                continue
            p = Path(d) / n
            if p.is_file():
                files.append(p)
            else:
                what = "a dangling link" if p.is_symlink() and not p.exists() else "not a regular file"
                others.append((p.relative_to(root).as_posix(), what))
    files.sort(key=lambda p: p.relative_to(root).as_posix())
    return files, others


def read_map(path: Path, name: str) -> tuple[bytes, str]:
    """(map data, format) of one file: ``map`` (raw map data), ``v0``, ``v1``, ``v2`` or ``attract``.

    Raises ValueError with the reason (one line, without the file name) when the file holds no usable map.
    """
    from npp_sim.formats import MIN_MAP_BYTES, DemoFormatError, check_map_block, read_demo
    from npp_sim.formats.reader import MAX_FILE_BYTES

    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"not a map: {size} bytes is too large")
    data = path.read_bytes()
    map_problems = check_map_block(data) if len(data) >= MIN_MAP_BYTES else [f"only {len(data)} bytes"]
    if not map_problems:
        return data, "map"
    try:
        demo = read_demo(data, name=name, strict=False)
    except DemoFormatError as err:
        raise ValueError(f"not a map: neither raw map data ({map_problems[0]}) nor a replay "
                         f"({getattr(err, 'problem', err)})") from None
    if demo.problems:
        raise ValueError(f"{demo.format} replay whose map block is inconsistent: {'; '.join(demo.problems)}")
    return bytes(demo.map_data), demo.format


def _skipped_types(map_data: bytes, name: str) -> dict[str, int]:
    """{entity type: records} the simulator skips in this map (raises MapFormatError when it cannot load it)."""
    from npp_sim.map_data import parse_map

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reported per level instead
        level = parse_map(map_data, source=name)
    return {str(t): int(n) for t, n in sorted(level.skipped_types.items())}


def folder_level_set(folder, what: str) -> LevelSet:
    """The levels of every map file under ``folder``; ``what`` names the option in errors (``evaluate.levels_dir``)."""
    from npp_sim.errors import MapFormatError

    root = Path(str(folder)).expanduser()
    if not root.is_dir():
        raise DatasetError(f"{what}={folder}: not a directory")
    files, others = _files(root)
    skipped = [{"file": rel, "reason": f"skipped ({why})"} for rel, why in others]
    maps, names, cats, formats, ent_skipped = [], [], [], [], []
    first_of: dict[bytes, str] = {}
    for path in files:
        rel = path.relative_to(root).as_posix()
        try:
            map_data, fmt = read_map(path, rel)
            types = _skipped_types(map_data, rel)
        except MapFormatError as err:  # a ValueError too: first
            skipped.append({"file": rel, "reason": f"the simulator cannot load its map: {err.problem}"})
            continue
        except ValueError as err:
            skipped.append({"file": rel, "reason": str(err)})
            continue
        except OSError as err:
            skipped.append({"file": rel, "reason": f"unreadable ({err.strerror or err})"})
            continue
        if map_data in first_of:
            skipped.append({"file": rel, "reason": f"same map as {first_of[map_data]} (counted once)"})
            continue
        first_of[map_data] = rel
        maps.append(map_data)
        names.append(rel)
        cats.append(path.parent.name if path.parent != root else TOP_CATEGORY)
        formats.append(fmt)
        ent_skipped.append(types)
    skipped.sort(key=lambda s: s["file"])
    for s in skipped:
        log.warning(f"{what}: {s['file']}: {s['reason']}")
    if not maps:
        found = f"{len(skipped)} file(s), none usable" if skipped else "no files"
        raise DatasetError(f"{what}={folder}: no N++ map in folder ({found}; raw map data, replays "
                           "v0/v1/v2 and attract files are read)")
    for name, types in zip(names, ent_skipped, strict=True):
        if types:
            log.info(f"{what}: {name}: the simulator skips entity types "
                     + ", ".join(f"{t} x{n}" for t, n in types.items()))
    return LevelSet(maps, names, cats, source=str(root.resolve()), formats=formats, skipped=skipped,
                    skipped_entity_types=ent_skipped)
