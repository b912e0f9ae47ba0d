"""``stage=dagger``: Dataset Aggregation on ``env=pokemon_standin`` or ``env=npp`` with the
``dagger.expert`` labelling every visited state (the loop: :func:`imitation_pipeline.dagger.loop.train_dagger`)."""

from __future__ import annotations

from omegaconf import DictConfig


def run(cfg: DictConfig) -> dict:
    from imitation_pipeline.dagger.loop import train_dagger

    return train_dagger(cfg)
