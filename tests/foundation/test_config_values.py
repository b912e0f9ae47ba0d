"""Option values are checked at compose time: one line naming the key, exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from app_support import compose

from imitation_pipeline.configs.validate import problems

REPO_ROOT = Path(__file__).resolve().parents[2]

BAD = [
    ("bc.batch_size=0", "bc.batch_size=0: must be >= 1"),
    ("env.frame_skip=0", "env.frame_skip=0: must be >= 1"),
    ("trainer.max_epochs=-2", "trainer.max_epochs=-2: must be >= 1 (or -1)"),
    ("bc.lr=-0.1", "bc.lr=-0.1: must be > 0"),
    ("ppo.learning_rate=0", "ppo.learning_rate=0.0: must be > 0"),
    ("bc.split_by=frame", "bc.split_by=frame: must be one of level, replay"),
    ("bc.lr_schedule=linear", "bc.lr_schedule=linear: must be one of constant, cosine"),
    ("ppo.vec_env=fast", "ppo.vec_env=fast: must be one of auto, subproc, dummy"),
    ("generate.workers=0", "generate.workers=0: must be >= 1"),
    ("trainer.torch_threads=-1", "trainer.torch_threads=-1: must be >= 0"),
    ("ppo.update_threads=-1", "ppo.update_threads=-1: must be >= 0"),
    ("env.lr_rule=right_wins", "env.lr_rule=right_wins: must be one of cancel, left_wins"),
    ("compare.confidence=1.5", "compare.confidence=1.5: must be in (0, 1)"),
    ("compare.bootstrap_reps=5", "compare.bootstrap_reps=5: must be >= 100"),
    ("suites.test.simple=-1", "suites.test.simple=-1: must be an integer >= 0"),
    ("dagger.beta_schedule=cosine", "dagger.beta_schedule=cosine: must be one of constant, linear, exponential"),
]


def _compose(*overrides: str):
    return compose(*overrides, validate=False, hydra=True)


@pytest.mark.parametrize(("override", "message"), BAD)
def test_bad_value_is_named(override: str, message: str) -> None:
    found = problems(_compose("stage=bc", override))
    assert found and found[0] == message


@pytest.mark.parametrize("extra", [[], ["experiment=smoke"], ["experiment=paper"], ["experiment=bc_vs_ppo"],
                                   ["env=pokemon_standin", "dataset=pokemon_npz", "experiment=dagger_standin"],
                                   ["arch=hgt", "trainer=ddp"]])
def test_shipped_configs_are_valid(extra: list[str]) -> None:
    for stage in ("pipeline", "bc", "dagger", "evaluate"):
        assert problems(_compose(f"stage={stage}", *extra)) == []


def test_cli_exits_with_one_line(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "imitation_pipeline", "stage=bc", "bc.batch_size=0"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["error: invalid option bc.batch_size=0: must be >= 1"]
