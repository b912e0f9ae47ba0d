"""``PokemonEmerald-v0``: Pokemon Emerald (or any GBA ROM) through mGBA's Python bindings.

Requirements: the PyPI package ``mgba`` (0.10.x wheels for CPython 3.10/3.11 on x86-64 Linux) and
the shared library ``libmgba.so.0.10`` from Debian's ``libmgba0.10``; ``make install`` provides
both. The bindings are imported only when an env is made; without them the env raises
:class:`~pokemon_env.errors.MgbaUnavailableError` saying how to install them.

No ROM ships with the project. Give yours with ``rom_path=`` (Hydra: ``env.rom_path=/path/to/emerald.gba``)
or the environment variable ``POKEMON_EMERALD_ROM``; without one the env raises
:class:`~pokemon_env.errors.RomError` with that instruction.

Spaces (shared with the stand-in, :mod:`pokemon_env.spaces`): observation ``(160, 240, 3)`` uint8,
height x width x RGB, i.e. the GBA's 240x160 screen in row-major order; action ``Discrete(10)``,
one button per step (A, B, START, SELECT, UP, DOWN, LEFT, RIGHT, L, R).

One step = ``frames_per_action`` emulated frames: the button is held for the first ``hold_frames``
frames and released for the rest (so the game sees a press and a release; 16 frames held walks one
tile in Emerald). The observation is the last frame.

Resets load a saved emulator state: the file ``state_path`` (written by :meth:`save_state`, e.g.
after walking to the overworld with the keyboard session) or, without one, the state captured
after power-on plus ``boot_frames`` frames (at least 1). After loading, ``reset_noop_max`` > 0 runs a seeded
number (0..reset_noop_max) of idle frames, which varies the game's RNG between episodes; with 0 every
reset is identical. Then one idle frame is run to draw the first observation.

Rewards: ``milestones`` are memory predicates (:class:`MemoryMilestone`, or dicts with its fields)
checked after every step; each pays ``milestone_rewards.get(name, 1.0)`` the first time it holds.
``reward_fn(memory, info) -> float``, if given, is added every step; ``memory`` is a
:class:`MemoryReader` over the bus (EWRAM 0x02000000, IWRAM 0x03000000, ...). No Emerald addresses
are built in: give the ones you have verified for your ROM revision (pointer-based ones via
``pointer=``, e.g. the save blocks that Emerald moves around in memory).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from atomic_files import write_bytes_atomic

from pokemon_env.errors import MgbaUnavailableError, RomError
from pokemon_env.spaces import (
    FRAME_HEIGHT,
    FRAME_WIDTH,
    Button,
    action_space,
    as_button,
    observation_space,
)

ROM_ENV_VAR = "POKEMON_EMERALD_ROM"
INSTALL_HINT = (
    "install mGBA's Python bindings: `make install` (Debian package libmgba0.10 + PyPI package mgba; "
    "by hand: apt-get install --no-install-recommends libmgba0.10 && pip install mgba)"
)
ROM_HINT = (
    "PokemonEmerald-v0 needs a GBA ROM that you supply (none is shipped): set env.rom_path=/path/to/emerald.gba "
    f"(or gymnasium.make('PokemonEmerald-v0', rom_path=...), or the environment variable {ROM_ENV_VAR})"
)


def import_mgba():
    """The mgba modules ``(core, image, ffi)``, or MgbaUnavailableError naming what is missing."""
    try:
        import mgba.core
        import mgba.image
        from mgba._pylib import ffi
    except ImportError as exc:  # also what a missing libmgba.so.0.10 raises
        raise MgbaUnavailableError(f"mGBA Python bindings unavailable ({exc}); {INSTALL_HINT}") from exc
    except OSError as exc:
        raise MgbaUnavailableError(f"mGBA library unavailable ({exc}); {INSTALL_HINT}") from exc
    return mgba.core, mgba.image, ffi


def mgba_available() -> tuple[bool, str]:
    """Whether the bindings import here, and why not."""
    try:
        import_mgba()
    except MgbaUnavailableError as exc:
        return False, str(exc)
    return True, ""


class MemoryReader:
    """Little-endian reads of the emulated bus (unsigned)."""

    def __init__(self, core):
        self._core = core

    def u8(self, address: int) -> int:
        return int(self._core.memory.u8[address])

    def u16(self, address: int) -> int:
        return int(self._core.memory.u16[address])

    def u32(self, address: int) -> int:
        return int(self._core.memory.u32[address])

    def read(self, address: int, width: int) -> int:
        if width not in (1, 2, 4):
            raise ValueError(f"width must be 1, 2 or 4, got {width}")
        return (self.u8, self.u16, self.u32)[(1, 2, 4).index(width)](address)

    def bytes(self, address: int, length: int) -> bytes:
        return bytes(self.u8(address + i) for i in range(length))


@dataclass(frozen=True)
class MemoryMilestone:
    """Reached when ``read(addr, width) & mask`` compares true against ``value`` with ``op``.

    ``addr`` is ``address``, or with ``pointer`` set, ``u32(pointer) + address`` (an offset into a
    structure the game allocates dynamically). ``op``: ``ge``, ``gt``, ``eq``, ``ne``, ``le``, ``lt``.
    """

    name: str
    address: int
    value: int = 1
    width: int = 1
    op: str = "ge"
    mask: int = 0xFFFFFFFF
    pointer: int | None = None

    def reached(self, mem: MemoryReader) -> bool:
        addr = self.address if self.pointer is None else mem.u32(self.pointer) + self.address
        v = mem.read(addr, self.width) & self.mask
        ops = {
            "ge": v >= self.value,
            "gt": v > self.value,
            "eq": v == self.value,
            "ne": v != self.value,
            "le": v <= self.value,
            "lt": v < self.value,
        }
        if self.op not in ops:
            raise ValueError(f"milestone {self.name}: unknown op {self.op!r}")
        return ops[self.op]


def _gba_key(core, button: Button) -> int:
    return {
        Button.A: core.KEY_A,
        Button.B: core.KEY_B,
        Button.START: core.KEY_START,
        Button.SELECT: core.KEY_SELECT,
        Button.UP: core.KEY_UP,
        Button.DOWN: core.KEY_DOWN,
        Button.LEFT: core.KEY_LEFT,
        Button.RIGHT: core.KEY_RIGHT,
        Button.L: core.KEY_L,
        Button.R: core.KEY_R,
    }[button]


class PokemonEmeraldEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 60}

    def __init__(
        self,
        rom_path: str | os.PathLike | None = None,
        state_path: str | os.PathLike | None = None,
        frames_per_action: int = 24,
        hold_frames: int = 16,
        boot_frames: int = 1,
        reset_noop_max: int = 0,
        max_steps: int = 10_000,
        milestones: Sequence[MemoryMilestone | Mapping[str, Any]] = (),
        milestone_rewards: Mapping[str, float] | None = None,
        reward_fn: Callable[[MemoryReader, dict[str, Any]], float] | None = None,
        terminate_on_all_milestones: bool = False,
        render_mode: str | None = None,
    ):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"unsupported render_mode {render_mode!r} (only 'rgb_array')")
        if not 1 <= hold_frames <= frames_per_action:
            raise ValueError(
                f"need 1 <= hold_frames ({hold_frames}) <= frames_per_action ({frames_per_action})"
            )
        rom = rom_path or os.environ.get(ROM_ENV_VAR)
        if not rom:
            raise RomError(ROM_HINT)
        self.rom_path = Path(rom).expanduser()
        if not self.rom_path.is_file():
            raise RomError(f"ROM not found: {self.rom_path}; {ROM_HINT}")
        self.state_path = Path(state_path).expanduser() if state_path else None
        if self.state_path is not None and not self.state_path.is_file():
            raise RomError(
                f"state file not found: {self.state_path} (write one with env.unwrapped.save_state(path))"
            )
        self.frames_per_action = int(frames_per_action)
        self.hold_frames = int(hold_frames)
        self.boot_frames = int(boot_frames)
        self.reset_noop_max = int(reset_noop_max)
        self.max_steps = int(max_steps)
        self.milestones = tuple(
            m if isinstance(m, MemoryMilestone) else MemoryMilestone(**m) for m in milestones
        )
        names = [m.name for m in self.milestones]
        if len(set(names)) != len(names):
            raise ValueError(f"milestone names must be unique: {names}")
        self.milestone_rewards = dict(milestone_rewards or {})
        self.reward_fn = reward_fn
        self.terminate_on_all_milestones = bool(terminate_on_all_milestones)
        self.render_mode = render_mode
        self.observation_space = observation_space()
        self.action_space = action_space()

        core_mod, image_mod, self._ffi = import_mgba()
        core = core_mod.load_path(str(self.rom_path))
        if core is None:
            raise RomError(f"mGBA cannot load {self.rom_path} as a GBA ROM")
        # No C -> Python callbacks: the wheel's old cffi embedding code spins forever in
        # _cffi_carefully_make_gil on the first callback once PyCapsule's type version tag is set
        # (importing torch does that), so drop the frame callbacks the Core wrapper registers and
        # install no Python logger (mgba.log); mGBA's own messages go to stdout.
        core._core.clearCoreCallbacks(core._core)
        width, height = core.desired_video_dimensions()
        if (width, height) != (FRAME_WIDTH, FRAME_HEIGHT):
            raise RomError(
                f"{self.rom_path} is not a GBA ROM (screen {width}x{height}, expected 240x160)"
            )
        self._core = core
        self._image = image_mod.Image(width, height)
        core.set_video_buffer(self._image)
        core.reset()
        self._pixels = np.frombuffer(self._ffi.buffer(self._image.buffer), dtype=np.uint8).reshape(
            height, width, 4
        )
        self._keys = {b: _gba_key(core, b) for b in Button}
        self.memory = MemoryReader(core)
        self._initial_state = self._boot_state()
        self._frame: np.ndarray | None = None
        self._steps = 0
        self._reached: list[str] = []

    # ------------------------------------------------------------------ state handling
    def _boot_state(self) -> bytes:
        if self.state_path is not None:
            data = self.state_path.read_bytes()
            self._load_state_bytes(data, source=str(self.state_path))
            return data
        self._core.set_keys(raw=0)
        for _ in range(
            max(self.boot_frames, 1)
        ):  # a state taken at power-on (frame 0) reloads badly
            self._core.run_frame()
        return self.state_bytes()

    def state_bytes(self) -> bytes:
        """The emulator's current state as bytes (mGBA's raw savestate)."""
        state = self._core.save_raw_state()
        if state is None:
            raise RomError(f"mGBA could not save a state of {self.rom_path}")
        return bytes(self._ffi.buffer(state))

    def save_state(self, path: str | os.PathLike) -> Path:
        """Write the current state (atomically) for use as ``state_path``."""
        return write_bytes_atomic(path, self.state_bytes())

    def _load_state_bytes(self, data: bytes, source: str = "state") -> None:
        buf = self._ffi.new("unsigned char[]", data)
        if not self._core.load_raw_state(buf):
            raise RomError(
                f"mGBA rejected the state {source} for {self.rom_path} (wrong size or ROM?)"
            )

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self._load_state_bytes(self._initial_state)
        self._core.set_keys(raw=0)
        noops = (
            int(self.np_random.integers(self.reset_noop_max + 1)) if self.reset_noop_max > 0 else 0
        )
        for _ in range(noops + 1):
            self._core.run_frame()
        self._frame = self._grab()
        self._steps = 0
        self._reached = []
        self._reached += [
            m.name for m in self.milestones if m.reached(self.memory)
        ]  # already true: no reward
        return self._frame.copy(), self._info((), noops)

    def step(self, action):
        if self._frame is None:
            raise RuntimeError("call reset() before step()")
        key = self._keys[as_button(self.action_space, action)]
        core = self._core
        core.set_keys(key)
        for _ in range(self.hold_frames):
            core.run_frame()
        core.set_keys(raw=0)
        for _ in range(self.frames_per_action - self.hold_frames):
            core.run_frame()
        self._steps += 1
        self._frame = self._grab()
        new = tuple(
            m.name
            for m in self.milestones
            if m.name not in self._reached and m.reached(self.memory)
        )
        self._reached += new
        info = self._info(new)
        reward = sum(float(self.milestone_rewards.get(n, 1.0)) for n in new)
        if self.reward_fn is not None:
            reward += float(self.reward_fn(self.memory, info))
        terminated = bool(
            self.terminate_on_all_milestones
            and self.milestones
            and len(self._reached) == len(self.milestones)
        )
        truncated = not terminated and self._steps >= self.max_steps
        return self._frame.copy(), reward, terminated, truncated, info

    def render(self):
        if self.render_mode == "rgb_array" and self._frame is not None:
            return self._frame.copy()
        return None

    def close(self):
        self._core = None  # the bindings free the core when it is garbage-collected

    # ------------------------------------------------------------------ helpers
    def _grab(self) -> np.ndarray:
        return np.ascontiguousarray(self._pixels[:, :, :3])

    def _info(self, new: tuple[str, ...], noops: int | None = None) -> dict[str, Any]:
        info: dict[str, Any] = {
            "milestones": tuple(self._reached),
            "new_milestones": new,
            "step": self._steps,
            "frame": int(self._core.frame_counter),
        }
        if noops is not None:
            info["reset_noops"] = noops
        return info
