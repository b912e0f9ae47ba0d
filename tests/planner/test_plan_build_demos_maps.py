"""build_demos has no default maps folder: ``--maps`` / ``maps_dir`` name it, or the train suite is used."""

from __future__ import annotations

import pytest
from npp_sim.planner import build_demos


def test_missing_maps_folder_is_a_one_line_error_naming_the_option(tmp_path, capsys):
    missing = tmp_path / "no_such_maps"
    with pytest.raises(SystemExit) as exc:
        build_demos.main(["--out", str(tmp_path / "out"), "--maps", str(missing)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--maps" in err and str(missing) in err and "not a directory" in err
    assert not (tmp_path / "out").exists()  # nothing written


def test_build_refuses_a_missing_maps_dir(tmp_path):
    with pytest.raises(ValueError, match="maps_dir .*not a directory"):
        build_demos.build(tmp_path / "out", maps_dir=str(tmp_path / "no_such_maps"))
    assert not (tmp_path / "out").exists()

