"""Keep numba's on-disk cache consistent across the package's modules.

numba (``cache=True``) invalidates a cached function only when *its own* source file changes, but
compiled functions inline code from other modules: the replay loop in ``world.py`` and the
observation loop in ``observations.py`` call ``kernel.tick``, the planner's rollouts call the kernel
too. After an edit to one of those, a stale cached caller would silently keep the old physics. At
import time we hash the sources of every module of the package that caches compiled code (found by
reading them, not from a list) and, when the hash differs from the one recorded next to the cache,
drop all of this package's cache files so everything recompiles once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from atomic_files import write_text_atomic

_MARK = b"cache=True"


def _jit_sources(pkg: Path) -> list[Path]:
    return sorted(p for p in pkg.rglob("*.py") if "__pycache__" not in p.parts and _MARK in p.read_bytes())


def ensure_fresh_cache() -> None:
    pkg = Path(__file__).resolve().parent
    h = hashlib.sha256()
    try:
        for path in _jit_sources(pkg):
            h.update(path.relative_to(pkg).as_posix().encode())
            h.update(path.read_bytes())
    except OSError:
        return
    digest = h.hexdigest()
    cache = pkg / "__pycache__"
    stamp = cache / "npp_sim_jit.stamp"
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for sub in pkg.rglob("__pycache__"):
            for p in sub.glob("*.nb[ic]"):
                p.unlink(missing_ok=True)
        write_text_atomic(stamp, digest)
    except OSError:
        pass  # read-only install: numba then uses its own cache location
