"""Observation shards: the regenerated samples of one replay in one ``.npz`` file.

A shard holds ``obs/<key>`` arrays (one row per sample), ``actions`` (uint8), ``frames`` (int32,
the replay frame of each sample) and ``meta`` (a UTF-8 JSON document stored as a uint8 array, so
loading needs no pickle). Files are written deterministically (fixed zip timestamps and member
order, so the same content gives the same bytes on every run and machine) and atomically.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
from atomic_files import atomic_open

from imitation_pipeline.errors import DatasetError

_EPOCH = (1980, 1, 1, 0, 0, 0)
SHARD_SUFFIX = ".npz"
CONTENT_KEY = "content_sha256"  # meta: sha256 of the array members (.npy bytes, in file order)


def _member(zf: zipfile.ZipFile, name: str, array: np.ndarray, compress: bool) -> bytes:
    info = zipfile.ZipInfo(f"{name}.npy", date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
    zf.writestr(info, buf.getvalue(), compresslevel=1 if compress else None)
    return buf.getvalue()


def encode_shard(obs: dict[str, np.ndarray], actions: np.ndarray, frames: np.ndarray, meta: dict,
                 *, compress: bool = True) -> bytes:
    n = len(actions)
    for k, v in obs.items():
        if len(v) != n:
            raise ValueError(f"obs/{k} has {len(v)} rows, actions has {n}")
    buf = io.BytesIO()
    h = hashlib.sha256()
    with zipfile.ZipFile(buf, "w") as zf:
        for key in sorted(obs):
            h.update(_member(zf, f"obs/{key}", obs[key], compress))
        h.update(_member(zf, "actions", np.asarray(actions, np.uint8), compress))
        h.update(_member(zf, "frames", np.asarray(frames, np.int32), compress))
        meta = {**meta, CONTENT_KEY: h.hexdigest()}
        meta_bytes = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()
        _member(zf, "meta", np.frombuffer(meta_bytes, np.uint8), False)
    return buf.getvalue()


def write_shard(path: str | os.PathLike, obs, actions, frames, meta, *, compress: bool = True) -> Path:
    data = encode_shard(obs, actions, frames, meta, compress=compress)
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return Path(path)


class Shard:
    """A loaded shard: ``obs`` dict, ``actions``, ``frames``, ``meta``."""

    __slots__ = ("path", "obs", "actions", "frames", "meta")

    def __init__(self, path, obs, actions, frames, meta):
        self.path, self.obs, self.actions, self.frames, self.meta = path, obs, actions, frames, meta

    def __len__(self) -> int:
        return len(self.actions)


def read_shard(path: str | os.PathLike, keys: list[str] | None = None) -> Shard:
    """Load a shard (optionally only some observation keys); a damaged file raises DatasetError."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            names = set(z.files)
            missing = [n for n in ("actions", "frames", "meta") if n not in names]
            if missing:
                raise DatasetError(f"{path}: not an observation shard (missing {', '.join(missing)})")
            available = sorted(n[4:] for n in names if n.startswith("obs/"))
            wanted = available if keys is None else list(keys)
            absent = [k for k in wanted if k not in available]
            if absent:
                raise DatasetError(f"{path}: shard lacks observation keys {absent} (has {available})")
            obs = {k: z[f"obs/{k}"] for k in wanted}
            actions = z["actions"]
            frames = z["frames"]
            meta = json.loads(z["meta"].tobytes().decode())
    except DatasetError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError, RecursionError, zlib.error) as err:
        raise DatasetError(f"{path}: unreadable shard ({type(err).__name__}: {err})") from err
    return Shard(path, obs, actions, frames, meta)


def verify_shard(path: str | os.PathLike) -> dict:
    """Read every member of a shard and check its arrays against the checksum in its metadata; return
    the metadata. Any damage (a truncated or altered member, a missing checksum) raises DatasetError."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if "meta.npy" not in names:
                raise DatasetError(f"{path}: not an observation shard (missing meta)")
            with zf.open("meta.npy") as fh:
                meta = json.loads(np.lib.format.read_array(fh, allow_pickle=False).tobytes().decode())
            if not isinstance(meta, dict) or not isinstance(meta.get(CONTENT_KEY), str):
                raise DatasetError(f"{path}: shard has no content checksum (written by an older version)")
            h = hashlib.sha256()
            for name in names:  # the order they were written in; zipfile checks each member's CRC too
                if name != "meta.npy":
                    h.update(zf.read(name))
    except DatasetError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError, RecursionError, zlib.error) as err:
        raise DatasetError(f"{path}: unreadable shard ({type(err).__name__}: {err})") from err
    if h.hexdigest() != meta[CONTENT_KEY]:
        raise DatasetError(f"{path}: shard arrays do not match their checksum (damaged)")
    return meta
