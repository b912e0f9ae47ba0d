"""Suites: seed ranges, build/save/load round trip, corruption errors, official map folders."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from npp_sim.levelgen import CATEGORIES, SuiteError, generate_level
from npp_sim.levelgen.suite import (
    CATEGORY_STRIDE,
    DEFAULT_TEST_COUNTS,
    DEFAULT_TRAIN_COUNTS,
    SUITE_BASE_SEEDS,
    build_suite,
    check_disjoint_seeds,
    load_map_dir,
    load_suite,
    save_suite,
    seed_range,
    suite_seeds,
)

SMALL = {c: 2 for c in CATEGORIES}


def test_default_counts_cover_categories():
    for counts in (DEFAULT_TRAIN_COUNTS, DEFAULT_TEST_COUNTS):
        assert set(counts) == set(CATEGORIES) and sum(counts.values()) == 250


def test_train_and_test_seeds_disjoint():
    train = {s for _, s in suite_seeds(DEFAULT_TRAIN_COUNTS, SUITE_BASE_SEEDS["train"])}
    test = {s for _, s in suite_seeds(DEFAULT_TEST_COUNTS, SUITE_BASE_SEEDS["test"])}
    assert len(train) == len(test) == 250
    assert not train & test
    check_disjoint_seeds(SUITE_BASE_SEEDS["train"], SUITE_BASE_SEEDS["test"])
    r_train, r_test = seed_range(SUITE_BASE_SEEDS["train"]), seed_range(SUITE_BASE_SEEDS["test"])
    assert r_train.stop <= r_test.start or r_test.stop <= r_train.start
    with pytest.raises(ValueError, match="overlap"):
        check_disjoint_seeds(SUITE_BASE_SEEDS["train"], SUITE_BASE_SEEDS["train"] + 5)
    # seeds of one category stay inside its own stride
    seeds = suite_seeds({"medium": 3}, 1000)
    assert seeds == [("medium", 1000 + 2 * CATEGORY_STRIDE + i) for i in range(3)]


def test_build_suite_guards():
    with pytest.raises(ValueError, match="must use base seed"):
        build_suite("train", SMALL, SUITE_BASE_SEEDS["test"])
    with pytest.raises(ValueError, match="overlap"):
        build_suite("extra", SMALL, SUITE_BASE_SEEDS["test"] + 17)
    with pytest.raises(ValueError, match="unknown categories"):
        build_suite("extra", {"hard": 1}, 5)
    with pytest.raises(ValueError, match="count for"):
        suite_seeds({"simple": CATEGORY_STRIDE + 1}, 0)


@pytest.fixture(scope="module")
def small_train():
    return build_suite("train", SMALL, SUITE_BASE_SEEDS["train"])


def test_build_is_deterministic(small_train):
    again = build_suite("train", SMALL, SUITE_BASE_SEEDS["train"])
    assert [lv.map_data for lv in again] == [lv.map_data for lv in small_train]
    assert [lv.category for lv in small_train] == [c for c in CATEGORIES for _ in range(2)]
    assert small_train[0] == generate_level(small_train[0].category, small_train[0].seed)


def test_save_load_round_trip(small_train, tmp_path):
    index_path = save_suite(small_train, tmp_path / "train", name="train",
                            base_seed=SUITE_BASE_SEEDS["train"], counts=SMALL)
    index = json.loads(index_path.read_text())
    assert index["name"] == "train" and index["version"] == 1 and index["counts"] == SMALL
    assert len(index["levels"]) == len(small_train)
    files = sorted(p.name for p in (tmp_path / "train").iterdir())
    assert files == sorted([f"{lv.level_id}.map" for lv in small_train] + ["suite.json"])
    for entry, lv in zip(index["levels"], small_train, strict=True):
        raw = (tmp_path / "train" / entry["file"]).read_bytes()
        assert raw == lv.map_data
        assert entry["sha256"] == hashlib.sha256(raw).hexdigest() == lv.sha256
        assert (entry["level_id"], entry["category"], entry["seed"]) == (lv.level_id, lv.category,
                                                                         lv.seed)
    loaded = load_suite(tmp_path / "train")
    assert [(x.level_id, x.category, x.seed, x.map_data, x.spawn, x.exit_switch, x.exit_door,
             x.entity_counts, x.name) for x in loaded] == \
           [(x.level_id, x.category, x.seed, x.map_data, x.spawn, x.exit_switch, x.exit_door,
             x.entity_counts, x.name) for x in small_train]
    only = load_suite(tmp_path / "train", category="complex")
    assert [x.category for x in only] == ["complex", "complex"]
    ids = [small_train[3].level_id, small_train[0].level_id]
    assert [x.level_id for x in load_suite(tmp_path / "train", ids=ids)] == sorted(
        ids, key=[x.level_id for x in small_train].index)
    with pytest.raises(SuiteError, match="not in suite"):
        load_suite(tmp_path / "train", ids=["nope"])
    # saving again over the same directory is fine and leaves no temp files
    save_suite(small_train, tmp_path / "train", name="train")
    assert not [p for p in (tmp_path / "train").iterdir() if p.name.startswith(".")]


def _saved(small_train, tmp_path) -> Path:
    d = tmp_path / "s"
    save_suite(small_train[:4], d, name="t")
    return d


def test_missing_index(tmp_path):
    with pytest.raises(SuiteError, match="suite index not found") as info:
        load_suite(tmp_path)
    assert "suite.json" in str(info.value)


@pytest.mark.parametrize("text, msg", [
    ("{not json", "not valid JSON"),
    ('{"format": "other"}', "not a level suite"),
    ('{"format": "npp-level-suite", "version": 99, "levels": []}', "unsupported suite version"),
    ('{"format": "npp-level-suite", "version": 1, "levels": [{"file": "a.map"}]}', "lacks"),
    ('{"format": "npp-level-suite", "version": 1, "levels": [{"level_id": "a", "category": '
     '"simple", "sha256": "0", "file": "../x.map"}]}', "unsafe file name"),
])
def test_corrupt_index(tmp_path, text, msg):
    (tmp_path / "suite.json").write_text(text)
    with pytest.raises(SuiteError, match=msg) as info:
        load_suite(tmp_path)
    assert isinstance(info.value, ValueError) and "suite.json" in str(info.value)


def test_missing_level_file(small_train, tmp_path):
    d = _saved(small_train, tmp_path)
    victim = d / f"{small_train[1].level_id}.map"
    victim.unlink()
    with pytest.raises(SuiteError, match="missing") as info:
        load_suite(d)
    assert victim.name in str(info.value)
    # filtering to other levels does not touch the missing file
    assert len(load_suite(d, ids=[small_train[0].level_id])) == 1


def test_sha_mismatch_and_corrupt_map(small_train, tmp_path):
    d = _saved(small_train, tmp_path)
    victim = d / f"{small_train[2].level_id}.map"
    data = bytearray(victim.read_bytes())
    data[300] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(SuiteError, match="sha256 mismatch") as info:
        load_suite(d)
    assert victim.name in str(info.value)
    # a corrupt map whose sha matches the index is still caught by the structure check
    index = json.loads((d / "suite.json").read_text())
    victim.write_bytes(b"\x00" * 1300)
    index["levels"][2]["sha256"] = hashlib.sha256(b"\x00" * 1300).hexdigest()
    (d / "suite.json").write_text(json.dumps(index))
    with pytest.raises(SuiteError, match="count|ninja|outside") as info:
        load_suite(d)
    assert victim.name in str(info.value)


def test_duplicate_ids_refused(small_train, tmp_path):
    with pytest.raises(ValueError, match="duplicate"):
        save_suite([small_train[0], small_train[0]], tmp_path)


def test_load_map_dir_reference(npp_reference):
    official = load_map_dir(npp_reference / "maps" / "test-maps")
    assert [lv.level_id for lv in official] == ["000 the basics", "001 walljumptroduction",
                                                "003 wall-to-wall", "004 basics redux",
                                                "005 toggley tutor"]
    basics = official[0]
    assert basics.category == "official" and basics.seed is None
    assert basics.name == "000 the basics"
    assert basics.spawn == (66, 26) and basics.exit_door == (150, 14)
    assert basics.entity_counts == {0: 1, 1: 3, 2: 15, 3: 1, 4: 1}
    assert basics.tiles.shape == (23, 42)
    hand = load_map_dir(npp_reference / "maps" / "test_maps")
    names = {lv.level_id for lv in hand}
    assert "maps.json" not in names and "simple-walk" in names and len(hand) == 16
    doors = next(lv for lv in hand if lv.level_id == "complex-path-switch-required")
    assert [p[0] for p in doors.summary.door_pairs] == [6, 6, 8]


def test_load_map_dir_errors(tmp_path):
    with pytest.raises(SuiteError, match="not found"):
        load_map_dir(tmp_path / "absent")
    (tmp_path / "good").write_bytes(generate_level("simple", 1).map_data)
    (tmp_path / "notes.txt").write_text("skipped")
    (tmp_path / ".hidden").write_bytes(b"x")
    assert [lv.level_id for lv in load_map_dir(tmp_path)] == ["good"]
    (tmp_path / "zz_bad").write_bytes(b"\x00" * 10)
    with pytest.raises(SuiteError, match="too short") as info:
        load_map_dir(tmp_path)
    assert "zz_bad" in str(info.value)
