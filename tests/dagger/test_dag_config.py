"""The DAgger / Pokemon config surface: env options, the dagger block, the experiment preset."""

from __future__ import annotations

from app_support import compose
from omegaconf import OmegaConf


def _compose(overrides: list[str]):
    return compose(*overrides, validate=False)


def test_pokemon_env_options_and_dagger_defaults() -> None:
    cfg = _compose(["stage=dagger", "env=pokemon_standin"])
    assert OmegaConf.get_type(cfg.env).__name__ == "PokemonStandInEnvConfig"
    assert cfg.env.id == "PokemonStandIn-v0" and cfg.env.image_size == 84
    assert cfg.dagger.beta0 == 1.0 and cfg.dagger.expert.kind == "auto"
    assert cfg.dagger.lr == cfg.bc.lr and cfg.bc.td_weight == 0.0  # DQN-BC off by default
    emerald = _compose(["env=pokemon_emerald", "env.rom_path=/roms/emerald.gba"])
    assert OmegaConf.get_type(emerald.env).__name__ == "PokemonEmeraldEnvConfig"
    assert emerald.env.rom_path == "/roms/emerald.gba"


def test_experiment_preset_composes() -> None:
    cfg = _compose(["experiment=dagger_standin", "seed=2", "dagger.world_seed=200"])
    assert cfg.stage == "dagger" and cfg.arch.name == "simple_cnn" and cfg.env.name == "pokemon_standin"
    assert cfg.env.eval_seed == 200 and cfg.dagger.num_worlds == 4 and cfg.logger is None
