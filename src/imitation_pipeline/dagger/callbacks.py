"""Lightning hook: roll out the policy being trained on a :class:`~imitation_pipeline.dagger.envs.Task`.

Used by ``stage=bc`` for Pokemon datasets when ``env`` is a Pokemon env: every ``every_n_epochs``
it logs ``rollout/success_rate``, ``rollout/return``, ``rollout/length`` and ``rollout/milestones``
(means over the task's evaluation episodes), the same keys N++'s RolloutEvaluation logs (plus
milestones), so ``bc.monitor=rollout/success_rate`` works for both. The episodes are played by
:func:`~imitation_pipeline.dagger.envs.evaluate`, i.e. the one rollout loop, on this callback's env.
"""

from __future__ import annotations

import lightning as L

from imitation_pipeline.dagger.envs import Task, evaluate


class TaskRolloutEvaluation(L.Callback):
    def __init__(self, task: Task, every_n_epochs: int = 1, deterministic: bool = True):
        self.task, self.every, self.deterministic = task, max(int(every_n_epochs), 1), deterministic
        self.env = None
        self.history: list[dict] = []

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module) -> None:
        if trainer.sanity_checking or (trainer.current_epoch + 1) % self.every:
            return
        if self.env is None:
            self.env = self.task.make_env()
        result = evaluate(pl_module.policy, self.task, env=self.env, deterministic=self.deterministic)
        self.history.append({"epoch": int(trainer.current_epoch), **{k: v for k, v in result.items() if k != "episodes"}})
        pl_module.log_dict({"rollout/success_rate": result["success_rate"], "rollout/return": result["return"],
                            "rollout/length": result["length"], "rollout/milestones": result["milestones"]},
                           prog_bar=True)

    def on_fit_end(self, trainer, pl_module) -> None:
        if self.env is not None:
            self.env.close()
            self.env = None
