"""Subset of demos/npp: the 26 own-levels levels (medium 0-19, complex 0-5) with their first K noisy demos."""
import json
import shutil
import sys
from pathlib import Path

src = Path(sys.argv[1]); out = Path(sys.argv[2]); k = int(sys.argv[3])
m = json.load(open(src / "manifest.json"))
levels = {f"medium_1020000{i:02d}" for i in range(20)} | {f"complex_1030000{i:02d}" for i in range(6)}
out.mkdir(parents=True, exist_ok=True)
sub = dict(m)
sub["demos"] = [d for d in m["demos"] if d["level_id"] in levels]
sub["failures"] = [d for d in m["failures"] if d.get("level_id") in levels]
sub["noisy"] = [d for d in m["noisy"] if d["level_id"] in levels and d["noisy"] < k]
sub["noisy_failures"] = [d for d in m["noisy_failures"] if d.get("level_id") in levels and d.get("noisy", 0) < k]
for d in sub["demos"] + sub["noisy"]:
    shutil.copy(src / d["file"], out / d["file"])
json.dump(sub, open(out / "manifest.json", "w"), indent=1)
print(out, len(sub["demos"]), "clean", len(sub["noisy"]), "noisy", len(sub["noisy_failures"]), "noisy failures")
