"""DAgger (``stage=dagger``) and the pieces it shares with BC's Pokemon rollouts.

* :mod:`.experts`: the one expert interface (``reset(obs, info, env)``, ``act(obs, info, env) -> int``,
  ``close()``) with the N++ planner, the stand-in's scripted expert, and external oracles (a Python
  callable or a JSON-lines subprocess, with a timeout and one clear :class:`~.experts.OracleError`).
* :mod:`.schedule`: the beta schedule (constant / linear / exponential).
* :mod:`.envs`: :class:`~.envs.Task` (env in the policy's observation format, training / evaluation
  episodes, milestones and success) and :func:`~.envs.evaluate`.
* :mod:`.dataset`: the aggregate dataset of expert-labelled states.
* :mod:`.callbacks`: Lightning rollout evaluation on a task (BC on Pokemon data).
* :mod:`.loop`: the DAgger loop itself (:func:`~.loop.train_dagger`; ``stage=dagger`` calls it).

Nothing here imports torch at package import time.
"""
