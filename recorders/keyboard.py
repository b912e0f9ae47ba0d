"""Keyboard recorder: play N++ levels in a pygame window and save won runs as v2 demonstrations.

Usage::

    python -m recorders.keyboard [--levels PATH] [--category CAT] [--out DIR] [--start N|LEVEL_ID]
                                 [--count N] [--scale F] [--fps 60] [--max-frames 20000]
    make record-demos [LEVELS=dir] [CATEGORY=cat] [OUT=demos/recorded]

``--levels``: a levelgen suite directory (``suite.json`` + ``*.map``; ``--category`` filters it), a
directory of raw map files or one map file (``--category`` then labels the demos). Without it, the
levels of levelgen's train suite are generated on the spot (the same bytes and level ids as
``python -m npp_sim.levelgen build --suite train``; never the test suite); ``--category`` keeps one
category and ``--count`` the first N levels of each.

Keys (one simulator frame per displayed frame, 60 fps)::

    Left/A, Right/D          move          Space, Up/W, Z    jump
    B      start recording: reset the level, then record every frame (recording mode stays on)
    N      stop recording: discard the current attempt and reset the level (play goes on, idle)
    R      reset the level; while recording, a won attempt is saved first and a new attempt starts
    PageUp/[ , PageDown/]    previous / next level (a won attempt is saved first)
    Esc, closing the window  quit (a won attempt is saved first) and print the statistics

Left and right held together cancel. The simulation stops on a win or death (the recording ends
exactly on that frame, like nclone's replays); press R to go again. Files are
``<OUT>/<level_id>_<UTC time>_<n>.replay`` (format v2, success flag set, ``recorder="keyboard"``);
only input bytes are stored, never frames.

The game logic is :class:`KeyboardSession` (pure: fed pygame events, one frame per
:meth:`~KeyboardSession.advance`); the window is :class:`RecorderWindow`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
from npp_sim.render import StaticLayers, rgb_frame  # noqa: E402

from recorders.api import MAX_FRAMES, DemoRecorder, DemoWriter, RecordingStats, input_byte  # noqa: E402
from recorders.levels import LevelSourceError, PlayLevel, load_levels  # noqa: E402

__all__ = ["KEYS_LEFT", "KEYS_RIGHT", "KEYS_JUMP", "KeyboardSession", "RecorderWindow", "main"]

KEYS_LEFT = frozenset({pygame.K_LEFT, pygame.K_a})
KEYS_RIGHT = frozenset({pygame.K_RIGHT, pygame.K_d})
KEYS_JUMP = frozenset({pygame.K_SPACE, pygame.K_UP, pygame.K_w, pygame.K_z})
KEYS_PREV = frozenset({pygame.K_PAGEUP, pygame.K_LEFTBRACKET})
KEYS_NEXT = frozenset({pygame.K_PAGEDOWN, pygame.K_RIGHTBRACKET})
_FOCUS_LOST = {getattr(pygame, "WINDOWFOCUSLOST", -1)}


class KeyboardSession:
    """The recorder's game loop without a window.

    Feed it the frame's pygame events with :meth:`advance` (one call = one displayed frame = one
    simulator tick unless the episode has ended). Held keys are tracked from KEYDOWN/KEYUP events;
    a key pressed and released within one frame still counts for that frame.

    ``recording`` is the mode switched on by B and off by N; each attempt in that mode (level start
    to R / level change / quit) is one :class:`DemoRecorder` handed to ``writer.finish`` (which
    counts it and saves it when won). Statistics: ``writer.stats``.
    """

    def __init__(self, levels: Sequence[PlayLevel], writer: DemoWriter, *, start: int = 0,
                 max_frames: int = MAX_FRAMES):
        if not levels:
            raise ValueError("KeyboardSession needs at least one level")
        self.levels = list(levels)
        self.writer = writer
        self.max_frames = int(max_frames)
        self.recording = False
        self.running = True
        self.last_event = "B: record  R: reset  [ ]: level  Esc: quit"
        self.last_saved: Path | None = None
        self._held: set[int] = set()
        self._recs: dict[int, DemoRecorder] = {}
        self.level_index = -1
        self._select(int(start) % len(self.levels))

    # --- state ---------------------------------------------------------------------------------
    @property
    def level(self) -> PlayLevel:
        return self.levels[self.level_index]

    @property
    def recorder(self) -> DemoRecorder:
        return self._recs[self.level_index]

    @property
    def stats(self) -> RecordingStats:
        return self.writer.stats

    def current_input(self, extra: Iterable[int] = ()) -> int:
        keys = self._held | set(extra)
        return input_byte(bool(keys & KEYS_LEFT), bool(keys & KEYS_RIGHT), bool(keys & KEYS_JUMP))

    def status_line(self) -> str:
        lv, rec = self.level, self.recorder
        cat = f" [{lv.category}]" if lv.category else ""
        mode = "REC" if self.recording else "idle"
        return (f"{self.level_index + 1}/{len(self.levels)} {lv.level_id}{cat} | {mode} | "
                f"frame {rec.frames} | {self.last_event}")

    # --- transitions ---------------------------------------------------------------------------
    def _select(self, index: int) -> None:
        self.level_index = index
        if index not in self._recs:
            lv = self.levels[index]
            self._recs[index] = DemoRecorder(lv.map_data, level_id=lv.level_id, category=lv.category,
                                             max_frames=self.max_frames, source=lv.level_id)
        self.recorder.reset()

    def _end_attempt(self, *, discard: bool = False) -> str | None:
        """Close the current attempt (if recording): count it, save it when won and not discarded.
        Returns a message for the status line, or None when there was nothing to close."""
        if not self.recording:
            return None
        rec = self.recorder
        n = rec.frames
        path = self.writer.finish(rec, discarded=discard)
        rec.reset()
        if path is not None:
            self.last_saved = path
            return f"saved {path.name}"
        if discard:
            return f"discarded {n} frames" if n else "recording stopped"
        return None

    def _reset(self) -> None:
        msg = self._end_attempt()
        self.recorder.reset()
        self.last_event = msg or ("reset - recording" if self.recording else "reset")

    def _change_level(self, step: int) -> None:
        msg = self._end_attempt()
        self._select((self.level_index + step) % len(self.levels))
        self.last_event = msg or f"level {self.level.level_id}"

    def quit(self) -> None:
        """Stop: a won attempt in progress is saved. Safe to call more than once."""
        if self.running:
            self._end_attempt()
            self.running = False

    def handle(self, event) -> None:
        """Apply one pygame event (key presses act immediately; held keys are remembered)."""
        if event.type == pygame.QUIT:
            self.quit()
        elif event.type == pygame.KEYUP:
            self._held.discard(event.key)
        elif event.type in _FOCUS_LOST:
            self._held.clear()
        elif event.type == pygame.KEYDOWN:
            k = event.key
            self._held.add(k)
            if k == pygame.K_ESCAPE:
                self.quit()
            elif k == pygame.K_b:
                msg = self._end_attempt()
                self.recording = True
                self.recorder.reset()
                self.last_event = (msg + "; " if msg else "") + "recording from the level start"
            elif k == pygame.K_n:
                if self.recording:
                    self.last_event = self._end_attempt(discard=True) or "recording stopped"
                    self.recording = False
                else:
                    self.last_event = "not recording"
            elif k == pygame.K_r:
                self._reset()
            elif k in KEYS_PREV:
                self._change_level(-1)
            elif k in KEYS_NEXT:
                self._change_level(+1)

    def advance(self, events: Iterable = ()) -> bool:
        """Handle this frame's events, then tick the simulator once with the held keys (unless the
        episode has ended). Returns ``running``."""
        pressed: set[int] = set()
        for ev in events:
            if ev.type == pygame.KEYDOWN:
                pressed.add(ev.key)
            self.handle(ev)
            if not self.running:
                return False
        rec = self.recorder
        if rec.done:
            return True
        self.writer.note_level(self.level.level_id)
        rec.tick_input(self.current_input(pressed))
        if rec.done:
            what = ("won" if rec.won else "died" if rec.dead else "frame limit reached")
            then = "R: save and go again" if self.recording and rec.won else "R: reset"
            self.last_event = f"{what} at frame {rec.frames} - {then}"
        return True


class RecorderWindow:
    """Draws a :class:`KeyboardSession` (level picture + status line) and runs it at ``fps``."""

    STATUS_H = 26

    def __init__(self, session: KeyboardSession, *, scale: float = 1.0, fps: int = 60,
                 caption: str = "N++ keyboard recorder"):
        self.session = session
        self.fps = int(fps)
        pygame.display.init()
        pygame.font.init()
        pygame.display.set_caption(caption)
        self._world = pygame.Surface((1056, 600))
        self.size = (round(1056 * scale), round(600 * scale))
        self.screen = pygame.display.set_mode((self.size[0], self.size[1] + self.STATUS_H))
        self.font = pygame.font.Font(None, 22)
        self.clock = pygame.time.Clock()
        self._static: dict[int, StaticLayers] = {}

    def frame_rgb(self) -> np.ndarray:
        s = self.session
        static = self._static.get(s.level_index)
        if static is None:
            static = self._static[s.level_index] = StaticLayers(s.recorder.sim.level.inner_tiles)
        sim = s.recorder.sim
        return rgb_frame(static, sim.ninja_x, sim.ninja_y, sim.entity_float, sim.entity_int)

    def draw(self) -> None:
        pygame.surfarray.blit_array(self._world, self.frame_rgb().swapaxes(0, 1))
        if self.size != (1056, 600):
            self.screen.blit(pygame.transform.scale(self._world, self.size), (0, 0))
        else:
            self.screen.blit(self._world, (0, 0))
        y = self.size[1]
        self.screen.fill((20, 20, 24), pygame.Rect(0, y, self.size[0], self.STATUS_H))
        x = 8
        if self.session.recording:
            pygame.draw.circle(self.screen, (220, 30, 30), (x + 6, y + self.STATUS_H // 2), 6)
            x += 18
        text = self.font.render(self.session.status_line(), True, (235, 235, 235))
        self.screen.blit(text, (x, y + (self.STATUS_H - text.get_height()) // 2))
        pygame.display.flip()

    def run(self, max_frames: int | None = None) -> RecordingStats:
        """Loop until quit (or ``max_frames`` loop iterations, for smoke tests); returns the stats."""
        n = 0
        try:
            while self.session.advance(pygame.event.get()):
                self.draw()
                self.clock.tick(self.fps)
                n += 1
                if max_frames is not None and n >= max_frames:
                    self.session.quit()
                    break
        finally:
            self.session.quit()
            pygame.display.quit()
        return self.session.stats


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m recorders.keyboard",
        description="Play N++ levels with the keyboard and save won runs as v2 demonstrations.",
        epilog="Keys: arrows/WASD move; Space/Up/W/Z jump; B record; N discard; R reset (saves a "
               "won recording); PageUp/PageDown or [ ] change level; Esc quit.",
    )
    p.add_argument("--levels", default=None,
                   help="suite dir (suite.json), dir of raw maps, or one map file; "
                        "default: levelgen's train suite, generated on the spot")
    p.add_argument("--category", default=None, help="filter a suite / pick the generated category / "
                                                     "label raw maps")
    p.add_argument("--out", default="demos/recorded", help="output directory (default %(default)s)")
    p.add_argument("--start", default="0", help="first level: index or level id (default 0)")
    p.add_argument("--count", type=int, default=None,
                   help="train suite only: first N levels of each category (default: all)")
    p.add_argument("--scale", type=float, default=1.0, help="window scale (default 1.0)")
    p.add_argument("--fps", type=int, default=60, help="frames per second (default 60)")
    p.add_argument("--max-frames", type=int, default=MAX_FRAMES,
                   help="frame limit of one attempt (default %(default)s)")
    p.add_argument("--quit-after", type=int, default=None, help=argparse.SUPPRESS)  # smoke tests
    return p.parse_args(argv)


def _start_index(levels: Sequence[PlayLevel], start: str) -> int:
    for i, lv in enumerate(levels):
        if lv.level_id == start:
            return i
    try:
        return int(start) % len(levels)
    except ValueError:
        raise LevelSourceError(f"--start {start!r}: no level with that id") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        levels = load_levels(args.levels, args.category, count=args.count)
        start = _start_index(levels, args.start)
    except (LevelSourceError, ValueError, OSError) as exc:
        print(f"record-demos: {exc}", file=sys.stderr)
        return 2
    writer = DemoWriter(args.out, recorder="keyboard")
    session = KeyboardSession(levels, writer, start=start, max_frames=args.max_frames)
    print(f"{len(levels)} levels; saving won recordings to {writer.out_dir}/ (B to start recording)")
    stats = RecorderWindow(session, scale=args.scale, fps=args.fps).run(max_frames=args.quit_after)
    print(f"record-demos: {stats.summary()}")
    for path in writer.paths:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
