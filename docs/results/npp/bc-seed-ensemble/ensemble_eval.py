import sys, json, torch, numpy as np
from types import SimpleNamespace
from npp_sim.levelgen import CATEGORIES
from imitation_pipeline.rl.levels import level_set
from imitation_pipeline.rl.envs import EnvSpec
from imitation_pipeline.evaluation.runner import play_levels, summarise
from imitation_pipeline.stages.evaluate import load_policy
torch.set_num_threads(1)
mode = sys.argv[1]; paths = sys.argv[3:]
pols = [load_policy(p) for p in paths]
mods = list(pols[0][1]["arch"]["modalities"])
class Ens:
    def __init__(s, ps): s.ps = [p for p, _ in ps]; s.training = False; s.action_space = s.ps[0].action_space
    def set_training_mode(s, m): [p.set_training_mode(m) for p in s.ps]; s.training = m
    def obs_to_tensor(s, o): return s.ps[0].obs_to_tensor(o)
    def get_distribution(s, obs):
        logits = [p.get_distribution(obs).distribution.logits for p in s.ps]
        if mode == "logits": l = torch.stack(logits).mean(0)
        else: l = torch.log(torch.stack([x.softmax(-1) for x in logits]).mean(0))
        return SimpleNamespace(distribution=torch.distributions.Categorical(logits=l))
    def predict(s, o, deterministic=True):
        t, _ = s.obs_to_tensor(o); return s.get_distribution(t).distribution.probs.argmax(-1).numpy(), None
counts = dict.fromkeys(CATEGORIES, 10)
lv = level_set({"train": counts, "test": counts}, "test")
spec = EnvSpec(maps=lv.maps, names=lv.names, observation=mods, frame_skip=4, max_frames=6000, max_episode_steps=1500)
recs = play_levels(Ens(pols), spec, lv.categories, episodes=3, seed=0, batch_envs=32)
s = summarise(recs)
print(mode, round(s["macro"]["success_rate"], 3), {c: round(v["success_rate"], 2) for c, v in s["per_category"].items()})
json.dump({"mode": mode, "checkpoints": paths, **s}, open(sys.argv[2], "w"), indent=1)
