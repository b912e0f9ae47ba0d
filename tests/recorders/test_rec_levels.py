"""Level sources of the keyboard recorder: raw map dirs/files, levelgen suites, the train suite."""

from __future__ import annotations

import pytest
from npp_sim.levelgen import generate_level
from npp_sim.levelgen.suite import (
    DEFAULT_TRAIN_COUNTS,
    SUITE_BASE_SEEDS,
    build_suite,
    save_suite,
    suite_seeds,
)

from recorders import DemoRecorder, LevelSourceError, PlayLevel, load_levels
from recorders.levels import load_map_dir, train_suite_levels


def test_map_dir_loads_sorted_maps_and_skips_metadata(tmp_path, rs):
    (tmp_path / "b-pit").write_bytes(rs.pit_map())
    (tmp_path / "a-corr.map").write_bytes(rs.corridor_map(name="my corridor"))
    (tmp_path / "maps.json").write_text("[]")
    (tmp_path / ".hidden").write_bytes(b"x")
    levels = load_levels(tmp_path, category="hand")
    assert [lv.level_id for lv in levels] == ["a-corr", "b-pit"]
    assert levels[0].name == "my corridor" and levels[1].name == "b-pit"
    assert all(lv.category == "hand" for lv in levels)
    assert levels[0].map_data == rs.corridor_map(name="my corridor")
    one = load_levels(tmp_path / "b-pit")
    assert len(one) == 1 and one[0].map_data == rs.pit_map() and one[0].category is None


def test_bad_sources_name_the_file(tmp_path, rs):
    with pytest.raises(LevelSourceError, match="no map files"):
        load_map_dir(tmp_path)
    bad = tmp_path / "broken"
    bad.write_bytes(rs.corridor_map()[:-3])
    with pytest.raises(LevelSourceError, match="broken"):
        load_levels(tmp_path)
    with pytest.raises(LevelSourceError, match="no such file"):
        load_levels(tmp_path / "nope")
    with pytest.raises(ValueError, match='PlayLevel needs exactly one of map_data and loader'):
        PlayLevel("x", "x", None)


def test_suite_directory_through_levelgen(tmp_path):
    levels = build_suite("tiny", {"very_simple": 2, "simple": 1}, 0)
    save_suite(levels, tmp_path, name="tiny", base_seed=0)
    loaded = load_levels(tmp_path)
    assert [lv.level_id for lv in loaded] == [lv.level_id for lv in levels]
    assert [lv.map_data for lv in loaded] == [lv.map_data for lv in levels]
    assert [lv.category for lv in load_levels(tmp_path, category="simple")] == ["simple"]
    with pytest.raises(LevelSourceError, match="no levels of category"):
        load_levels(tmp_path, category="complex")


def test_default_source_is_the_train_suite_generated_lazily():
    levels = load_levels(count=1)
    seeds = suite_seeds({c: 1 for c in DEFAULT_TRAIN_COUNTS}, SUITE_BASE_SEEDS["train"])
    assert [lv.level_id for lv in levels] == [f"{c}_{s}" for c, s in seeds]
    assert levels[1].map_data == generate_level(*seeds[1]).map_data
    assert len(train_suite_levels()) == sum(DEFAULT_TRAIN_COUNTS.values())
    medium = train_suite_levels("medium", count=3)
    assert [lv.category for lv in medium] == ["medium"] * 3
    rec = DemoRecorder(medium[0].map_data)  # a generated level is playable
    rec.step(0)
    assert rec.frames == 1
    with pytest.raises(LevelSourceError, match="unknown level category"):
        train_suite_levels("nope")


@pytest.mark.reference
def test_reference_test_maps_load(npp_reference):
    levels = load_levels(npp_reference / "maps" / "test_maps")
    ids = [lv.level_id for lv in levels]
    assert "simple-walk" in ids and "maps.json" not in ids
    assert len(levels) == 16
