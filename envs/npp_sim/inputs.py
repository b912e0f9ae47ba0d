"""Decoding of N++ per-frame input bytes into the simulator's (horizontal, jump) pair.

One byte per frame: bit 0 = jump, bit 1 = right, bit 2 = left, bit 3 = reset (ignored by the
simulator). When both left and right are held the result depends on the rule:

* ``"cancel"``: the two directions cancel, horizontal input is 0 (what nclone's replay executor does).
* ``"left_wins"``: left takes precedence, horizontal input is -1 (N++'s own decoding tables).
"""

from __future__ import annotations

import numpy as np

LR_RULES = ("cancel", "left_wins")


def check_rule(lr_rule: str) -> None:
    """Raise ``ValueError`` unless ``lr_rule`` is a known left+right rule."""
    if lr_rule not in LR_RULES:
        raise ValueError(f"unknown left+right rule {lr_rule!r}; expected one of {LR_RULES}")


def decode_inputs(input_bytes, lr_rule: str = "cancel") -> tuple[np.ndarray, np.ndarray]:
    """Return ``(hor, jump)`` int8 arrays for a sequence of input bytes.

    ``hor`` is in {-1, 0, 1}, ``jump`` in {0, 1}. Raises ``ValueError`` for an unknown rule.
    """
    check_rule(lr_rule)
    b = np.asarray(input_bytes).astype(np.uint8, copy=False)
    jump = (b & 1).astype(np.int8)
    right = ((b >> 1) & 1).astype(np.int8)
    left = ((b >> 2) & 1).astype(np.int8)
    hor = right - left
    if lr_rule == "left_wins":
        hor = np.where(left == 1, np.int8(-1), hor).astype(np.int8)
    return hor.astype(np.int8), jump
