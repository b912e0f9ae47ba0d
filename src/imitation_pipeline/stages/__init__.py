"""One small module per stage; each exposes ``run(cfg) -> dict`` (the stage's summary)."""

from __future__ import annotations

import importlib

from omegaconf import DictConfig

from imitation_pipeline.errors import UserFacingError

STAGES = ("verify", "generate", "export", "bc", "finetune", "baseline", "evaluate", "compare", "pipeline", "dagger", "takeover", "self_demos")


def run_stage(cfg: DictConfig) -> dict:
    name = cfg.stage
    if name not in STAGES:
        raise UserFacingError(f"unknown stage {name!r}; available: {', '.join(STAGES)}")
    module = importlib.import_module(f"imitation_pipeline.stages.{name}")
    return module.run(cfg)
