"""finetune / baseline / evaluate / compare / pipeline end to end on tiny budgets (``debug=tiny``), in this
process; the one-line errors (exit status 2) from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_support import app_log, error_lines, run_cli
from rl_support import write_bc_checkpoint

DROP = {"seconds", "checkpoint"}  # wall time and absolute paths may differ between runs


@pytest.fixture(scope="module")
def rl_runs(module_cfg, tmp_path_factory, demo_dir):
    """One finetune run (from a BC checkpoint, 2 subprocess envs, half of its episodes starting on demonstrated
    states) and one baseline run (dummy vec env)."""
    from imitation_pipeline.stages import baseline, finetune

    root = tmp_path_factory.mktemp("rl")
    bc = root / "bc.pt"
    write_bc_checkpoint(bc, "simple_cnn")
    with app_log() as ft_log:
        ft = finetune.run(module_cfg("stage=finetune", f"finetune.bc_checkpoint={bc}", "finetune.bc_kl_coef=0.5",
                                     "finetune.demo_starts=0.5", f"finetune.demo_starts_dir={demo_dir}",
                                     f"run_dir={root / 'ft'}"))
    base = baseline.run(module_cfg("stage=baseline", "ppo.vec_env=dummy", f"run_dir={root / 'base'}"))
    return {"root": root, "bc": bc, "ft": root / "ft", "base": root / "base", "ft_summary": ft,
            "base_summary": base, "ft_log": "\n".join(ft_log)}


@pytest.fixture(scope="module")
def evaluations(rl_runs, module_cfg) -> dict[str, dict]:
    """stage=evaluate of the finetune (twice: 32 levels in lock-step, the default, and one at a time),
    baseline and BC checkpoints: ``{name: {"path": evaluation.json, "result": what run returned}}``."""
    from imitation_pipeline.stages import evaluate

    root, out = rl_runs["root"], {}
    for name, ckpt, batch in (("ft", rl_runs["ft"] / "checkpoints" / "final.pt", 32),
                              ("ft-batch1", rl_runs["ft"] / "checkpoints" / "final.pt", 1),
                              ("base", rl_runs["base"] / "checkpoints" / "final.pt", 32), ("bc", rl_runs["bc"], 32)):
        path = root / f"eval-{name}.json"
        result = evaluate.run(module_cfg("stage=evaluate", f"evaluate.checkpoint={ckpt}", f"evaluate.output={path}",
                                         f"evaluate.batch_envs={batch}", f"run_dir={root / f'ev-{name}'}"))
        out[name] = {"path": path, "result": result}
    return out


def test_finetune_reports_the_strict_transfer_and_writes_its_outputs(rl_runs) -> None:
    out, run = rl_runs["ft_log"], rl_runs["ft"]
    assert "BC -> PPO transfer from" in out
    for line in ("unexpected    0", "missing       0", "mismatched    0"):
        assert line in out
    assert "fresh         6 tensors (value head" in out
    summary = json.loads((run / "finetune_summary.json").read_text())
    assert summary == rl_runs["ft_summary"]
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
    starts = summary["demo_starts"]  # both tiny training levels have a planner demo in demo_dir
    assert starts["share"] == 0.5 and starts["levels_with_demos"] == starts["training_levels"] == 2
    assert starts["demos"] == 2 and starts["not_won"] == [] and starts["unreadable"] == []
    assert "demo_starts" not in rl_runs["base_summary"]  # PPO from scratch never sees a demonstration


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


def test_evaluate_is_reproducible_and_per_category(evaluations) -> None:
    """Sampled actions (the default) draw from one generator per level: same numbers on every run and
    whatever the batching."""
    results = [{k: v for k, v in json.loads(evaluations[name]["path"].read_text()).items() if k not in DROP}
               for name in ("ft", "ft-batch1")]
    assert results[0] == results[1]  # same numbers twice (and whatever the batching)
    r = results[0]
    assert {k: v for k, v in evaluations["ft"]["result"].items() if k not in DROP} == r  # run returns what it wrote
    assert set(r["per_category"]) == {"very_simple", "simple"} and r["suite"] == "test"
    assert r["deterministic"] is False and r["checkpoint_stage"] == "finetune"
    assert len(r["episodes"]) == 2 * 3  # 2 test levels x evaluate.episodes
    assert r["macro"]["success_rate"] == pytest.approx(
        sum(c["success_rate"] for c in r["per_category"].values()) / 2)
    for e in r["episodes"]:  # every episode says how it ended, and the rates count those outcomes
        cap = r["env"]["max_episode_frames"]
        assert e["outcome"] == ("won" if e["success"] else "dead" if e["frames"] < cap else "timeout"), (e, cap)
    for cat, c in r["per_category"].items():
        mine = [e["outcome"] for e in r["episodes"] if e["category"] == cat]
        assert c["death_rate"] == pytest.approx(mine.count("dead") / len(mine))
        assert c["success_rate"] + c["death_rate"] + c["timeout_rate"] == pytest.approx(1.0)


def test_compare_writes_json_and_plots(evaluations, rl_runs, cfg) -> None:
    from imitation_pipeline.stages import compare

    out = rl_runs["root"] / "cmp"
    compare.run(cfg("stage=compare", f"compare.pretrained=[{evaluations['ft']['path']}]",
                    f"compare.baseline=[{evaluations['base']['path']}]", f"compare.bc={evaluations['bc']['path']}",
                    f"run_dir={out}"))
    result = json.loads((out / "compare.json").read_text())
    assert set(result["groups"]) == {"bc+ppo", "ppo", "bc"}
    eff = result["sample_efficiency"]
    assert set(eff["env_steps_to_target"]) == {"bc+ppo", "ppo"}
    assert eff["env_steps_to_target"]["ppo"] is not None  # the baseline reaches its own final value
    assert "answer" in result and "BC->PPO" in result["answer"]
    for png in ("success_by_category.png", "learning_curves.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


def test_mismatched_bc_checkpoint_is_one_line_exit_2(tmp_path) -> None:
    other = tmp_path / "impala.pt"
    write_bc_checkpoint(other, "impala_cnn")
    proc = run_cli(["stage=finetune", "debug=tiny", "ppo.vec_env=dummy", f"finetune.bc_checkpoint={other}",
                    f"hydra.run.dir={tmp_path / 'bad'}"], tmp_path)
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "arch.name" in err[0], proc.stderr


def test_evaluate_without_checkpoint_is_one_line(tmp_path) -> None:
    proc = run_cli(["stage=evaluate", f"hydra.run.dir={tmp_path}"], tmp_path)
    assert proc.returncode == 2 and "evaluate.checkpoint" in proc.stderr and proc.stderr.count("\n") == 1


def test_pipeline_runs_every_stage_end_to_end(demo_dir, cfg, tmp_path) -> None:
    from imitation_pipeline.stages import pipeline

    run = tmp_path / "pipe"
    summary = pipeline.run(cfg(f"dataset.path={demo_dir}", "pipeline.seeds=[0]", "pipeline.bc_max_epochs=1",
                               "ppo.vec_env=dummy", f"run_dir={run}"))
    assert summary == json.loads((run / "pipeline_summary.json").read_text())
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
    proc = run_cli([f"dataset.path={tmp_path / 'none'}", f"hydra.run.dir={tmp_path / 'run'}"], tmp_path)
    assert proc.returncode == 2 and "demonstration directory not found" in proc.stderr
    assert len(error_lines(proc.stderr)) == 1
