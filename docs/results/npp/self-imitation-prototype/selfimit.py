"""Prototype: self-imitation data. A BC policy plays new train-suite levels (not demonstrated), sampled;
its winning episodes become replays (labels = its own actions, held frame_skip frames)."""
import json, sys, shutil, time, numpy as np, torch
from pathlib import Path
from npp_sim.levelgen.suite import build_named_suite
from npp_sim.formats import write_demo, read_demo
from npp_sim.planner.expert import ACTION_INPUT_BYTES
from imitation_pipeline.rl.envs import EnvSpec
from imitation_pipeline.evaluation.runner import play_levels
from imitation_pipeline.stages.evaluate import load_policy
ckpt, src, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
per_cat = json.loads(sys.argv[4]); episodes = int(sys.argv[5]); keep = int(sys.argv[6]); seed = int(sys.argv[7])
torch.set_num_threads(1)
policy, ck = load_policy(ckpt)
mods = list(ck["arch"]["modalities"])
demo_ids = {d["level_id"] for d in json.loads((src / "manifest.json").read_text())["demos"]}
levels = [l for l in build_named_suite("train", per_cat) if l.level_id not in demo_ids]
print(len(levels), "new levels", flush=True)
spec = EnvSpec(maps=[l.map_data for l in levels], names=[l.level_id for l in levels], observation=mods,
               frame_skip=4, max_frames=6000, max_episode_steps=1500)
t0 = time.time()
recs = play_levels(policy, spec, [l.category for l in levels], episodes=episodes, seed=seed, batch_envs=32,
                   progress=True, actions=True)
print("played", len(recs), "episodes in", round(time.time() - t0), "s", flush=True)
if not out.exists():
    shutil.copytree(src, out)
by = {l.level_id: l for l in levels}
stats = {}
written = {}
for r in recs:
    s = stats.setdefault(r["category"], [0, 0, set()]); s[0] += 1; s[1] += r["success"]
    if r["success"]: s[2].add(r["level"])
    if not r["success"] or written.get(r["level"], 0) >= keep:
        continue
    k = written.get(r["level"], 0); written[r["level"]] = k + 1
    inputs = np.repeat(np.asarray([ACTION_INPUT_BYTES[a] for a in r["actions"]], np.uint8), 4)
    lev = by[r["level"]]
    write_demo(out / f"{lev.level_id}.self{k}.replay", lev.map_data, inputs.tobytes(), success=True,
               level_id=lev.level_id, category=lev.category, frame_skip=1, recorder="self-imitation",
               meta={"decision_frame_skip": 4})
for c, s in stats.items():
    print(f"{c:12s} episodes {s[0]} won {s[1]} ({s[1]/s[0]:.2f}) levels won {len(s[2])}")
print("written", sum(written.values()))
