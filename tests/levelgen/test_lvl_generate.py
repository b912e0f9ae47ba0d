"""generate_level: determinism, structural validity, category character, compatibility."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from npp_sim.formats.mapblock import check_map_block
from npp_sim.levelgen import (
    CATEGORIES,
    GENERATOR_VERSION,
    Level,
    assess_map,
    decode_map_summary,
    generate_level,
    units_to_cell,
)

SEEDS = range(8)


def _structurally_valid(level: Level) -> None:
    summ = decode_map_summary(level.map_data, source=level.level_id, strict=True)
    assert summ.tiles.shape == (23, 42) and summ.tiles.dtype == np.uint8
    assert int(summ.tiles.max()) <= 33
    assert summ.records[0][0] == 0 and summ.spawn == level.spawn
    assert summ.counts[3] == 1 and len(summ.exit_pairs) == 1
    assert summ.exit_pairs[0] == (level.exit_door, level.exit_switch)
    types = [r[0] for r in summ.records]
    assert types.count(3) == 1 and types.count(4) == 1
    assert types.index(4) == types.index(3) + summ.counts[3]  # pairing rule of the simulator
    for rec in summ.records:
        assert 4 <= rec[1] <= 172 and 4 <= rec[2] <= 96
        cx, cy = units_to_cell(rec[1], rec[2])
        assert 0 <= cx < 42 and 0 <= cy < 23
        assert summ.tiles[cy, cx] == 0, f"entity {rec} inside a tile"
    sx, sy = units_to_cell(*summ.spawn)
    assert sy == 22 or summ.tiles[sy + 1, sx] in (1, 2), "spawn without a flat floor"
    assert summ.record_counts() == {t: c for t, c in enumerate(summ.counts) if c}
    assert level.entity_counts == summ.record_counts()
    assert check_map_block(level.map_data) == []
    verdict = assess_map(level.map_data, source=level.level_id)
    assert verdict.ok, verdict.reason


@pytest.mark.parametrize("category", CATEGORIES)
def test_levels_valid_and_deterministic(category):
    for seed in SEEDS:
        a = generate_level(category, seed)
        b = generate_level(category, seed)
        assert a.map_data == b.map_data and a == b
        assert a.category == category and a.seed == seed
        assert a.level_id == f"{category}_{seed}"
        assert a.name in a.map_data.decode("latin-1")
        _structurally_valid(a)


def test_different_seeds_and_categories_differ():
    blobs = {generate_level(c, s).map_data for c in CATEGORIES for s in range(4)}
    assert len(blobs) == len(CATEGORIES) * 4


def _digest(pairs) -> str:
    h = hashlib.sha256()
    for cat, seed in pairs:
        h.update(generate_level(cat, seed).map_data)
    return h.hexdigest()


_PAIRS = [(c, s) for c in CATEGORIES for s in (0, 1, 12345)]


# Pinned output of GENERATOR_VERSION 1 (numpy PCG64 streams). When the generator is changed on
# purpose, bump GENERATOR_VERSION (recorded in suite.json, so cached suites are rebuilt) and
# update this digest.
GOLDEN = {1: "47e873407941916dffec6ffc5f4f100e624f401eeeb459e86f382f21a1883b38"}


def test_golden_digest():
    assert _digest(_PAIRS) == GOLDEN[GENERATOR_VERSION]


def test_byte_identical_in_fresh_interpreters():
    here = _digest(_PAIRS)
    code = ("import hashlib, json, sys; from npp_sim.levelgen import generate_level; "
            "pairs = json.loads(sys.argv[1]); h = hashlib.sha256(); "
            "[h.update(generate_level(c, s).map_data) for c, s in pairs]; print(h.hexdigest())")
    for hashseed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hashseed, OMP_NUM_THREADS="1")
        out = subprocess.run([sys.executable, "-c", code, json.dumps(_PAIRS)], env=env,
                             capture_output=True, text=True, check=True, timeout=300)
        assert out.stdout.strip() == here


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(category=st.sampled_from(CATEGORIES), seed=st.integers(0, 2**40))
def test_any_seed_gives_a_valid_level(category, seed):
    _structurally_valid(generate_level(category, seed))


def _summ(level):
    return decode_map_summary(level.map_data)


def test_category_character():
    for seed in range(6):
        vs = _summ(generate_level("very_simple", seed))
        assert (vs.tiles == 0).sum() <= 14 * 4 and len(vs.records) == 3
        cx = _summ(generate_level("complex", seed))
        assert len(cx.door_pairs) == 1 and cx.door_pairs[0][0] == 6
        assert ((cx.tiles >= 6) & (cx.tiles <= 17)).any(), "complex levels have slopes/curves"
        mh = generate_level("mine_heavy", seed)
        n_mines = mh.entity_counts.get(1, 0) + mh.entity_counts.get(21, 0)
        assert n_mines >= 12 and mh.entity_counts.get(21, 0) >= 1
        ex = _summ(generate_level("exploration", seed))
        assert (ex.tiles == 0).sum() > 400
        sp, sw = units_to_cell(*ex.spawn), units_to_cell(*ex.exit_pairs[0][1])
        assert abs(sp[0] - sw[0]) + abs(sp[1] - sw[1]) >= 10, "exploration switch far from spawn"


def test_unknown_category_and_bad_seed():
    with pytest.raises(ValueError, match="unknown level category"):
        generate_level("impossible", 1)
    with pytest.raises(ValueError, match="non-negative"):
        generate_level("simple", -1)


def test_generated_levels_parse_in_the_simulator():
    map_data = pytest.importorskip("npp_sim.map_data")
    for cat in CATEGORIES:
        for seed in range(3):
            lv = generate_level(cat, seed)
            parsed = map_data.parse_map(lv.map_data, source=lv.level_id)
            assert parsed.exit_door_count == 1
            assert (parsed.spawn_x, parsed.spawn_y) == (6.0 * lv.spawn[0], 6.0 * lv.spawn[1])
            assert np.array_equal(parsed.inner_tiles, lv.tiles)
            types = list(parsed.ent_type)
            assert types.count(3) == 1 and types.count(4) == 1
            assert types.count(1) == lv.entity_counts.get(1, 0)
            assert types.count(6) == lv.entity_counts.get(6, 0)
            assert not parsed.skipped_types


def test_ninja_survives_idle_start_in_the_simulator():
    sim_mod = pytest.importorskip("npp_sim.simulator")
    for cat, seed in [(c, s) for c in CATEGORIES for s in (7, 8)]:
        lv = generate_level(cat, seed)
        sim = sim_mod.Simulator(lv.map_data, source=lv.level_id)
        trace = sim.run(np.zeros(90, dtype=np.int64), np.zeros(90, dtype=np.int64))
        assert not sim.dead, f"{lv.level_id}: ninja died standing still"
        assert abs(sim.ninja_x - 6.0 * lv.spawn[0]) < 1e-6  # landed in place, no slide
        assert sim.ninja_y <= 6.0 * lv.spawn[1] + 2.5
        assert trace.frames == 90
