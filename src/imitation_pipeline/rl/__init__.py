"""Reinforcement learning: PPO construction shared by ``stage=finetune`` and ``stage=baseline``.

* :mod:`.levels`    the level lists of a run (train / held-out eval / test) from ``suites.*``
* :mod:`.envs`      env factories: vectorised training envs, one-env-per-level evaluation envs
* :mod:`.transfer`  strict BC -> PPO weight transfer with a categorised report
* :mod:`.ppo`       :class:`~.ppo.RegularisedPPO` (SB3 PPO + annealed KL to the frozen BC policy)
* :mod:`.callbacks` training phases (value warm-up, frozen extractor), held-out evaluation log,
  checkpoints in the project schema
* :mod:`.train`     :func:`~.train.train_ppo`: the one code path of both PPO arms

Importing the submodules imports torch and stable-baselines3 (only the RL stages do).
"""
