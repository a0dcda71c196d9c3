"""Generation without a store: the template node, output safety, overrides and verbatim mined code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nodeforge.config import Settings
from nodeforge.errors import InputError, NodeforgeError
from nodeforge.generation.compose import NodePlan, Retriever, plan_node
from nodeforge.generation.contract import parse_contract
from nodeforge.generation.generate import GenerateOptions, generate, validate_files
from nodeforge.generation.render import docstring_text, environment, render_files
from nodeforge.learning.quality import analyze
from nodeforge.model import (
    NodeType,
    Pattern,
    PatternKind,
    PatternQuery,
    Provenance,
    ScoredPattern,
)
from tests.storekit import make_pattern

BASE = '''\
"""Stand-in base classes for generated nodes."""


class _Base:
    """Base of every node."""


class NodeEffect(_Base):
    """Effect base."""


class NodeCompute(_Base):
    """Compute base."""


class NodeReducer(_Base):
    """Reducer base."""


class NodeOrchestrator(_Base):
    """Orchestrator base."""
'''


def _contract(node_type: str, entity: str = "order", ops: tuple[str, ...] = ("create", "get")) -> str:
    handlers = "".join(f"    - operation: {op}\n" for op in ops)
    head = f"name: node_{entity}_{node_type}\nnode_type: {node_type.upper()}_GENERIC\n"
    return f"{head}handler_routing:\n  handlers:\n{handlers}"


def _settings(repo: Path) -> Settings:
    return Settings(repo=repo, base_module="basekit")


def _pytest(repo: Path, target: str) -> subprocess.CompletedProcess[str]:
    """The generated node's own tests, in a fresh interpreter that sees only ``repo``; they must pass."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target],
        cwd=repo,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _project(tmp_path: Path) -> Path:
    (tmp_path / "basekit.py").write_text(BASE, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("node_type", [t.value for t in NodeType])
def test_template_node_of_every_type_passes_its_own_tests(tmp_path: Path, node_type: str) -> None:
    repo = _project(tmp_path)
    source = repo / "contract.yaml"
    source.write_text(_contract(node_type), encoding="utf-8")
    contract = parse_contract(source.read_text(), source=source)
    report = generate(repo, contract, str(source), _settings(repo), GenerateOptions(out=repo / "nodes"), None)
    node = repo / "nodes" / f"node_order_{node_type}"
    assert report.written and node.is_dir()
    assert {
        "node.py",
        "contract.yaml",
        "handlers/handler_order_create.py",
        "models/model_order_input.py",
    } <= set(report.files)
    assert "tests/test_contract_wiring.py" in report.files
    result = _pytest(repo, str(node))
    # The handler's and the node's template tests, and the contract's wiring: its handler, two models.
    assert "5 passed" in result.stdout, result.stdout


def test_input_and_output_models_declared_in_one_module_share_its_file(tmp_path: Path) -> None:
    """Two model files at one path would overwrite each other and the node would not import."""
    repo = _project(tmp_path)
    source = repo / "contract.yaml"
    module = "nodes.node_journal_effect.models.model_journal"
    models = (
        f"input_model: {{name: ModelJournalRequest, module: {module}}}\n"
        f"output_model: {{name: ModelJournalResult, module: {module}}}\n"
    )
    source.write_text(_contract("effect", "journal", ("append",)) + models, encoding="utf-8")
    contract = parse_contract(source.read_text(), source=source)
    report = generate(repo, contract, str(source), _settings(repo), GenerateOptions(out=repo / "nodes"), None)
    assert [f for f in report.files if f.startswith("models/model_")] == ["models/model_journal.py"]
    (repo / "nodes" / "__init__.py").write_text("", encoding="utf-8")
    _pytest(repo, "nodes/node_journal_effect")
    text = (repo / "nodes" / "node_journal_effect" / "models" / "model_journal.py").read_text()
    assert "class ModelJournalRequest(BaseModel)" in text and "class ModelJournalResult(BaseModel)" in text


def test_a_model_named_without_its_module_gets_a_file_named_for_its_class(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    source = repo / "contract.yaml"
    models = 'input_model: "ModelJournalRequest"\noutput_model: "ModelJournalResponse"\n'
    source.write_text(_contract("effect", "journal", ("append",)) + models, encoding="utf-8")
    contract = parse_contract(source.read_text(), source=source)
    report = generate(repo, contract, str(source), _settings(repo), GenerateOptions(out=repo / "nodes"), None)
    assert {f for f in report.files if f.startswith("models/model_")} == {
        "models/model_journal_request.py",
        "models/model_journal_response.py",
    }
    (repo / "nodes" / "__init__.py").write_text("", encoding="utf-8")
    _pytest(repo, "nodes/node_journal_effect")


def test_existing_node_is_never_overwritten_without_force(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    source = repo / "c.yaml"
    source.write_text(_contract("effect"), encoding="utf-8")
    contract = parse_contract(source.read_text(), source=source)
    options = GenerateOptions(out=repo / "nodes")
    generate(repo, contract, str(source), _settings(repo), options, None)
    marker = repo / "nodes" / "node_order_effect" / "node.py"
    marker.write_text("# edited by hand\n", encoding="utf-8")
    with pytest.raises(InputError, match="use --force"):
        generate(repo, contract, str(source), _settings(repo), options, None)
    assert marker.read_text() == "# edited by hand\n"
    generate(
        repo, contract, str(source), _settings(repo), GenerateOptions(out=repo / "nodes", force=True), None
    )
    assert marker.read_text().startswith("# Generated by nodeforge")


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    source = repo / "c.yaml"
    source.write_text(_contract("compute"), encoding="utf-8")
    contract = parse_contract(source.read_text(), source=source)
    report = generate(
        repo, contract, str(source), _settings(repo), GenerateOptions(out=repo / "n", dry_run=True), None
    )
    assert not report.written and report.files
    assert not (repo / "n").exists()


def _pattern_with_jinja() -> Pattern:
    code = (
        "class Handler__Entity__Create:\n"
        '    """Create a __entity__."""\n\n'
        "    async def handle(self, request: Model__Entity__Input) -> Model__Entity__Output:\n"
        '        """Render {{ request.key }} and {% raw %} verbatim."""\n'
        '        text = "{{ not_a_variable }} {% if x %}"\n'
        "        return Model__Entity__Output(success=bool(text), key=request.key)\n"
    )
    return Pattern(
        id="p" * 32,
        kind=PatternKind.OPERATION,
        node_type=NodeType.EFFECT,
        slot="effect:create",
        operation="create",
        code=code,
        code_hash="h",
        quality=0.9,
        provenance=Provenance("x.py", "HandlerUserCreate", 1, 6, "", "", "node_user_effect"),
    )


def test_mined_code_with_jinja_syntax_is_rendered_verbatim(tmp_path: Path) -> None:
    contract = parse_contract(_contract("effect", ops=("create",)))
    pattern = _pattern_with_jinja()

    def retrieve(query: PatternQuery) -> list[ScoredPattern]:
        return [ScoredPattern(pattern, 1.0, 0.9)] if query.slot == "effect:create" else []

    plan = plan_node(
        contract,
        retrieve=retrieve,
        quality=lambda c: analyze(c).score,
        quality_threshold=0.5,
        min_score=0.1,
        base_module="basekit",
    )
    files = render_files(plan, environment(), "c.yaml")
    handler = files["handlers/handler_order_create.py"]
    assert 'text = "{{ not_a_variable }} {% if x %}"' in handler
    assert "Render {{ request.key }} and {% raw %} verbatim." in handler


def _template_plan(retrieve: Retriever | None = None) -> NodePlan:
    """The plan of a one-operation effect node, with no learning unless ``retrieve`` is given."""
    contract = parse_contract(_contract("effect", ops=("create",)))
    return plan_node(
        contract,
        retrieve=retrieve,
        quality=lambda c: 1.0,
        quality_threshold=0.8,
        min_score=0.1,
        base_module="basekit",
    )


def test_team_templates_override_and_undefined_variables_fail(tmp_path: Path) -> None:
    plan = _template_plan()
    team = tmp_path / "team-templates"
    team.mkdir()
    (team / "package_init.py.j2").write_text(
        '{{ header }}\n"""{{ docstring }} (team style)"""\n', encoding="utf-8"
    )
    files = render_files(plan, environment(team), "c.yaml")
    assert files["__init__.py"].endswith('(team style)"""\n')
    (team / "package_init.py.j2").write_text("{{ no_such_variable }}\n", encoding="utf-8")
    with pytest.raises(InputError, match="no_such_variable"):
        render_files(plan, environment(team), "c.yaml")


def test_team_templates_are_sandboxed(tmp_path: Path) -> None:
    plan = _template_plan()
    team = tmp_path / "t"
    team.mkdir()
    (team / "package_init.py.j2").write_text(
        "{{ header.__class__.__mro__[1].__subclasses__() }}\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"unsafe|not safely|access"):
        render_files(plan, environment(team), "c.yaml")


@given(st.text(alphabet=st.characters(blacklist_characters="\x00\r", blacklist_categories=("Cs",))))
def test_any_text_survives_a_docstring(text: str) -> None:
    assert eval('"""' + docstring_text(text) + '"""') == text


# The template handler's handle() body is written by handler.py.j2: a team's templates_dir changes
# it, and the team's learned error handling still wraps it.
HANDLER = "handlers/handler_order_create.py"
GUARD = """\
try:
    result = await self._store.fetch(request.key)
except KeyError as error:  # a missing key is the caller's mistake
    raise LookupError(request.key) from error
"""


def _guarded(query: PatternQuery) -> list[ScoredPattern]:
    """A store whose only pattern is the team's error handling."""
    if query.kind is not PatternKind.ERROR_HANDLING:
        return []
    guard = make_pattern(
        "guard", code=GUARD, slot="effect:error_handling", kind=PatternKind.ERROR_HANDLING, operation=""
    )
    return [ScoredPattern(guard, similarity=1.0, score=0.9)]


def _handle(text: str) -> list[str]:
    """The lines of ``handle``'s body."""
    return text[text.index("    async def handle") :].splitlines()[2:]


def test_the_shipped_handler_body_and_the_learned_guard_around_it() -> None:
    plain = render_files(_template_plan(), environment(), "c.yaml")[HANDLER]
    assert _handle(plain) == [
        "        return ModelOrderOutput(success=True, key=request.key, data=dict(request.payload))"
    ]
    guarded = render_files(_template_plan(_guarded), environment(), "c.yaml")[HANDLER]
    assert _handle(guarded) == [
        "        try:",
        "            result = dict(request.payload)",
        "        except KeyError as error:  # a missing key is the caller's mistake",
        "            raise LookupError(request.key) from error",
        "        return ModelOrderOutput(success=True, key=request.key, data=result)",
    ]


def test_a_teams_templates_change_the_handler_body(tmp_path: Path) -> None:
    shipped = (Path(__file__).resolve().parents[1] / "templates" / "node" / "handler.py.j2").read_text()
    (tmp_path / "handler.py.j2").write_text(
        shipped.replace("data=dict(request.payload)", "data={'echo': request.key}"), encoding="utf-8"
    )
    text = render_files(_template_plan(), environment(tmp_path), "c.yaml")[HANDLER]
    assert _handle(text) == [
        "        return ModelOrderOutput(success=True, key=request.key, data={'echo': request.key})"
    ]


SHARED_MODULE = """\
name: node_intake_orchestrator
node_type: ORCHESTRATOR_GENERIC
handler_routing:
  handlers:
    - operation: receive_intent
      handler:
        name: HandlerReceiveIntent
        module: teamapp.nodes.node_intake_orchestrator.handlers.handler_receive_intent
    - operation: receive_intents
      handler:
        name: HandlerReceiveIntents
        module: teamapp.nodes.node_intake_orchestrator.handlers.handler_receive_intent
"""


def test_operations_the_contract_puts_in_one_module_share_it(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    source = repo / "contract.yaml"
    source.write_text(SHARED_MODULE, encoding="utf-8")
    contract = parse_contract(source.read_text(), source=source)
    report = generate(repo, contract, str(source), _settings(repo), GenerateOptions(out=repo / "nodes"), None)
    node = repo / "nodes" / "node_intake_orchestrator"
    handlers = [f for f in report.files if f.startswith("handlers/handler_")]
    assert handlers == ["handlers/handler_receive_intent.py"]
    text = (node / handlers[0]).read_text(encoding="utf-8")
    assert text.count("class HandlerReceiveIntent:") == text.count("class HandlerReceiveIntents:") == 1
    assert text.count("from __future__ import annotations") == 1
    assert "2 passed" in _pytest(repo, str(node / "tests" / "test_handler_receive_intent.py")).stdout


def test_an_input_model_from_another_node_s_package_does_not_collide_with_the_own_output(
    tmp_path: Path,
) -> None:
    repo = _project(tmp_path)
    source = repo / "contract.yaml"
    source.write_text(
        "name: node_route_reducer\nnode_type: REDUCER_GENERIC\n"
        "input_model:\n  name: ModelRouteRequest\n  module: teamapp.nodes.node_dispatch_orchestrator.models\n"
        "output_model:\n  name: ModelRouteDecision\n  module: teamapp.nodes.node_route_reducer.models\n"
        "handler_routing:\n  handlers:\n    - operation: route\n",
        encoding="utf-8",
    )
    other = repo / "teamapp" / "nodes" / "node_dispatch_orchestrator" / "models"
    other.mkdir(parents=True)
    for package in (other.parents[2], other.parents[1], other.parent):
        (package / "__init__.py").write_text("", encoding="utf-8")
    (other / "__init__.py").write_text("class ModelRouteRequest:\n    pass\n", encoding="utf-8")
    contract = parse_contract(source.read_text(), source=source)
    report = generate(repo, contract, str(source), _settings(repo), GenerateOptions(out=repo / "nodes"), None)
    assert "models/models.py" in report.files
    node = repo / "nodes" / "node_route_reducer"
    # The contract names the models package: the class generation wrote beside it is exported there.
    assert "import ModelRouteDecision" in (node / "models" / "__init__.py").read_text(encoding="utf-8")
    assert "passed" in _pytest(repo, str(node)).stdout


def test_generated_python_is_checked_with_a_parser_that_knows_newer_syntax() -> None:
    validate_files({"tests/test_x.py": "type Pair = tuple[str, int]\n", "data.yaml": "a: ["})
    with pytest.raises(NodeforgeError, match=r"generated handlers/h.py does not compile: .* \(line 1\)"):
        validate_files({"handlers/h.py": "def broken(:\n"})
