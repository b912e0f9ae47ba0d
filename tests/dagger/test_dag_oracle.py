"""External oracles: a Python callable and a JSON-lines subprocess, and one clear error for each way
they fail (timeout, garbage answer, crash)."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest
from omegaconf import OmegaConf

from imitation_pipeline.dagger.experts import (
    CallableOracle,
    OracleError,
    SubprocessOracle,
    make_expert,
)
from imitation_pipeline.errors import UserFacingError

FRAME = np.arange(160 * 240 * 3, dtype=np.uint32).astype(np.uint8).reshape(160, 240, 3)
INFO = {"milestones": ("talk_professor",), "player": (3, 4), "dialog_open": False, "world": object()}

ORACLES = '''
import time

def right(obs, info):
    assert obs.shape == (160, 240, 3) and info["player"] == (3, 4)
    return 7

def garbage(obs, info):
    return "RIGHT"

def out_of_range(obs, info):
    return 10

def crash(obs, info):
    raise RuntimeError("model server unreachable")

def slow(obs, info):
    time.sleep(5)
    return 0
'''

AGENT = '''
import base64, json, sys
mode = sys.argv[1]
for line in sys.stdin:
    msg = json.loads(line)
    if msg["type"] == "close":
        break
    if msg["type"] != "act":
        continue
    if mode == "echo":
        obs = msg["observation"]
        raw = base64.b64decode(obs["base64"])
        assert obs["shape"] == [160, 240, 3] and len(raw) == 160 * 240 * 3, obs["shape"]
        assert msg["info"]["player"] == [3, 4] and "world" not in msg["info"]
        print(json.dumps({"action": (raw[1] + msg["step"]) % 10}), flush=True)
    elif mode == "garbage":
        print("I think you should press RIGHT", flush=True)
    elif mode == "crash":
        print("agent: out of tokens", file=sys.stderr, flush=True)
        sys.exit(3)
    elif mode == "sleep":
        import time; time.sleep(30)
'''


@pytest.fixture
def oracle_module(tmp_path, monkeypatch) -> str:
    (tmp_path / "my_oracles.py").write_text(textwrap.dedent(ORACLES))
    monkeypatch.syspath_prepend(str(tmp_path))
    return "my_oracles"


@pytest.fixture
def agent(tmp_path) -> str:
    path = tmp_path / "agent.py"
    path.write_text(textwrap.dedent(AGENT))
    return f"{sys.executable} {path}"


def _one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text and isinstance(err.value, UserFacingError)
    return text


def test_callable_oracle_answers(oracle_module) -> None:
    oracle = CallableOracle(f"{oracle_module}:right", n_actions=10, timeout_s=5)
    oracle.reset(FRAME, INFO, None)
    assert [oracle.act(FRAME, INFO, None) for _ in range(3)] == [7, 7, 7]
    oracle.close()


@pytest.mark.parametrize(("fn", "fragment"), [
    ("garbage", "answered 'RIGHT' at episode 0, step 0; expected an integer action in [0, 10)"),
    ("out_of_range", "answered 10 at episode 0, step 0"),
    ("crash", "raised RuntimeError: model server unreachable at episode 0, step 0"),
    ("slow", "no answer within 0.3 s at episode 0, step 0"),
])
def test_callable_oracle_failures_are_one_clear_error(oracle_module, fn, fragment) -> None:
    oracle = CallableOracle(f"{oracle_module}:{fn}", n_actions=10, timeout_s=0.3)
    oracle.reset(FRAME, INFO, None)
    with pytest.raises(OracleError) as err:
        oracle.act(FRAME, INFO, None)
    text = _one_line(err)
    assert text.startswith(f"oracle {oracle_module}:{fn}: ") and fragment in text
    oracle.close()


def test_callable_target_that_does_not_load() -> None:
    with pytest.raises(OracleError, match="must look like 'package.module:function'"):
        CallableOracle("no_colon_here", 10)
    with pytest.raises(OracleError, match="cannot be loaded"):
        CallableOracle("imitation_pipeline.nope:fn", 10)


def test_subprocess_oracle_speaks_json_lines(agent) -> None:
    oracle = SubprocessOracle(f"{agent} echo", n_actions=10, timeout_s=20)
    try:
        for episode in range(2):
            oracle.reset(FRAME, INFO, None)
            got = [oracle.act(FRAME, INFO, None) for _ in range(3)]
            assert got == [(int(FRAME.reshape(-1)[1]) + t) % 10 for t in range(3)], episode
    finally:
        oracle.close()
    assert oracle.proc.returncode == 0  # the close message ends the agent cleanly


@pytest.mark.parametrize(("mode", "fragments"), [
    ("garbage", ["answered 'I think you should press RIGHT' at episode 0, step 0",
                 'expected one JSON line {"action": <int in [0, 10)>}']),
    ("crash", ["exited with status 3 at episode 0, step 0", "stderr: agent: out of tokens"]),
    ("sleep", ["no answer within 1 s at episode 0, step 0"]),
])
def test_subprocess_oracle_failures_are_one_clear_error(agent, mode, fragments) -> None:
    oracle = SubprocessOracle(f"{agent} {mode}", n_actions=10, timeout_s=1.0 if mode == "sleep" else 20)
    try:
        oracle.reset(FRAME, INFO, None)
        with pytest.raises(OracleError) as err:
            oracle.act(FRAME, INFO, None)
    finally:
        oracle.close()
    text = _one_line(err)
    assert text.startswith("oracle '")
    for fragment in fragments:
        assert fragment in text, text
    assert oracle.proc.poll() is not None  # never left running


def test_subprocess_command_that_cannot_start(tmp_path) -> None:
    with pytest.raises(OracleError, match="cannot be started"):
        SubprocessOracle(str(tmp_path / "no-such-agent"), 10)


def test_make_expert_kinds() -> None:
    cfg = OmegaConf.create({"kind": "auto", "target": None, "timeout_s": 1.0, "send_observation": True,
                            "planner_max_nodes": 10, "planner_replan_nodes": 10, "planner_budget_s": 1.0})
    assert make_expert(cfg, "pokemon_standin", 10).name == "scripted"
    with pytest.raises(OracleError, match="env=pokemon_emerald has no built-in expert"):
        make_expert(cfg, "pokemon_emerald", 10)
    with pytest.raises(OracleError, match="needs dagger.expert.target"):
        make_expert(OmegaConf.merge(cfg, {"kind": "subprocess"}), "pokemon_standin", 10)
    with pytest.raises(OracleError, match="labels env=npp only"):
        make_expert(OmegaConf.merge(cfg, {"kind": "planner"}), "pokemon_standin", 10)
    with pytest.raises(OracleError, match="must be auto, scripted, planner, callable or subprocess"):
        make_expert(OmegaConf.merge(cfg, {"kind": "llm"}), "pokemon_standin", 10)
    planner = make_expert(OmegaConf.merge(cfg, {"planner_mine_margin": 12.0}), "npp", 6, frame_skip=4)
    assert planner.name == "planner" and planner.inner.mine_margin == 12.0 and planner.inner.frame_skip == 4
    assert planner.inner.memory and planner.inner.max_nodes == 10
    receding = make_expert(OmegaConf.merge(cfg, {"planner_memory": False}), "npp", 6)
    assert not receding.inner.memory and receding.inner.replan_nodes == 10  # every search: the replanning budget
