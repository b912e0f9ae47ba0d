"""HGT semantics: padding and masked edges are invisible, node/edge order does not matter, edge
types matter, batch items are independent, degenerate graphs are handled."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces
from npp_sim.observation_spec import GRAPH_KEYS, observation_space

from imitation_pipeline.policies import build_policy, example_batch

SPACE = observation_space(["graph", "game_state"])


@pytest.fixture(scope="module")
def hgt(arch_cfgs):
    torch.manual_seed(0)
    ext = build_policy(arch_cfgs["hgt"], SPACE, spaces.Discrete(6)).features_extractor
    return ext.eval()


def _run(ext, obs: dict[str, np.ndarray]) -> torch.Tensor:
    with torch.no_grad():
        return ext({k: torch.from_numpy(np.ascontiguousarray(v)).float() for k, v in obs.items()})


def _obs(batch: int = 2, seed: int = 0) -> dict[str, np.ndarray]:
    return example_batch(SPACE, batch, seed=seed, numpy=True)


def _valid_edges(obs, b: int) -> np.ndarray:
    return np.flatnonzero(obs["graph_edge_mask"][b])


def test_padding_contents_do_not_change_the_output(hgt) -> None:
    obs = _obs()
    ref = _run(hgt, obs)
    rng = np.random.default_rng(5)
    noisy = {k: v.copy() for k, v in obs.items()}
    N = obs["graph_node_mask"].shape[1]
    pad_nodes = noisy["graph_node_mask"] == 0
    noisy["graph_node_feats"][pad_nodes] = rng.uniform(
        -8, 8, (pad_nodes.sum(), obs["graph_node_feats"].shape[2])
    )
    noisy["graph_node_types"][pad_nodes] = rng.integers(0, 8, pad_nodes.sum())
    pad_edges = noisy["graph_edge_mask"] == 0
    for row in (0, 1):
        noisy["graph_edge_index"][:, row][pad_edges] = rng.integers(0, N, pad_edges.sum())
    noisy["graph_edge_types"][pad_edges] = rng.integers(0, 4, pad_edges.sum())
    assert torch.equal(_run(hgt, noisy), ref)


def test_more_padding_gives_the_same_output(hgt, arch_cfgs) -> None:
    obs = _obs()
    N, E = obs["graph_node_mask"].shape[1], obs["graph_edge_mask"].shape[1]
    big_space = spaces.Dict(
        {
            k: (
                spaces.Box(s.low.flat[0], s.high.flat[0], (s.shape[0] + 37, *s.shape[1:]), s.dtype)
                if k.startswith("graph_node")
                else spaces.Box(
                    s.low.flat[0], s.high.flat[0], (*s.shape[:-1], s.shape[-1] + 100), s.dtype
                )
                if k.startswith("graph_edge")
                else s
            )
            for k, s in SPACE.spaces.items()
        }
    )
    big = build_policy(arch_cfgs["hgt"], big_space, spaces.Discrete(6)).features_extractor.eval()
    big.load_state_dict(hgt.state_dict(), strict=True)
    padded = {}
    for k, v in obs.items():
        if k.startswith("graph_node"):
            padded[k] = np.concatenate(
                [v, np.zeros((v.shape[0], 37, *v.shape[2:]), v.dtype)], axis=1
            )
        elif k.startswith("graph_edge"):
            padded[k] = np.concatenate([v, np.zeros((*v.shape[:-1], 100), v.dtype)], axis=-1)
        else:
            padded[k] = v
    assert (
        padded["graph_node_mask"].shape[1] == N + 37
        and padded["graph_edge_mask"].shape[1] == E + 100
    )
    assert torch.equal(_run(big, padded), _run(hgt, obs))


def test_node_and_edge_order_do_not_matter(hgt) -> None:
    obs = _obs()
    ref = _run(hgt, obs)
    rng = np.random.default_rng(1)
    B, N = obs["graph_node_mask"].shape
    E = obs["graph_edge_mask"].shape[1]
    perm = {k: v.copy() for k, v in obs.items()}
    for b in range(B):
        new_pos = rng.permutation(
            N
        )  # node i moves to row new_pos[i]; padding interleaves with real nodes
        for k in ("graph_node_feats", "graph_node_types", "graph_node_mask"):
            perm[k][b][new_pos] = obs[k][b]
        eorder = rng.permutation(E)
        perm["graph_edge_index"][b] = new_pos[obs["graph_edge_index"][b].astype(np.int64)][
            :, eorder
        ]
        perm["graph_edge_types"][b] = obs["graph_edge_types"][b][eorder]
        perm["graph_edge_mask"][b] = obs["graph_edge_mask"][b][eorder]
    torch.testing.assert_close(_run(hgt, perm), ref, atol=1e-5, rtol=1e-4)


def test_masked_edges_are_ignored(hgt) -> None:
    obs = _obs()
    drop = _valid_edges(obs, 0)[::7]
    masked = {k: v.copy() for k, v in obs.items()}
    masked["graph_edge_mask"][0, drop] = 0  # still pointing at real nodes, with real types
    removed = {k: v.copy() for k, v in obs.items()}
    keep = np.setdiff1d(np.arange(obs["graph_edge_mask"].shape[1]), drop)
    for k in ("graph_edge_index", "graph_edge_types", "graph_edge_mask"):
        kept = removed[k][0][..., keep]
        removed[k][0] = 0
        removed[k][0][..., : kept.shape[-1]] = kept
    out_masked, out_removed = _run(hgt, masked), _run(hgt, removed)
    torch.testing.assert_close(out_masked, out_removed, atol=1e-6, rtol=1e-5)
    assert not torch.allclose(out_masked[0], _run(hgt, obs)[0])  # the dropped edges did matter


def test_edges_touching_padding_nodes_are_ignored(hgt) -> None:
    obs = _obs()
    ref = _run(hgt, obs)
    pad_node = int(np.flatnonzero(obs["graph_node_mask"][0] == 0)[0])
    free = int(np.flatnonzero(obs["graph_edge_mask"][0] == 0)[0])
    obs["graph_edge_index"][0, :, free] = (pad_node, 0)
    obs["graph_edge_mask"][0, free] = 1
    assert torch.equal(_run(hgt, obs), ref)


def test_edge_types_matter_and_batch_items_are_independent(hgt) -> None:
    obs = _obs()
    ref = _run(hgt, obs)
    ninja = int(
        np.flatnonzero((obs["graph_node_types"][0] == 1) & (obs["graph_node_mask"][0] == 1))[0]
    )
    e = int(_valid_edges(obs, 0)[0])
    obs["graph_edge_index"][0, 1, e] = ninja  # an edge into the ninja node
    before = _run(hgt, obs)
    obs["graph_edge_types"][0, e] = (obs["graph_edge_types"][0, e] + 1) % 4
    after = _run(hgt, obs)
    assert (after[0] - before[0]).abs().max() > 1e-6  # one edge's type changes graph 0's features
    assert torch.equal(after[1], ref[1])  # and nothing of graph 1
    alone = _run(hgt, {k: v[1:] for k, v in obs.items()})
    torch.testing.assert_close(alone[0], ref[1], atol=1e-6, rtol=1e-5)


def test_reverse_edges_option_builds_and_differs(arch_cfgs) -> None:
    cfg = dict(arch_cfgs["hgt"], add_reverse_edges=True, layers=1)
    ext = build_policy(cfg, SPACE, spaces.Discrete(6)).features_extractor
    assert ext.layers[0].w_att.shape[0] == 2 * 4
    out = _run(ext.eval(), _obs(batch=1))
    assert torch.isfinite(out).all()


def test_empty_and_edgeless_graphs_are_finite(hgt) -> None:
    obs = _obs()
    obs["graph_node_mask"][0] = 0  # no nodes at all
    obs["graph_edge_mask"][1] = 0  # nodes but no edges
    out = _run(hgt, obs)
    assert out.shape == (2, hgt.features_dim) and torch.isfinite(out).all()
    zeros = {k: np.zeros_like(v) for k, v in obs.items()}
    assert torch.isfinite(_run(hgt, zeros)).all()


def test_out_of_range_node_type_is_an_error(hgt) -> None:
    obs = _obs(batch=1)
    obs["graph_node_types"][0, 0] = 9
    with pytest.raises(ValueError, match="node type out of range"):
        _run(hgt, obs)


def test_graph_keys_match_the_contract() -> None:
    assert all(k in SPACE.spaces for k in GRAPH_KEYS)
    assert SPACE["graph_edge_index"].dtype == np.int16
