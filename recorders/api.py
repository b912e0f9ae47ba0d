"""Programmatic demonstration recording: :class:`DemoRecorder`, :func:`record_episode`, :class:`DemoWriter`.

A recording is the map bytes plus **one input byte per simulator frame** (bits: 0 jump, 1 right,
2 left; FORMAT_FACTS section 3). Input byte i is the input of tick i+1 and recording stops on the
frame the episode ends (won or dead), exactly like nclone's human replays, so
``run_inputs(map_data, inputs)`` reproduces the run frame for frame. Frames are never stored.

Actions vs input bytes: ``DemoRecorder.step(action)`` takes a ``Discrete(6)`` env action
(0 NOOP, 1 LEFT, 2 RIGHT, 3 JUMP, 4 LEFT+JUMP, 5 RIGHT+JUMP); ``step_input(byte)`` takes a raw
input byte (0-7; left+right cancel, as ``run_inputs``' default rule). The two number ranges overlap,
so they are separate methods.

Decision rate: ``DemoRecorder(frame_skip=k)`` applies each action for k frames (stopping early on a
terminal frame, like ``NppEnv``) and still records one byte per frame; files are therefore always
written per frame (v2 header ``frame_skip`` = 1) unless ``save(frame_skip=k)`` is asked to store one
byte per decision (see :meth:`DemoRecorder.save`). :func:`replay_demo` undoes either.

Typical use::

    rec = DemoRecorder(map_bytes, level_id="simple-0003", category="simple")
    while not rec.done:
        rec.step(policy(rec.sim))
    rec.save("demos/x.replay", recorder="planner")     # success = rec.won

    writer = DemoWriter("demos/recorded", recorder="planner")
    writer.finish(rec)        # counts the attempt; saves <level_id>_<UTC stamp>_<n>.replay if won
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from npp_sim.env import ACTION_INPUT_BYTES
from npp_sim.formats import Demo, read_demo, write_demo
from npp_sim.simulator import Simulator, Trace, run_inputs

__all__ = [
    "INPUT_JUMP",
    "INPUT_RIGHT",
    "INPUT_LEFT",
    "MAX_FRAMES",
    "RecordingError",
    "input_byte",
    "action_to_input",
    "input_to_controls",
    "DemoRecorder",
    "record_episode",
    "replay_demo",
    "RecordingStats",
    "DemoWriter",
]

INPUT_JUMP, INPUT_RIGHT, INPUT_LEFT = 1, 2, 4
MAX_FRAMES = 20000  # N++'s level frame limit (FORMAT_FACTS section 5)


class RecordingError(RuntimeError):
    """A recorder was used in a way that would produce a wrong recording (e.g. stepping after the end)."""


# --- input encoding ------------------------------------------------------------------------------
def input_byte(left: bool, right: bool, jump: bool) -> int:
    """The input byte for held controls. Left and right together cancel (byte without either bit),
    so recordings only ever contain the human bytes 0-5."""
    b = INPUT_JUMP if jump else 0
    if left and not right:
        b |= INPUT_LEFT
    elif right and not left:
        b |= INPUT_RIGHT
    return b


def action_to_input(action: int) -> int:
    """Discrete(6) env action -> input byte (0, 4, 2, 1, 5, 3)."""
    a = int(action)
    if not 0 <= a < len(ACTION_INPUT_BYTES) or a != action:
        raise ValueError(f"action must be an int in 0..{len(ACTION_INPUT_BYTES) - 1}, got {action!r}")
    return ACTION_INPUT_BYTES[a]


def input_to_controls(byte: int) -> tuple[int, int]:
    """Input byte -> (hor, jump) for ``Simulator.tick``; left+right cancel (run_inputs' default)."""
    b = int(byte)
    if not 0 <= b <= 15:
        raise ValueError(f"input byte must be in 0..15, got {byte!r}")
    hor = ((b >> 1) & 1) - ((b >> 2) & 1)
    return hor, b & 1


# --- the recorder --------------------------------------------------------------------------------
def _map_bytes(map_data) -> bytes:
    if hasattr(map_data, "map_bytes"):  # npp_sim.map_data.LevelData
        return bytes(np.asarray(map_data.map_bytes, dtype=np.uint8).tobytes())
    if isinstance(map_data, np.ndarray):
        return np.ascontiguousarray(map_data, dtype=np.uint8).tobytes()
    return bytes(map_data)


class DemoRecorder:
    """Plays one map in a :class:`Simulator` and records the input byte of every frame.

    Attributes: ``map_data`` (bytes), ``sim``, ``level_id``, ``category``, ``frame_skip`` (frames
    per :meth:`step`), ``max_frames``. State: ``won``, ``dead``, ``truncated``, ``done``,
    ``outcome`` ("won"/"died"/"neither"), ``frames`` (simulator ticks so far = recorded bytes),
    ``inputs`` (uint8 copy).
    """

    def __init__(
        self,
        map_data,
        *,
        level_id: int | str | None = None,
        category: str | None = None,
        frame_skip: int = 1,
        max_frames: int = MAX_FRAMES,
        sim: Simulator | None = None,
        source: str = "<map>",
    ):
        if int(frame_skip) < 1:
            raise ValueError(f"frame_skip must be >= 1, got {frame_skip}")
        if int(max_frames) < 1:
            raise ValueError(f"max_frames must be >= 1, got {max_frames}")
        self.map_data = _map_bytes(map_data)
        self.sim = sim if sim is not None else Simulator(self.map_data, source)
        self.level_id = level_id
        self.category = category
        self.frame_skip = int(frame_skip)
        self.max_frames = int(max_frames)
        self._buf = bytearray()
        self.reset()

    # --- state ---------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the level start with an empty recording."""
        self.sim.reset()
        self._buf.clear()

    @property
    def won(self) -> bool:
        return self.sim.won

    @property
    def dead(self) -> bool:
        return self.sim.dead

    @property
    def truncated(self) -> bool:
        return not (self.won or self.dead) and len(self._buf) >= self.max_frames

    @property
    def done(self) -> bool:
        return self.won or self.dead or len(self._buf) >= self.max_frames

    @property
    def outcome(self) -> str:
        return "won" if self.won else "died" if self.dead else "neither"

    @property
    def frames(self) -> int:
        return len(self._buf)

    @property
    def inputs(self) -> np.ndarray:
        return np.frombuffer(bytes(self._buf), dtype=np.uint8).copy()

    def snapshot(self) -> tuple:
        """Simulator state plus recording length (for planners that branch and back up)."""
        return self.sim.snapshot(), len(self._buf)

    def restore(self, snap: tuple) -> None:
        state, n = snap
        if n > len(self._buf):
            raise RecordingError("cannot restore a snapshot taken after inputs that were since dropped")
        self.sim.restore(state)
        del self._buf[n:]

    # --- stepping ------------------------------------------------------------------------------
    def tick_input(self, byte: int) -> bool:
        """Record ``byte`` and advance exactly one frame. Returns ``done``."""
        if self.done:
            raise RecordingError(f"episode already ended ({self.outcome}, frame {self.frames})")
        hor, jump = input_to_controls(byte)
        self._buf.append(int(byte))
        self.sim.tick(hor, jump)
        return self.done

    def step_input(self, byte: int) -> bool:
        """Hold input ``byte`` for ``frame_skip`` frames (fewer if the episode ends). Returns ``done``."""
        for _ in range(self.frame_skip):
            if self.tick_input(byte):
                break
        return self.done

    def step(self, action: int) -> bool:
        """Hold Discrete(6) ``action`` for ``frame_skip`` frames. Returns ``done``."""
        return self.step_input(action_to_input(action))

    # --- output --------------------------------------------------------------------------------
    def save(
        self,
        path: str | os.PathLike,
        *,
        recorder: str = "api",
        level_id: int | str | None = None,
        category: str | None = None,
        frame_skip: int = 1,
        meta: Mapping[str, Any] | None = None,
        created: str | datetime | None = None,
    ) -> Path:
        """Write the recording as a v2 demo (atomic, via ``write_demo``), ``success = self.won``.

        ``level_id``/``category`` default to the recorder's. ``frame_skip`` = 1 (default) stores one
        byte per frame. ``frame_skip`` = k stores one byte per k frames; every block of k frames
        must then hold one input (the last block may be shorter), else ValueError. The frame count
        and outcome go into ``meta`` (keys ``frames``, ``outcome``) for checking on read.
        """
        k = int(frame_skip)
        if k < 1:
            raise ValueError(f"frame_skip must be >= 1, got {frame_skip}")
        inputs = self.inputs
        if k > 1:
            blocks = inputs[::k]
            if not np.array_equal(np.repeat(blocks, k)[: inputs.size], inputs):
                raise ValueError(f"inputs change inside a block of {k} frames; cannot store them at frame_skip={k}")
            inputs = blocks
        extra = {"frames": self.frames, "outcome": self.outcome}
        extra.update(meta or {})
        return write_demo(
            path,
            self.map_data,
            inputs,
            success=self.won,
            level_id=self.level_id if level_id is None else level_id,
            category=self.category if category is None else category,
            frame_skip=k,
            recorder=recorder,
            meta=extra,
            created=created,
        )


def record_episode(
    env_or_map,
    policy_fn: Callable[[Any], int],
    max_frames: int = MAX_FRAMES,
    *,
    level_index: int | None = None,
    seed: int | None = None,
    level_id: int | str | None = None,
    category: str | None = None,
) -> DemoRecorder:
    """Run ``policy_fn`` for one episode and return the :class:`DemoRecorder` holding it.

    - With a gymnasium NPP env (``NppEnv`` or a wrapper of it): the env is reset (``level_index``,
      ``seed`` passed through), ``policy_fn(obs) -> action`` is called before every env step, and
      the recorder mirrors the env's simulator frame by frame (its ``frame_skip`` included); the
      env's observation pipeline is used unchanged. ``level_id`` defaults to the env's level name.
    - With map bytes (or a LevelData): ``policy_fn(recorder) -> action`` is called before every
      frame; the recorder exposes ``.sim`` for state.

    Stops on a win, a death or ``max_frames`` simulator frames.
    """
    if hasattr(env_or_map, "step") and hasattr(env_or_map, "reset"):
        return _record_env(env_or_map, policy_fn, max_frames, level_index, seed, level_id, category)
    rec = DemoRecorder(env_or_map, level_id=level_id, category=category, max_frames=max_frames)
    while not rec.done:
        rec.step(policy_fn(rec))
    return rec


def _record_env(env, policy_fn, max_frames, level_index, seed, level_id, category) -> DemoRecorder:
    base = env.unwrapped
    options = {} if level_index is None else {"level_index": int(level_index)}
    obs, info = env.reset(seed=seed, options=options)
    sim = base.sim
    rec = DemoRecorder(
        sim.level,
        level_id=info.get("level_name") if level_id is None else level_id,
        category=category,
        max_frames=max_frames,
        sim=sim,
    )  # its reset() puts the simulator where env.reset() just put it
    while not rec.done:
        action = int(policy_fn(obs))
        byte = action_to_input(action)
        before = sim.frame
        obs, _r, terminated, truncated, info = env.step(action)
        ticks = sim.frame - before
        rec._buf.extend([byte] * ticks)
        if terminated or truncated:
            break
    return rec


def replay_demo(demo: Demo | str | os.PathLike) -> Trace:
    """Replay a demo (or the file at a path) through ``run_inputs``: per-decision bytes are expanded
    by the file's ``frame_skip`` (cut to the recorded ``meta.extra.frames`` when present)."""
    if not isinstance(demo, Demo):
        demo = read_demo(demo)
    k = int(demo.meta.get("frame_skip", 1) or 1)
    inputs = np.asarray(demo.inputs, dtype=np.uint8)
    if k > 1:
        inputs = np.repeat(inputs, k)
        frames = (demo.meta.get("extra") or {}).get("frames")
        if isinstance(frames, int) and 0 <= frames <= inputs.size:
            inputs = inputs[:frames]
    return run_inputs(demo.map_data, inputs, source=demo.name or "<demo>")


# --- sessions: naming and statistics -------------------------------------------------------------
@dataclass
class RecordingStats:
    """Counts over one recording session (recorded attempts only; ``levels_played`` counts every
    level on which at least one frame was simulated, recording or not)."""

    attempts: int = 0  # recorded attempts that ended (won, died, reset or discarded), >= 1 frame
    wins: int = 0
    deaths: int = 0
    discarded: int = 0  # attempts dropped with N (not counted as wins/deaths unless they ended so)
    saved: int = 0  # files written
    frames: int = 0  # frames recorded over all attempts
    frames_saved: int = 0
    levels: set = field(default_factory=set)

    @property
    def levels_played(self) -> int:
        return len(self.levels)

    def as_dict(self) -> dict[str, int]:
        d = asdict(self)
        d.pop("levels")
        d["levels_played"] = self.levels_played
        return d

    def summary(self) -> str:
        return (
            f"levels played {self.levels_played}, attempts {self.attempts}, wins {self.wins}, "
            f"deaths {self.deaths}, saved demos {self.saved}, frames recorded {self.frames}"
        )


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(level_id) -> str:
    s = _UNSAFE.sub("-", str(level_id if level_id is not None else "level")).strip("-.")
    return s or "level"


class DemoWriter:
    """Names, saves and counts recordings in ``out_dir``.

    Files are ``<level_id>_<UTC YYYYmmddTHHMMSSZ>_<n>.replay`` where n counts the files this writer
    wrote (1, 2, ...; skipped forward if the name exists). ``finish(rec)`` records an attempt's
    outcome in :attr:`stats` and saves it when won (or always, with ``save_failures=True``).
    ``clock`` (returning an aware datetime) makes names reproducible in tests.
    """

    def __init__(
        self,
        out_dir: str | os.PathLike,
        *,
        recorder: str = "api",
        save_failures: bool = False,
        clock: Callable[[], datetime] | None = None,
    ):
        self.out_dir = Path(out_dir)
        self.recorder = recorder
        self.save_failures = bool(save_failures)
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.stats = RecordingStats()
        self.paths: list[Path] = []
        self._n = 0

    def path_for(self, level_id, when: datetime | None = None) -> Path:
        when = (when or self.clock()).astimezone(timezone.utc)
        stamp = when.strftime("%Y%m%dT%H%M%SZ")
        while True:
            self._n += 1
            p = self.out_dir / f"{_safe_name(level_id)}_{stamp}_{self._n}.replay"
            if not p.exists():
                return p

    def note_level(self, level_id) -> None:
        self.stats.levels.add(str(level_id))

    def finish(self, rec: DemoRecorder, *, discarded: bool = False,
               meta: Mapping[str, Any] | None = None) -> Path | None:
        """End one attempt: update the statistics and save it if it was won (and not discarded).

        Attempts with no frames are ignored. Returns the written path or None.
        """
        if rec.frames == 0:
            return None
        s = self.stats
        s.attempts += 1
        s.frames += rec.frames
        s.wins += rec.won
        s.deaths += rec.dead
        s.discarded += discarded
        self.note_level(rec.level_id)
        if discarded or not (rec.won or self.save_failures):
            return None
        when = self.clock()
        path = rec.save(self.path_for(rec.level_id, when), recorder=self.recorder, meta=meta,
                        created=when)
        s.saved += 1
        s.frames_saved += rec.frames
        self.paths.append(path)
        return path
