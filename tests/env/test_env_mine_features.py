"""The game_state's nearest-mine slots: exact offsets of the nearest deadly mines, nearest first."""

import numpy as np
import pytest
from npp_sim.layout import E_ACTIVE, E_STATE, E_TYPE, EF_X, EF_Y
from npp_sim.levelgen import generate_level
from npp_sim.observation_spec import GAME_STATE_FIELDS, MINE_OFFSET_PX, MINE_RANGE_PX, MINE_SLOTS
from npp_sim.observations import ObservationBuilder
from npp_sim.simulator import Simulator

FIRST = GAME_STATE_FIELDS.index("mine0_dx")


def _expected(sim) -> np.ndarray:
    ei, ef = sim.entity_int, sim.entity_float
    x, y = sim.ninja_x, sim.ninja_y
    rows = [(float(np.hypot(ef[i, EF_X] - x, ef[i, EF_Y] - y)), i) for i in range(len(ei))
            if ei[i, E_TYPE] in (1, 21) and ei[i, E_ACTIVE] != 0 and ei[i, E_STATE] == 0]
    out = np.zeros(3 * MINE_SLOTS, np.float32)
    for k, (_d, i) in enumerate(sorted(r for r in rows if r[0] <= MINE_RANGE_PX)[:MINE_SLOTS]):
        out[3 * k:3 * k + 3] = ((ef[i, EF_X] - x) / MINE_OFFSET_PX, (ef[i, EF_Y] - y) / MINE_OFFSET_PX, 1.0)
    return out


def _mine_level_near_spawn():
    for seed in range(40):
        sim = Simulator(generate_level("mine_heavy", seed).map_data)
        sim.reset()
        if _expected(sim)[2] == 1.0:
            return sim
    pytest.fail("no mine_heavy level with a mine within range of the spawn in 40 seeds")


def test_fields_are_named_and_sized():
    assert GAME_STATE_FIELDS[FIRST:] == tuple(f"mine{i}_{f}" for i in range(MINE_SLOTS) for f in ("dx", "dy", "present"))


def test_slots_match_the_mines_along_a_run():
    sim = _mine_level_near_spawn()
    builder = ObservationBuilder(["game_state"])
    seen = 0
    for t in range(240):
        gs = builder.observe(sim)["game_state"][FIRST:]
        np.testing.assert_allclose(gs, _expected(sim), atol=1e-5)
        present = gs[2::3]
        assert list(present) == sorted(present, reverse=True)  # filled slots first
        d = np.hypot(gs[0::3], gs[1::3])[present == 1]
        assert np.all(np.diff(d) >= -1e-6)  # nearest first
        seen += int(present.sum())
        if sim.dead or sim.won:
            break
        sim.tick(1 if (t // 30) % 2 else -1, 0)
    assert seen > 0


def test_safe_and_out_of_range_mines_are_left_out():
    sim = _mine_level_near_spawn()
    builder = ObservationBuilder(["game_state"])
    before = builder.observe(sim)["game_state"][FIRST:].copy()
    ei, ef = sim._state[3], sim.entity_float  # the writable table: the test edits mine states
    x, y = sim.ninja_x, sim.ninja_y
    nearest = min((float(np.hypot(ef[i, EF_X] - x, ef[i, EF_Y] - y)), i) for i in range(len(ei))
                  if ei[i, E_TYPE] in (1, 21) and ei[i, E_STATE] == 0)[1]
    ei[nearest, E_STATE] = 1  # an untoggled toggle mine is safe
    after = builder.observe(sim)["game_state"][FIRST:]
    np.testing.assert_allclose(after, _expected(sim), atol=1e-5)
    assert not np.allclose(after, before)
    ei[:, E_STATE] = np.where(np.isin(ei[:, E_TYPE], (1, 21)), 1, ei[:, E_STATE])
    assert not builder.observe(sim)["game_state"][FIRST:].any()
