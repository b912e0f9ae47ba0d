"""Replay regeneration: (map bytes, input bytes) -> observations paired with the actions taken.

Sample t pairs the observation of the state *before* input t with the action of input t, the
same pairing the env produces (``reset``/``step`` return the observation the next action is taken
from). Both paths call :meth:`ObservationBuilder.observe`, so they cannot drift apart.

Decision rate: with ``stride`` k (to match an env with ``frame_skip`` k) the samples are frames
0, k, 2k, ... and each is labelled with the input recorded at that frame; the simulator still
plays every recorded input, so states are exactly the human's.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from npp_sim.env import ACTION_CONTROLS
from npp_sim.inputs import decode_inputs
from npp_sim.observations import ObservationBuilder
from npp_sim.simulator import Simulator

# (hor + 1) * 2 + jump -> action
_ACTION_OF = np.zeros(6, dtype=np.int64)
for _a, (_h, _j) in enumerate(ACTION_CONTROLS):
    _ACTION_OF[(_h + 1) * 2 + _j] = _a


def actions_of_inputs(input_bytes: np.ndarray, lr_rule: str = "cancel") -> np.ndarray:
    """The Discrete(6) action of every input byte (left+right resolved by ``lr_rule``)."""
    hor, jump = decode_inputs(np.asarray(input_bytes, dtype=np.uint8), lr_rule)
    return _ACTION_OF[(hor.astype(np.int64) + 1) * 2 + jump.astype(np.int64)]


def iter_replay(map_data, input_bytes, builder: ObservationBuilder, *, lr_rule: str = "cancel",
                stride: int = 1, source: str = "<replay>") -> Iterator[tuple[int, dict, int]]:
    """Yield ``(frame, observation, action)``; the observation dict is reused between yields."""
    inputs = np.asarray(input_bytes, dtype=np.uint8)
    hor, jump = decode_inputs(inputs, lr_rule)
    actions = actions_of_inputs(inputs, lr_rule)
    sim = Simulator(map_data, source)
    buf = builder.allocate()
    for t in range(len(inputs)):
        if t % stride == 0:
            yield t, builder.observe(sim, buf), int(actions[t])
        sim.tick(int(hor[t]), int(jump[t]))


def regenerate(map_data, input_bytes, builder: ObservationBuilder, *, lr_rule: str = "cancel",
               stride: int = 1, source: str = "<replay>") -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """All samples of a replay as stacked arrays: ``(observations, actions, frames)``."""
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    inputs = np.asarray(input_bytes, dtype=np.uint8)
    hor, jump = decode_inputs(inputs, lr_rule)
    sim = Simulator(map_data, source)
    obs = builder.observe_replay(sim, hor, jump, stride)
    actions = actions_of_inputs(inputs, lr_rule)[::stride].astype(np.uint8)
    frames = np.arange(0, len(inputs), stride, dtype=np.int32)
    return obs, actions, frames
