"""finetune / baseline / evaluate / compare / pipeline end to end from the CLI on tiny budgets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rl_support import TINY, cli, write_bc_checkpoint

DROP = {"seconds", "checkpoint"}  # wall time and absolute paths may differ between runs


def _ok(proc) -> None:
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]


@pytest.fixture(scope="module")
def rl_runs(tmp_path_factory, cache_dir):
    """One finetune run (from a BC checkpoint, 2 subprocess envs) and one baseline run (dummy vec env)."""
    root = tmp_path_factory.mktemp("rl")
    bc = root / "bc.pt"
    write_bc_checkpoint(bc, "simple_cnn")
    ft = cli(["stage=finetune", *TINY, f"finetune.bc_checkpoint={bc}", "finetune.bc_kl_coef=0.5",
              f"hydra.run.dir={root / 'ft'}"], cwd=root, cache=cache_dir)
    _ok(ft)
    base = cli(["stage=baseline", *TINY, "ppo.vec_env=dummy", f"hydra.run.dir={root / 'base'}"], cwd=root,
               cache=cache_dir)
    _ok(base)
    return {"root": root, "bc": bc, "ft": root / "ft", "base": root / "base", "ft_out": ft.stdout}


def test_finetune_reports_the_strict_transfer_and_writes_its_outputs(rl_runs) -> None:
    out, run = rl_runs["ft_out"], rl_runs["ft"]
    assert "BC -> PPO transfer from" in out
    for line in ("unexpected    0", "missing       0", "mismatched    0"):
        assert line in out
    assert "fresh         6 tensors (value head" in out
    summary = json.loads((run / "finetune_summary.json").read_text())
    assert summary["transfer"]["missing"] == [] and summary["transfer"]["fresh"] == 6
    assert summary["timesteps"] >= 256
    for rel in ("checkpoints/final.pt", "checkpoints/best.pt", "checkpoints/final.zip", "eval_log.json",
                "logs/progress.csv"):
        assert (run / rel).is_file(), rel
    assert list((run / "logs").glob("events.out.tfevents.*")), "TensorBoard events"
    assert list((run / "checkpoints" / "sb3").glob("*.zip")), "CheckpointCallback snapshots"
    log = json.loads((run / "eval_log.json").read_text())
    steps = [e["timesteps"] for e in log["evaluations"]]
    assert steps[0] == 0 and steps[-1] == summary["timesteps"] and steps == sorted(steps)
    progress = (run / "logs" / "progress.csv").read_text()
    assert "train/bc_kl" in progress and "train/value_warmup" in progress


def test_rl_checkpoints_use_the_project_schema(rl_runs) -> None:
    from stable_baselines3 import PPO

    from imitation_pipeline.checkpoint import load_checkpoint

    for run, stage in ((rl_runs["ft"], "finetune"), (rl_runs["base"], "baseline")):
        ckpt = load_checkpoint(run / "checkpoints" / "final.pt")
        assert ckpt["stage"] == stage and ckpt["arch"]["name"] == "simple_cnn"
        assert ckpt["provenance"]["eval_log"] == str((run / "eval_log.json").resolve())
        assert ckpt["provenance"]["env"]["frame_skip"] == 4
    model = PPO.load(rl_runs["base"] / "checkpoints" / "final.zip", device="cpu")
    assert model.num_timesteps >= 256


def test_evaluate_is_reproducible_and_per_category(rl_runs) -> None:
    """Sampled actions (the default) draw from one generator per level: same numbers on every run and
    whatever the batching."""
    root, results = rl_runs["root"], []
    ckpt = rl_runs["ft"] / "checkpoints" / "final.pt"
    for i in range(2):
        out = root / f"eval{i}.json"
        proc = cli(["stage=evaluate", *TINY, f"evaluate.checkpoint={ckpt}", f"evaluate.output={out}",
                    "evaluate.batch_envs=1" if i else "evaluate.batch_envs=32", f"hydra.run.dir={root / f'ev{i}'}"],
                   cwd=root)
        _ok(proc)
        results.append({k: v for k, v in json.loads(out.read_text()).items() if k not in DROP})
    assert results[0] == results[1]  # same numbers twice (and whatever the batching)
    r = results[0]
    assert set(r["per_category"]) == {"very_simple", "simple"} and r["suite"] == "test"
    assert r["deterministic"] is False and r["checkpoint_stage"] == "finetune"
    assert len(r["episodes"]) == 2 * 3  # 2 test levels x evaluate.episodes
    assert r["macro"]["success_rate"] == pytest.approx(
        sum(c["success_rate"] for c in r["per_category"].values()) / 2)


def test_compare_writes_json_and_plots(rl_runs) -> None:
    root = rl_runs["root"]
    evals = {}
    for name, ckpt in (("ft", rl_runs["ft"] / "checkpoints" / "final.pt"),
                       ("base", rl_runs["base"] / "checkpoints" / "final.pt"), ("bc", rl_runs["bc"])):
        evals[name] = root / f"cmp-{name}.json"
        _ok(cli(["stage=evaluate", *TINY, f"evaluate.checkpoint={ckpt}", f"evaluate.output={evals[name]}",
                 f"hydra.run.dir={root / f'cmp-ev-{name}'}"], cwd=root))
    out = root / "cmp"
    proc = cli(["stage=compare", f"compare.pretrained=[{evals['ft']}]", f"compare.baseline=[{evals['base']}]",
                f"compare.bc={evals['bc']}", f"hydra.run.dir={out}"], cwd=root)
    _ok(proc)
    result = json.loads((out / "compare.json").read_text())
    assert set(result["groups"]) == {"bc+ppo", "ppo", "bc"}
    eff = result["sample_efficiency"]
    assert set(eff["env_steps_to_target"]) == {"bc+ppo", "ppo"}
    assert eff["env_steps_to_target"]["ppo"] is not None  # the baseline reaches its own final value
    assert "answer" in result and "BC->PPO" in result["answer"]
    for png in ("success_by_category.png", "learning_curves.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


def test_mismatched_bc_checkpoint_is_one_line_exit_2(rl_runs) -> None:
    root = rl_runs["root"]
    other = root / "impala.pt"
    write_bc_checkpoint(other, "impala_cnn")
    proc = cli(["stage=finetune", *TINY, f"finetune.bc_checkpoint={other}", f"hydra.run.dir={root / 'bad'}"],
               cwd=root)
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "arch.name" in err[0], proc.stderr


def test_evaluate_without_checkpoint_is_one_line(tmp_path) -> None:
    proc = cli(["stage=evaluate", f"hydra.run.dir={tmp_path}"], cwd=tmp_path)
    assert proc.returncode == 2 and "evaluate.checkpoint" in proc.stderr and proc.stderr.count("\n") == 1


def test_pipeline_runs_every_stage_end_to_end(demo_dir, cache_dir, tmp_path) -> None:
    run = tmp_path / "pipe"
    proc = cli([*TINY, f"dataset.path={demo_dir}", "pipeline.seeds=[0]", "pipeline.bc_max_epochs=1",
                "bc.rollout_levels=1", "bc.rollout_max_frames=60", "trainer.enable_progress_bar=false",
                "ppo.vec_env=dummy", f"hydra.run.dir={run}"], cwd=tmp_path, cache=cache_dir)
    _ok(proc)
    summary = json.loads((run / "pipeline_summary.json").read_text())
    assert Path(summary["bc_checkpoint"]).is_file()
    assert Path(summary["stages"]["generate"]["manifest"]).is_file()
    for rel in ("bc/bc_summary.json", "finetune/seed0/eval_log.json", "baseline/seed0/eval_log.json",
                "evaluate/finetune-seed0/evaluation.json", "evaluate/baseline-seed0/evaluation.json",
                "evaluate/bc/evaluation.json", "compare/compare.json", "compare/success_by_category.png",
                "compare/learning_curves.png"):
        assert (run / rel).exists(), rel
    ft = json.loads((run / "finetune/seed0/finetune_summary.json").read_text())
    assert ft["bc_checkpoint"] == str(Path(summary["bc_checkpoint"]).resolve())
    assert "BC->PPO" in summary["answer"]


def test_pipeline_without_demonstrations_is_one_line(tmp_path) -> None:
    proc = cli([f"dataset.path={tmp_path / 'none'}", f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path)
    assert proc.returncode == 2 and "demonstration directory not found" in proc.stderr
