import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, "src")
from imitation_pipeline.data.npp_datamodule import split_replays

src = Path("/tmp/exp/own/k4"); m = json.load(open(src / "manifest.json"))
recs = [{"category": r["category"], "level_id": r["level_id"], "file": r["file"]} for r in m["demos"]]
tr, va = split_replays(recs, 0.2, 0, "level")
for name, sel in (("trainlv", tr), ("vallv", va)):
    out = Path("/tmp/exp/own") / name
    for i in sel:
        r = recs[i]; (out / r["category"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(src / r["file"], out / r["category"] / r["file"])
print(len(tr), len(va), sorted(recs[i]["level_id"] for i in va))
