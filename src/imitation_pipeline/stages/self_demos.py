"""``stage=self_demos``: the BC student's own wins as demos
(:func:`imitation_pipeline.dagger.self_demos.collect`)."""

from __future__ import annotations

from omegaconf import DictConfig


def run(cfg: DictConfig) -> dict:
    from imitation_pipeline.dagger.self_demos import collect

    return collect(cfg)
