"""Pokemon frames in the policy's format: the observation key, the observation space and the wrapper
that preprocesses the raw GBA frame one step at a time exactly as ``dataset=pokemon_npz`` preprocesses
recorded episodes (:func:`imitation_pipeline.data.pokemon_npz.preprocess_frames`).

Used by the env factory (which wraps every Pokemon env in :class:`PokemonFrames`), DAgger's tasks and
the BC stage's Pokemon data, so it sits below all three.
"""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import numpy as np

from imitation_pipeline.errors import UserFacingError

NON_IMAGE_MODALITIES = ("game_state", "entities", "graph")


def pokemon_obs_key(modalities: Sequence[str]) -> str:
    """The observation key Pokemon frames are served under: the arch's first image modality
    (``player_frame`` for the default modalities, ``image`` for ``arch.modalities=[image]``)."""
    for m in modalities:
        if m not in NON_IMAGE_MODALITIES:
            return str(m)
    raise UserFacingError(f"arch.modalities {list(modalities)} has no image modality for Pokemon frames "
                          "(use e.g. arch.modalities=[image] or [player_frame])")


MILESTONE_STATE = ("talk_professor", "pick_item")  # game_state of env.observe_milestones (stand-in)


def pokemon_observation_space(key: str, image_size: int, grayscale: bool,
                              milestones: bool = False) -> gym.spaces.Dict:
    channels = 1 if grayscale else 3
    parts = {key: gym.spaces.Box(0, 255, (channels, image_size, image_size), np.uint8)}
    if milestones:
        parts["game_state"] = gym.spaces.Box(0.0, 1.0, (len(MILESTONE_STATE),), np.float32)
    return gym.spaces.Dict(parts)


class PokemonFrames(gym.Wrapper):
    """Raw GBA frame -> ``{key: uint8 (C, S, S)}`` (the pokemon_npz preprocessing, one frame at a time);
    with ``milestones=True`` also ``game_state`` = which of :data:`MILESTONE_STATE` are reached."""

    def __init__(self, env: gym.Env, key: str, image_size: int = 84, grayscale: bool = False,
                 milestones: bool = False):
        super().__init__(env)
        self.key, self.image_size, self.grayscale = key, int(image_size), bool(grayscale)
        self.milestones = bool(milestones)
        self.observation_space = pokemon_observation_space(key, self.image_size, self.grayscale, self.milestones)
        self.raw_observation: np.ndarray | None = None

    def observation(self, observation: np.ndarray, info: dict) -> dict[str, np.ndarray]:
        from imitation_pipeline.data.pokemon_npz import preprocess_frames

        self.raw_observation = observation
        out = {self.key: preprocess_frames(observation[None], self.image_size, self.grayscale)[0]}
        if self.milestones:
            reached = info.get("milestones", ())
            out["game_state"] = np.array([m in reached for m in MILESTONE_STATE], dtype=np.float32)
        return out

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        return self.observation(obs, info), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return self.observation(obs, info), reward, terminated, truncated, info
