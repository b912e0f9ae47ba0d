"""Where the wall time of a training stage goes: ``time_split`` (seconds per part).

:class:`TimeSplit` keeps exclusive timers: a part started while another runs pauses the outer one,
so rollouts played inside validation count as ``rollouts`` only, a checkpoint written at the end of
validation as ``checkpointing`` only, and the parts add up to the wall time. As a Lightning callback
it times the optimizer steps (``on_train_batch_start`` .. ``on_train_batch_end``: forward, backward,
optimizer step), the gaps between them (``batches``: fetching, device transfer, logging) and the
validation loop; other code times its own part with :meth:`TimeSplit.section` (shard generation and
loading, rollouts, checkpoint writes). ``other`` is the rest of the wall time (model and trainer
set-up, Lightning's bookkeeping).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import lightning as L

PARTS = ("data", "optimizer", "batches", "validation", "rollouts", "checkpointing")


class TimeSplit(L.Callback):
    def __init__(self, clock=time.perf_counter):
        self.clock = clock
        self.seconds: dict[str, float] = dict.fromkeys(PARTS, 0.0)
        self._stack: list[list] = []  # [part, started at] of the running parts, innermost last
        self._t0: float | None = None
        self._t1: float | None = None

    # --- the timers --------------------------------------------------------------------------
    def start(self, part: str) -> None:
        now = self.clock()
        if self._t0 is None:
            self._t0 = now
        if self._stack:  # pause the enclosing part
            outer = self._stack[-1]
            self.seconds[outer[0]] = self.seconds.get(outer[0], 0.0) + now - outer[1]
        self._stack.append([part, now])

    def stop(self, part: str) -> None:
        """End ``part`` (a no-op when it is not running: hooks that fire without their opening one)."""
        if not self._stack or self._stack[-1][0] != part:
            return
        now = self.clock()
        name, since = self._stack.pop()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - since
        if self._stack:  # resume the enclosing part
            self._stack[-1][1] = now

    @contextmanager
    def section(self, part: str) -> Iterator[None]:
        self.start(part)
        try:
            yield
        finally:
            self.stop(part)

    def begin(self) -> None:
        """Start the wall clock (the stage's start)."""
        self._t0 = self.clock()

    def end(self) -> None:
        self._t1 = self.clock()

    def split(self) -> dict[str, float]:
        """Seconds per part, ``other`` (wall time no part claims), ``total`` and ``optimizer_share``."""
        end = self._t1 if self._t1 is not None else self.clock()
        total = 0.0 if self._t0 is None else end - self._t0
        out = {k: round(v, 3) for k, v in self.seconds.items()}
        out["other"] = round(max(total - sum(self.seconds.values()), 0.0), 3)
        out["total"] = round(total, 3)
        out["optimizer_share"] = round(self.seconds["optimizer"] / total, 4) if total > 0 else 0.0
        return out

    # --- Lightning hooks ---------------------------------------------------------------------
    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self.start("batches")  # until the first step: the first batch's fetch and transfer

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.stop("batches")
        self.start("optimizer")

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.stop("optimizer")
        self.start("batches")

    def on_validation_start(self, trainer, pl_module) -> None:
        self.stop("batches")
        self.start("validation")

    def on_validation_end(self, trainer, pl_module) -> None:
        self.stop("validation")

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.stop("batches")

    def on_exception(self, trainer, pl_module, exception) -> None:
        while self._stack:
            self.stop(self._stack[-1][0])


def timed(timer: TimeSplit | None, part: str) -> AbstractContextManager:
    """``timer.section(part)``, or nothing when there is no timer."""
    return nullcontext() if timer is None else timer.section(part)


def format_split(split: dict[str, float]) -> str:
    """One line: ``time_split (s): optimizer 12.3 (64%), ..., total 19.2``."""
    total = split.get("total", 0.0) or 0.0
    parts = sorted(((k, v) for k, v in split.items() if k not in ("total", "optimizer_share")),
                   key=lambda kv: -kv[1])
    body = ", ".join(f"{k} {v:.1f} ({v / total:.0%})" if total > 0 else f"{k} {v:.1f}" for k, v in parts)
    return f"time_split (s): {body}; total {total:.1f}"
