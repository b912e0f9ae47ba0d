"""The demonstrations PPO's training episodes may start from (``finetune.demo_starts``).

:func:`demo_starts_for` reads a replay folder (the BC dataset's by default) and keeps, for every training
level, the demonstrations recorded on that exact map that win it (cut at the winning frame), for
:class:`npp_sim.demo_starts.DemoStarts`. Files that are not readable demonstrations, or that do not win,
are counted and named in the report, never silently dropped.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence

from imitation_pipeline.errors import UserFacingError

log = logging.getLogger(__name__)


def demo_starts_for(folder: str, maps: Sequence[bytes], what: str = "finetune.demo_starts_dir"
                    ) -> tuple[dict[int, list[bytes]], dict]:
    """``({level index: [winning input prefixes]}, report)`` for the training ``maps``."""
    from npp_sim.demo_starts import winning_prefix
    from npp_sim.formats import DemoFormatError, read_demo

    from imitation_pipeline.data.generation import list_replays
    from imitation_pipeline.errors import DatasetError

    try:
        files = list_replays(folder)
    except DatasetError as e:
        raise UserFacingError(f"{what}: {e}") from None
    index_of: dict[bytes, list[int]] = defaultdict(list)
    for i, m in enumerate(maps):
        index_of[bytes(m)].append(i)
    demos: dict[int, list[bytes]] = defaultdict(list)
    unreadable, not_won, other_maps = [], [], 0
    for path in files:
        try:
            demo = read_demo(path)
        except DemoFormatError as e:
            unreadable.append(str(e))
            continue
        targets = index_of.get(bytes(demo.map_data))
        if not targets:
            other_maps += 1
            continue
        prefix = winning_prefix(demo.map_data, demo.inputs)
        if prefix is None:
            not_won.append(path.name)
            continue
        for i in targets:
            demos[i].append(prefix)
    if not demos:
        raise UserFacingError(f"{what}: {folder} holds no winning demonstration of any of the {len(maps)} "
                              f"training levels ({len(files)} files; {other_maps} on other maps)")
    report = {"folder": str(folder), "levels_with_demos": len(demos), "training_levels": len(maps),
              "demos": sum(len(v) for v in demos.values()), "demo_frames": sum(len(d) for v in demos.values() for d in v),
              "files_on_other_maps": other_maps, "not_won": not_won, "unreadable": unreadable}
    for line in unreadable:
        log.warning(f"demo starts: skipped {line}")
    for name in not_won:
        log.warning(f"demo starts: skipped {name} (does not win its level)")
    return dict(demos), report
