"""KeyboardSession driven by real pygame events (dummy SDL drivers), RecorderWindow, CLI."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pygame
import pytest
from npp_sim.formats import read_demo
from npp_sim.simulator import run_inputs

from recorders import DemoWriter, PlayLevel
from recorders.keyboard import KeyboardSession, RecorderWindow, main

CLOCK = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
WIN_FRAMES = 90  # holding RIGHT in corridor_map() wins on frame 90


@pytest.fixture
def levels(rs):
    return [
        PlayLevel("corr-a", "corridor a", "very_simple", rs.corridor_map()),
        PlayLevel("corr-b", "corridor b", "very_simple", rs.corridor_map(16)),
        PlayLevel("pit", "pit", None, rs.pit_map()),
    ]


@pytest.fixture
def session(pg, levels, tmp_path):
    writer = DemoWriter(tmp_path / "demos", recorder="keyboard", clock=lambda: CLOCK)
    return KeyboardSession(levels, writer)


def _files(session):
    d = session.writer.out_dir
    return sorted(d.iterdir()) if d.exists() else []


def test_b_then_holding_right_records_input_byte_2(session, rs):
    rs.frame(session, 5)  # idle play first: nothing is recorded
    assert not session.recording and session.writer.stats.attempts == 0
    rs.post_keys(("down", pygame.K_b))
    rs.frame(session)
    assert session.recording and session.recorder.frames == 1  # reset, then this frame recorded
    rs.post_keys(("down", pygame.K_RIGHT))
    rs.frame(session, 10)
    assert session.recorder.inputs.tolist() == [0] + [2] * 10
    line = session.status_line()
    assert "corr-a" in line and "REC" in line and "frame 11" in line


def test_n_discards_the_attempt(session, rs):
    rs.post_keys(("down", pygame.K_b), ("down", pygame.K_d))
    rs.frame(session, 20)
    rs.post_keys(("down", pygame.K_n))
    rs.frame(session)
    assert not session.recording
    s = session.stats
    assert (s.attempts, s.discarded, s.saved, s.frames) == (1, 1, 0, 20)
    assert _files(session) == []
    assert "discarded 20 frames" in session.status_line() and "idle" in session.status_line()
    assert session.recorder.frames == 1  # the level was reset; idle play goes on


def test_win_then_r_saves_a_replay_that_wins(session, rs):
    rs.post_keys(("down", pygame.K_b), ("down", pygame.K_RIGHT))
    rs.frame(session, WIN_FRAMES + 30)  # the simulation stops on the winning frame
    rec = session.recorder
    assert rec.won and rec.frames == WIN_FRAMES
    assert "won at frame 90" in session.status_line()
    assert _files(session) == []  # saved on R, not before
    rs.post_keys(("up", pygame.K_RIGHT), ("down", pygame.K_r))
    rs.frame(session)
    files = _files(session)
    assert [p.name for p in files] == ["corr-a_20240102T030405Z_1.replay"]
    demo = read_demo(files[0])
    assert demo.format == "v2" and demo.success is True
    assert demo.meta["recorder"] == "keyboard" and demo.meta["level_id"] == "corr-a"
    assert demo.meta["category"] == "very_simple"
    assert demo.inputs.tolist() == [2] * WIN_FRAMES
    trace = run_inputs(demo.map_data, demo.inputs)
    assert trace.outcome == "won" and trace.outcome_frame == WIN_FRAMES
    s = session.stats
    assert (s.attempts, s.wins, s.deaths, s.saved, s.frames) == (1, 1, 0, 1, WIN_FRAMES)
    # recording mode stays on: R started a new attempt from the level start
    assert session.recording and session.recorder.frames == 1
    assert "saved corr-a_20240102T030405Z_1.replay" in session.status_line()


def test_death_is_counted_not_saved_and_stats_add_up(session, rs):
    rs.post_keys(("down", pygame.K_PAGEUP))  # wraps to the last level, the pit
    rs.frame(session)
    assert session.level.level_id == "pit"
    rs.post_keys(("down", pygame.K_b))
    rs.frame(session, 400)
    assert session.recorder.dead and "died" in session.status_line()
    died_frames = session.recorder.frames
    rs.post_keys(("down", pygame.K_r))
    rs.frame(session, 3)
    rs.post_keys(("down", pygame.K_RIGHTBRACKET))  # to corr-a; the unfinished attempt counts
    rs.frame(session)
    assert session.level.level_id == "corr-a"
    rs.post_keys(("down", pygame.K_RIGHT))
    rs.frame(session, WIN_FRAMES)  # won: one NOOP frame (the level-change frame) + 90 RIGHT
    assert session.recorder.won and session.recorder.frames == WIN_FRAMES + 1
    rs.post_keys(("down", pygame.K_ESCAPE))  # quitting saves the won attempt
    assert session.advance(pygame.event.get()) is False and not session.running
    s = session.stats
    assert (s.attempts, s.wins, s.deaths, s.saved) == (3, 1, 1, 1)
    assert s.frames == died_frames + 3 + WIN_FRAMES + 1
    assert s.levels_played == 2
    assert len(_files(session)) == 1 and read_demo(_files(session)[0]).success is True


def test_level_keys_cycle_and_save_a_pending_win(session, rs):
    order = []
    for k in (pygame.K_PAGEDOWN, pygame.K_RIGHTBRACKET, pygame.K_RIGHTBRACKET, pygame.K_LEFTBRACKET):
        rs.post_keys(("down", k))
        rs.frame(session)
        order.append(session.level.level_id)
    assert order == ["corr-b", "pit", "corr-a", "pit"]
    rs.post_keys(("down", pygame.K_RIGHTBRACKET), ("down", pygame.K_b), ("down", pygame.K_RIGHT))
    rs.frame(session, WIN_FRAMES)
    rs.post_keys(("down", pygame.K_RIGHTBRACKET))
    rs.frame(session)
    assert session.level.level_id == "corr-b" and session.recording
    assert [p.name.split("_")[0] for p in _files(session)] == ["corr-a"]


def test_key_combinations_and_taps(session, rs):
    rs.post_keys(("down", pygame.K_b))
    rs.frame(session)
    steps = [
        ([("down", pygame.K_SPACE)], 1),
        ([("down", pygame.K_RIGHT)], 3),
        ([("up", pygame.K_RIGHT), ("down", pygame.K_a)], 5),
        ([("down", pygame.K_d)], 1),  # left + right cancel; jump still held
        ([("up", pygame.K_SPACE), ("up", pygame.K_a)], 2),
        ([("up", pygame.K_d), ("down", pygame.K_w), ("up", pygame.K_w)], 1),  # tap within a frame
        ([("down", pygame.K_z)], 1),
        ([("up", pygame.K_z), ("down", pygame.K_UP)], 1),
        ([("up", pygame.K_UP)], 0),
    ]
    for events, expected in steps:
        rs.post_keys(*events)
        rs.frame(session)
        assert session.recorder.inputs[-1] == expected, events
    assert session.recorder.inputs.max() <= 5


def test_focus_loss_releases_held_keys_and_quit_event_stops(session, rs):
    rs.post_keys(("down", pygame.K_RIGHT))
    rs.frame(session)
    pygame.event.post(pygame.event.Event(pygame.WINDOWFOCUSLOST))
    rs.frame(session)
    assert session.current_input() == 0
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert session.advance(pygame.event.get()) is False
    assert session.stats.attempts == 0 and _files(session) == []


def test_session_needs_levels(tmp_path):
    with pytest.raises(ValueError, match='KeyboardSession needs at least one level'):
        KeyboardSession([], DemoWriter(tmp_path))


# --- window and CLI -------------------------------------------------------------------------------
def test_window_draws_the_level_and_status_line(session, rs):
    win = RecorderWindow(session, fps=0)
    win.draw()
    shown = pygame.surfarray.array3d(win.screen)
    assert shown.shape == (1056, 600 + RecorderWindow.STATUS_H, 3)
    world = win.frame_rgb()
    assert np.array_equal(shown[:, :600].swapaxes(0, 1), world)
    status = shown[:, 600:]
    assert (status != (20, 20, 24)).any(axis=-1).any()  # text was drawn
    rs.post_keys(("down", pygame.K_b), ("down", pygame.K_RIGHT))
    stats = win.run(max_frames=WIN_FRAMES + 5)
    assert stats.wins == 1 and stats.saved == 1  # quitting saved the won recording
    small = RecorderWindow(KeyboardSession(session.levels, DemoWriter(session.writer.out_dir)),
                           scale=0.5, fps=0)
    small.draw()
    assert small.screen.get_size() == (528, 300 + RecorderWindow.STATUS_H)
    pygame.display.quit()


def test_cli_runs_headless_on_a_map_directory(pg, rs, tmp_path, capsys):
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "a-corridor").write_bytes(rs.corridor_map())
    (maps / "b-pit").write_bytes(rs.pit_map())
    (maps / "notes.json").write_text("{}")
    rs.post_keys(("down", pygame.K_RIGHTBRACKET), ("down", pygame.K_b))
    rc = main(["--levels", str(maps), "--out", str(tmp_path / "out"), "--quit-after", "300",
               "--fps", "0", "--category", "hand"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "2 levels" in out
    assert "levels played 1, attempts 1, wins 0, deaths 1, saved demos 0" in out
    assert not (tmp_path / "out").exists()


def test_cli_reports_a_bad_level_source(tmp_path, capsys):
    assert main(["--levels", str(tmp_path / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    (tmp_path / "bad").write_bytes(b"\x00" * 100)
    assert main(["--levels", str(tmp_path / "bad")]) == 2
    assert "not a usable map" in capsys.readouterr().err
    assert main(["--levels", str(tmp_path / "bad"), "--start", "nope"]) == 2
