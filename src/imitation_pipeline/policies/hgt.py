"""``hgt``: a heterogeneous graph transformer (Hu et al., WWW 2020) over the padded level graph.

Input: the ``graph_*`` keys of the observation contract (``npp_sim.observation_spec``), batched and
padded: node features (B, N, F), node types / mask (B, N), edge_index (B, 2, E) (any integer or float
dtype; int16 in the contract), edge types / mask (B, E). Plus ``game_state`` when listed and present.

Written in plain torch over the flattened batch, no graph library:

1. The valid nodes of all graphs (mask > 0.5) are gathered once into one flat list of M nodes, sorted
   by node type, so every type-specific linear map is one matmul on a contiguous slice. Padding nodes
   are never computed, so their contents cannot change the output.
2. Valid edges (mask > 0.5, both endpoints in range and valid) are offset per batch item into that flat
   list. Messages flow source -> target. The observation lists both directions of every edge (with
   the same type; the (source type, edge type, target type) prior and the typed K/Q/V tell them
   apart); for one-way graphs ``add_reverse_edges`` adds each reverse under its own relation
   (type + R). Edges are sorted by relation, so per-relation matrices are again applied to
   contiguous slices.
3. Each layer (multi-head, d = hidden / heads):
   K, V = type-specific linear maps of the source node, Q of the target node;
   att(s, r, t) = (K(s) W_att[r]) . Q(t) * mu[type(s), r, type(t)] / sqrt(d), softmax over the
   incoming edges of t; message = V(s) W_msg[r]; aggregate = sum of att * message (index_add);
   update = A_type(t)(gelu(aggregate)); h = LayerNorm(h + sigmoid(skip[type(t)]) * update).
4. Readout: masked mean over each graph's valid nodes, plus the ninja node's embedding (node type
   ``ninja_type``; mean if several, zeros if none), concatenated with the game_state MLP, projected to
   ``features_dim``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from gymnasium import spaces
from npp_sim.observation_spec import GRAPH_KEYS
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn
from torch.nn import functional as F

from .common import StateEncoder, optional_key, require_key


@dataclass
class FlatGraph:
    """The valid part of a padded batch of graphs, flattened and sorted (see module docstring)."""

    x: torch.Tensor  # (M, F) node features, nodes sorted by type
    node_type: torch.Tensor  # (M,) long
    node_batch: torch.Tensor  # (M,) long, batch item of each node
    type_counts: list[int]  # nodes per type (length T)
    src: torch.Tensor  # (Ē,) long, edges sorted by relation
    dst: torch.Tensor  # (Ē,)
    prior_index: torch.Tensor  # (Ē,) index into the flattened (T, R', T) prior
    rel_counts: list[int]  # edges per relation (length R')
    batch_size: int


def flatten_graphs(
    obs: dict[str, torch.Tensor], n_node_types: int, n_edge_types: int, add_reverse_edges: bool
) -> FlatGraph:
    feats = obs["graph_node_feats"].float()
    B, N = feats.shape[0], feats.shape[1]
    device = feats.device
    with torch.no_grad():
        node_type = obs["graph_node_types"].long().reshape(-1)
        valid = obs["graph_node_mask"].reshape(-1) > 0.5
        vidx = valid.nonzero().squeeze(1)
        ntv = node_type[vidx]
        if ntv.numel() and (int(ntv.min()) < 0 or int(ntv.max()) >= n_node_types):
            raise ValueError(f"hgt: node type out of range [0, {n_node_types}) in graph_node_types")
        order = torch.argsort(ntv, stable=True)
        vidx, ntv = vidx[order], ntv[order]
        M = vidx.numel()
        remap = torch.full((B * N,), -1, dtype=torch.long, device=device)
        remap[vidx] = torch.arange(M, device=device)

        ei = obs["graph_edge_index"].long()
        src, dst = ei[:, 0], ei[:, 1]
        ok = (obs["graph_edge_mask"] > 0.5) & (src >= 0) & (src < N) & (dst >= 0) & (dst < N)
        offset = (torch.arange(B, device=device) * N).unsqueeze(1)
        s = remap[(src + offset)[ok]]
        t = remap[(dst + offset)[ok]]
        r = obs["graph_edge_types"].long()[ok]
        keep = (s >= 0) & (t >= 0)
        s, t, r = s[keep], t[keep], r[keep]
        if r.numel() and (int(r.min()) < 0 or int(r.max()) >= n_edge_types):
            raise ValueError(f"hgt: edge type out of range [0, {n_edge_types}) in graph_edge_types")
        n_rel = n_edge_types
        if add_reverse_edges:
            s, t, r = torch.cat([s, t]), torch.cat([t, s]), torch.cat([r, r + n_edge_types])
            n_rel = 2 * n_edge_types
        eorder = torch.argsort(r, stable=True)
        s, t, r = s[eorder], t[eorder], r[eorder]
        prior_index = (ntv[s] * n_rel + r) * n_node_types + ntv[t]
        type_counts = torch.bincount(ntv, minlength=n_node_types).tolist()
        rel_counts = torch.bincount(r, minlength=n_rel).tolist()
    x = feats.reshape(B * N, -1)[vidx]
    return FlatGraph(x, ntv, vidx // N, type_counts, s, t, prior_index, rel_counts, B)


def typed_linear(x: torch.Tensor, counts: list[int], linears: nn.ModuleList) -> torch.Tensor:
    """Apply ``linears[k]`` to the k-th contiguous slice of ``x`` (rows sorted by type)."""
    return torch.cat(
        [lin(chunk) for lin, chunk in zip(linears, x.split(counts), strict=True)], dim=0
    )


def relation_transform(x: torch.Tensor, counts: list[int], weight: torch.Tensor) -> torch.Tensor:
    """x (H', Ē, d) head-major, edges sorted by relation; weight (R, H', d, d);
    returns y with y[h, e] = x[h, e] @ weight[r(e), h] (one bmm per relation, contiguous output)."""
    parts = [
        torch.bmm(chunk, weight[i]) for i, chunk in enumerate(x.split(counts, dim=1)) if counts[i]
    ]
    if not parts:
        return x.new_zeros(x.shape[0], 0, weight.shape[-1]) + 0.0 * weight.sum()
    return torch.cat(parts, dim=1)


class HGTLayer(nn.Module):
    def __init__(self, hidden: int, heads: int, n_node_types: int, n_relations: int) -> None:
        super().__init__()
        if hidden % heads:
            raise ValueError(f"hgt: hidden={hidden} must be divisible by heads={heads}")
        self.hidden, self.heads, self.d = hidden, heads, hidden // heads
        self.n_node_types, self.n_relations = n_node_types, n_relations
        self.kqv = nn.ModuleList(nn.Linear(hidden, 3 * hidden) for _ in range(n_node_types))
        self.update = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(n_node_types))
        scale = self.d**-0.5
        self.w_att = nn.Parameter(torch.randn(n_relations, heads, self.d, self.d) * scale)
        self.w_msg = nn.Parameter(torch.randn(n_relations, heads, self.d, self.d) * scale)
        self.prior = nn.Parameter(torch.ones(n_node_types * n_relations * n_node_types, heads))
        self.skip = nn.Parameter(torch.zeros(n_node_types))
        self.norm = nn.LayerNorm(hidden)

    def forward(self, h: torch.Tensor, g: FlatGraph) -> torch.Tensor:
        M, H, d, D = h.shape[0], self.heads, self.d, self.hidden
        E = g.src.shape[0]
        kv, q = typed_linear(h, g.type_counts, self.kqv).split([2 * D, D], dim=1)  # [K | V], Q
        # Source-side K and V in one gather, head-major so each relation is one bmm over 2H heads.
        kv = kv.index_select(0, g.src).view(E, 2 * H, d).transpose(0, 1)
        kv = relation_transform(kv, g.rel_counts, torch.cat([self.w_att, self.w_msg], dim=1))
        k_e, v_e = kv.split(H, dim=0)  # (H, Ē, d) each
        q_e = q.index_select(0, g.dst).view(E, H, d).transpose(0, 1)
        prior = self.prior.index_select(0, g.prior_index).t()  # (H, Ē)
        logits = ((k_e * q_e).sum(-1) * prior * (1.0 / math.sqrt(d))).t()  # (Ē, H)
        with torch.no_grad():
            peak = torch.full((M, H), float("-inf"), dtype=logits.dtype, device=logits.device)
            peak.scatter_reduce_(0, g.dst.unsqueeze(1).expand(-1, H), logits, reduce="amax")
        ex = (logits - peak.index_select(0, g.dst)).exp()
        denom = torch.zeros(M, H, dtype=ex.dtype, device=ex.device).index_add(0, g.dst, ex)
        alpha = ex / denom.index_select(0, g.dst)  # softmax over the incoming edges of each target
        msg = (v_e * alpha.t().unsqueeze(-1)).transpose(0, 1).reshape(E, D)
        agg = torch.zeros(M, D, dtype=msg.dtype, device=h.device).index_add(0, g.dst, msg)  # msg is half under AMP
        out = typed_linear(F.gelu(agg), g.type_counts, self.update)
        gate = torch.sigmoid(self.skip).index_select(0, g.node_type).unsqueeze(1)
        return self.norm(h + gate * out)


class HGTExtractor(BaseFeaturesExtractor):
    arch_name = "hgt"

    def __init__(
        self,
        observation_space: spaces.Space,
        features_dim: int = 256,
        modalities: Sequence[str] = ("graph", "game_state"),
        hidden: int = 64,
        heads: int = 4,
        layers: int = 2,
        state_hidden: int = 64,
        add_reverse_edges: bool = False,
        ninja_type: int = 1,
    ) -> None:
        super().__init__(observation_space, int(features_dim))
        modalities = list(modalities)
        sub = {
            k: require_key(self.arch_name, k, observation_space, modalities, modality="graph")
            for k in GRAPH_KEYS
        }
        self.n_node_types = int(sub["graph_node_types"].high.max()) + 1
        self.n_edge_types = int(sub["graph_edge_types"].high.max()) + 1
        if not 0 <= int(ninja_type) < self.n_node_types:
            raise ValueError(
                f"hgt: ninja_type={ninja_type} outside the {self.n_node_types} node types"
            )
        self.ninja_type = int(ninja_type)
        self.add_reverse_edges = bool(add_reverse_edges)
        n_rel = self.n_edge_types * (2 if self.add_reverse_edges else 1)
        hidden = int(hidden)
        n_feats = int(sub["graph_node_feats"].shape[-1])
        self.input = nn.ModuleList(nn.Linear(n_feats, hidden) for _ in range(self.n_node_types))
        self.layers = nn.ModuleList(
            HGTLayer(hidden, int(heads), self.n_node_types, n_rel) for _ in range(int(layers))
        )
        state_space = optional_key("game_state", observation_space, modalities)
        self.state = None if state_space is None else StateEncoder(state_space, int(state_hidden))
        fused = 2 * hidden + (0 if self.state is None else self.state.out_dim)
        self.out = nn.Sequential(nn.Linear(fused, self.features_dim), nn.ReLU())

    def forward(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        g = flatten_graphs(
            observations, self.n_node_types, self.n_edge_types, self.add_reverse_edges
        )
        h = F.gelu(typed_linear(g.x, g.type_counts, self.input))
        for layer in self.layers:
            h = layer(h, g)
        B, D = g.batch_size, h.shape[1]
        zeros = h.new_zeros(B, D)
        count = torch.bincount(g.node_batch, minlength=B).clamp_min(1).unsqueeze(1).to(h.dtype)
        mean = zeros.index_add(0, g.node_batch, h) / count
        is_ninja = g.node_type == self.ninja_type
        nb = g.node_batch[is_ninja]
        n_count = torch.bincount(nb, minlength=B).clamp_min(1).unsqueeze(1).to(h.dtype)
        ninja = zeros.index_add(0, nb, h[is_ninja]) / n_count
        parts = [mean, ninja]
        if self.state is not None:
            parts.append(self.state(observations["game_state"]))
        return self.out(torch.cat(parts, dim=1))
