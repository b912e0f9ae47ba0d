"""stage=export: replays -> a Minari dataset whose episodes match the env and the recorded inputs."""

from __future__ import annotations

import logging
import shutil

import numpy as np
from npp_sim.formats import read_demo
from npp_sim.observations import ObservationBuilder
from npp_sim.regenerate import actions_of_inputs, regenerate

WON = ["20251022_142001_train_very_simple_100001.replay", "20251022_142012_train_simple_100005.replay"]


def test_export_writes_a_loadable_minari_dataset(npp_reference, cfg, tmp_path, monkeypatch, caplog) -> None:
    from imitation_pipeline.stages import export

    src = tmp_path / "replays"
    src.mkdir()
    for n in WON:
        shutil.copy(npp_reference / "replays" / n, src / n)
    shutil.copy(npp_reference / "attract" / "11", src / "attract_11")  # dies: left out
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "run" / "minari"))  # the stage sets it; restored after
    with caplog.at_level(logging.INFO, logger="imitation_pipeline"):
        export.run(cfg("stage=export", f"dataset.path={src}", f"run_dir={tmp_path / 'run'}", "arch=simple_cnn"))
    assert any(m.startswith("  left out attract_11: not won") for m in caplog.messages)

    import minari

    ds = minari.load_dataset("npp/demos/replays-v0")
    assert ds.total_episodes == 2
    builder = ObservationBuilder(["player_frame", "game_state"])
    for ep, name in zip(ds.iterate_episodes(), sorted(WON), strict=True):
        demo = read_demo(src / name)
        t = len(demo.inputs)
        assert np.array_equal(ep.actions, actions_of_inputs(demo.inputs))
        assert ep.observations["player_frame"].shape == (t + 1, 1, 84, 84)  # T+1 observations
        assert ep.terminations[-1] and not ep.terminations[:-1].any() and not ep.truncations.any()
        assert ep.rewards.sum() > 1.0  # won (+1) and switch (+0.1) minus the time penalty
        obs, _, _ = regenerate(demo.map_data, demo.inputs, builder)
        for k in ("player_frame", "game_state"):  # the same observation path as regeneration
            assert np.array_equal(ep.observations[k][:t], obs[k])
    # the dataset rebuilds its env over the same maps, and every episode says which replay it plays
    env = ds.recover_environment()
    meta = list(ds.storage.get_episode_metadata(range(ds.total_episodes)))
    for ep, name, m in zip(ds.iterate_episodes(), sorted(WON), meta, strict=True):
        index = int(ep.infos["level_index"][0, 0])
        assert env.unwrapped._level_names[index] == name and m["options"]["level_index"] == index
        obs, _ = env.reset(seed=0, options=m["options"])
        assert np.array_equal(obs["player_frame"], ep.observations["player_frame"][0])
    env.close()
