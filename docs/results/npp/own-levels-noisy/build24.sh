set -e
cd /work/main
for spec in "medium 20" "complex 6"; do set -- $spec
PYTHONPATH=envs .venv/bin/python -m npp_sim.planner.build_demos --out /tmp/exp/own/k24 --categories $1 --per-category $2 \
  --frame-skip 4 --workers ${W:-1} --noisy-per-level 24 --replan-nodes 2000 --replan-budget-s 2
done
