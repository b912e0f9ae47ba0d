# usage: arm.sh NAME DEMOS EPOCHS [extra overrides...]
# Run as in this session: mk.py = subset_demos.py, lv.py = level_folders.py (the folder copies of the 21 training and 5 validation
# levels that the first arms were evaluated on; `evaluate.bc_levels=train|val` now gives the same levels and the same episodes,
# checked on k24e18), build24.sh for the 13th-24th noisy demos of the 26 levels.
set -e
cd /work/main
name=$1; demos=$2; ep=$3; shift 3
R=/tmp/exp/own/runs/$name
.venv/bin/python -m imitation_pipeline stage=bc dataset.path=$demos dataset.max_levels=0 trainer.max_epochs=$ep \
  callbacks.early_stopping=null bc.rollout_every_n_epochs=0 seed=0 hydra.run.dir=$R "$@" > $R.log 2>&1 || { mkdir -p $R; echo FAIL; exit 1; }
for lv in trainlv vallv; do
.venv/bin/python -m imitation_pipeline stage=evaluate evaluate.checkpoint=$R/checkpoints/last.ckpt evaluate.levels_dir=/tmp/exp/own/$lv \
  evaluate.episodes=8 hydra.run.dir=$R-ev-$lv "$@" > $R-ev-$lv.log 2>&1
done
echo done $name
