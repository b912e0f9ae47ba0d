"""Renderer: tile masks, static layers, views and RGB frames."""

from __future__ import annotations

import numpy as np
import pytest
from npp_sim import render as R
from npp_sim.layout import E_ACTIVE, E_TYPE, EF_COLS, EF_X, EF_Y, EI_COLS
from npp_sim.observation_spec import GLOBAL_VIEW_SHAPE, PLAYER_FRAME_SHAPE


def _entities(rows):
    ef = np.zeros((len(rows), EF_COLS))
    ei = np.zeros((len(rows), EI_COLS), np.int64)
    for i, (t, x, y) in enumerate(rows):
        ef[i, EF_X], ef[i, EF_Y] = x, y
        ei[i, E_TYPE], ei[i, E_ACTIVE] = t, 1
    return ef, ei


def test_tile_mask_areas_match_tile_shapes() -> None:
    area = R.TILE_MASKS.reshape(38, -1).mean(axis=1)
    assert area[0] == 0 and area[1] == 1
    assert np.allclose(area[2:6], 0.5)
    assert np.allclose(area[6:10], 0.5, atol=0.03)  # 45-degree halves (diagonal pixels split)
    assert np.allclose(area[10:14], np.pi / 4, atol=0.01)  # quarter discs of radius 24
    assert np.allclose(area[14:18], 1 - np.pi / 4, atol=0.01)
    assert np.allclose(area[18:22], 0.25, atol=0.03)  # short mild slopes
    assert np.allclose(area[22:26], 0.75, atol=0.03)  # raised mild slopes
    assert np.allclose(area[26:30], 0.25, atol=0.03)
    assert np.allclose(area[30:34], 0.75, atol=0.03)
    assert area[34:38].sum() == 0  # glitched tiles have no collision and are not drawn


def test_solid_sides_of_half_tiles_and_slopes() -> None:
    m = R.TILE_MASKS
    assert m[2][0].all() and not m[2][-1].any()  # top half solid
    assert m[3][:, -1].all() and not m[3][:, 0].any()  # right half solid
    assert m[6][0, 0] and not m[6][-1, -1]  # slope 6 solid at top-left
    assert m[10][0, 0] and not m[10][-1, -1]  # quarter moon around the top-left corner
    assert not m[14][-1, -1] and m[14][0, 0]  # quarter pipe: hollow around the bottom-right corner


def test_static_layers_border_and_scales() -> None:
    tiles = np.zeros((23, 42), np.uint8)
    st = R.StaticLayers(tiles)
    assert st.coverage.shape == (600, 1056)
    assert st.coverage[:24].all() and st.coverage[:, :24].all()  # solid border
    assert not st.coverage[24:-24, 24:-24].any()
    assert st.player.shape == (300, 528) and st.global_.shape == GLOBAL_VIEW_SHAPE[1:]
    assert st.rgb.shape == (600, 1056, 3)


def test_player_frame_is_centred_on_the_ninja_and_shows_entities() -> None:
    st = R.StaticLayers(np.zeros((23, 42), np.uint8))
    ef, ei = _entities([(2, 540.0, 300.0)])  # gold 40 px right of the ninja
    pf = R.player_frame(st, 500.0, 300.0, ef, ei)
    assert pf.shape == PLAYER_FRAME_SHAPE and pf.dtype == np.uint8
    assert pf[0, 42, 42] == R.NINJA
    assert pf[0, 42, 42 + 20] == int(R.STYLE[2, 0])  # 40 world px = 20 view px to the right
    assert (pf[0] == R.EMPTY).mean() > 0.8
    corner = R.player_frame(st, 30.0, 30.0, ef, ei)  # near the top-left: outside the world is solid
    assert corner[0, 0, 0] == R.SOLID


def test_global_view_and_inactive_entities() -> None:
    st = R.StaticLayers(np.zeros((23, 42), np.uint8))
    ef, ei = _entities([(1, 300.0, 300.0), (1, 600.0, 300.0)])
    ei[1, E_ACTIVE] = 0
    gv = R.global_view(st, 100.0, 100.0, ef, ei)
    assert gv.shape == GLOBAL_VIEW_SHAPE
    assert gv[0, 50, 50] == int(R.STYLE[1, 0])
    assert gv[0, 50, 100] == R.EMPTY  # inactive mine not drawn


def test_rgb_frame_draws_over_static_copy() -> None:
    st = R.StaticLayers(np.zeros((23, 42), np.uint8))
    before = st.rgb.copy()
    ef, ei = _entities([(4, 300.0, 300.0)])
    img = R.rgb_frame(st, 500.0, 400.0, ef, ei)
    assert np.array_equal(st.rgb, before)  # the static layer is never modified
    assert tuple(img[300, 300]) == tuple(R.RGB[4])
    assert tuple(img[400, 500]) == tuple(R.RGB_NINJA)


def test_bad_grid_shape() -> None:
    with pytest.raises(ValueError, match="tile grid"):
        R.tile_layer(np.zeros((10, 10), np.uint8))


def test_block_assembly_equals_downsampling_the_full_layer() -> None:
    rng = np.random.default_rng(0)
    tiles = rng.integers(0, 38, size=(23, 42)).astype(np.uint8)
    st = R.StaticLayers(tiles)
    cov = st.coverage.astype(np.float64)
    assert np.array_equal(st.player, np.round(R.downsample(cov, 2) * R.SOLID).astype(np.uint8))
    assert np.array_equal(st.global_, np.round(R.downsample(cov, 6) * R.SOLID).astype(np.uint8))
    assert np.allclose(st.cell_coverage, cov.reshape(25, 24, 44, 24).mean(axis=(1, 3)))
    rgb = st.rgb
    assert np.array_equal(rgb[cov == 1], np.broadcast_to(R.RGB_SOLID, (int((cov == 1).sum()), 3)))
