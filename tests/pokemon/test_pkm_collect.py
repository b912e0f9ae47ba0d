"""Collection CLI and the headless keyboard session write NPZ episodes that the loader reads."""

from __future__ import annotations

import os

import numpy as np
import pytest
from pokemon_env.collect import main as collect_main
from pokemon_env.standin import MILESTONES

from imitation_pipeline.data.pokemon_npz import load_pokemon_npz, read_episode


def test_collect_cli_writes_loadable_episodes(tmp_path, capsys):
    out = tmp_path / "demos"
    rc = collect_main(
        [
            "--env",
            "PokemonStandIn-v0",
            "--expert",
            "scripted",
            "--episodes",
            "3",
            "--out",
            str(out),
            "--seed",
            "10",
        ]
    )
    assert rc == 0 and "wrote 3 episodes" in capsys.readouterr().out
    files = sorted(out.glob("episode_*.npz"))
    assert [f.name for f in files] == [
        "episode_000000.npz",
        "episode_000001.npz",
        "episode_000002.npz",
    ]
    for k, f in enumerate(files):
        ep = read_episode(f)
        meta = ep.metadata
        assert meta["seed"] == 10 + k and meta["source"] == "scripted" and meta["terminated"]
        assert meta["milestones"] == list(MILESTONES) and meta["length"] == len(ep.actions)
        assert ep.dones[-1] and not ep.dones[:-1].any() and ep.rewards.sum() == pytest.approx(3.0)
        assert ep.final_observation is not None
    assert not list(out.glob(".*tmp"))
    # a second run appends, it never overwrites
    assert (
        collect_main(
            ["--episodes", "1", "--out", str(out), "--expert", "random", "--max-steps", "20"]
        )
        == 0
    )
    assert read_episode(out / "episode_000003.npz").metadata["truncated"]
    data = load_pokemon_npz(out, cache_dir=tmp_path / "cache")
    assert len(data.episodes) == 4 and data.episodes[0].observations.shape[1:] == (3, 84, 84)


def test_collect_rejects_bad_expert(tmp_path):
    with pytest.raises(ValueError, match="unknown expert"):
        collect_main(["--expert", "nobody", "--out", str(tmp_path)])


def test_collected_observation_is_before_action(tmp_path):
    import gymnasium as gym
    import pokemon_env  # noqa: F401

    collect_main(["--episodes", "1", "--out", str(tmp_path), "--seed", "2"])
    ep = read_episode(tmp_path / "episode_000000.npz")
    env = gym.make("PokemonStandIn-v0")
    obs, _ = env.reset(seed=2)
    for t, a in enumerate(ep.actions):
        assert np.array_equal(ep.observations[t], obs)
        obs, *_ = env.step(int(a))
    assert np.array_equal(ep.final_observation, obs)


def test_keyboard_session_headless(tmp_path, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    import gymnasium as gym
    import pokemon_env  # noqa: F401
    import pygame
    from pokemon_env.episodes import EpisodeWriter
    from pokemon_env.expert import ScriptedExpert
    from pokemon_env.keyboard import KEY_TO_BUTTON, KeyboardSession
    from pokemon_env.spaces import Button

    pygame.display.init()
    try:
        env = gym.make("PokemonStandIn-v0")
        session = KeyboardSession(env, EpisodeWriter(tmp_path), "PokemonStandIn-v0", seed=4)
        key_of = {b: k for k, b in KEY_TO_BUTTON.items() if k != pygame.K_KP_ENTER}
        assert {key_of[b] for b in Button} == {
            pygame.K_z,
            pygame.K_x,
            pygame.K_RETURN,
            pygame.K_BACKSPACE,
            pygame.K_UP,
            pygame.K_DOWN,
            pygame.K_LEFT,
            pygame.K_RIGHT,
            pygame.K_a,
            pygame.K_s,
        }
        # play the expert's moves through posted key events until the episode ends
        expert = ScriptedExpert()
        expert.reset(session.obs, session.info)
        for _ in range(300):
            button = Button(expert.act(session.obs, session.info))
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key_of[button]))
            session.handle_events(pygame.event.get())
            if session.episodes_written:
                break
        assert len(session.episodes_written) == 1
        ep = read_episode(session.episodes_written[0])
        assert ep.metadata["source"] == "keyboard" and ep.metadata["terminated"]
        assert ep.metadata["milestones"] == list(MILESTONES)
        # the next episode started with the next seed; a few presses, then F5 and Esc
        assert session.seed == 5
        for key in (
            pygame.K_a,
            pygame.K_s,
            pygame.K_RETURN,
            pygame.K_x,
            pygame.K_F5,
            pygame.K_BACKSPACE,
        ):
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key))
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE))
        session.handle_events(pygame.event.get())
        assert not session.running and len(session.episodes_written) == 3
        second = read_episode(session.episodes_written[1])
        assert second.actions.tolist() == [Button.L, Button.R, Button.START, Button.B]
        assert second.metadata["truncated"] and second.metadata["ended_by"] == "user"
        assert read_episode(session.episodes_written[2]).actions.tolist() == [Button.SELECT]
        assert os.path.dirname(session.episodes_written[0]) == str(tmp_path)
    finally:
        pygame.display.quit()


def test_imports_stay_light():
    import subprocess
    import sys

    code = (
        "import sys, pokemon_env, pokemon_env.standin, pokemon_env.expert, pokemon_env.emerald, "
        "imitation_pipeline.data.pokemon_npz, imitation_pipeline.data.replay_buffer\n"
        "heavy = [m for m in ('torch', 'mgba', 'lightning') if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
