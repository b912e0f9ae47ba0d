"""Play a Pokemon env with the keyboard (pygame) and save every episode as an NPZ file.

    python -m pokemon_env.keyboard --out demos/pokemon [--env PokemonStandIn-v0] [--seed 0] [--scale 3]
    python -m pokemon_env.keyboard --env PokemonEmerald-v0 --rom /path/to/emerald.gba [--state s.state] --out DIR

Keys (one env step per key press; held keys repeat)::

    arrows  UP/DOWN/LEFT/RIGHT     Z  A        X  B        Enter  START     Backspace  SELECT
    A       L                      S  R
    F5      end the episode here (saved, marked truncated) and start the next one
    F2      write the emulator state to --state-out (PokemonEmerald-v0; use it as state_path)
    Esc / closing the window       save the episode in progress and quit

An episode that terminates or is truncated by the env is saved and the next one starts with the
next seed (``seed``, ``seed + 1``, ...). Files: ``<out>/episode_NNNNNN.npz`` (format:
:mod:`pokemon_env.episodes`, ``source = "keyboard"``).

:class:`KeyboardSession` is the window-free part (fed pygame events; testable headless with
``SDL_VIDEODRIVER=dummy``); :func:`run_window` shows the frames.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from pokemon_env.episodes import EpisodeBuffer, EpisodeWriter  # noqa: E402
from pokemon_env.errors import PokemonEnvError  # noqa: E402
from pokemon_env.spaces import Button  # noqa: E402

KEY_TO_BUTTON: dict[int, Button] = {
    pygame.K_UP: Button.UP,
    pygame.K_DOWN: Button.DOWN,
    pygame.K_LEFT: Button.LEFT,
    pygame.K_RIGHT: Button.RIGHT,
    pygame.K_z: Button.A,
    pygame.K_x: Button.B,
    pygame.K_RETURN: Button.START,
    pygame.K_KP_ENTER: Button.START,
    pygame.K_BACKSPACE: Button.SELECT,
    pygame.K_a: Button.L,
    pygame.K_s: Button.R,
}
KEY_END_EPISODE = pygame.K_F5
KEY_SAVE_STATE = pygame.K_F2
KEY_QUIT = pygame.K_ESCAPE


class KeyboardSession:
    """Steps ``env`` on key presses and writes finished episodes with ``writer``."""

    def __init__(
        self,
        env,
        writer: EpisodeWriter,
        env_id: str,
        seed: int = 0,
        state_out: str | os.PathLike | None = None,
    ):
        self.env = env
        self.writer = writer
        self.env_id = env_id
        self.seed = int(seed)
        self.state_out = Path(state_out) if state_out else None
        self.running = True
        self.episodes_written: list[Path] = []
        self.messages: list[str] = []
        self._start_episode()

    def _start_episode(self) -> None:
        self.obs, self.info = self.env.reset(seed=self.seed)
        self.buffer = EpisodeBuffer()
        self.milestones: tuple[str, ...] = tuple(self.info.get("milestones", ()))

    @property
    def frame(self) -> np.ndarray:
        return self.obs

    def press(self, button: Button | int) -> None:
        """One env step with ``button``; saves and restarts when the episode ends."""
        action = int(button)
        next_obs, reward, terminated, truncated, info = self.env.step(action)
        self.buffer.add(self.obs, action, reward, terminated or truncated)
        self.obs, self.info = next_obs, info
        self.milestones = tuple(info.get("milestones", ()))
        if terminated or truncated:
            self._finish(terminated=terminated, truncated=truncated, ended_by="env")

    def _finish(self, terminated: bool, truncated: bool, ended_by: str) -> Path | None:
        path = None
        if len(self.buffer):
            self.buffer.dones[-1] = True
            meta = {
                "env_id": self.env_id,
                "seed": self.seed,
                "source": "keyboard",
                "terminated": bool(terminated),
                "truncated": bool(truncated),
                "ended_by": ended_by,
                "milestones": list(self.milestones),
            }
            path = self.writer.write(self.buffer, meta, final_observation=self.obs)
            self.episodes_written.append(path)
            self.messages.append(f"saved {path.name} ({len(self.buffer)} steps)")
        self.seed += 1
        if self.running:
            self._start_episode()
        return path

    def end_episode(self) -> Path | None:
        """Save the episode in progress as truncated (if it has steps) and start the next one."""
        return self._finish(terminated=False, truncated=True, ended_by="user")

    def quit(self) -> Path | None:
        self.running = False
        return self._finish(terminated=False, truncated=True, ended_by="quit")

    def handle_event(self, event: pygame.event.Event) -> None:
        if not self.running:
            return
        if event.type == pygame.QUIT:
            self.quit()
        elif event.type == pygame.KEYDOWN:
            if event.key == KEY_QUIT:
                self.quit()
            elif event.key == KEY_END_EPISODE:
                self.end_episode()
            elif event.key == KEY_SAVE_STATE:
                self.save_state()
            elif event.key in KEY_TO_BUTTON:
                self.press(KEY_TO_BUTTON[event.key])

    def handle_events(self, events: Iterable[pygame.event.Event]) -> None:
        for event in events:
            self.handle_event(event)

    def save_state(self) -> Path | None:
        saver = getattr(self.env.unwrapped, "save_state", None)
        if saver is None or self.state_out is None:
            self.messages.append("F2: needs an emulator env and --state-out")
            return None
        path = saver(self.state_out)
        self.messages.append(f"state written to {path}")
        return path


def run_window(session: KeyboardSession, scale: int = 3, fps: int = 30) -> None:
    pygame.init()
    try:
        h, w = session.frame.shape[:2]
        screen = pygame.display.set_mode((w * scale, h * scale))
        pygame.key.set_repeat(250, 120)
        clock = pygame.time.Clock()
        while session.running:
            session.handle_events(pygame.event.get())
            while session.messages:
                print(session.messages.pop(0))
            if not session.running:
                break
            pygame.display.set_caption(
                f"{session.env_id}  seed {session.seed}  milestones {len(session.milestones)}"
            )
            surf = pygame.surfarray.make_surface(
                np.ascontiguousarray(session.frame.transpose(1, 0, 2))
            )
            screen.blit(pygame.transform.scale(surf, (w * scale, h * scale)), (0, 0))
            pygame.display.flip()
            clock.tick(fps)
    finally:
        pygame.quit()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m pokemon_env.keyboard", description=__doc__.split("\n")[0]
    )
    p.add_argument("--env", default="PokemonStandIn-v0")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=int, default=3)
    p.add_argument("--rom", default=None, help="PokemonEmerald-v0: path to your ROM")
    p.add_argument("--state", default=None, help="PokemonEmerald-v0: state file to reset to")
    p.add_argument("--state-out", default=None, help="where F2 writes the emulator state")
    args = p.parse_args(argv)
    import gymnasium as gym

    import pokemon_env  # noqa: F401

    kwargs: dict[str, Any] = {}
    if args.rom:
        kwargs["rom_path"] = args.rom
    if args.state:
        kwargs["state_path"] = args.state
    try:
        env = gym.make(args.env, **kwargs)
    except PokemonEnvError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    session = KeyboardSession(env, EpisodeWriter(args.out), args.env, args.seed, args.state_out)
    try:
        run_window(session, args.scale)
    finally:
        if session.running:
            session.quit()
        env.close()
    print(f"wrote {len(session.episodes_written)} episodes to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
