"""Every arch builds from the real observation space (and image-only archs from Pokemon-like spaces),
gives finite logits, trains every parameter, is deterministic, and fails clearly on missing keys."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from app_support import ARCH_NAMES
from gymnasium import spaces
from npp_sim.observation_spec import observation_space

from imitation_pipeline.policies import (
    EXTRACTORS,
    build_policy,
    count_parameters,
    example_batch,
    extractor_class,
    policy_kwargs_for,
)

IMAGE_ONLY_ARCHS = ("simple_cnn", "impala_cnn")
ACTIONS = spaces.Discrete(6)
BATCH = 3
VALUE_ONLY = ("mlp_extractor.value_net.", "value_net.")


def _pokemon_spaces() -> dict[str, spaces.Space]:
    return {
        "dict_chw": spaces.Dict({"player_frame": spaces.Box(0, 255, (3, 84, 84), np.uint8)}),
        "dict_hwc": spaces.Dict({"player_frame": spaces.Box(0, 255, (84, 84, 3), np.uint8)}),
        "box_chw": spaces.Box(0, 255, (3, 84, 84), np.uint8),
    }


def _build(cfg, space, seed: int = 0):
    torch.manual_seed(seed)
    return build_policy(cfg, space, ACTIONS)


def _cases():
    cases = [pytest.param(name, "npp", id=f"{name}-npp") for name in ARCH_NAMES]
    cases += [
        pytest.param(n, k, id=f"{n}-pokemon_{k}")
        for n in IMAGE_ONLY_ARCHS
        for k in _pokemon_spaces()
    ]
    return cases


def _space(arch_cfgs, name: str, kind: str):
    return (
        observation_space(list(arch_cfgs[name].modalities))
        if kind == "npp"
        else _pokemon_spaces()[kind]
    )


def test_registry_covers_every_arch_config_and_rejects_unknown_names() -> None:
    assert sorted(EXTRACTORS) == ARCH_NAMES
    with pytest.raises(
        ValueError, match="unknown arch 'nope'; known: hgt, hierarchical, impala_cnn, simple_cnn"
    ):
        extractor_class("nope")


@pytest.mark.parametrize(("name", "kind"), _cases())
def test_forward_logits_and_every_parameter_trained(arch_cfgs, name: str, kind: str) -> None:
    space = _space(arch_cfgs, name, kind)
    policy = _build(arch_cfgs[name], space)
    assert policy.normalize_images is False  # extractors scale images themselves, exactly once
    obs = example_batch(space, BATCH, seed=1)
    actions = torch.tensor([0, 3, 5])
    values, log_prob, _ = policy.evaluate_actions(obs, actions)
    logits = policy.get_distribution(obs).distribution.logits
    assert logits.shape == (BATCH, 6) and torch.isfinite(logits).all()
    assert values.shape == (BATCH, 1) and torch.isfinite(values).all()

    # BC cross-entropy alone reaches every parameter except the value branch...
    policy.zero_grad()
    (-log_prob.mean()).backward()
    dead = [
        n
        for n, p in policy.named_parameters()
        if not n.startswith(VALUE_ONLY) and (p.grad is None or not p.grad.any())
    ]
    assert not dead, f"parameters without gradient from the BC loss: {dead}"
    # ...and a value loss reaches the value branch (so nothing in the network is unused).
    policy.zero_grad()
    values, _, _ = policy.evaluate_actions(obs, actions)
    values.pow(2).mean().backward()
    dead_vf = [
        n
        for n, p in policy.named_parameters()
        if n.startswith(VALUE_ONLY) and (p.grad is None or not p.grad.any())
    ]
    assert not dead_vf, dead_vf


@pytest.mark.parametrize("name", ARCH_NAMES)
def test_same_seed_same_network_and_output(arch_cfgs, name: str) -> None:
    space = observation_space(list(arch_cfgs[name].modalities))
    a, b = _build(arch_cfgs[name], space, seed=7), _build(arch_cfgs[name], space, seed=7)
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    obs = example_batch(space, 2, seed=3)
    with torch.no_grad():
        la = a.get_distribution(obs).distribution.logits
        assert torch.equal(la, b.get_distribution(obs).distribution.logits)
        assert torch.equal(la, a.get_distribution(obs).distribution.logits)
        # The raw dtype does not matter: uint8 / int16 inputs and their float copies agree.
        as_float = {k: v.float() for k, v in obs.items()}
        assert torch.equal(la, a.get_distribution(as_float).distribution.logits)
    c = _build(arch_cfgs[name], space, seed=8)
    assert any(not torch.equal(sa[k], c.state_dict()[k]) for k in sa)


@pytest.mark.parametrize("name", ARCH_NAMES)
def test_mixed_precision_forward_and_backward(arch_cfgs, name: str) -> None:
    """`trainer=gpu` trains under autocast (16-mixed): matmuls in half precision, norms in float32. CPU
    autocast (bf16) takes the same mixed-dtype paths; hgt once failed there (index_add of half messages
    into a float32 buffer), found by `make gpu-check` on an H200."""
    space = observation_space(list(arch_cfgs[name].modalities))
    policy = _build(arch_cfgs[name], space)
    obs = example_batch(space, BATCH, seed=1)
    with torch.no_grad():
        reference = policy.get_distribution(obs).distribution.logits
    with torch.autocast("cpu", dtype=torch.bfloat16):
        _, log_prob, _ = policy.evaluate_actions(obs, torch.tensor([0, 3, 5]))
        logits = policy.get_distribution(obs).distribution.logits
    assert torch.isfinite(logits).all() and torch.isfinite(log_prob).all()
    torch.testing.assert_close(logits.float(), reference, atol=0.1, rtol=0.1)  # bf16 keeps ~3 digits
    policy.zero_grad()
    (-log_prob.float().mean()).backward()
    assert all(torch.isfinite(p.grad).all() for p in policy.parameters() if p.grad is not None)


@pytest.mark.parametrize("name", IMAGE_ONLY_ARCHS)
def test_state_hidden_sets_the_game_state_mlp_width(arch_cfgs, name: str) -> None:
    from omegaconf import OmegaConf

    space = observation_space(list(arch_cfgs[name].modalities))
    for width in (16, 96):
        cfg = OmegaConf.merge(arch_cfgs[name], {"state_hidden": width})
        enc = _build(cfg, space).features_extractor.state
        widths = [m.out_features for m in enc.modules() if isinstance(m, torch.nn.Linear)]
        assert widths == [width, width] and enc.out_dim == width
    # simple_cnn's default is the measured 256 (BC on the built-in demos: test macro 0.587 at 64 -> 0.624).
    expected = 256 if name == "simple_cnn" else 64
    assert arch_cfgs[name].state_hidden == expected
    enc = _build(arch_cfgs[name], space).features_extractor.state
    assert enc.out_dim == expected


@pytest.mark.parametrize("name", IMAGE_ONLY_ARCHS)
def test_channels_last_image_equals_channels_first(arch_cfgs, name: str) -> None:
    chw, hwc = _pokemon_spaces()["dict_chw"], _pokemon_spaces()["dict_hwc"]
    p_chw, p_hwc = _build(arch_cfgs[name], chw), _build(arch_cfgs[name], hwc, seed=1)
    p_hwc.load_state_dict(p_chw.state_dict(), strict=True)
    obs = example_batch(hwc, 2, seed=0)
    with torch.no_grad():
        a = p_hwc.get_distribution(obs).distribution.logits
        b = p_chw.get_distribution(
            {"player_frame": obs["player_frame"].permute(0, 3, 1, 2)}
        ).distribution.logits
    torch.testing.assert_close(a, b)


def test_images_are_scaled_once(arch_cfgs) -> None:
    space = observation_space(["player_frame"])
    ext = _build(arch_cfgs["simple_cnn"], space).features_extractor
    assert ext.state_key is None  # game_state listed but absent: image only
    frame = torch.full((1, *space["player_frame"].shape), 255, dtype=torch.uint8)
    assert torch.equal(ext.image_input(frame), torch.ones(1, *space["player_frame"].shape))


def test_count_parameters_adds_up(arch_cfgs) -> None:
    policy = _build(arch_cfgs["simple_cnn"], observation_space(["player_frame", "game_state"]))
    counts = count_parameters(policy)
    assert counts["total"] == sum(v for k, v in counts.items() if k != "total")
    assert counts["action_head"] == 128 * 6 + 6 and counts["value_head"] == 129
    assert counts["extractor"] > 0 and counts["pi"] == counts["vf"]


@pytest.mark.parametrize(
    ("name", "modalities", "drop", "fragment"),
    [
        (
            "simple_cnn",
            ["player_frame", "game_state"],
            "player_frame",
            "missing key 'player_frame'",
        ),
        (
            "impala_cnn",
            ["player_frame", "game_state"],
            "player_frame",
            "missing key 'player_frame'",
        ),
        ("hierarchical", ["player_frame", "global_view"], "player_frame", "no key 'player_frame'"),
        ("hgt", ["graph", "game_state"], "graph_edge_types", "no key 'graph_edge_types'"),
        ("hgt", ["graph"], "graph_node_mask", "no key 'graph_node_mask'"),
    ],
)
def test_missing_required_key_is_a_clear_error(arch_cfgs, name, modalities, drop, fragment) -> None:
    full = observation_space(modalities)
    space = spaces.Dict({k: v for k, v in full.spaces.items() if k != drop})
    with pytest.raises(ValueError, match=fragment):
        _build(arch_cfgs[name], space)


def test_required_modality_must_be_listed(arch_cfgs) -> None:
    cfg = dict(
        policy_kwargs_for(arch_cfgs["hgt"])["features_extractor_kwargs"],
        name="hgt",
        modalities=["game_state"],
    )
    with pytest.raises(ValueError, match="needs the 'graph' modality"):
        _build(cfg, observation_space(["graph", "game_state"]))


def test_optional_modalities_absent_from_the_space_are_skipped(arch_cfgs) -> None:
    policy = _build(arch_cfgs["hierarchical"], observation_space(["player_frame", "entities"]))
    assert policy.features_extractor.used_keys == ["player_frame", "entities"]
    obs = example_batch(policy.observation_space, 2, seed=0)
    assert torch.isfinite(policy.get_distribution(obs).distribution.logits).all()


def test_policy_kwargs_are_plain_and_reject_bad_activation(arch_cfgs) -> None:
    kwargs = policy_kwargs_for(arch_cfgs["hierarchical"])
    assert kwargs["net_arch"] == {"pi": [128, 128], "vf": [128, 128]}
    fe = kwargs["features_extractor_kwargs"]
    assert type(fe["local_channels"]) is list and "name" not in fe and "activation" not in fe
    bad = dict(fe, name="hierarchical", activation="swishy")
    with pytest.raises(ValueError, match="unknown activation 'swishy'"):
        policy_kwargs_for(bad)
