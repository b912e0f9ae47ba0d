"""Plausible observation batches for tests and benchmarks, seeded and in the contract's dtypes.

Unlike ``space.sample()`` these respect the structure the extractors rely on: entity rows have a 0/1
valid column with padding rows zeroed; graphs have a contiguous block of valid nodes (exactly one
ninja), valid edges between valid nodes with random types, and padding edges 0 -> 0 with mask 0.
"""

from __future__ import annotations

import numpy as np
import torch
from gymnasium import spaces

GRAPH_NINJA_TYPE = 1


def _graph(space: spaces.Dict, batch: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    N, F = space["graph_node_feats"].shape
    E = space["graph_edge_index"].shape[1]
    n_node_types = int(space["graph_node_types"].high.max()) + 1
    n_edge_types = int(space["graph_edge_types"].high.max()) + 1
    out = {
        "graph_node_feats": np.zeros((batch, N, F), np.float32),
        "graph_node_types": np.zeros((batch, N), np.uint8),
        "graph_node_mask": np.zeros((batch, N), np.uint8),
        "graph_edge_index": np.zeros((batch, 2, E), np.int16),
        "graph_edge_types": np.zeros((batch, E), np.uint8),
        "graph_edge_mask": np.zeros((batch, E), np.uint8),
    }
    for b in range(batch):
        n = int(rng.integers(max(2, N // 2), N + 1))
        out["graph_node_feats"][b, :n] = rng.uniform(-1, 1, (n, F))
        types = rng.integers(0, n_node_types, n)
        types[types == GRAPH_NINJA_TYPE] = 0
        types[int(rng.integers(0, n))] = GRAPH_NINJA_TYPE
        out["graph_node_types"][b, :n] = types
        out["graph_node_mask"][b, :n] = 1
        m = int(rng.integers(E // 4, 3 * E // 4 + 1))
        out["graph_edge_index"][b, :, :m] = rng.integers(0, n, (2, m))
        out["graph_edge_types"][b, :m] = rng.integers(0, n_edge_types, m)
        out["graph_edge_mask"][b, :m] = 1
    return out


def _entities(space: spaces.Box, batch: int, rng: np.random.Generator) -> np.ndarray:
    rows, feats = space.shape
    x = np.zeros((batch, rows, feats), np.float32)
    for b in range(batch):
        k = int(rng.integers(0, rows + 1))
        x[b, :k] = rng.uniform(-1, 1, (k, feats))
        x[b, :k, 0] = 1.0
    return x


def _box(space: spaces.Box, batch: int, rng: np.random.Generator) -> np.ndarray:
    if space.dtype == np.uint8:
        lo, hi = int(np.min(space.low)), int(np.max(space.high))
        return rng.integers(lo, hi + 1, (batch, *space.shape), dtype=np.uint8)
    if np.issubdtype(space.dtype, np.integer):
        return rng.integers(space.low, space.high + 1, (batch, *space.shape)).astype(space.dtype)
    x = rng.standard_normal((batch, *space.shape))
    return np.clip(x, space.low, space.high).astype(space.dtype)


def example_batch(
    observation_space: spaces.Space, batch_size: int, seed: int = 0, numpy: bool = False
):
    """A batch of ``batch_size`` observations (dict of tensors for a Dict space, else one tensor)."""
    rng = np.random.default_rng(seed)
    if not isinstance(observation_space, spaces.Dict):
        x = _box(observation_space, batch_size, rng)
        return x if numpy else torch.from_numpy(x)
    out: dict[str, np.ndarray] = {}
    if "graph_node_feats" in observation_space.spaces:
        out.update(_graph(observation_space, batch_size, rng))
    for key, sub in observation_space.spaces.items():
        if key in out:
            continue
        out[key] = (
            _entities(sub, batch_size, rng) if key == "entities" else _box(sub, batch_size, rng)
        )
    out = {k: out[k] for k in observation_space.spaces}
    return out if numpy else {k: torch.from_numpy(v) for k, v in out.items()}
