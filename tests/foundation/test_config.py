"""Config composition for every group option, validation errors, and the CLI surface."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from app_support import CONF as CONF_DIR
from app_support import compose
from omegaconf import OmegaConf


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


GROUP_OPTIONS = [(g, o) for g in ("stage", "arch", "dataset", "env", "logger", "trainer",
                                                   "callbacks", "debug", "experiment")
                 for o in _options(g)]


def _compose(overrides: list[str]):
    return compose(*overrides, validate=False, hydra=True)


@pytest.mark.parametrize(("group", "option"), GROUP_OPTIONS)
def test_every_group_option_composes_and_validates(group: str, option: str) -> None:
    cfg = _compose([f"{group}={option}"])
    assert cfg.hydra.runtime.choices[group] == option
    if group == "logger" and option == "none":
        assert cfg.logger is None
    elif group == "stage":
        assert cfg.stage == option
    elif group in ("arch", "dataset"):
        assert cfg[group].name == option
    OmegaConf.to_yaml(cfg, resolve=False)  # every node renders


def test_every_arch_has_a_schema_with_its_own_fields() -> None:
    cfg = _compose(["arch=impala_cnn"])
    assert OmegaConf.get_type(cfg.arch).__name__ == "ImpalaCNNConfig"
    assert cfg.arch.blocks_per_stage == 2


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("arch=nope", "Could not find 'arch/nope'"),
        ("trainer.max_epochs=abc", "could not be converted to Integer"),
        ("arch.bogus=1", "Key 'bogus' not in"),
        ("stage=nope", "Could not find 'stage/nope'"),
    ],
)
def test_bad_override_is_one_line_and_nonzero(override: str, fragment: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "imitation_pipeline", override],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and fragment in lines[0]
    assert not (tmp_path / "outputs").exists() or not any((tmp_path / "outputs").rglob("*.json"))


def test_help_lists_stages_and_groups(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "imitation_pipeline", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for group in ("stage", "arch", "dataset", "env", "logger", "trainer"):
        assert f"{group}: " in out
    assert "arch: hgt, hierarchical, impala_cnn, simple_cnn" in out
    for stage in _options("stage"):
        assert stage in out.split("stage: ", 1)[1].splitlines()[0]
    assert "schema_" not in out  # validation schemas are not user-facing options


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, runpy; sys.argv=['x','--help'];\n"
        "try:\n runpy.run_module('imitation_pipeline', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "heavy=[m for m in ('torch','lightning','stable_baselines3','numba') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr
