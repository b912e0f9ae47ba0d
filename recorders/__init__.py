"""Demonstration recorders: keyboard (pygame) and programmatic, writing compact v2 replays.

- :mod:`recorders.api`: :class:`DemoRecorder` (map + simulator, one input byte per frame),
  :func:`record_episode`, :func:`replay_demo`, :class:`DemoWriter` (file naming + statistics).
- :mod:`recorders.levels`: level sources (suite dir, raw map dir/file, generated levels).
- :mod:`recorders.keyboard`: ``python -m recorders.keyboard`` / ``make record-demos`` (imports pygame,
  so it is not imported here).
"""

from .api import (
    INPUT_JUMP,
    INPUT_LEFT,
    INPUT_RIGHT,
    MAX_FRAMES,
    DemoRecorder,
    DemoWriter,
    RecordingError,
    RecordingStats,
    action_to_input,
    input_byte,
    input_to_controls,
    record_episode,
    replay_demo,
)
from .levels import LevelSourceError, PlayLevel, load_levels

__all__ = [
    "INPUT_JUMP",
    "INPUT_LEFT",
    "INPUT_RIGHT",
    "MAX_FRAMES",
    "DemoRecorder",
    "DemoWriter",
    "LevelSourceError",
    "PlayLevel",
    "RecordingError",
    "RecordingStats",
    "action_to_input",
    "input_byte",
    "input_to_controls",
    "load_levels",
    "record_episode",
    "replay_demo",
]
