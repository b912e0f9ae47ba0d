#!/bin/bash
# eval24.sh NAME : after stage=bc in /tmp/exp/NAME, evaluate last (and best) on own train/val levels and the test suite
cd /work/main
R=/tmp/exp/$1
while pgrep -f "[a]rm2.sh $1 " >/dev/null; do sleep 20; done
T='suites.test={very_simple:10,simple:10,medium:10,complex:10,mine_heavy:10,exploration:10}'
ev() { # ckpt tag extra...
  ck=$1; tag=$2; shift 2
  .venv/bin/python -m imitation_pipeline stage=evaluate evaluate.checkpoint=$R/checkpoints/$ck.ckpt evaluate.progress=false \
    "$T" "$@" hydra.run.dir=$R-ev-$ck-$tag > $R-ev-$ck-$tag.log 2>&1
}
ev last train evaluate.bc_levels=train evaluate.episodes=2
ev last test10 evaluate.episodes=10
ev last val evaluate.bc_levels=val evaluate.episodes=4
ev best train evaluate.bc_levels=train evaluate.episodes=2
ev best test10 evaluate.episodes=10
echo done
