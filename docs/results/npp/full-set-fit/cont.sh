#!/bin/bash
# cont.sh : train on from the 24-epoch run's last checkpoint (fresh schedule: lr 5e-4 cosine to 0 over 16 epochs),
# then evaluate the new last checkpoint on its own training levels (2 sampled episodes each, and 1 argmax), its
# validation levels (4 each) and the test suite (60 x 10 sampled)
cd /work/main
R=/tmp/exp/bc24c16-s0
if [ ! -f $R/bc_summary.json ]; then
  OMP_NUM_THREADS=1 .venv/bin/python -m imitation_pipeline stage=bc dataset.max_levels=0 trainer.max_epochs=16 \
    callbacks.early_stopping=null bc.lr=5e-4 bc.initial_checkpoint=/tmp/exp/bc24-s0/checkpoints/last.ckpt seed=0 \
    hydra.run.dir=$R > $R.log 2>&1
fi
T='suites.test={very_simple:10,simple:10,medium:10,complex:10,mine_heavy:10,exploration:10}'
ev() { # tag extra...
  tag=$1; shift
  .venv/bin/python -m imitation_pipeline stage=evaluate evaluate.checkpoint=$R/checkpoints/last.ckpt evaluate.progress=false \
    "$T" "$@" hydra.run.dir=$R-ev-last-$tag > $R-ev-last-$tag.log 2>&1
}
ev train evaluate.bc_levels=train evaluate.episodes=2
ev train-argmax evaluate.bc_levels=train evaluate.episodes=1 evaluate.deterministic=true
ev test10 evaluate.episodes=10
ev val evaluate.bc_levels=val evaluate.episodes=4
echo done
