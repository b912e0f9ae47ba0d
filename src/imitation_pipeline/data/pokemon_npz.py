"""Pokemon NPZ episodes (``dataset=pokemon_npz``): validated loading, preprocessing, cache, splits.

Input: a directory of ``episode_*.npz`` files in the format of :mod:`pokemon_env.episodes`
(``observations`` (T,160,240,3) uint8, ``actions`` (T,) int in [0, 10), ``rewards`` (T,) float,
``dones`` (T,) bool, ``metadata`` JSON string, optional ``final_observation``). Files are opened with
``np.load(allow_pickle=False)``; any problem raises :class:`~imitation_pipeline.errors.DatasetError`
with one line naming the file and the field.

Preprocessing (once per file and preprocessing config): frames are area-averaged to
``image_size x image_size`` (exact box filter: each output pixel is the overlap-weighted mean of the
input pixels it covers), optionally turned to grayscale (ITU-R BT.601 luma), rounded back to uint8
and stored channel-first ``(T, C, S, S)``. Results are cached under ``cache_dir`` (default
``<dataset>/.cache``, or the user cache directory when that is not writable) in files keyed by the
SHA-256 of the episode file's bytes plus the preprocessing config, written atomically; a changed
file or config gets a new key (stale entries of that episode are removed), and cached frames are
memory-mapped when read.

Splits are by episode, never by frame: :func:`split_episodes` permutes the sorted file names with
``split_seed`` and puts ``round(val_fraction * n)`` episodes (at least one and at most n-1 when
n >= 2 and val_fraction > 0) in validation.

API::

    data = load_pokemon_npz("demos/pokemon", image_size=84, grayscale=False)
    train_ids, val_ids = data.split(val_fraction=0.2, seed=0)
    train = data.dataset(train_ids)        # map-style, works with torch DataLoader
    obs, action = train[0]                 # torch uint8 (C, 84, 84), torch int64 scalar
    train.episode_index[0]                 # episode (index into data.episodes) of sample 0
    # or from the Hydra config: train, val, data = datasets_from_config(cfg.dataset)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from atomic_files import atomic_open

from imitation_pipeline.errors import DatasetError

FRAME_SHAPE = (160, 240, 3)
NUM_ACTIONS = 10
FILE_GLOB = "episode_*.npz"
FORMAT_NAME = "pokemon_npz"
MAX_FORMAT_VERSION = 1
PREPROCESS_VERSION = 1  # bump when the preprocessing code changes what it produces
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


# ---------------------------------------------------------------------------------------- reading
@dataclass
class RawEpisode:
    path: Path
    observations: np.ndarray  # (T, 160, 240, 3) uint8
    actions: np.ndarray  # (T,) int64
    rewards: np.ndarray  # (T,) float32
    dones: np.ndarray  # (T,) bool
    metadata: dict[str, Any]
    final_observation: np.ndarray | None = None


def _field(npz, path: Path, name: str, required: bool = True) -> np.ndarray | None:
    if name not in npz.files:
        if required:
            raise DatasetError(f"{path}: missing field '{name}'")
        return None
    try:
        value = npz[name]
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError) as exc:
        raise DatasetError(f"{path}: field '{name}' cannot be read ({exc})") from None
    if not isinstance(value, np.ndarray):  # NpzFile hands back raw bytes for non-.npy members
        raise DatasetError(f"{path}: field '{name}' cannot be read (not a .npy array)")
    return value


def read_episode(path: str | os.PathLike, num_actions: int = NUM_ACTIONS) -> RawEpisode:
    """Read and validate one episode file (DatasetError naming file and field on any problem)."""
    path = Path(path)
    try:
        npz = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DatasetError(f"{path}: file not found") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{path}: not a readable .npz archive ({exc})") from None
    if not hasattr(npz, "files"):
        raise DatasetError(f"{path}: not an .npz archive (a single .npy array)")
    with npz:
        obs = _field(npz, path, "observations")
        actions = _field(npz, path, "actions")
        rewards = _field(npz, path, "rewards")
        dones = _field(npz, path, "dones")
        meta_arr = _field(npz, path, "metadata")
        final = _field(npz, path, "final_observation", required=False)

    if obs.dtype != np.uint8:
        raise DatasetError(f"{path}: field 'observations' has dtype {obs.dtype}, expected uint8")
    if obs.ndim != 4 or obs.shape[1:] != FRAME_SHAPE:
        raise DatasetError(
            f"{path}: field 'observations' has shape {obs.shape}, expected (T, 160, 240, 3)"
        )
    t = obs.shape[0]
    if t == 0:
        raise DatasetError(
            f"{path}: field 'observations' is empty (episodes need at least one step)"
        )
    for name, arr, kinds in (
        ("actions", actions, "iu"),
        ("rewards", rewards, "fiu"),
        ("dones", dones, "biu"),
    ):
        if arr.dtype.kind not in kinds:
            raise DatasetError(
                f"{path}: field '{name}' has dtype {arr.dtype}, expected {'integer' if name == 'actions' else 'float' if name == 'rewards' else 'bool'}"
            )
        if arr.ndim != 1:
            raise DatasetError(f"{path}: field '{name}' has shape {arr.shape}, expected ({t},)")
        if len(arr) != t:
            raise DatasetError(
                f"{path}: field '{name}' has length {len(arr)} but 'observations' has {t}"
            )
    bad = (actions < 0) | (actions >= num_actions)
    if bad.any():
        i = int(np.argmax(bad))
        raise DatasetError(
            f"{path}: field 'actions' has {int(actions[i])} at step {i}, outside [0, {num_actions})"
        )
    if not np.isfinite(rewards).all():
        raise DatasetError(f"{path}: field 'rewards' contains NaN or infinity")
    if dones.dtype.kind != "b":
        if not np.isin(dones, (0, 1)).all():
            raise DatasetError(f"{path}: field 'dones' holds values other than 0/1")
        dones = dones.astype(bool)
    if dones[:-1].any():
        raise DatasetError(
            f"{path}: field 'dones' is true before the last step (one episode per file)"
        )
    if meta_arr.dtype.kind != "U" or meta_arr.ndim != 0:
        raise DatasetError(
            f"{path}: field 'metadata' must be a 0-d unicode string holding JSON, got {meta_arr.dtype} {meta_arr.shape}"
        )
    try:
        meta = json.loads(str(meta_arr))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: field 'metadata' is not valid JSON ({exc})") from None
    except RecursionError:
        raise DatasetError(f"{path}: field 'metadata' is nested too deeply to be episode metadata") from None
    if not isinstance(meta, dict):
        raise DatasetError(f"{path}: field 'metadata' must be a JSON object")
    if meta.get("format", FORMAT_NAME) != FORMAT_NAME:
        raise DatasetError(
            f"{path}: field 'metadata' names format {meta.get('format')!r}, expected {FORMAT_NAME!r}"
        )
    version = meta.get("version", 1)
    # bool is an int in Python: `true` is no version; versions start at 1
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MAX_FORMAT_VERSION:
        raise DatasetError(
            f"{path}: field 'metadata' has version {json.dumps(version)[:40]}; this reader knows versions "
            f"1 to {MAX_FORMAT_VERSION}"
        )
    if final is not None and (final.dtype != np.uint8 or final.shape != FRAME_SHAPE):
        raise DatasetError(
            f"{path}: field 'final_observation' is {final.dtype} {final.shape}, expected uint8 (160, 240, 3)"
        )
    return RawEpisode(
        path=path,
        observations=obs,
        actions=actions.astype(np.int64),
        rewards=rewards.astype(np.float32),
        dones=dones.astype(bool),
        metadata=meta,
        final_observation=final,
    )


# ---------------------------------------------------------------------------------------- preprocessing
def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) box-filter weights: row j averages input cells over [j*s, (j+1)*s), s = n_in/n_out."""
    scale = n_in / n_out
    lo = np.arange(n_out)[:, None] * scale
    hi = lo + scale
    cells = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(cells + 1, hi) - np.maximum(cells, lo), 0.0, None)
    return (overlap / scale).astype(np.float32)


def preprocess_frames(
    frames: np.ndarray, image_size: int = 84, grayscale: bool = False, chunk: int = 64
) -> np.ndarray:
    """(T, H, W, 3) uint8 -> (T, C, S, S) uint8, C = 1 if grayscale else 3 (area resize, rounded)."""
    t, h, w, _ = frames.shape
    wy = area_weights(h, image_size)
    wxt = area_weights(w, image_size).T.copy()
    channels = 1 if grayscale else 3
    out = np.empty((t, channels, image_size, image_size), dtype=np.uint8)
    for s in range(0, t, chunk):
        x = frames[s : s + chunk].astype(np.float32)
        x = (x @ LUMA)[..., None] if grayscale else x
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))  # (t, C, H, W)
        y = wy @ x @ wxt
        out[s : s + chunk] = np.clip(np.rint(y), 0, 255).astype(np.uint8)
    return out


@dataclass
class Episode:
    """One preprocessed episode (``observations`` may be a read-only memory map of the cache)."""

    path: Path
    observations: np.ndarray  # (T, C, S, S) uint8
    actions: np.ndarray  # (T,) int64
    rewards: np.ndarray  # (T,) float32
    dones: np.ndarray  # (T,) bool
    metadata: dict[str, Any]
    final_observation: np.ndarray | None = None  # (C, S, S) uint8

    def __len__(self) -> int:
        return len(self.actions)


# ---------------------------------------------------------------------------------------- cache
def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cache_key(path: Path, image_size: int, grayscale: bool, num_actions: int) -> str:
    config = json.dumps(
        {
            "image_size": image_size,
            "grayscale": grayscale,
            "num_actions": num_actions,
            "preprocess": PREPROCESS_VERSION,
        },
        sort_keys=True,
    )
    return hashlib.sha256(f"{_file_digest(path)}|{config}".encode()).hexdigest()[:24]


def _writable_dir(preferred: Path) -> Path:
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if os.access(preferred, os.W_OK):
            return preferred
    except OSError:
        pass
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    digest = hashlib.sha256(str(preferred.resolve()).encode()).hexdigest()[:16]
    fallback = base / "imitation_pipeline" / "pokemon_npz" / digest
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def _load_cached(obs_file: Path, meta_file: Path, source: Path) -> Episode | None:
    if not (meta_file.is_file() and obs_file.is_file()):
        return None
    try:
        obs = np.load(obs_file, mmap_mode="r", allow_pickle=False)
        with np.load(meta_file, allow_pickle=False) as z:
            final = z["final_observation"] if "final_observation" in z.files else None
            ep = Episode(
                path=source,
                observations=obs,
                actions=z["actions"],
                rewards=z["rewards"],
                dones=z["dones"],
                metadata=json.loads(str(z["metadata"])),
                final_observation=final,
            )
        if len(ep.observations) != len(ep.actions):
            return None
        return ep
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, RecursionError):
        return None  # damaged cache entry: rebuild it


def _write_cache(ep: Episode, obs_file: Path, meta_file: Path) -> None:
    with atomic_open(obs_file, "wb") as fh:
        np.save(fh, np.ascontiguousarray(ep.observations), allow_pickle=False)
    arrays = {
        "actions": ep.actions,
        "rewards": ep.rewards,
        "dones": ep.dones,
        "metadata": np.array(json.dumps(ep.metadata, sort_keys=True)),
    }
    if ep.final_observation is not None:
        arrays["final_observation"] = ep.final_observation
    with atomic_open(meta_file, "wb") as fh:  # written last: its presence marks a complete entry
        np.savez(fh, **arrays)


# ---------------------------------------------------------------------------------------- dataset
def split_episodes(
    names: Sequence[str], val_fraction: float, seed: int
) -> tuple[list[int], list[int]]:
    """Indices (into ``names``) of train and validation episodes; whole episodes only, seeded."""
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie in [0, 1), got {val_fraction}")
    n = len(names)
    order = sorted(range(n), key=lambda i: names[i])
    perm = np.random.default_rng(seed).permutation(n)
    n_val = int(round(val_fraction * n))
    if val_fraction > 0 and n >= 2:
        n_val = min(max(n_val, 1), n - 1)
    elif n < 2:
        n_val = 0
    val = sorted(order[i] for i in perm[:n_val])
    train = sorted(order[i] for i in perm[n_val:])
    return train, val


class PokemonNpzDataset:
    """Map-style dataset over some episodes: ``ds[i] -> (obs uint8 (C,S,S), action int64)`` as torch
    tensors (torch is imported on first access). ``episode_index[i]`` / ``frame_index[i]`` say where
    sample i comes from (``episode_index`` indexes ``PokemonNpzData.episodes``)."""

    def __init__(self, episodes: Sequence[Episode], episode_ids: Sequence[int]):
        self.episodes = episodes
        self.episode_ids = list(episode_ids)
        lengths = [len(episodes[e]) for e in self.episode_ids]
        self.episode_index = np.repeat(np.asarray(self.episode_ids, dtype=np.int64), lengths)
        self.frame_index = (
            np.concatenate([np.arange(n, dtype=np.int64) for n in lengths])
            if lengths
            else np.zeros(0, np.int64)
        )

    def __len__(self) -> int:
        return len(self.episode_index)

    def numpy_item(self, i: int) -> tuple[np.ndarray, int]:
        ep = self.episodes[self.episode_index[i]]
        t = self.frame_index[i]
        return np.array(ep.observations[t]), int(ep.actions[t])

    def __getitem__(self, i: int):
        import torch

        if not -len(self) <= i < len(self):
            raise IndexError(i)
        obs, action = self.numpy_item(int(i) % len(self))
        return torch.from_numpy(obs), torch.tensor(action, dtype=torch.int64)

    def actions(self) -> np.ndarray:
        return (
            np.concatenate([self.episodes[e].actions for e in self.episode_ids])
            if self.episode_ids
            else np.zeros(0, np.int64)
        )


@dataclass
class PokemonNpzData:
    root: Path
    episodes: list[Episode]
    image_size: int
    grayscale: bool
    cache_dir: Path | None
    cache_hits: int = 0
    cache_misses: int = 0
    names: list[str] = field(default_factory=list)

    @property
    def num_samples(self) -> int:
        return sum(len(e) for e in self.episodes)

    def split(self, val_fraction: float = 0.2, seed: int = 0) -> tuple[list[int], list[int]]:
        return split_episodes(self.names, val_fraction, seed)

    def dataset(self, episode_ids: Sequence[int] | None = None) -> PokemonNpzDataset:
        ids = range(len(self.episodes)) if episode_ids is None else episode_ids
        return PokemonNpzDataset(self.episodes, ids)


def episode_files(root: str | os.PathLike) -> list[Path]:
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: dataset directory not found")
    files = sorted(p for p in root.glob(FILE_GLOB) if p.is_file())
    if not files:
        raise DatasetError(f"{root}: no {FILE_GLOB} files")
    return files


def load_pokemon_npz(
    root: str | os.PathLike,
    image_size: int = 84,
    grayscale: bool = False,
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    num_actions: int = NUM_ACTIONS,
) -> PokemonNpzData:
    """Load (validate, preprocess or fetch from cache) every ``episode_*.npz`` under ``root``."""
    if image_size < 1:
        raise ValueError(f"image_size must be positive, got {image_size}")
    root = Path(root)
    files = episode_files(root)
    cdir = _writable_dir(Path(cache_dir) if cache_dir else root / ".cache") if use_cache else None
    data = PokemonNpzData(
        root=root, episodes=[], image_size=image_size, grayscale=grayscale, cache_dir=cdir
    )
    for path in files:
        ep = None
        if cdir is not None:
            key = cache_key(path, image_size, grayscale, num_actions)
            obs_file = cdir / f"{path.stem}.{key}.obs.npy"
            meta_file = cdir / f"{path.stem}.{key}.npz"
            ep = _load_cached(obs_file, meta_file, path)
        if ep is not None:
            data.cache_hits += 1
        else:
            raw = read_episode(path, num_actions)
            final = raw.final_observation
            ep = Episode(
                path=path,
                observations=preprocess_frames(raw.observations, image_size, grayscale),
                actions=raw.actions,
                rewards=raw.rewards,
                dones=raw.dones,
                metadata=raw.metadata,
                final_observation=None
                if final is None
                else preprocess_frames(final[None], image_size, grayscale)[0],
            )
            data.cache_misses += 1
            if cdir is not None:
                entry = re.compile(rf"{re.escape(path.stem)}\.[0-9a-f]{{24}}\.(obs\.npy|npz)")
                for stale in cdir.glob(f"{path.stem}.*"):
                    if entry.fullmatch(stale.name) and key not in stale.name:
                        stale.unlink(missing_ok=True)
                _write_cache(ep, obs_file, meta_file)
        data.episodes.append(ep)
        data.names.append(path.name)
    return data


def datasets_from_config(cfg: Any) -> tuple[PokemonNpzDataset, PokemonNpzDataset, PokemonNpzData]:
    """Train and validation datasets for a ``dataset=pokemon_npz`` config (PokemonNpzConfig)."""
    data = load_pokemon_npz(
        cfg.path,
        image_size=int(cfg.image_size),
        grayscale=bool(getattr(cfg, "grayscale", False)),
        cache_dir=getattr(cfg, "cache_dir", None) or None,
        use_cache=bool(getattr(cfg, "use_cache", True)),
        num_actions=int(getattr(cfg, "num_actions", NUM_ACTIONS)),
    )
    train_ids, val_ids = data.split(float(cfg.val_fraction), int(cfg.split_seed))
    return data.dataset(train_ids), data.dataset(val_ids), data
