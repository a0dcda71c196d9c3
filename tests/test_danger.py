"""Which learned code is held for review: calls that shell out, evaluate, deserialize or open input."""

from __future__ import annotations

import pytest

from nodeforge.learning.danger import hazards


@pytest.mark.parametrize(
    ("code", "call", "reason"),
    [
        ("import os\nos.system('ls')", "os.system", "shells out"),
        ("from os import system\nsystem('ls')", "os.system", "shells out"),
        ("import subprocess\nsubprocess.run(['ls'])", "subprocess.run", "starts a process"),
        ("from subprocess import Popen as P\nP(['ls'])", "subprocess.Popen", "starts a process"),
        ("eval(request.expression)", "eval", "evaluates a string"),
        ("exec(source)", "exec", "executes a string"),
        ("import pickle\npickle.loads(blob)", "pickle.loads", "pickle"),
        ("import yaml\nyaml.load(text)", "yaml.load", "yaml.load without SafeLoader"),
        ("import yaml\nyaml.load(text, Loader=yaml.Loader)", "yaml.load", "yaml.load without SafeLoader"),
        ("open(request.path)", "open", "file path from input"),
        ("import requests\nrequests.get(request.url)", "requests.get", "network address from input"),
        ("import shutil\nshutil.rmtree(request.folder)", "shutil.rmtree", "deletes a folder"),
    ],
)
def test_dangerous_calls_are_found_with_their_reason_and_line(code: str, call: str, reason: str) -> None:
    (hazard,) = hazards(code)

    assert hazard.call == call
    assert reason in hazard.reason
    assert hazard.line == code.count("\n") + 1


@pytest.mark.parametrize(
    "code",
    [
        "import yaml\nyaml.load(text, Loader=yaml.SafeLoader)",
        "yaml.safe_load(text)",
        "open('settings.toml')",
        "model.evaluate(x)",
        "self.system('x')",
        "json.loads(blob)",
        "import ast\nast.literal_eval(text)",
        "def broken(:",
    ],
)
def test_safe_look_alikes_are_not_held(code: str) -> None:
    assert hazards(code) == ()
