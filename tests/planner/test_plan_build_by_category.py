"""``build_demos --categories``: a build of one category adds to a demo folder, it never deletes the demos
(clean and noisy) of the categories it does not plan."""

from __future__ import annotations

import json

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
