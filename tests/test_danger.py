"""Which learned code is held for review: calls that shell out, evaluate, deserialize or open input."""

from __future__ import annotations

import pytest

from nodeforge.learning import danger
from nodeforge.learning.danger import hazards, held_calls


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


@pytest.mark.parametrize("name", [*danger._ALWAYS, *danger._FROM_INPUT])
def test_the_no_parse_shortcut_lets_every_dangerous_call_through(name: str) -> None:
    # hazards() skips the parse when a dangerous name's segments are not all words of the code;
    # each name, written out or imported under another name, must still be found.
    module, _, last = name.rpartition(".")
    written = f"import {module}\n{name}(request.target)\n" if module else f"{name}(request.target)\n"
    imported = f"from {module} import {last} as run_it\nrun_it(request.target)\n" if module else written
    for code in (written, imported):
        assert [hazard.call for hazard in hazards(code)] == [name]


def test_code_without_a_dangerous_name_has_no_hazards() -> None:
    assert hazards("def handle(self, request):\n    return self.store.save(request.payload)\n") == ()


def test_code_newer_than_the_running_python_is_still_judged() -> None:
    # Python 3.12's type parameters: ``ast`` of 3.11 refuses them, libcst reads them.
    code = "type Command = str\n\ndef run[T](x: T) -> T:\n    import os\n    os.system(x)\n    return x\n"
    (hazard,) = hazards(code)
    assert (hazard.call, hazard.line) == ("os.system", 5)


def test_a_path_joined_from_a_literal_and_an_f_string_counts_as_a_literal() -> None:
    assert hazards('open("/srv/" f"{name}")\n') == ()
    assert [hazard.call for hazard in hazards('open(f"/srv/{name}")\n')] == ["open"]


def test_held_calls_reads_back_the_calls_the_gate_wrote() -> None:
    code = "import os, subprocess\nos.system('x')\nsubprocess.run(cmd)\n"
    reason = "; ".join(str(hazard) for hazard in hazards(code))
    assert held_calls(reason) == {"os.system", "subprocess.run"}
    assert held_calls("") == frozenset()
