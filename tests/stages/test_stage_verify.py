"""stage=verify end to end: real replays, a damaged one, a corrupt file; and a multirun sweep."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from app_support import run_cli

GOOD = [
    "20251022_142001_train_very_simple_100001.replay",  # v0
    "20251022_142003_train_mine_heavy_100002.replay",  # v0, many entity types
]
DAMAGED = "20251022_151333_train_simple_100001.replay"  # map block one byte short


@pytest.fixture()
def replay_dir(npp_reference, tmp_path) -> Path:
    d = tmp_path / "replays"
    d.mkdir()
    v1 = sorted(p.name for p in (npp_reference / "replays").iterdir() if p.read_bytes()[:4] == b"\x01\x00\x00\x00")
    for name in [*GOOD, v1[0], DAMAGED]:
        shutil.copy(npp_reference / "replays" / name, d / name)
    shutil.copy(npp_reference / "attract" / "11", d / "attract_11")
    (d / "corrupt.replay").write_bytes(b"\x05\x00\x00\x00" + b"\x00" * 20)
    return d


def test_verify_reports_every_file_and_keeps_going(replay_dir, tmp_path, npp_reference) -> None:
    report = tmp_path / "report.json"
    proc = run_cli(["stage=verify", f"verify.replay_dir={replay_dir}", f"verify.report={report}"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = {r["file"]: r for r in json.loads(report.read_text())}
    assert set(records) == {p.name for p in replay_dir.iterdir()}
    keys = {"file", "format", "frames", "outcome", "outcome_frame", "final_x", "final_y", "error"}
    assert all(set(r) == keys for r in records.values())
    index = {Path(line.split(",")[0]).name: line.split(",") for line in (npp_reference / "index.csv").read_text().splitlines()[1:]}
    for name in GOOD:
        rec = records[name]
        assert rec["format"] == "v0" and rec["error"] is None
        assert rec["outcome"] == "won" and rec["outcome_frame"] == rec["frames"]  # won on the last input
        assert rec["final_x"] == pytest.approx(float(index[name][7]), abs=1e-9)
        assert rec["final_y"] == pytest.approx(float(index[name][8]), abs=1e-9)
    v1 = [r for r in records.values() if r["format"] == "v1"]
    assert len(v1) == 1 and v1[0]["outcome"] == "won"
    assert records["attract_11"]["format"] == "attract" and records["attract_11"]["outcome"] == "died"
    assert "map block" in records[DAMAGED]["error"] and records[DAMAGED]["outcome"] is None
    assert records["corrupt.replay"]["error"].startswith("corrupt.replay:")
    assert "won on the last frame: 3" in proc.stdout


def test_missing_replay_dir_is_one_line(tmp_path) -> None:
    proc = run_cli(["stage=verify", f"verify.replay_dir={tmp_path / 'nope'}"], tmp_path)
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines == [f"error: {tmp_path / 'nope'}: replay directory not found (set verify.replay_dir=DIR)"]


def test_multirun_writes_one_run_per_value_under_multirun(replay_dir, tmp_path) -> None:
    """Also exercises the joblib launcher (local parallel sweeps): two jobs in two processes."""
    proc = run_cli(
        ["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "stage=verify",
         f"verify.replay_dir={replay_dir}", "verify.lr_rule=cancel,left_wins"], tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    reports = sorted((tmp_path / "multirun").rglob("verify_report.json"))
    assert len(reports) == 2
    assert [p.parent.name for p in reports] == ["0", "1"]
    swept = [(p.parent / ".hydra" / "overrides.yaml").read_text() for p in reports]
    assert "verify.lr_rule=cancel" in swept[0] and "verify.lr_rule=left_wins" in swept[1]
