#!/bin/bash
# arm2.sh NAME overrides... : stage=bc with 2 torch threads into /tmp/exp/NAME
name=$1; shift
cd /work/main && OMP_NUM_THREADS=2 .venv/bin/python -m imitation_pipeline stage=bc "$@" hydra.run.dir=/tmp/exp/$name > /tmp/exp/$name.log 2>&1
