"""The one rollout loop: play episodes on a batch of envs, one batched policy call per step.

:func:`play` is generic over the env (any gymnasium env from a factory, N++ or Pokemon) and over
who acts (an ``actor(observations, groups, steps) -> actions``). Episodes come in *groups*: a group's
episodes are played one after another on one env slot, and its sampled actions draw from the group's
own generator, so a group's episodes do not depend on which other groups share the batch or on
``batch_envs`` (see :class:`LevelSeededSampler`). Every rollout of the project goes through it:

* :func:`play_levels` (``stage=evaluate``, BC rollouts ``RolloutEvaluation``, PPO's ``HeldOutEval``):
  every level of a suite ``episodes`` times, one group per level, seeded by (seed, level index);
* :func:`imitation_pipeline.dagger.envs.evaluate` (DAgger, ``TaskRolloutEvaluation``): a task's
  evaluation episodes, one group per episode;
* ``stage=export``: recorded actions replayed, with the trajectories kept.

With ``deterministic=True`` (argmax actions, a bit-exact simulator) the numbers are identical on every
run; sampled actions are too (one numpy generator per group).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from imitation_pipeline.rl.envs import EnvSpec


@dataclass
class Episode:
    """How to start one episode: ``env.reset(seed=seed, options=options)``, shown as ``name``; it is cut
    after ``max_steps`` steps when given (else after :func:`play`'s ``max_steps``)."""

    name: str
    seed: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    max_steps: int | None = None


@dataclass
class Played:
    """One finished episode: its group, its index in the group, and what happened."""

    group: int
    index: int
    episode: Episode
    ret: float
    length: int
    terminated: bool
    truncated: bool
    info: dict
    trajectory: dict | None = None  # with play(record=True): observations (T+1), actions, rewards, terminations, truncations


class LevelSeededSampler:
    """The actor of an SB3 policy: one batched forward pass, then each row's action drawn from its
    group's own generator (``np.random.default_rng((seed, key))``), so a group's episodes do not depend on
    which other groups share its batch. ``action_noise`` > 0 replaces an action by a uniformly random
    one with that probability, from a second generator per group (``(noise_seed, key)``). ``temperature``
    T draws from the policy's probabilities raised to 1/T and renormalised: 1 is the policy itself, below 1
    sharper (towards argmax, which is T -> 0), above 1 flatter."""

    def __init__(self, policy, keys: Sequence[int], seed: int, *, deterministic: bool = False,
                 action_noise: float = 0.0, noise_seed: int = 0, n_actions: int | None = None,
                 temperature: float = 1.0):
        """``keys[g]`` is group ``g``'s key (for :func:`play_levels` the level index)."""
        if not float(temperature) > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.policy, self.deterministic, self.action_noise = policy, bool(deterministic), float(action_noise)
        self.temperature = float(temperature)
        self.rngs = [np.random.default_rng((int(seed), int(key))) for key in keys]
        self.noise = ([np.random.default_rng((int(noise_seed), int(key))) for key in keys]
                      if self.action_noise > 0 else [])
        self.n_actions = n_actions

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = False,
                rows: Sequence[int] | None = None):
        """Actions of a batch (SB3's ``predict`` signature); ``rows`` names each row's generator (default: all, in order)."""
        if deterministic:
            actions, _ = self.policy.predict(observation, deterministic=True)
            return actions, state
        rngs = self.rngs if rows is None else [self.rngs[r] for r in rows]
        with torch.no_grad():
            obs, _ = self.policy.obs_to_tensor(observation)
            probs = self.policy.get_distribution(obs).distribution.probs.double().cpu().numpy()
        probs = tempered(probs, self.temperature)
        actions = np.array([rng.choice(probs.shape[1], p=p) for rng, p in zip(rngs, probs, strict=True)])
        return actions, state

    def __call__(self, observation, groups: Sequence[int], steps: Sequence[int]) -> np.ndarray:
        actions, _ = self.predict(observation, deterministic=self.deterministic, rows=groups)
        actions = np.broadcast_to(np.asarray(actions), (len(groups),)).copy()
        if self.action_noise > 0:
            n = self.n_actions if self.n_actions is not None else int(self.policy.action_space.n)
            for i, g in enumerate(groups):
                if self.noise[g].random() < self.action_noise:
                    actions[i] = self.noise[g].integers(n)
        return actions


def tempered(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Rows of ``probs`` raised to ``1 / temperature`` and renormalised (in log space, so a sharp
    temperature cannot underflow a row to zeros); ``temperature == 1`` only renormalises."""
    probs = np.asarray(probs, dtype=np.float64)
    if temperature != 1.0:
        with np.errstate(divide="ignore"):
            logits = np.log(probs) / temperature
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
    return probs / probs.sum(axis=1, keepdims=True)


@contextmanager
def eval_mode(policy) -> Iterator[None]:
    """The policy in evaluation mode for the block, its training mode restored after."""
    was_training = policy.training
    policy.set_training_mode(False)
    try:
        yield
    finally:
        policy.set_training_mode(was_training)


def _stack(observations: list, space: gym.Space):
    """A batch of observations as a VecEnv would give it (arrays of the space's dtype)."""
    if isinstance(space, gym.spaces.Dict):
        return {k: np.stack([np.asarray(o[k], dtype=space[k].dtype) for o in observations]) for k in space.spaces}
    return np.stack([np.asarray(o, dtype=space.dtype) for o in observations])


@dataclass
class _Slot:
    env: gym.Env
    group: int = -1
    index: int = 0
    obs: Any = None
    ret: float = 0.0
    steps: int = 0
    limit: int | None = None
    trajectory: dict | None = None


def play(actor: Callable, make_env: Callable[..., gym.Env] | gym.Env, groups: Sequence[Sequence[Episode]], *,
         batch_envs: int = 32, max_steps: int | None = None, record: bool = False, env_per_group: bool = False,
         on_episode: Callable[[Played], None] | None = None) -> list[list[Played]]:
    """Play every episode of ``groups``; returns, per group, its episodes in order.

    Up to ``batch_envs`` env slots (each made by ``make_env()`` when first needed, closed at the end)
    step in lock-step: one ``actor(observations, groups, steps)`` call per step for the rows of all
    running episodes (``groups[i]`` is the group of row ``i``, ``steps[i]`` its step in the episode). A
    slot plays its group's episodes one after another, then takes the next group. With ``env_per_group``
    each group gets its own env instead, ``make_env(group)``, closed when the group is done (e.g. an env
    over that level alone). ``make_env`` may be an env instead: it is then the only slot (``batch_envs``
    1), and left open. An episode ends when the
    env terminates or truncates it, or after ``max_steps`` (or its own ``Episode.max_steps``) steps.
    """
    own = not isinstance(make_env, gym.Env)
    batch_envs = max(1, int(batch_envs)) if own else 1
    results: list[list[Played]] = [[] for _ in groups]
    pending = deque(g for g, eps in enumerate(groups) if eps)
    idle: list[_Slot] = [] if own else [_Slot(make_env)]
    made: list[gym.Env] = []
    active: list[_Slot] = []

    def release(slot: _Slot) -> None:
        if env_per_group:
            slot.env.close()
        else:
            idle.append(slot)

    def finish(slot: _Slot, terminated: bool, truncated: bool, info: dict) -> None:
        done = Played(slot.group, slot.index, groups[slot.group][slot.index], slot.ret, slot.steps,
                      bool(terminated), bool(truncated), info, slot.trajectory)
        results[slot.group].append(done)
        if on_episode is not None:
            on_episode(done)
        slot.index += 1

    def start(slot: _Slot) -> bool:
        """Reset the slot into its group's next episode; False when the group is done."""
        while slot.index < len(groups[slot.group]):
            ep = groups[slot.group][slot.index]
            slot.obs, info = slot.env.reset(seed=ep.seed, options=ep.options or None)
            slot.ret, slot.steps = 0.0, 0
            slot.limit = ep.max_steps if ep.max_steps is not None else max_steps
            slot.trajectory = ({"observations": [slot.obs], "actions": [], "rewards": [], "terminations": [],
                                "truncations": []} if record else None)
            if slot.limit is None or slot.limit > 0:
                return True
            finish(slot, False, False, info)  # an episode of no steps
        return False

    try:
        while pending or active:
            while pending and len(active) < batch_envs:
                group = pending.popleft()
                if env_per_group:
                    slot = _Slot(make_env(group))
                elif idle:
                    slot = idle.pop()
                else:
                    slot = _Slot(make_env())
                    made.append(slot.env)
                slot.group, slot.index = group, 0
                if start(slot):
                    active.append(slot)
                else:
                    release(slot)
            if not active:
                break
            space = active[0].env.observation_space
            actions = actor(_stack([s.obs for s in active], space), [s.group for s in active],
                            [s.steps for s in active])
            still: list[_Slot] = []
            for slot, action in zip(active, actions, strict=True):
                slot.obs, reward, terminated, truncated, info = slot.env.step(int(action))
                slot.ret += float(reward)
                slot.steps += 1
                if slot.trajectory is not None:
                    for key, value in (("observations", slot.obs), ("actions", int(action)), ("rewards", float(reward)),
                                       ("terminations", bool(terminated)), ("truncations", bool(truncated))):
                        slot.trajectory[key].append(value)
                if terminated or truncated or (slot.limit is not None and slot.steps >= slot.limit):
                    finish(slot, terminated, truncated, info)
                    if not start(slot):
                        release(slot)
                        continue
                still.append(slot)
            active = still
    finally:
        for env in made + ([slot.env for slot in active] if env_per_group else []):
            env.close()
    return results


def play_levels(policy, spec: EnvSpec, categories: list[str], *, episodes: int = 1, deterministic: bool = False,
                batch_envs: int = 32, seed: int = 0, progress: bool = False, actions: bool = False,
                temperature: float = 1.0) -> list[dict]:
    """One record per (level, episode): level, category, episode, success, outcome ("won", "dead" or
    "timeout"), return, length, frames.

    Every level of ``spec`` is one group of ``episodes`` episodes (sampled actions seeded by (seed, level
    index), at ``temperature``, see :class:`LevelSeededSampler`); the env is ``spec``'s without reward
    shaping: the returns are the game's own. ``actions``: each record also holds the episode's ``actions``.
    """
    from tqdm.auto import tqdm

    n = len(spec.maps)
    groups = [[Episode(spec.names[i])] * episodes for i in range(n)]

    def level_env(i: int) -> gym.Env:  # the level alone, unshaped: the game's own returns
        return replace(spec, maps=[spec.maps[i]], names=[spec.names[i]], shaping="none")()

    bar = tqdm(total=n * episodes, desc="evaluate", unit="episode", disable=not progress, leave=False)
    wins: list[bool] = []

    def on_episode(p: Played) -> None:
        wins.append(bool(p.info.get("is_success", False)))
        bar.update(1)
        bar.set_postfix(success=f"{np.mean(wins):.2f}")

    sampler = LevelSeededSampler(policy, range(n), seed, deterministic=deterministic, temperature=temperature)
    taken: list[list[list[int]]] = [[] for _ in range(n)]  # per level, per episode: the actions

    def actor(observation, groups: Sequence[int], steps: Sequence[int]) -> np.ndarray:
        chosen = sampler(observation, groups, steps)
        if actions:
            for g, step, a in zip(groups, steps, chosen, strict=True):
                if step == 0:
                    taken[g].append([])
                taken[g][-1].append(int(a))
        return chosen

    try:
        with eval_mode(policy):
            played = play(actor, level_env, groups, batch_envs=batch_envs, env_per_group=True, on_episode=on_episode)
    finally:
        bar.close()

    def record(p: Played) -> dict:
        success = bool(p.info.get("is_success", False))
        row = {"level": spec.names[p.group], "category": categories[p.group], "episode": p.index, "success": success,
               "outcome": "won" if success else "dead" if p.terminated else "timeout",
               "return": round(p.ret, 6), "length": p.length,  # as SB3's Monitor reports them
               "frames": int(p.info.get("frame", 0))}
        if actions:
            row["actions"] = taken[p.group][p.index]
        return row

    return [record(p) for level in played for p in level]


def summarise(records: list[dict]) -> dict:
    """Overall (per episode), per category, and macro (mean over categories) success / death / time-out rates
    and return / length."""

    def stats(rs: list[dict]) -> dict:
        return {
            "episodes": len(rs),
            "levels": len({r["level"] for r in rs}),
            "success_rate": float(np.mean([r["success"] for r in rs])),
            # how the other episodes ended: the ninja died, or the frame cap cut the episode
            "death_rate": float(np.mean([r["outcome"] == "dead" for r in rs])),
            "timeout_rate": float(np.mean([r["outcome"] == "timeout" for r in rs])),
            "mean_return": float(np.mean([r["return"] for r in rs])),
            "mean_length": float(np.mean([r["length"] for r in rs])),
            "mean_frames": float(np.mean([r["frames"] for r in rs])),
        }

    by_cat: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_cat[r["category"]].append(r)
    per_category = {c: stats(rs) for c, rs in by_cat.items()}
    macro = {k: float(np.mean([s[k] for s in per_category.values()]))
             for k in ("success_rate", "death_rate", "timeout_rate", "mean_return", "mean_length", "mean_frames")}
    return {"overall": stats(records), "macro": macro, "per_category": per_category}
