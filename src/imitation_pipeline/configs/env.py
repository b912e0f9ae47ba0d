"""Environment schemas (the `env` group)."""

from __future__ import annotations

from dataclasses import dataclass, field

#: the values of env.reward_shaping (validated in configs.validate, built by env_factory.npp_env)
REWARD_SHAPINGS = ("none", "path_distance", "path_progress")


@dataclass
class RewardConfig:
    win: float = 1.0
    death: float = -0.5
    switch: float = 0.1
    time_penalty: float = -0.0001  # per simulator frame


@dataclass
class NppEnvConfig:
    _target_: str = "imitation_pipeline.env_factory.npp_env"  # the env factory (imitation_pipeline.env_factory.make_env instantiates it)
    name: str = "npp"
    id: str = "NPP-v0"
    frame_skip: int = 4  # decision rate: BC labels (generate.stride) and PPO steps hold an action this many frames
    max_frames: int = 20000
    lr_rule: str = "cancel"
    reward: RewardConfig = field(default_factory=RewardConfig)
    # shaping of the PPO training reward from the route distance still to go (npp_sim.shaping; Phi = -distance /
    # shaping_distance_px): path_distance (Ng et al.: F = ppo.gamma * Phi' - Phi, Phi = 0 on terminal states) |
    # path_progress (F = Phi' - Phi, a death keeps its Phi: the route covered, nothing for dying far away) |
    # none. Evaluation envs are never shaped: success and the game's own return stay the metric. path_progress
    # by default for both PPO arms (scratch PPO, 2 seeds each: path_progress ended at 0.31 / 0.22 held-out
    # success, path_distance at 0.03 / 0.33; see the README).
    reward_shaping: str = "path_progress"
    shaping_distance_px: float = 1000.0
    # what the env observes (conf/env/npp.yaml: the arch's modalities); every N++ env is made with it
    observation: list[str] = field(default_factory=lambda: ["player_frame", "game_state"])


ENV_SCHEMAS = {"npp": NppEnvConfig}


@dataclass
class PokemonStandInEnvConfig:
    """``PokemonStandIn-v0`` (procedural tile world, scripted BFS expert). Frames are preprocessed for
    the policy exactly as ``dataset=pokemon_npz`` preprocesses episodes (area resize, channel-first)."""

    _target_: str = "imitation_pipeline.env_factory.pokemon_standin_env"
    name: str = "pokemon_standin"
    id: str = "PokemonStandIn-v0"
    rows: int = 18  # world size in tiles incl. the tree border (>= 10 x 12)
    cols: int = 24
    max_steps: int = 400  # truncation
    step_reward: float = 0.0
    image_size: int = 84  # must equal dataset.image_size when training on pokemon_npz episodes
    grayscale: bool = False
    eval_episodes: int = 8  # rollout evaluation: one episode per world seed eval_seed, eval_seed+1, ...
    eval_seed: int = 100_000  # far from the collection seeds (collect uses seed + k from 0)
    eval_max_steps: int = 200  # evaluation episodes are cut here (<= max_steps)
    # The frame's progress panel (professor talked to, POKE BALL picked up); false = the panel-less frames of
    # earlier versions, where that progress is hidden whenever the professor is off screen.
    show_progress: bool = True
    # Ablation (DAgger only): also observe game_state = [talked to professor, picked the item] (0/1), the
    # progress the frame does not always show; the arch needs game_state in arch.modalities to use it.
    observe_milestones: bool = False


@dataclass
class PokemonEmeraldEnvConfig:
    """``PokemonEmerald-v0`` through mGBA; the ROM is yours (``env.rom_path`` or $POKEMON_EMERALD_ROM)."""

    _target_: str = "imitation_pipeline.env_factory.pokemon_emerald_env"
    name: str = "pokemon_emerald"
    id: str = "PokemonEmerald-v0"
    rom_path: str | None = None
    state_path: str | None = None  # saved emulator state to reset to (e.g. standing in the overworld)
    frames_per_action: int = 24
    hold_frames: int = 16
    reset_noop_max: int = 0
    max_steps: int = 10_000
    image_size: int = 84
    grayscale: bool = False
    eval_episodes: int = 1
    eval_seed: int = 0
    eval_max_steps: int = 500


ENV_SCHEMAS["pokemon_standin"] = PokemonStandInEnvConfig
ENV_SCHEMAS["pokemon_emerald"] = PokemonEmeraldEnvConfig
