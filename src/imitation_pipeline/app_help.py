"""``--help`` for the app: stages, config groups and the composed config, in well under 2 s.

Hydra's own help lists groups by deep-copying its config repository once per group, which costs
seconds once the schemas are registered; this composes the config once (with the command line's
overrides, so ``stage=bc --help`` shows that stage's config) and reads the group options from
``conf/``. Everything else on the command line is Hydra's (``--hydra-help``, ``--cfg``, ...).
"""

from __future__ import annotations

from pathlib import Path

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"

HEADER = """imitation_pipeline: demonstrations -> behavioural cloning -> PPO fine-tuning -> evaluation.

Usage: python -m imitation_pipeline stage=<stage> [group=option ...] [key=value ...]
       python -m imitation_pipeline -m stage=bc arch=simple_cnn,impala_cnn   (sweep into multirun/)
       python -m imitation_pipeline stage=<stage> --cfg job                (composed config only)
       python -m imitation_pipeline --hydra-help                           (Hydra's own options)
"""


def group_options(conf_dir: Path = CONF_DIR) -> dict[str, list[str]]:
    groups = {}
    for d in sorted(p for p in conf_dir.iterdir() if p.is_dir() and p.name != "hydra"):
        options = sorted(f.stem for f in d.glob("*.yaml"))
        if options:
            groups[d.name] = options
    return groups


def render_help(overrides: list[str]) -> str:
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from imitation_pipeline.configs import register

    register()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides)
    lines = [HEADER, "== Stages and config groups (choose with group=option) =="]
    lines += [f"{g}: {', '.join(opts)}" for g, opts in group_options().items()]
    lines += ["", "== Config ==", OmegaConf.to_yaml(cfg).rstrip()]
    return "\n".join(lines)
