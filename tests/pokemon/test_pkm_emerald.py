"""PokemonEmerald-v0 on a tiny GBA ROM assembled here (no commercial ROM needed).

The ROM: a 192-byte cartridge header (0x96 at 0xB2, header checksum; mGBA does not check the logo)
and an ARM program that, once per frame (polling VCOUNT for line 160), reads KEYINPUT, latches the
last non-empty set of pressed keys, writes ``0x10 | keys << 5`` to palette entry 0 (the backdrop,
shown everywhere because DISPCNT = 0), and counts frames in EWRAM (0x02000000; the latched keys go
to 0x02000004). So the frame is non-black, each button gives its own colour, and memory changes.
"""

from __future__ import annotations

import struct

import gymnasium as gym
import numpy as np
import pokemon_env
import pytest
from pokemon_env.emerald import MemoryMilestone, mgba_available
from pokemon_env.errors import RomError
from pokemon_env.spaces import Button

AL, NE, EQ = 0xE, 0x1, 0x0
MOV, MVN, ADD, ORR, CMP = 13, 15, 4, 12, 10


def _fields(cond, *bits):
    """An ARM instruction word: condition ``cond`` in bits 31-28 and each ``(value, lowest bit)``."""
    word = cond << 28
    for value, at in bits:
        word |= value << at
    return word


def _dp_imm(op, rd, rn, imm, s=0, cond=AL):
    for rot in range(16):
        value = ((imm << (2 * rot)) | (imm >> (32 - 2 * rot))) & 0xFFFFFFFF if rot else imm
        if value < 256:
            return _fields(cond, (1, 25), (op, 21), (s, 20), (rn, 16), (rd, 12), (rot, 8), (value, 0))
    raise ValueError(f"immediate {imm:#x} not encodable")


def _dp_reg(op, rd, rn, rm, shift_type=0, shift=0, s=0, cond=AL):
    return _fields(cond, (op, 21), (s, 20), (rn, 16), (rd, 12), (shift, 7), (shift_type, 5), (rm, 0))


def _halfword(load, rd, rn, off=0):  # LDRH/STRH rd, [rn, #off]
    return _fields(AL, (1, 24), (1, 23), (1, 22), (load, 20), (rn, 16), (rd, 12),
                   (off >> 4, 8), (0xB, 4), (off & 0xF, 0))


def _word(load, rd, rn, off=0):  # LDR/STR rd, [rn, #off]
    return _fields(AL, (1, 26), (1, 24), (1, 23), (load, 20), (rn, 16), (rd, 12), (off, 0))


def _branch(here, target, cond=AL):
    return _fields(cond, (0b101, 25), ((target - here - 2) & 0xFFFFFF, 0))


def build_test_rom() -> bytes:
    prog = [
        _dp_imm(MOV, 0, 0, 0x04000000),  # r0 = IO registers
        _dp_imm(MOV, 1, 0, 0),
        _halfword(0, 1, 0, 0),  # DISPCNT = 0: mode 0, no layers -> backdrop colour everywhere
        _dp_imm(MOV, 2, 0, 0x05000000),  # r2 = palette RAM
        _dp_imm(MOV, 3, 0, 0x02000000),  # r3 = EWRAM
        _dp_imm(ADD, 6, 0, 0x130),  # r6 = &KEYINPUT
        _dp_imm(MOV, 5, 0, 0),  # r5 = frame counter
        _dp_imm(MOV, 9, 0, 0),  # r9 = latched keys
    ]
    loop = len(prog)
    prog += [_halfword(1, 7, 0, 6), _dp_imm(CMP, 0, 7, 160, s=1)]  # wait for VCOUNT == 160
    prog.append(_branch(len(prog), loop, NE))
    prog += [
        _halfword(1, 4, 6, 0),  # r4 = KEYINPUT (1 = released)
        _dp_reg(MVN, 4, 0, 4),
        _dp_reg(MOV, 4, 0, 4, 0, 22),  # keep the 10 key bits
        _dp_reg(MOV, 4, 0, 4, 1, 22, s=1),  # r4 = pressed keys, flags set
        _dp_reg(MOV, 9, 0, 4, cond=NE),  # latch when any key is down
        _dp_reg(MOV, 8, 0, 9, 0, 5),  # r8 = keys << 5
        _dp_imm(ORR, 8, 8, 0x10),
        _halfword(0, 8, 2, 0),  # backdrop colour
        _dp_imm(ADD, 5, 5, 1),
        _word(0, 5, 3, 0),  # EWRAM[0] = frames
        _word(0, 9, 3, 4),  # EWRAM[4] = latched keys
    ]
    wait = len(prog)
    prog += [_halfword(1, 7, 0, 6), _dp_imm(CMP, 0, 7, 160, s=1)]  # wait for VCOUNT != 160
    prog.append(_branch(len(prog), wait, EQ))
    prog.append(_branch(len(prog), loop))

    header = bytearray(192)
    header[0:4] = struct.pack("<I", _branch(0, 192 // 4))  # b 0x080000C0
    header[0xA0:0xAC] = b"TESTROM".ljust(12, b"\0")
    header[0xAC:0xB0] = b"TEST"
    header[0xB0:0xB2] = b"01"
    header[0xB2] = 0x96
    header[0xBD] = (-(sum(header[0xA0:0xBD]) + 0x19)) & 0xFF
    rom = bytes(header) + b"".join(struct.pack("<I", i) for i in prog)
    return rom.ljust(1024, b"\0")


AVAILABLE, WHY = mgba_available()
needs_mgba = pytest.mark.skipif(not AVAILABLE, reason=f"mGBA bindings absent: {WHY}")


@pytest.fixture(scope="module")
def rom(tmp_path_factory):
    path = tmp_path_factory.mktemp("rom") / "test.gba"
    path.write_bytes(build_test_rom())
    return path


def test_missing_rom_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("POKEMON_EMERALD_ROM", raising=False)
    with pytest.raises(RomError, match=r"env\.rom_path=/path/to/emerald\.gba"):
        gym.make(pokemon_env.EMERALD_ENV_ID)
    with pytest.raises(RomError, match="ROM not found"):
        gym.make(pokemon_env.EMERALD_ENV_ID, rom_path=str(tmp_path / "nope.gba"))


@needs_mgba
def test_frames_buttons_and_reset(rom):
    env = gym.make(
        pokemon_env.EMERALD_ENV_ID, rom_path=str(rom), frames_per_action=4, hold_frames=2
    )
    assert env.observation_space.shape == (160, 240, 3) and env.action_space.n == 10
    obs0, info0 = env.reset(seed=0)
    assert obs0.shape == (160, 240, 3) and obs0.dtype == np.uint8
    mem = env.unwrapped.memory
    frames0 = mem.u32(0x02000000)
    obs, *_ = env.step(int(Button.SELECT))
    assert obs.any() and (obs == obs[0, 0]).all()  # one backdrop colour, not black
    assert mem.u32(0x02000000) == frames0 + 4
    colours = {}
    for b in Button:
        obs, reward, term, trunc, info = env.step(int(b))
        assert obs.shape == (160, 240, 3) and obs.dtype == np.uint8 and not term
        colours[b] = tuple(int(v) for v in obs[80, 120])
        assert mem.u32(0x02000004) != 0
    assert len(set(colours.values())) == 10, colours  # each button reaches the game distinctly
    obs_r, _ = env.reset()
    assert (
        np.array_equal(obs_r, obs0) and mem.u32(0x02000000) == frames0 and mem.u32(0x02000004) == 0
    )
    env.close()


@needs_mgba
def test_milestones_state_files_and_noops(rom, tmp_path):
    milestone = MemoryMilestone("pressed_a", address=0x02000004, value=1, width=4, op="eq")
    env = gym.make(
        pokemon_env.EMERALD_ENV_ID,
        rom_path=str(rom),
        frames_per_action=3,
        hold_frames=1,
        milestones=[
            milestone,
            {"name": "ten_frames", "address": 0x02000000, "value": 10, "width": 4},
        ],
        milestone_rewards={"pressed_a": 5.0},
        reward_fn=lambda mem, info: 0.5,
        max_steps=6,
    )
    env.reset()
    _, r, *_, info = env.step(int(Button.B))
    assert r == 0.5 and info["new_milestones"] == ()
    _, r, *_, info = env.step(int(Button.A))
    assert r == 5.5 and info["new_milestones"] == ("pressed_a",)
    rewards, truncs = [], []
    for _ in range(4):
        _, r, term, trunc, info = env.step(int(Button.UP))
        rewards.append(r)
        truncs.append(trunc)
    assert "ten_frames" in info["milestones"] and sum(rewards) == pytest.approx(2.0 + 1.0)
    assert truncs == [False, False, False, True]
    # save the current state, then reset into it from a new env
    state = env.unwrapped.save_state(tmp_path / "s.state")
    frames_now = env.unwrapped.memory.u32(0x02000000)
    env2 = gym.make(
        pokemon_env.EMERALD_ENV_ID, rom_path=str(rom), state_path=str(state), reset_noop_max=5
    )
    env2.reset(seed=1)
    noops = [env2.reset(seed=s)[1]["reset_noops"] for s in range(6)]
    _, info = env2.reset(seed=1)
    assert env2.unwrapped.memory.u32(0x02000000) == frames_now + 1 + info["reset_noops"]
    assert len(set(noops)) > 1
    with pytest.raises(RomError, match="state file not found"):
        gym.make(pokemon_env.EMERALD_ENV_ID, rom_path=str(rom), state_path=str(tmp_path / "none"))


@needs_mgba
def test_non_rom_file_is_rejected(tmp_path):
    bogus = tmp_path / "bogus.gba"
    bogus.write_bytes(b"\0" * 512)
    with pytest.raises(RomError):
        gym.make(pokemon_env.EMERALD_ENV_ID, rom_path=str(bogus))


@needs_mgba
def test_check_env_and_torch_loaded_first(rom):
    # torch in the process first: the bindings must not call back into Python (see emerald.py)
    import torch  # noqa: F401
    from gymnasium.utils.env_checker import check_env

    env = gym.make(pokemon_env.EMERALD_ENV_ID, rom_path=str(rom), frames_per_action=2, hold_frames=1)
    check_env(env.unwrapped, skip_render_check=True)
