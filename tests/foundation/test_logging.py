"""Stage results go through logging into <run_dir>/imitation_pipeline.log; Lightning lines appear once.
(stage=bc's result line: tests/stages/test_stage_bc.py's sweep checks it in every job's log.)"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys


def test_verify_results_land_in_the_app_log(npp_reference, tmp_path) -> None:
    d = tmp_path / "replays"
    d.mkdir()
    shutil.copy(npp_reference / "replays" / "20251022_142001_train_very_simple_100001.replay", d)
    proc = subprocess.run([sys.executable, "-m", "imitation_pipeline", "stage=verify", f"verify.replay_dir={d}",
                           f"hydra.run.dir={tmp_path / 'run'}"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    log = (tmp_path / "run" / "imitation_pipeline.log").read_text()
    assert "1 files: won 1; won on the last frame: 1" in log
    assert "1 files: won 1" in proc.stdout and not (tmp_path / "run" / "__main__.log").exists()



def test_lightning_console_handler_is_dropped_under_configured_logging() -> None:
    import lightning  # noqa: F401

    from imitation_pipeline import training

    lg = logging.getLogger("lightning")
    extra = logging.StreamHandler()
    lg.addHandler(extra)  # what importing lightning does
    root = logging.getLogger()
    added = not root.handlers
    if added:
        root.addHandler(logging.NullHandler())  # Hydra's handlers
    try:
        training._route_lightning_logs()
        assert extra not in lg.handlers and lg.propagate
    finally:
        lg.removeHandler(extra)
        if added:
            root.handlers = [h for h in root.handlers if not isinstance(h, logging.NullHandler)]
