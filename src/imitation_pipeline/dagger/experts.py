"""DAgger experts behind one small interface.

An expert labels the states the learner visits::

    expert.reset(obs, info, env)          # start of an episode (reset obs / info)
    action = expert.act(obs, info, env)   # the expert's action for the current state (int)
    expert.close()                        # release processes / threads

``obs`` is the env's *raw* observation (the GBA frame for Pokemon, the observation dict for N++),
``info`` the latest info dict and ``env`` the env itself (experts that need the simulator state take
it from ``env.unwrapped``). Implementations:

* :class:`ScriptedStandInExpert`: ``pokemon_env.expert.ScriptedExpert`` (BFS over the world that
  ``PokemonStandIn-v0`` hands out in its reset info).
* :class:`NppPlannerExpert`: ``npp_sim.planner.PlannerExpert``, asked with ``env.unwrapped.sim``
  (plan cache / replanning / counted fallbacks: ``stats``).
* :class:`CallableOracle`: any Python function ``"package.module:function"`` called as
  ``function(obs, info) -> int``.
* :class:`SubprocessOracle`: a command speaking JSON lines over stdin/stdout (e.g. an LLM agent).
  Requests, one line each::

      {"type": "reset", "episode": 3, "info": {...}}                       (no answer expected)
      {"type": "act", "episode": 3, "step": 17, "info": {...},
       "observation": {"shape": [160, 240, 3], "dtype": "uint8", "base64": "..."}}
      {"type": "close"}

  The answer to every ``act`` is one line ``{"action": <int in [0, n_actions)>}``. ``info`` holds
  the JSON-representable entries of the env's info (numbers, strings, lists); ``observation`` is
  left out with ``send_observation=False``.

Oracles answer within ``timeout_s`` or the run stops with one :class:`OracleError` line naming the
oracle, the episode/step and what happened (timeout, garbage answer, crash with its stderr tail).
"""

from __future__ import annotations

import base64
import concurrent.futures
import importlib
import json
import os
import select
import shlex
import subprocess
import tempfile
import time
from typing import Any, Protocol, runtime_checkable

import numpy as np

from imitation_pipeline.errors import UserFacingError


class OracleError(UserFacingError):
    """An expert/oracle failed, timed out or answered something that is not an action."""


@runtime_checkable
class Expert(Protocol):
    name: str

    def reset(self, obs: Any, info: dict, env: Any) -> None: ...

    def act(self, obs: Any, info: dict, env: Any) -> int: ...

    def close(self) -> None: ...


def check_action(value: Any, n_actions: int, who: str, where: str) -> int:
    """``value`` as an action id, or OracleError when it is not an int in [0, n_actions)."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not ok or not 0 <= int(value) < n_actions:
        raise OracleError(f"{who}: answered {value!r} {where}; expected an integer action in [0, {n_actions})")
    return int(value)


def json_safe(value: Any) -> Any:
    """A JSON-representable copy of ``value``; entries that are not (objects, arrays) become ``None``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            safe = json_safe(v)
            if safe is not None or v is None:
                out[str(k)] = safe
        return out
    return None


# --------------------------------------------------------------------------------- built-in experts
class ScriptedStandInExpert:
    """The stand-in's BFS expert (no exploration noise)."""

    name = "scripted"

    def __init__(self) -> None:
        from pokemon_env.expert import ScriptedExpert

        self.inner = ScriptedExpert(epsilon=0.0)

    def reset(self, obs, info, env) -> None:
        try:
            self.inner.reset(obs, info)
        except ValueError as exc:
            raise OracleError(f"the scripted expert only labels PokemonStandIn-v0 ({exc})") from exc

    def act(self, obs, info, env) -> int:
        return int(self.inner.act(obs, info))

    def close(self) -> None:
        pass


class NppPlannerExpert:
    """``npp_sim.planner.PlannerExpert`` asked with the env's simulator (``env.unwrapped.sim``)."""

    name = "planner"

    def __init__(self, max_nodes: int = 20000, replan_nodes: int = 4000, budget_s: float = 60.0,
                 max_frames: int = 6000, seed: int = 0, frame_skip: int = 1, mine_margin: float = 0.0,
                 memory: bool = True):
        from npp_sim.planner import PlannerExpert

        self.inner = PlannerExpert(max_nodes=max_nodes, replan_nodes=replan_nodes, budget_s=budget_s,
                                   max_frames=max_frames, seed=seed, frame_skip=frame_skip, mine_margin=mine_margin,
                                   memory=memory)

    @staticmethod
    def _sim(env):
        sim = getattr(env.unwrapped, "sim", None)
        if sim is None:
            raise OracleError("the N++ planner expert needs an NppEnv (env.unwrapped.sim is missing)")
        return sim

    def reset(self, obs, info, env) -> None:
        self.inner.reset(self._sim(env).level.map_bytes)  # forget the previous episode's plan

    def act(self, obs, info, env) -> int:
        return int(self.inner.act(self._sim(env)))

    @property
    def stats(self) -> dict:
        return dict(self.inner.stats)

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------------- external oracles
def resolve_callable(target: str):
    module, sep, attr = str(target).partition(":")
    if not sep or not module or not attr:
        raise OracleError(f"oracle target {target!r} must look like 'package.module:function'")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise OracleError(f"oracle target {target!r} cannot be loaded ({type(exc).__name__}: {exc})") from exc
    if not callable(fn):
        raise OracleError(f"oracle target {target!r} is not callable")
    return fn


class CallableOracle:
    """``function(obs, info) -> int`` from ``"package.module:function"``, answered within ``timeout_s``.

    The call runs on a worker thread so a hung function stops the run after ``timeout_s`` (the
    thread itself cannot be killed; the stage exits with the error)."""

    def __init__(self, target: str, n_actions: int, timeout_s: float = 10.0):
        self.target, self.n_actions, self.timeout_s = str(target), int(n_actions), float(timeout_s)
        self.name = f"callable:{self.target}"
        self.fn = resolve_callable(self.target)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="oracle")
        self.episode, self.step = -1, 0

    def reset(self, obs, info, env) -> None:
        self.episode += 1
        self.step = 0

    def act(self, obs, info, env) -> int:
        where = f"at episode {self.episode}, step {self.step}"
        future = self._pool.submit(self.fn, obs, info)
        try:
            value = future.result(timeout=self.timeout_s)
        except concurrent.futures.TimeoutError:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="oracle")
            raise OracleError(f"oracle {self.target}: no answer within {self.timeout_s:g} s {where}") from None
        except Exception as exc:  # the oracle's own failure
            raise OracleError(f"oracle {self.target}: raised {type(exc).__name__}: {exc} {where}") from exc
        self.step += 1
        return check_action(value, self.n_actions, f"oracle {self.target}", where)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class SubprocessOracle:
    """A child process answering JSON-line requests (protocol in the module docstring)."""

    def __init__(self, command: str, n_actions: int, timeout_s: float = 10.0, send_observation: bool = True,
                 cwd: str | None = None):
        self.command, self.n_actions, self.timeout_s = str(command), int(n_actions), float(timeout_s)
        self.send_observation = bool(send_observation)
        self.name = f"subprocess:{self.command}"
        argv = shlex.split(self.command)
        if not argv:
            raise OracleError("dagger.expert.target is empty: give the oracle's command line")
        self._stderr = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                         cwd=cwd, bufsize=0)
        except OSError as exc:
            raise OracleError(f"oracle {self.command!r} cannot be started ({exc})") from exc
        os.set_blocking(self.proc.stdin.fileno(), False)
        self._buf = b""
        self.episode, self.step = -1, 0

    # --- plumbing ------------------------------------------------------------------------------
    def _where(self) -> str:
        return f"at episode {self.episode}, step {self.step}"

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace").strip()
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        tail = " | ".join(lines[-3:])
        return tail[-300:] if tail else "(empty)"

    def _crashed(self) -> OracleError:
        try:
            rc = self.proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            rc = None
        what = "closed its output" if rc is None else f"exited with status {rc}"
        return OracleError(f"oracle {self.command!r}: {what} {self._where()} (stderr: {self._stderr_tail()})")

    def _send(self, message: dict, deadline: float) -> None:
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        fd = self.proc.stdin.fileno()
        view = memoryview(data)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise OracleError(f"oracle {self.command!r}: does not read its input within {self.timeout_s:g} s "
                                  f"{self._where()}")
            _, writable, _ = select.select([], [fd], [], left)
            if not writable:
                continue
            try:
                n = os.write(fd, view)
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                raise self._crashed() from None
            view = view[n:]

    def _readline(self, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise OracleError(f"oracle {self.command!r}: no answer within {self.timeout_s:g} s {self._where()}")
            readable, _, _ = select.select([fd], [], [], left)
            if not readable:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise self._crashed()
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    # --- the expert interface --------------------------------------------------------------------
    def reset(self, obs, info, env) -> None:
        self.episode += 1
        self.step = 0
        if self.proc.poll() is not None:
            raise self._crashed()
        self._send({"type": "reset", "episode": self.episode, "info": json_safe(info)},
                   time.monotonic() + self.timeout_s)

    def act(self, obs, info, env) -> int:
        deadline = time.monotonic() + self.timeout_s
        msg: dict[str, Any] = {"type": "act", "episode": self.episode, "step": self.step, "info": json_safe(info)}
        if self.send_observation and isinstance(obs, np.ndarray):
            arr = np.ascontiguousarray(obs)
            msg["observation"] = {"shape": list(arr.shape), "dtype": str(arr.dtype),
                                  "base64": base64.b64encode(arr.tobytes()).decode("ascii")}
        self._send(msg, deadline)
        line = self._readline(deadline)
        shown = line[:80].decode("utf-8", "replace")
        try:
            answer = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            answer = None
        if not isinstance(answer, dict) or "action" not in answer:
            raise OracleError(f"oracle {self.command!r}: answered {shown!r} {self._where()}; expected one JSON line "
                              f'{{"action": <int in [0, {self.n_actions})>}}')
        action = check_action(answer["action"], self.n_actions, f"oracle {self.command!r}", self._where())
        self.step += 1
        return action

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._send({"type": "close"}, time.monotonic() + 1.0)
                self.proc.stdin.close()
                self.proc.wait(timeout=2.0)
            except (OracleError, OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()


# --------------------------------------------------------------------------------- from the config
def make_expert(expert_cfg, env_name: str, n_actions: int, seed: int = 0, max_frames: int = 6000,
                frame_skip: int = 1) -> Expert:
    """The expert of ``dagger.expert`` for ``env_name`` (``kind=auto`` picks the env's built-in expert)."""
    kind = str(expert_cfg.kind)
    if kind == "auto":
        kind = {"npp": "planner", "pokemon_standin": "scripted"}.get(env_name, "")
        if not kind:
            raise OracleError(f"env={env_name} has no built-in expert: set dagger.expert.kind=callable or "
                              "subprocess with dagger.expert.target")
    if kind == "scripted":
        if env_name != "pokemon_standin":
            raise OracleError(f"dagger.expert.kind=scripted labels env=pokemon_standin only, not env={env_name}")
        return ScriptedStandInExpert()
    if kind == "planner":
        if env_name != "npp":
            raise OracleError(f"dagger.expert.kind=planner labels env=npp only, not env={env_name}")
        return NppPlannerExpert(max_nodes=int(expert_cfg.planner_max_nodes),
                                replan_nodes=int(expert_cfg.planner_replan_nodes),
                                budget_s=float(expert_cfg.planner_budget_s), max_frames=max_frames,
                                seed=seed, frame_skip=frame_skip,
                                mine_margin=float(expert_cfg.get("planner_mine_margin", 0.0)),
                                memory=bool(expert_cfg.get("planner_memory", True)))
    if kind in ("callable", "subprocess"):
        if not expert_cfg.target:
            raise OracleError(f"dagger.expert.kind={kind} needs dagger.expert.target "
                              f"({'package.module:function' if kind == 'callable' else 'a command line'})")
        if kind == "callable":
            return CallableOracle(str(expert_cfg.target), n_actions, float(expert_cfg.timeout_s))
        return SubprocessOracle(str(expert_cfg.target), n_actions, float(expert_cfg.timeout_s),
                                bool(expert_cfg.send_observation))
    raise OracleError(f"dagger.expert.kind must be auto, scripted, planner, callable or subprocess; got {kind!r}")
