"""A run's levels as the RL stages and evaluation take them: maps, names and categories (and, for a
folder suite, where they came from). Built by :mod:`.levels` (generated suites) and :mod:`.folder_suite`
(a folder of maps)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LevelSet:
    maps: list[bytes]
    names: list[str]  # "<category>/<level_id>"; a folder suite: the file's path relative to the folder
    categories: list[str]
    # a folder suite (rl/folder_suite.py) only: the folder, each level's file format, the files left out
    # ({file, reason}) and per level the entity types the simulator skips ({type: records})
    source: str | None = None
    formats: list[str] | None = None
    skipped: list[dict] = field(default_factory=list)
    skipped_entity_types: list[dict] | None = None

    def __len__(self) -> int:
        return len(self.maps)
