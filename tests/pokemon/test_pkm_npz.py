"""Pokemon NPZ loader: validation errors, preprocessing, cache, episode splits, torch dataset."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from pokemon_env.episodes import episode_arrays, write_episode

from imitation_pipeline.data.pokemon_npz import (
    area_weights,
    datasets_from_config,
    load_pokemon_npz,
    preprocess_frames,
    read_episode,
    split_episodes,
)
from imitation_pipeline.errors import DatasetError


def _arrays(t=4, seed=0, **over):
    rng = np.random.default_rng(seed)
    arrays = episode_arrays(
        observations=rng.integers(0, 256, size=(t, 160, 240, 3), dtype=np.uint8),
        actions=rng.integers(0, 10, size=t),
        rewards=rng.random(t),
        dones=np.arange(t) == t - 1,
        metadata={"env_id": "test", "seed": seed},
        final_observation=rng.integers(0, 256, size=(160, 240, 3), dtype=np.uint8),
    )
    arrays.update(over)
    return {k: v for k, v in arrays.items() if v is not None}


def _save(path: Path, arrays: dict) -> Path:
    np.savez(path, **arrays)
    return path


def _make_dir(root: Path, n=5, t=4) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_episode(
            root / f"episode_{i:06d}.npz", **{k: v for k, v in _episode_kwargs(t + i, i).items()}
        )
    return root


def _episode_kwargs(t, seed):
    rng = np.random.default_rng(seed)
    return dict(
        observations=rng.integers(0, 256, size=(t, 160, 240, 3), dtype=np.uint8),
        actions=rng.integers(0, 10, size=t),
        rewards=rng.random(t),
        dones=np.arange(t) == t - 1,
        metadata={"seed": seed},
    )


def test_roundtrip(tmp_path):
    path = _save(tmp_path / "episode_0.npz", _arrays())
    ep = read_episode(path)
    assert ep.observations.shape == (4, 160, 240, 3) and ep.actions.dtype == np.int64
    assert ep.metadata["format"] == "pokemon_npz" and ep.metadata["seed"] == 0
    assert ep.final_observation.shape == (160, 240, 3)


@pytest.mark.parametrize(
    "over, match",
    [
        ({"actions": None}, r"missing field 'actions'"),
        ({"metadata": None}, r"missing field 'metadata'"),
        ({"observations": np.zeros((4, 84, 84, 3), np.uint8)}, r"'observations' has shape"),
        (
            {"observations": np.zeros((4, 160, 240, 3), np.float32)},
            r"'observations' has dtype float32",
        ),
        ({"actions": np.zeros(3, np.int64)}, r"'actions' has length 3 but 'observations' has 4"),
        ({"rewards": np.zeros(5, np.float32)}, r"'rewards' has length 5"),
        ({"dones": np.zeros((4, 1), bool)}, r"'dones' has shape"),
        ({"actions": np.array([0, 1, 10, 2])}, r"'actions' has 10 at step 2, outside \[0, 10\)"),
        ({"actions": np.array([0, -1, 1, 2])}, r"'actions' has -1 at step 1"),
        ({"actions": np.zeros(4, np.float32)}, r"'actions' has dtype float32"),
        ({"rewards": np.array([0, np.nan, 0, 0], np.float32)}, r"'rewards' contains NaN"),
        ({"dones": np.array([True, False, False, True])}, r"'dones' is true before the last step"),
        ({"metadata": np.array("{not json")}, r"'metadata' is not valid JSON"),
        ({"metadata": np.array("[1, 2]")}, r"'metadata' must be a JSON object"),
        ({"metadata": np.array(json.dumps({"version": 99}))}, r"'metadata' has version 99"),
        ({"metadata": np.array(json.dumps({"version": True}))}, r"'metadata' has version true"),
        ({"metadata": np.array(json.dumps({"version": -5}))}, r"'metadata' has version -5"),
        ({"metadata": np.array(json.dumps({"version": 0}))}, r"'metadata' has version 0"),
        ({"metadata": np.array('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")}, r"'metadata' is nested too deeply"),
        ({"final_observation": np.zeros((2, 2, 3), np.uint8)}, r"'final_observation' is uint8"),
    ],
)
def test_validation_errors(tmp_path, over, match):
    arrays = _arrays()
    for key, value in over.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = value
    path = _save(tmp_path / "episode_bad.npz", arrays)
    with pytest.raises(DatasetError, match=match) as exc:
        read_episode(path)
    msg = str(exc.value)
    assert str(path) in msg and "\n" not in msg


def test_corrupt_zip(tmp_path):
    good = _save(tmp_path / "episode_good.npz", _arrays())
    data = good.read_bytes()
    bad = tmp_path / "episode_bad.npz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match=r"episode_bad\.npz: not a readable \.npz archive"):
        read_episode(bad)
    garbage = tmp_path / "episode_garbage.npz"
    garbage.write_bytes(b"hello, not a zip file at all")
    with pytest.raises(DatasetError, match="episode_garbage.npz"):
        read_episode(garbage)


def test_corrupt_member(tmp_path):
    # a zip whose 'actions' member is not a valid .npy payload
    arrays = _arrays()
    path = tmp_path / "episode_member.npz"
    with zipfile.ZipFile(path, "w") as zf:
        for k, v in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, v, allow_pickle=False)
            zf.writestr(f"{k}.npy", b"garbage" if k == "actions" else buf.getvalue())
    with pytest.raises(DatasetError, match=r"episode_member\.npz: field 'actions' cannot be read"):
        read_episode(path)


def test_pickled_object_field_is_refused(tmp_path):
    path = _save(tmp_path / "episode_obj.npz", _arrays(metadata=np.array({"a": 1}, dtype=object)))
    with pytest.raises(DatasetError, match=r"field 'metadata' cannot be read"):
        read_episode(path)


def test_empty_and_missing_dirs(tmp_path):
    with pytest.raises(DatasetError, match="dataset directory not found"):
        load_pokemon_npz(tmp_path / "nope")
    with pytest.raises(DatasetError, match=r"no episode_\*\.npz files"):
        load_pokemon_npz(tmp_path)


def test_area_resize():
    w = area_weights(160, 84)
    assert w.shape == (84, 160) and np.allclose(w.sum(1), 1.0)
    const = np.full((2, 160, 240, 3), 77, np.uint8)
    out = preprocess_frames(const, 84)
    assert out.shape == (2, 3, 84, 84) and out.dtype == np.uint8 and (out == 77).all()
    # integer factor: plain 2x2 block mean
    frames = np.random.default_rng(0).integers(0, 256, (1, 160, 240, 3), dtype=np.uint8)
    small = preprocess_frames(frames, 80)  # 160 -> 80 rows (2), 240 -> 80 cols (3)
    expect = frames[0].reshape(80, 2, 80, 3, 3).astype(np.float64).mean(axis=(1, 3))
    assert np.abs(small[0].transpose(1, 2, 0) - expect).max() <= 0.5 + 1e-6
    gray = preprocess_frames(const, 84, grayscale=True)
    assert gray.shape == (2, 1, 84, 84) and (gray == 77).all()


def test_split_by_episode(tmp_path):
    names = [f"episode_{i:03d}.npz" for i in range(10)]
    train, val = split_episodes(names, 0.3, seed=1)
    assert len(val) == 3 and not set(train) & set(val) and sorted(train + val) == list(range(10))
    assert split_episodes(names, 0.3, seed=1) == (train, val)
    assert split_episodes(names[::-1], 0.3, seed=1) != (
        train,
        val,
    )  # indices follow the given order...
    rev_train, rev_val = split_episodes(names[::-1], 0.3, seed=1)
    assert sorted(names[::-1][i] for i in rev_val) == sorted(
        names[i] for i in val
    )  # ...names do not change
    assert split_episodes(names[:1], 0.5, 0) == ([0], [])
    assert len(split_episodes(names[:2], 0.01, 0)[1]) == 1

    root = _make_dir(tmp_path / "demos", n=6)
    data = load_pokemon_npz(root)
    tr_ids, va_ids = data.split(0.34, seed=0)
    train_ds, val_ds = data.dataset(tr_ids), data.dataset(va_ids)
    assert set(train_ds.episode_index) & set(val_ds.episode_index) == set()
    assert len(train_ds) + len(val_ds) == data.num_samples
    assert set(np.unique(val_ds.episode_index)) == set(va_ids)


def test_cache_hit_and_invalidation(tmp_path):
    root = _make_dir(tmp_path / "demos", n=3)
    first = load_pokemon_npz(root)
    assert (first.cache_hits, first.cache_misses) == (0, 3)
    second = load_pokemon_npz(root)
    assert (second.cache_hits, second.cache_misses) == (3, 0)
    for a, b in zip(first.episodes, second.episodes, strict=False):
        assert np.array_equal(a.observations, b.observations) and np.array_equal(
            a.actions, b.actions
        )
    # change one file: only it is rebuilt, and its stale cache entry is removed
    write_episode(root / "episode_000001.npz", **_episode_kwargs(7, 99))
    third = load_pokemon_npz(root)
    assert (third.cache_hits, third.cache_misses) == (2, 1)
    assert len(third.episodes[1]) == 7
    assert len(list(first.cache_dir.glob("episode_000001.*"))) == 2  # one .obs.npy + one .npz
    # another preprocessing config is another key
    gray = load_pokemon_npz(root, grayscale=True, image_size=32)
    assert gray.cache_misses == 3 and gray.episodes[0].observations.shape[1:] == (1, 32, 32)
    # a damaged cache entry is rebuilt, not trusted
    for f in first.cache_dir.glob("episode_000000.*.npz"):
        f.write_bytes(b"broken")
    fourth = load_pokemon_npz(root)
    assert fourth.cache_misses >= 1 and np.array_equal(
        fourth.episodes[0].actions, first.episodes[0].actions
    )


def test_torch_dataset_and_config(tmp_path):
    root = _make_dir(tmp_path / "demos", n=4)
    from imitation_pipeline.configs.data import PokemonNpzConfig

    cfg = PokemonNpzConfig(
        name="pokemon_npz",
        path=str(root),
        val_fraction=0.25,
        split_seed=0,
        cache_dir=str(tmp_path / "c"),
    )
    train, val, data = datasets_from_config(cfg)
    assert len(val.episode_ids) == 1 and len(train.episode_ids) == 3
    obs, action = train[0]
    import torch

    assert obs.dtype == torch.uint8 and tuple(obs.shape) == (3, 84, 84)
    assert action.dtype == torch.int64 and int(action) == int(
        data.episodes[train.episode_index[0]].actions[0]
    )
    loader = torch.utils.data.DataLoader(train, batch_size=5, shuffle=False)
    xb, yb = next(iter(loader))
    assert tuple(xb.shape) == (5, 3, 84, 84) and tuple(yb.shape) == (5,)
    assert (tmp_path / "c").is_dir()
