"""``build_demos --categories``: a build of one category adds to a demo folder, it never deletes the demos
(clean and noisy) of the categories it does not plan."""

from __future__ import annotations

import json

import pytest
from npp_sim.planner import build_demos


def test_a_second_category_is_added_beside_the_first(tmp_path) -> None:
    out = tmp_path / "demos"
    quiet = {"easy_factor": 1, "max_nodes": 4000, "noisy_per_level": 1, "replan_nodes": 1000, "log": lambda s: None}
    first = build_demos.build(out, 1, categories=["very_simple"], **quiet)
    assert [d["category"] for d in first["demos"]] == ["very_simple"] and len(first["noisy"]) == 1
    lines = []
    second = build_demos.build(out, 1, categories=["simple"], **{**quiet, "log": lines.append})
    assert [d["category"] for d in second["demos"]] == ["very_simple", "simple"]
    assert second["demos"][0] == first["demos"][0] and second["noisy"][0] == first["noisy"][0]
    assert {d["category"] for d in second["noisy"]} == {"very_simple", "simple"}
    for d in second["demos"] + second["noisy"]:
        assert (out / d["file"]).is_file(), d["file"]
    assert json.loads((out / "manifest.json").read_text()) == second
    assert any(line.startswith("kept 1 demos (and 1 noisy ones) of categories not planned now") for line in lines)
    # a rebuild of the first category alone still keeps the second
    third = build_demos.build(out, 1, categories=["very_simple"], **quiet)
    assert {d["file"] for d in third["demos"]} == {d["file"] for d in second["demos"]}
    assert sorted(p.name for p in out.glob("*.replay")) == sorted(d["file"] for d in third["demos"] + third["noisy"])


def test_noisy_per_category_overrides_the_per_level_count_and_a_rerun_keeps_them(tmp_path) -> None:
    out = tmp_path / "demos"
    quiet = {"easy_factor": 1, "max_nodes": 4000, "noisy_per_level": 1, "replan_nodes": 1000}
    lines: list[str] = []
    first = build_demos.build(out, 1, categories=["very_simple", "simple"], noisy_per_category={"simple": 3},
                              log=lines.append, **quiet)
    noisy = sorted((d["category"], d["noisy"]) for d in first["noisy"] + first["noisy_failures"])
    assert noisy == [("simple", 0), ("simple", 1), ("simple", 2), ("very_simple", 0)]
    # the same command again plans nothing and keeps every file
    again = build_demos.build(out, 1, categories=["very_simple", "simple"], noisy_per_category={"simple": 3},
                              log=lines.append, **quiet)
    assert again == first
    assert sorted(p.name for p in out.glob("*.replay")) == sorted(d["file"] for d in again["demos"] + again["noisy"])
    with pytest.raises(ValueError, match="noisy demos per level must be >= 0"):
        build_demos.build(out, 1, categories=["simple"], noisy_per_category={"simple": -1}, log=lines.append, **quiet)


def test_a_bad_noisy_per_category_item_is_one_clear_error(tmp_path, capsys) -> None:
    for item in ("simple", "simple=x", "nosuch=3"):
        with pytest.raises(SystemExit):
            build_demos.main(["--out", str(tmp_path / "d"), "--noisy-per-category", item])
        assert f"--noisy-per-category {item}: expected CATEGORY=N" in capsys.readouterr().err
