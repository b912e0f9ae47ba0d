"""Keep numba's on-disk cache consistent across the package's modules.

numba (``cache=True``) invalidates a cached function only when *its own* source file changes, but
the compiled replay loop in ``world.py`` inlines code from ``kernel.py`` and ``tiles.py``. After an
edit to one of those, a stale cached ``simulate_bytes`` would silently keep the old physics. At
import time we hash the sources of the compiled modules and, when the hash differs from the one
recorded next to the cache, drop this package's cache files so everything recompiles once.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_MODULES = ("kernel", "tiles", "world", "layout")


def ensure_fresh_cache() -> None:
    pkg = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for m in _MODULES:
        try:
            h.update((pkg / f"{m}.py").read_bytes())
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
        for m in _MODULES:
            for p in cache.glob(f"{m}.*.nb[ic]"):
                p.unlink(missing_ok=True)
        tmp = cache / f"npp_sim_jit.stamp.{os.getpid()}"
        tmp.write_text(digest)
        os.replace(tmp, stamp)
    except OSError:
        pass  # read-only install: numba then uses its own cache location
