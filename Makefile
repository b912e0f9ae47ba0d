# imitation-pipeline: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.DEFAULT_GOAL := help
.PHONY: help install run test test-slow test-all lint bench gpu-check sweep record-demos demos takeover-demos self-demos clean fuzz

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -c constraints.txt torch==2.13.0
	@# mGBA's shared library for PokemonEmerald-v0 (PyPI `mgba` links libmgba.so.0.10); installed only when missing
	@if command -v dpkg >/dev/null && ! dpkg -s libmgba0.10 >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libmgba0.10; \
	  else echo "note: libmgba0.10 is missing (sudo apt-get install --no-install-recommends libmgba0.10); PokemonEmerald-v0 needs it"; fi; \
	fi
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## create .venv (torch pinned to 2.13.0 CPU) and install everything editable

run: $(STAMP) ## run the main job on the built-in default data
	$(PY) -m imitation_pipeline

test: $(STAMP) ## install if needed, then run the test suite (slow tests excluded)
	$(PY) -m pytest -q

test-slow: $(STAMP) ## run only the tests marked slow
	$(PY) -m pytest -q -m slow

test-all: $(STAMP) ## run every test, slow ones included
	$(PY) -m pytest -q -m ""

lint: $(STAMP) ## ruff check
	$(PY) -m ruff check src envs recorders tests benchmarks

FUZZ_REPLAYS ?= 10000
FUZZ_MAPS ?= 1000
FUZZ_SEED ?= 0
fuzz: $(STAMP) ## fuzz verify, generate and the env with mutated replays and maps (long; FUZZ_REPLAYS, FUZZ_MAPS, FUZZ_SEED)
	$(PY) tests/support/pipeline_fuzz.py --replays $(FUZZ_REPLAYS) --maps $(FUZZ_MAPS) --seed $(FUZZ_SEED) \
		--report outputs/fuzz_report.json --keep outputs/fuzz_failures

bench: $(STAMP) ## speed benchmarks (figures printed as ratios against references measured in the same run)
	$(PY) -m benchmarks

GPU_CHECK_ARGS ?=
gpu-check: $(STAMP) ## BC per arch (trainer=gpu) and PPO (ppo.device=cuda): samples/s, env steps/s, GPU utilisation vs CPU (needs CUDA)
	$(PY) -m benchmarks.gpu_check $(GPU_CHECK_ARGS)

DEMO_PER_CATEGORY ?= 60
DEMO_FRAME_SKIP ?= 4
DEMO_WORKERS ?= 2
demos: $(STAMP) ## rebuild the built-in planner demos (demos/npp) at the pipeline's decision rate (resumable)
	$(PY) -m npp_sim.planner.build_demos --out demos/npp --per-category $(DEMO_PER_CATEGORY) \
		--frame-skip $(DEMO_FRAME_SKIP) --workers $(DEMO_WORKERS) --noisy-per-level 6 --replan-nodes 2000 \
		--noisy-per-category medium=12 complex=12 mine_heavy=12 exploration=12 --replan-budget-s 2

TAKEOVER_ROUNDS ?= 2
takeover-demos: $(STAMP) ## add expert takeover demos to demos/npp: per round, BC (seed 0, 4 epochs) on the demos so far, then the planner takes over where it fails
	$(PY) -m imitation_pipeline stage=takeover takeover.rounds=$(TAKEOVER_ROUNDS) seed=0 trainer.max_epochs=4 \
		trainer.enable_progress_bar=false hydra.run.dir=.cache/imitation_pipeline/takeover-demos

SELF_DEMO_ROUNDS ?= 1
self-demos: $(STAMP) ## add the student's own wins to demos/npp: per round, BC (seed 0, 4 epochs) on the demos so far, then it plays every level 4 times and its shortest wins are kept
	$(PY) -m imitation_pipeline stage=self_demos self_demos.rounds=$(SELF_DEMO_ROUNDS) seed=0 trainer.max_epochs=4 \
		trainer.enable_progress_bar=false hydra.run.dir=.cache/imitation_pipeline/self-demos

LEVELS ?=
CATEGORY ?=
OUT ?= demos/recorded
record-demos: $(STAMP) ## play levels with the keyboard and save demonstrations (LEVELS=dir CATEGORY=cat OUT=dir)
	$(PY) -m recorders.keyboard $(if $(LEVELS),--levels "$(LEVELS)") $(if $(CATEGORY),--category "$(CATEGORY)") --out "$(OUT)"

sweep: $(STAMP) ## small Hydra multirun: BC for each of the four architectures on the built-in demos (under multirun/)
	$(PY) -m imitation_pipeline -m stage=bc arch=simple_cnn,impala_cnn,hierarchical,hgt \
		trainer.max_epochs=2 trainer.limit_train_batches=20 bc.batch_size=64 bc.rollout_levels=2 logger=csv

clean: ## remove caches and run outputs (keeps .venv)
	rm -rf outputs multirun/* .pytest_cache .ruff_cache build *.egg-info src/*.egg-info
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
	touch multirun/.gitkeep
