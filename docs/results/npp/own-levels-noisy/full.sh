# usage: full.sh NAME MAX_LEVELS EPOCHS : BC on a stratified sample of the built-in demos, no early stopping; last checkpoint
# SEED=1 bash full.sh NAME 60 EPOCHS for the second seed
# on the test suite (10 per category, 3 episodes) and on its own training levels (evaluate.bc_levels=train, 2 episodes)
set -e
cd /work/main
name=$1; lv=$2; ep=$3
R=/tmp/exp/own/runs/$name
.venv/bin/python -m imitation_pipeline stage=bc dataset.max_levels=$lv trainer.max_epochs=$ep callbacks.early_stopping=null \
  bc.rollout_every_n_epochs=0 seed=${SEED:-0} hydra.run.dir=$R > $R.log 2>&1
.venv/bin/python -m imitation_pipeline stage=evaluate evaluate.checkpoint=$R/checkpoints/last.ckpt evaluate.progress=false \
  'suites.test={very_simple:10,simple:10,medium:10,complex:10,mine_heavy:10,exploration:10}' hydra.run.dir=$R-ev-test > $R-ev-test.log 2>&1
.venv/bin/python -m imitation_pipeline stage=evaluate evaluate.checkpoint=$R/checkpoints/last.ckpt evaluate.progress=false \
  evaluate.bc_levels=train evaluate.episodes=2 hydra.run.dir=$R-ev-own > $R-ev-own.log 2>&1
echo done $name
