"""Structured configs (dataclasses) that validate every Hydra config group.

Each group option's YAML under ``conf/<group>/`` starts with ``defaults: [/schema_<group>_<kind>@_here_]``
so Hydra merges it onto its dataclass: an unknown key or a wrong type fails with Hydra's one-line
error. The root schema lists the groups and the per-stage option blocks. ``register()`` is idempotent.
"""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

from .arch import ARCH_SCHEMAS
from .data import DATASET_SCHEMAS
from .env import ENV_SCHEMAS
from .root import RootConfig
from .training import LOGGER_SCHEMAS, TRAINER_SCHEMAS

_registered = False


def register() -> None:
    global _registered
    if _registered:
        return
    cs = ConfigStore.instance()
    cs.store(name="root_schema", node=RootConfig)
    for group, schemas in (
        ("arch", ARCH_SCHEMAS),
        ("dataset", DATASET_SCHEMAS),
        ("env", ENV_SCHEMAS),
        ("logger", LOGGER_SCHEMAS),
        ("trainer", TRAINER_SCHEMAS),
    ):
        for name, node in schemas.items():
            cs.store(name=f"schema_{group}_{name}", node=node)
    _registered = True
