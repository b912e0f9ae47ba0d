"""python -m npp_sim.levelgen: preview PNG, ascii, build."""

from __future__ import annotations

import json

import pytest
from npp_sim.levelgen import generate_level
from npp_sim.levelgen.__main__ import main
from npp_sim.levelgen.preview import ascii_map


def test_ascii_map_marks_entities():
    text = ascii_map(generate_level("complex", 2).map_data)
    rows = text.splitlines()
    assert len(rows) == 23 and {len(r) for r in rows} == {42}
    for ch in "SEW|k":
        assert text.count(ch) == 1, ch


def test_preview_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "lvl.png"
    assert main(["preview", "--category", "medium", "--seed", "3", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    mapfile = tmp_path / "m.map"
    mapfile.write_bytes(generate_level("simple", 1).map_data)
    assert main(["ascii", "--map", str(mapfile)]) == 0
    assert "S" in capsys.readouterr().out


def test_cli_reports_bad_map(tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x00" * 20)
    assert main(["ascii", "--map", str(bad)]) == 1
    assert "too short" in capsys.readouterr().err


def test_build_small_suite(tmp_path, monkeypatch, capsys):
    import npp_sim.levelgen.__main__ as cli

    monkeypatch.setattr(cli, "DEFAULT_TRAIN_COUNTS", {"simple": 2, "mine_heavy": 1})
    assert main(["build", "--suite", "train", "--out", str(tmp_path)]) == 0
    index = json.loads((tmp_path / "suite.json").read_text())
    assert index["name"] == "train" and len(index["levels"]) == 3
