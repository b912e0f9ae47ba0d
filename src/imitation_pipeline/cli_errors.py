"""Condense Hydra/OmegaConf composition errors into one line.

Hydra prints a multi-line report (available options, search path, a hint about HYDRA_FULL_ERROR).
The entry point asks Hydra to raise instead, and this module reduces the exception chain to the
sentence a user needs: what was wrong and, where Hydra lists them, the valid choices.
"""

from __future__ import annotations

import re


def _clean(text: str) -> str:
    text = text.split("Config search path:")[0]
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith(("object_type=", "Set the environment"))]
    out: list[str] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("Available options in") and ln.endswith(":"):
            opts = []
            i += 1
            while i < len(lines) and re.fullmatch(r"[\w./-]+", lines[i]):
                opts.append(lines[i])
                i += 1
            out.append(f"({ln[:-1].lower()}: {', '.join(opts)})")
            continue
        if ln.startswith("full_key:"):
            ln = f"({ln})"
        out.append(ln)
        i += 1
    return " ".join(out)


def one_line(err: BaseException) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    e: BaseException | None = err
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        msg = _clean(str(e))
        # OmegaConf chains an unformatted copy ('$VALUE ...') and parser internals ('None'); skip them.
        if msg and msg != "None" and "$" not in msg and not any(msg in p for p in parts):
            parts.append(msg)
        e = e.__cause__
    return ": ".join(parts) if parts else type(err).__name__
