"""The levels of a run: PPO training levels, held-out evaluation levels, and the test suite.

All come from :mod:`npp_sim.levelgen` by seed, so they are byte-identical on every machine:

* ``train``: train-suite levels ``0..n_c-1`` of each category c (``suites.train``),
* ``eval``:  ``suites.eval[c]`` train-suite levels of each category from index ``EVAL_OFFSET`` on:
  never trained on, neither by PPO nor by BC (the built-in demos use the first ~100 of each category),
* ``test``:  test-suite levels ``0..n_c-1`` (``suites.test``), a disjoint seed range.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from imitation_pipeline.errors import UserFacingError

from .level_set import LevelSet

SUITE_NAMES = ("train", "eval", "test")
EVAL_OFFSET = 1000  # first train-suite index of the eval levels (beyond demos/npp and suites.train)


def _counts(counts: Mapping, what: str) -> dict[str, int]:
    from npp_sim.levelgen import CATEGORIES

    out = {}
    for cat, n in dict(counts).items():
        if cat not in CATEGORIES:
            raise UserFacingError(f"{what}: unknown category {cat!r}; known: {', '.join(CATEGORIES)}")
        if int(n) < 0:
            raise UserFacingError(f"{what}.{cat}: count must be >= 0, got {n}")
        out[cat] = int(n)
    return out


def level_set(suites_cfg, which: str) -> LevelSet:
    """Generate the levels of ``which`` (train | eval | test) from the ``suites`` config block."""
    from npp_sim.levelgen import CATEGORIES, SUITE_BASE_SEEDS, generate_level
    from npp_sim.levelgen.suite import CATEGORY_INDEX, CATEGORY_STRIDE

    if which not in SUITE_NAMES:
        raise UserFacingError(f"unknown level suite {which!r}; expected one of {', '.join(SUITE_NAMES)}")
    counts = {c: n for c, n in _counts(suites_cfg[which], f"suites.{which}").items() if n > 0}
    offsets = dict.fromkeys(CATEGORIES, 0)
    if which == "eval":  # held out: far after the training levels and the built-in demos' levels
        train = _counts(suites_cfg["train"], "suites.train")
        too_many = {c: n for c, n in train.items() if n > EVAL_OFFSET}
        if too_many:
            raise UserFacingError(f"suites.train: at most {EVAL_OFFSET} levels per category (the eval levels "
                                  f"start there); got {too_many}")
        offsets = dict.fromkeys(CATEGORIES, EVAL_OFFSET)
    base = SUITE_BASE_SEEDS["test" if which == "test" else "train"]
    maps, names, cats = [], [], []  # categories with count 0 are left out (also of per-category reports)
    for cat in CATEGORIES:  # fixed category order, whatever the config's key order
        for i in range(offsets[cat], offsets[cat] + counts.get(cat, 0)):
            level = generate_level(cat, base + CATEGORY_INDEX[cat] * CATEGORY_STRIDE + i)
            maps.append(level.map_data)
            names.append(f"{cat}/{level.level_id}")
            cats.append(cat)
    if not maps:
        raise UserFacingError(f"suites.{which} selects no levels (every count is 0)")
    return LevelSet(maps, names, cats)


def suite_levels(suites_cfg, which: str, folder=None, what: str | None = None) -> LevelSet:
    """The maps of ``folder`` when it is set (``what`` names its option), else the generated suite ``which``."""
    if folder:
        from .folder_suite import folder_level_set

        return folder_level_set(folder, what or f"suites.{which}_dir")
    return level_set(suites_cfg, which)


SPLIT_SIDES = ("train", "val")


def bc_split_levels(provenance: Mapping, side: str, checkpoint: str) -> LevelSet:
    """The levels a BC checkpoint trained (``side="train"``) or validated (``"val"``) on, read from the
    replay files its provenance records (``split``: see ``training.bc_data.split_record``); the map of
    each level comes from its replay, its category from the record. ``checkpoint`` names the file in errors."""
    from npp_sim.formats import DemoFormatError, read_demo

    from imitation_pipeline.errors import CheckpointError, DatasetError

    if side not in SPLIT_SIDES:
        raise UserFacingError(f"evaluate.bc_levels={side}: expected one of {', '.join(SPLIT_SIDES)}")
    split = provenance.get("split")
    if not isinstance(split, Mapping) or not isinstance(split.get(side), Mapping):
        raise CheckpointError(f"{checkpoint}: records no BC data split (stage=bc checkpoints trained on N++ "
                              "replays record one since this version); evaluate.bc_levels needs it")
    root = Path(str(split["replay_dir"]))
    levels = dict(split[side])
    if not levels:
        raise UserFacingError(f"{checkpoint}: its BC {side} split holds no level")
    maps, names, cats = [], [], []
    for key, file in levels.items():
        path = root / str(file)
        try:
            demo = read_demo(path)
        except FileNotFoundError:
            raise DatasetError(f"{path}: replay of {side} level {key} is missing (the checkpoint was trained "
                               f"on {root})") from None
        except (DemoFormatError, OSError) as err:
            raise DatasetError(f"{path}: replay of {side} level {key} is unreadable ({err})") from None
        maps.append(bytes(demo.map_data))
        names.append(str(key))
        cats.append(str(key).split("/", 1)[0])
    return LevelSet(maps, names, cats, source=str(root))
