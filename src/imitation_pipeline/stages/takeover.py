"""``stage=takeover``: expert takeover demos where a BC student fails
(:func:`imitation_pipeline.dagger.takeover.collect`)."""

from __future__ import annotations

from omegaconf import DictConfig


def run(cfg: DictConfig) -> dict:
    from imitation_pipeline.dagger.takeover import collect

    return collect(cfg)
