"""The root config: which stage runs, the shared seed, the config groups, and one block per stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from .rl import (
    BaselineConfig,
    CompareConfig,
    EvaluateConfig,
    FinetuneConfig,
    PipelineConfig,
    PPOConfig,
    SuiteConfig,
)
from .stages import (
    BCConfig,
    DaggerConfig,
    ExportConfig,
    GenerateConfig,
    SelfDemosConfig,
    TakeoverConfig,
    VerifyConfig,
)


@dataclass
class RootConfig:
    stage: str = MISSING  # set by the `stage` group (conf/stage/<name>.yaml)
    seed: int = 0
    run_dir: str = "${hydra:runtime.output_dir}"
    cache_root: str = "${oc.env:IMITATION_PIPELINE_CACHE,.cache/imitation_pipeline}"  # shards, run pointers
    resume: bool = False  # continue the stage from the newest checkpoint of the same arch and seed
    # Config groups; each option is validated by its own schema (see configs/__init__.py).
    arch: Any = MISSING
    dataset: Any = MISSING
    env: Any = MISSING
    logger: Any = None
    trainer: Any = MISSING
    callbacks: Any = None  # name -> a `_target_` entry (or null), conf/callbacks/
    # Per-stage option blocks (always present, so `pipeline` can chain stages).
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    generate: GenerateConfig = field(default_factory=GenerateConfig)
    bc: BCConfig = field(default_factory=BCConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    suites: SuiteConfig = field(default_factory=SuiteConfig)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)
    baseline: BaselineConfig = field(default_factory=BaselineConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    compare: CompareConfig = field(default_factory=CompareConfig)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    dagger: DaggerConfig = field(default_factory=DaggerConfig)
    takeover: TakeoverConfig = field(default_factory=TakeoverConfig)
    self_demos: SelfDemosConfig = field(default_factory=SelfDemosConfig)
