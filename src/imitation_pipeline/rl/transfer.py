"""BC -> PPO weight transfer: the whole BC policy, strict key matching, only the value head fresh.

A BC checkpoint holds the state dict of the very SB3 ``ActorCriticPolicy`` PPO builds from the same
arch config (``policies.policy_kwargs_for``), so every key must match by name and shape. The keys
are sorted into:

* ``loaded``: copied from the checkpoint (extractor, policy MLP, action head; the value branch too
  when ``fresh_value_head`` is false),
* ``fresh``: value-head keys kept at PPO's initialisation (``fresh_value_head``: BC never trains them),
* ``unexpected``: in the checkpoint but not in the PPO policy,
* ``missing``: in the PPO policy but not in the checkpoint (value-head keys are fresh instead),
* ``mismatched``: same name, different shape.

Anything unexpected, missing or mismatched is one :class:`CheckpointError` naming the keys: the
failure mode where only the extractor transferred ("206 missing keys") cannot pass silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from imitation_pipeline.errors import CheckpointError

VALUE_PREFIXES = ("value_net.", "mlp_extractor.value_net.")
ALIAS_PREFIXES = ("pi_features_extractor.", "vf_features_extractor.")  # SB3 names of the shared extractor


def is_value_key(key: str, shared_extractor: bool = True) -> bool:
    """Keys only the critic uses (a separate critic extractor too, when the extractor is not shared)."""
    return key.startswith(VALUE_PREFIXES) or (not shared_extractor and key.startswith("vf_features_extractor."))


def _module_of(key: str) -> str:
    parts = key.split(".")
    return ".".join(parts[:2]) if parts[0] == "mlp_extractor" else parts[0]


@dataclass
class TransferReport:
    source: str
    loaded: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    loaded_parameters: int = 0

    @property
    def ok(self) -> bool:
        return not (self.unexpected or self.missing or self.mismatched)

    @staticmethod
    def _by_module(keys: list[str]) -> str:
        counts = Counter(_module_of(k) for k in keys if not k.startswith(ALIAS_PREFIXES))
        aliases = sum(k.startswith(ALIAS_PREFIXES) for k in keys)
        text = ", ".join(f"{m} {n}" for m, n in counts.items())
        return text + (f"; +{aliases} pi_/vf_features_extractor aliases of the shared extractor" if aliases else "")

    def format(self) -> str:
        def line(label: str, keys: list[str], note: str = "") -> str:
            detail = f": {self._by_module(keys)}" if keys else ""
            return f"  {label:<11}{len(keys):>4}{note}{detail}"

        return "\n".join([
            f"BC -> PPO transfer from {self.source}:",
            line("loaded", self.loaded, f" tensors ({self.loaded_parameters:,} values)"),
            line("fresh", self.fresh, " tensors (value head, kept at PPO init)"),
            line("unexpected", self.unexpected),
            line("missing", self.missing),
            line("mismatched", self.mismatched),
        ])

    def as_dict(self) -> dict:
        return {"source": self.source, "loaded": len(self.loaded), "loaded_parameters": self.loaded_parameters,
                "fresh": len(self.fresh), "fresh_keys": self.fresh, "unexpected": self.unexpected,
                "missing": self.missing, "mismatched": self.mismatched}


def transfer_policy(policy, state_dict: dict, *, fresh_value_head: bool = True, source: str = "") -> TransferReport:
    """Load ``state_dict`` (a BC policy) into the SB3 ``policy`` strictly; raise on any mismatch."""
    shared = bool(getattr(policy, "share_features_extractor", True))
    target = policy.state_dict()
    report = TransferReport(source=str(source))
    merged = dict(target)
    for key, tensor in target.items():
        value = is_value_key(key, shared)
        if value and (fresh_value_head or key not in state_dict):
            report.fresh.append(key)
        elif key not in state_dict:
            report.missing.append(key)
        elif tuple(state_dict[key].shape) != tuple(tensor.shape):
            report.mismatched.append(f"{key} {tuple(state_dict[key].shape)} != {tuple(tensor.shape)}")
        else:
            merged[key] = state_dict[key]
            report.loaded.append(key)
            if not (shared and key.startswith(ALIAS_PREFIXES)):  # count the shared extractor once
                report.loaded_parameters += int(tensor.numel())
    report.unexpected = [k for k in state_dict if k not in target]
    if not report.ok:
        problems = []
        for label, keys in (("unexpected", report.unexpected), ("missing", report.missing),
                            ("mismatched", report.mismatched)):
            if keys:
                keys = sorted(keys, key=lambda k: k.startswith(ALIAS_PREFIXES))  # the real modules first
                shown = ", ".join(keys[:6]) + (f", ... ({len(keys) - 6} more)" if len(keys) > 6 else "")
                problems.append(f"{len(keys)} {label} ({shown})")
        raise CheckpointError(f"{source}: BC policy does not match the PPO policy: " + "; ".join(problems))
    policy.load_state_dict(merged, strict=True)
    return report


def load_bc_into(policy, path: str | Path, *, arch: dict, fresh_value_head: bool = True) -> tuple[TransferReport, dict]:
    """Validate a checkpoint against this run (arch, spaces) and transfer its policy; returns (report, checkpoint)."""
    from imitation_pipeline.checkpoint import load_checkpoint

    ckpt = load_checkpoint(path, expect_arch=arch, expect_observation_space=policy.observation_space,
                           expect_action_space=policy.action_space)
    report = transfer_policy(policy, ckpt["policy_state_dict"], fresh_value_head=fresh_value_head,
                             source=f"{path} (stage={ckpt['stage']}, arch={ckpt['arch'].get('name')})")
    return report, ckpt
