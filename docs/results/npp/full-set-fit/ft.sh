#!/bin/bash
# ft.sh NAME BC_CKPT SEED... : stage=finetune at the bc_vs_ppo budget, then the test suite (60 x 3)
cd /work/main
name=$1; ck=$2; shift 2
T='suites.test={very_simple:10,simple:10,medium:10,complex:10,mine_heavy:10,exploration:10}'
E='suites.eval={very_simple:6,simple:6,medium:6,complex:6,mine_heavy:6,exploration:6}'
for s in "$@"; do
  R=/tmp/exp/$name-s$s
  .venv/bin/python -m imitation_pipeline stage=finetune finetune.bc_checkpoint=$ck ppo.total_timesteps=40960 ppo.eval_freq=8192 \
    ppo.progress_bar=false "$E" seed=$s hydra.run.dir=$R > $R.log 2>&1
  .venv/bin/python -m imitation_pipeline stage=evaluate evaluate.checkpoint=$R/checkpoints/final.pt evaluate.progress=false \
    "$T" hydra.run.dir=$R-ev-test > $R-ev-test.log 2>&1
done
echo done
