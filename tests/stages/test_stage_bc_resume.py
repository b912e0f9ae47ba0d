"""BC resume reproduces the uninterrupted run bit for bit (CPU), and a damaged last.ckpt is one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

ARGS = ["stage=bc", "arch=simple_cnn", "bc.max_replays=4", "bc.batch_size=16", "generate.workers=1",
        "trainer.limit_train_batches=3", "trainer.limit_val_batches=1", "bc.rollout_every_n_epochs=0",
        "trainer.enable_progress_bar=false", "logger=none", "trainer.deterministic=true"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "IMITATION_PIPELINE_CACHE": str(cwd / "cache")}
    return subprocess.run([sys.executable, "-m", "imitation_pipeline", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=1200)


def _last(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)


def test_resumed_bc_equals_the_uninterrupted_run(npp_reference, tmp_path) -> None:
    data = f"dataset.path={npp_reference / 'replays'}"
    full, part, resumed = tmp_path / "full", tmp_path / "part", tmp_path / "resumed"
    for args in ([data, "trainer.max_epochs=3", f"hydra.run.dir={full}", "bc.checkpoint_pointer=full.json"],
                 [data, "trainer.max_epochs=1", f"hydra.run.dir={part}", "bc.checkpoint_pointer=part.json"],
                 [data, "trainer.max_epochs=3", f"hydra.run.dir={resumed}", "resume=true",
                  "bc.checkpoint_pointer=part.json"]):
        proc = _run([*ARGS, *args], tmp_path)
        assert proc.returncode == 0, proc.stderr[-3000:]
    a, b = _last(full), _last(resumed)
    assert a["global_step"] == b["global_step"] == 9
    differ = [k for k in a["state_dict"] if not torch.equal(a["state_dict"][k], b["state_dict"][k])]
    assert differ == [], f"{len(differ)}/{len(a['state_dict'])} tensors differ"
    for sa, sb in zip(a["optimizer_states"][0]["state"].values(), b["optimizer_states"][0]["state"].values(),
                      strict=True):
        assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_damaged_last_checkpoint_under_resume_is_one_line(npp_reference, tmp_path) -> None:
    last = tmp_path / "last.ckpt"
    last.write_bytes(b"PK\x03\x04" + os.urandom(300))
    (tmp_path / "ptr.json").write_text(json.dumps({"last": str(last), "best": None}))
    proc = _run([*ARGS, f"dataset.path={npp_reference / 'replays'}", "resume=true", "bc.checkpoint_pointer=ptr.json",
                 "trainer.max_epochs=1"], tmp_path)
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and str(last) in lines[0] and "Traceback" not in proc.stderr
