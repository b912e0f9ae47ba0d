"""The one checkpoint schema, shared by the BC stage (Lightning) and the RL stages (SB3 PPO).

A checkpoint is a ``torch.save`` file holding a plain dict (loadable with ``weights_only=True``):

=====================  ==================================================================
key                    content
=====================  ==================================================================
schema_version         int, ``SCHEMA_VERSION``
policy_state_dict      the whole SB3 ``ActorCriticPolicy`` state dict (extractor, MLPs, heads)
arch                   the resolved ``arch`` config (plain dict)
observation_space      ``describe_space(policy.observation_space)``
action_space           ``describe_space(policy.action_space)``
stage                  the stage that wrote it (``bc``, ``finetune``, ``baseline``, ``dagger``)
metrics                dict of floats (validation accuracy, success rate, ...)
provenance             dataset content hash, git revision, versions, time (see ``provenance()``)
extra                  optional stage-specific state (optimizer, epoch, ...), plain data/tensors
=====================  ==================================================================

Writing is atomic (temporary file in the same directory, fsync, rename: :mod:`atomic_files`), so an interrupted
run never leaves a half-written checkpoint under the final name. Loading validates the schema and,
when given the run's arch and spaces, reports every difference in one error.
"""

from __future__ import annotations

import datetime as _dt
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from atomic_files import atomic_open

from imitation_pipeline.errors import CheckpointError

SCHEMA_VERSION = 1
REQUIRED_KEYS = (
    "schema_version",
    "policy_state_dict",
    "arch",
    "observation_space",
    "action_space",
    "stage",
    "metrics",
    "provenance",
)


def describe_space(space: Any) -> dict:
    """A JSON-able description of a gymnasium space (type, shape, dtype, bounds summary)."""
    import numpy as np
    from gymnasium import spaces

    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": {k: describe_space(v) for k, v in space.spaces.items()}}
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": [int(n) for n in np.asarray(space.nvec).ravel()]}
    if isinstance(space, spaces.MultiBinary):
        return {"type": "MultiBinary", "n": np.asarray(space.n).tolist()}
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "shape": [int(d) for d in space.shape],
            "dtype": str(space.dtype),
            "low": float(np.min(space.low)),
            "high": float(np.max(space.high)),
        }
    raise CheckpointError(f"cannot describe space of type {type(space).__name__}")


def _diff(expected: Any, actual: Any, path: str, out: list[str]) -> None:
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        for key in sorted(set(expected) | set(actual), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in actual:
                out.append(f"{sub}: missing in checkpoint")
            elif key not in expected:
                out.append(f"{sub}: only in checkpoint ({actual[key]!r})")
            else:
                _diff(expected[key], actual[key], sub, out)
    elif isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        if list(expected) != list(actual):
            out.append(f"{path}: checkpoint {list(actual)!r} != run {list(expected)!r}")
    elif expected != actual:
        out.append(f"{path}: checkpoint {actual!r} != run {expected!r}")


def differences(expected: Mapping, actual: Mapping, prefix: str) -> list[str]:
    """Every leaf where ``actual`` (checkpoint) differs from ``expected`` (this run)."""
    out: list[str] = []
    _diff(dict(expected), dict(actual), prefix, out)
    return out


def git_revision(cwd: str | os.PathLike | None = None) -> str:
    """``<sha>`` or ``<sha>-dirty``; ``unknown`` outside a git checkout."""
    cwd = cwd or Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        if not sha:
            return "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return f"{sha}-dirty" if dirty else sha
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(dataset_hash: str | None = None, **fields: Any) -> dict:
    """Where a checkpoint came from: data hash, code revision, library versions, time."""
    import torch

    info = {
        "dataset_hash": dataset_hash,
        "git_revision": git_revision(),
        "torch_version": str(torch.__version__),
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    info.update(fields)
    return info


def save_checkpoint(
    path: str | os.PathLike,
    *,
    policy_state_dict: Mapping[str, Any],
    arch: Mapping[str, Any],
    observation_space: Any,
    action_space: Any,
    stage: str,
    metrics: Mapping[str, float] | None = None,
    provenance: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically. Spaces may be gymnasium spaces or their descriptions."""
    import torch

    path = Path(path)
    payload = {
        "schema_version": SCHEMA_VERSION,
        "policy_state_dict": {k: v.detach().cpu() for k, v in policy_state_dict.items()},
        "arch": _plain(arch),
        "observation_space": _as_description(observation_space),
        "action_space": _as_description(action_space),
        "stage": str(stage),
        "metrics": {str(k): float(v) for k, v in (metrics or {}).items()},
        "provenance": _plain(provenance or {}),
    }
    if extra:
        payload["extra"] = dict(extra)
    with atomic_open(path, "wb") as fh:
        torch.save(payload, fh)
    return path


def _pickled_globals(path: str | os.PathLike | None) -> list[str]:
    """The Python objects a pickle (or a torch zip's ``data.pkl``) imports, read without running it."""
    import pickletools
    import zipfile

    if path is None:
        return []
    try:
        data = Path(path).read_bytes()
        if data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(path) as zf:
                name = next((n for n in zf.namelist() if n.endswith("data.pkl")), None)
                data = zf.read(name) if name else b""
        found, strings = [], []
        for op, arg, _ in pickletools.genops(data):
            if op.name == "GLOBAL":
                found.append(str(arg).replace(" ", "."))
            elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(f"{strings[-2]}.{strings[-1]}")
            elif isinstance(arg, str):
                strings.append(arg)
        return found
    except Exception:  # noqa: BLE001 - damaged data: nothing to name
        return []


def unreadable_reason(err: BaseException, path: str | os.PathLike | None = None) -> str:
    """Why ``torch.load(..., weights_only=True)`` refused a file, in one line. A file carrying pickled
    code is named as such; torch's advice to retry with ``weights_only=False`` (which would run that
    code) is never passed on."""
    import re

    text = str(err)
    m = re.search(r"[Uu]nsupported [Gg][Ll][Oo][Bb][Aa][Ll]:? (?:GLOBAL )?([\w.]+)", text)
    if m or ("Weights only load failed" in text and _pickled_globals(path)):
        name = m.group(1) if m else _pickled_globals(path)[-1]
        return (f"the file contains code (pickled Python objects: {name}) and was not loaded; "
                "checkpoints of this project hold tensors and plain data only")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if lines and lines[0].startswith("Weights only load failed"):  # torch's boilerplate; keep the cause
        lines = [ln for ln in lines[1:] if not ln.startswith(("Please file an issue", "Check the documentation"))]
    return f"not a readable checkpoint: {lines[0] if lines else type(err).__name__}"


def load_checkpoint(
    path: str | os.PathLike,
    *,
    expect_arch: Mapping[str, Any] | None = None,
    expect_observation_space: Any = None,
    expect_action_space: Any = None,
    map_location: str = "cpu",
) -> dict:
    """Load with ``weights_only=True`` and validate; raise ``CheckpointError`` naming the file and every difference."""
    import pickle

    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as err:
        raise CheckpointError(f"{path}: {unreadable_reason(err, path)}") from err
    if not isinstance(ckpt, dict):
        raise CheckpointError(f"{path}: not a checkpoint of this project (top level is {type(ckpt).__name__})")
    missing = [k for k in REQUIRED_KEYS if k not in ckpt]
    if missing:
        raise CheckpointError(f"{path}: not a checkpoint of this project (missing keys: {', '.join(missing)})")
    if ckpt["schema_version"] != SCHEMA_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint schema version {ckpt['schema_version']} is not supported "
            f"(this code reads version {SCHEMA_VERSION})"
        )
    problems: list[str] = []
    if expect_arch is not None:
        problems += differences(_plain(expect_arch), ckpt["arch"], "arch")
    if expect_observation_space is not None:
        problems += differences(
            _as_description(expect_observation_space), ckpt["observation_space"], "observation_space"
        )
    if expect_action_space is not None:
        problems += differences(_as_description(expect_action_space), ckpt["action_space"], "action_space")
    if problems:
        raise CheckpointError(
            f"{path}: checkpoint does not match this run ({len(problems)} difference"
            f"{'s' if len(problems) != 1 else ''}): " + "; ".join(problems)
        )
    return ckpt


def load_policy_weights(policy: Any, path: str | os.PathLike, arch: Mapping[str, Any]) -> dict:
    """Load checkpoint ``path``'s ``policy_state_dict`` into ``policy`` (strict: every key accounted for) after
    checking that its arch and spaces are this policy's; returns the checkpoint."""
    ckpt = load_checkpoint(path, expect_arch=arch, expect_observation_space=policy.observation_space,
                           expect_action_space=policy.action_space)
    policy.load_state_dict(ckpt["policy_state_dict"], strict=True)
    return ckpt


def _as_description(space: Any) -> dict:
    from gymnasium import spaces

    return describe_space(space) if isinstance(space, spaces.Space) else _plain(space)


def _plain(obj: Any) -> Any:
    """OmegaConf containers / tuples -> plain dicts and lists (what weights_only loading accepts)."""
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf

        if isinstance(obj, (DictConfig, ListConfig)):
            return OmegaConf.to_container(obj, resolve=True)
    except ImportError:  # pragma: no cover - omegaconf is a dependency
        pass
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj
