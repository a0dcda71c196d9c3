"""Contract loading: real ONEX shapes accepted, bad input rejected with one precise line, stable dumps."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nodeforge.errors import EXIT_BAD_INPUT, InputError
from nodeforge.generation.contract import (
    MAX_CONTRACT_BYTES,
    Capability,
    Contract,
    ModelRef,
    Operation,
    dump_contract,
    load_contract,
    parse_contract,
)
from nodeforge.model import NodeType

FIXTURES = Path(__file__).parent / "fixtures" / "contracts"


def write(tmp_path: Path, text: str, name: str = "contract.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- valid contracts

EFFECT = """
name: node_user_profile_effect
contract_name: node_user_profile_effect
node_type: EFFECT_GENERIC
contract_version: {major: 1, minor: 2, patch: 3}
node_version: "2.0.0"
description: >
  Stores user profiles.
input_model: {name: ModelUserProfileInput, module: app.nodes.node_user_profile_effect.models}
output_model: {name: ModelUserProfileOutput, module: app.nodes.node_user_profile_effect.models}
handler_routing:
  routing_strategy: operation_match
  version: {major: 1, minor: 0, patch: 0}
  handlers:
    - operation: create_profile
      handler: {name: HandlerUserProfileCreate, module: app.handlers.handler_user_profile_create}
      priority: 1
    - operation: get_profile
      handler: {name: HandlerUserProfileGet, module: app.handlers.handler_user_profile_get}
capabilities:
  - profile.storage
  - name: profile.cache
    description: Keeps hot profiles in memory.
    version: 1.0.0
io_operations:
  - operation: create_profile
    idempotent: false
  - get_profile
dependencies:
  - {name: protocol_database, type: protocol}
error_handling:
  retry_policy: {max_retries: 3}
event_bus:
  publish_topics: [onex.evt.profile-created.v1]
metadata:
  author: Team
  created: 2025-01-02
"""

COMPUTE = """
name: price
node_type: compute
contract_version: "0.3.0"
operations: [calculate_price, apply_discount]
"""

REDUCER = """
name: NodeOrderStateReducer
node_type: REDUCER_GENERIC
node_version: {major: 3, minor: 1, patch: 0}
fsm:
  states: [NEW, PAID]
  transitions: [{from: NEW, to: PAID, trigger: paid}]
handler_routing:
  routing_strategy: payload_type_match
  handlers:
    - handler: {name: HandlerOrderStateApply, module: shop.handlers.handler_apply}
      event_model: {name: ModelOrderPaid, module: shop.models}
"""

ORCHESTRATOR = """
name: node_checkout_orchestrator
node_type: ORCHESTRATOR_GENERIC
handler_routing:
  routing_strategy: backend_match
  default_backend: kafka
  backends:
    - {backend: kafka, handler_key: kafka}
  handlers:
    - handler_key: run_checkout
      handler: {name: HandlerCheckout}
"""


def test_effect_contract_keeps_every_real_onex_field(tmp_path: Path) -> None:
    contract = load_contract(write(tmp_path, EFFECT))
    assert contract.name == "node_user_profile_effect"
    assert contract.node_type is NodeType.EFFECT
    assert contract.description == "Stores user profiles."
    assert (contract.version, contract.node_version) == ("1.2.3", "2.0.0")
    assert contract.input_model == ModelRef(
        "ModelUserProfileInput", "app.nodes.node_user_profile_effect.models"
    )
    assert contract.output_model is not None and contract.output_model.name == "ModelUserProfileOutput"
    assert contract.operations[0] == Operation(
        "create_profile",
        "HandlerUserProfileCreate",
        "app.handlers.handler_user_profile_create",
        extra={"priority": 1},
    )
    assert tuple(op.name for op in contract.operations) == ("create_profile", "get_profile")
    assert contract.capabilities == (
        Capability("profile.storage"),
        Capability("profile.cache", "Keeps hot profiles in memory."),
    )
    assert contract.io_operations == ("create_profile", "get_profile")
    assert contract.dependencies == ({"name": "protocol_database", "type": "protocol"},)
    assert contract.error_handling == {"retry_policy": {"max_retries": 3}}
    assert contract.event_bus == {"publish_topics": ["onex.evt.profile-created.v1"]}
    assert set(contract.extra) == {"contract_name", "metadata"}
    assert contract.routing_strategy == "operation_match"
    assert contract.routing_extra == {"version": {"major": 1, "minor": 0, "patch": 0}}
    assert contract.source == tmp_path / "contract.yaml"
    assert contract.entity == "user_profile"
    assert contract.names.node_class == "NodeUserProfileEffect"


def test_compute_contract_with_operations_shorthand(tmp_path: Path) -> None:
    contract = load_contract(write(tmp_path, COMPUTE))
    assert contract.node_type is NodeType.COMPUTE
    assert contract.version == "0.3.0"
    assert contract.operations == (Operation("calculate_price"), Operation("apply_discount"))
    assert contract.operations[1].field_path == "operations[1]"
    assert contract.entity == "price"
    assert contract.names.node_dir == "node_price_compute"


def test_reducer_contract_names_operation_after_its_handler(tmp_path: Path) -> None:
    contract = load_contract(write(tmp_path, REDUCER))
    assert contract.node_type is NodeType.REDUCER
    assert contract.version == "3.1.0"  # only node_version given
    assert contract.node_version == ""
    assert contract.operations[0].name == "order_state_apply"
    assert contract.operations[0].extra == {
        "event_model": {"name": "ModelOrderPaid", "module": "shop.models"}
    }
    assert "fsm" in contract.extra
    assert contract.entity == "order_state"


def test_orchestrator_contract_with_handler_key_and_backends(tmp_path: Path) -> None:
    contract = load_contract(write(tmp_path, ORCHESTRATOR))
    assert contract.node_type is NodeType.ORCHESTRATOR
    assert contract.version == "1.0.0"
    assert contract.operations[0].name == "run_checkout"
    assert contract.operations[0].handler_module is None
    assert contract.routing_extra["default_backend"] == "kafka"
    assert contract.names.node_class == "NodeCheckoutOrchestrator"


@pytest.mark.parametrize(
    ("name", "entity"),
    [
        ("node_order_effect", "order"),
        ("order", "order"),
        ("OrderProcessor", "order_processor"),
        ("NodeOrderEffect", "order"),
        ("node_synth_delegation", "synth_delegation"),
    ],
)
def test_entity_is_derived_from_the_name(name: str, entity: str) -> None:
    assert parse_contract(f"name: {name}\nnode_type: effect\n").entity == entity


@pytest.mark.parametrize("spelling", ["effect", "EFFECT", "EFFECT_GENERIC", "NodeEffect"])
def test_node_type_spellings(spelling: str) -> None:
    assert parse_contract(f"name: x\nnode_type: {spelling}\n").node_type is NodeType.EFFECT


def test_every_corpus_contract_loads() -> None:
    files = sorted(p for p in FIXTURES.glob("*.yaml") if p.name != "expected.yaml")
    assert len(files) >= 30
    for path in files:
        assert load_contract(path).source == path


# --------------------------------------------------------------------------- bad contracts

BASE = "name: node_x_effect\nnode_type: effect\n"
HANDLERS = BASE + "handler_routing:\n  handlers:\n    - operation: ok\n"

BAD_CONTRACTS = [
    # (yaml, field path that must appear, a fragment of what was expected)
    ("name: null\nnode_type: effect\n", "name", "expected a string"),
    ("name: node_x_effect\n", "node_type", "required field missing"),
    ("name: [a]\nnode_type: effect\n", "name", "expected a string"),
    ("name: 42\nnode_type: effect\n", "name", "expected a string"),
    ("name: x\nnode_type: lambda\n", "node_type", "unknown node type"),
    ("name: ../../etc\nnode_type: effect\n", "name", "safe identifier"),
    ("name: /abs/path\nnode_type: effect\n", "name", "safe identifier"),
    ("name: 'a\\b'\nnode_type: effect\n", "name", "safe identifier"),
    ("name: order/effect\nnode_type: effect\n", "name", "safe identifier"),
    ("name: order..effect\nnode_type: effect\n", "name", "safe identifier"),
    ("name: 9lives\nnode_type: effect\n", "name", "safe identifier"),
    ("name: _\nnode_type: effect\n", "name", "at least one word"),
    (BASE + "description: [1]\n", "description", "expected a string"),
    (BASE + "contract_version: 1.0\n", "contract_version", "version string like '1.0.0'"),
    (BASE + "contract_version: 'one'\n", "contract_version", "version like '1.0.0'"),
    (BASE + "node_version: {major: 1, minor: x, patch: 0}\n", "node_version.minor", "expected an integer"),
    (BASE + "contract_version: {major: 1, minor: 0}\n", "contract_version.patch", "required field missing"),
    (BASE + "input_model: {module: pkg.models}\n", "input_model.name", "required field missing"),
    (BASE + "output_model: {name: ../Model, module: pkg}\n", "output_model.name", "safe identifier"),
    (BASE + "input_model: 7\n", "input_model", "expected a mapping"),
    (BASE + "input_model: pkg/evil.ModelX\n", "input_model.module", "dotted module path"),
    (HANDLERS + "    - operation: ../escape\n", "handler_routing.handlers[1].operation", "safe identifier"),
    (HANDLERS + "    - operation: 7\n", "handler_routing.handlers[1].operation", "expected a string"),
    (
        HANDLERS + "    - operation: ok.x\n    - operation: ok-x\n",
        "handler_routing.handlers[2].operation",
        "both become the Python name 'ok_x'",
    ),
    (HANDLERS + "    - operation: ok\n", "handler_routing.handlers[1].operation", "unique"),
    (HANDLERS + "    - priority: 1\n", "handler_routing.handlers[1].operation", "required field missing"),
    (
        HANDLERS + "    - operation: b\n      handler: {name: H, module: ../evil}\n",
        "handler_routing.handlers[1].handler.module",
        "dotted module path",
    ),
    (
        HANDLERS + "    - operation: b\n      handler: {name: 'a/b', module: pkg.h}\n",
        "handler_routing.handlers[1].handler.name",
        "safe identifier",
    ),
    (
        HANDLERS + "    - operation: b\n      handler: {module: pkg.h}\n",
        "handler_routing.handlers[1].handler.name",
        "required field missing",
    ),
    (
        BASE + "handler_routing:\n  handlers: {a: 1}\n",
        "handler_routing.handlers[0]",
        "expected a mapping or a string",
    ),
    (BASE + "handler_routing: [1]\n", "handler_routing", "expected a mapping"),
    (BASE + "operations: [create, '..']\n", "operations[1]", "safe identifier"),
    (BASE + "operations: create\n", "operations", "expected a list"),
    (BASE + "capabilities: [ok, 3]\n", "capabilities[1]", "expected a string or a mapping"),
    (BASE + "capabilities: [{description: d}]\n", "capabilities[0].name", "required field missing"),
    (BASE + "capabilities: [{name: '  '}]\n", "capabilities[0].name", "non-empty"),
    (
        BASE + "io_operations: [ok, {idempotent: true}]\n",
        "io_operations[1]",
        "'operation', 'name' or 'operation_type'",
    ),
    (BASE + "io_operations: ['a/b']\n", "io_operations[0]", "safe identifier"),
    (BASE + "dependencies: {a: 1}\n", "dependencies", "expected a list, or a mapping of lists"),
    (BASE + "dependencies: 3\n", "dependencies", "expected a list"),
    (BASE + "error_handling: [retry]\n", "error_handling", "expected a mapping"),
    (BASE + "event_bus: on\n", "event_bus", "expected a mapping"),
]


@pytest.mark.parametrize(("text", "field_path", "expected"), BAD_CONTRACTS)
def test_bad_contract_is_one_line_naming_file_field_and_expectation(
    tmp_path: Path, text: str, field_path: str, expected: str
) -> None:
    path = write(tmp_path, text, "bad.yaml")
    with pytest.raises(InputError) as caught:
        load_contract(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {field_path}: "), message
    assert expected in message
    assert caught.value.exit_code == EXIT_BAD_INPUT


def test_bad_contract_cases_are_plenty() -> None:
    assert len(BAD_CONTRACTS) >= 20


def test_several_errors_report_the_first_and_count_the_rest() -> None:
    with pytest.raises(InputError, match=r"^<contract>: name: .* \(and 1 more error\)$"):
        parse_contract("name: 1\nnode_type: 2\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nnode_type: [effect\n", r"line 3, column 1: malformed YAML"),
        ("name: x\n  node_type: : effect\n", r"line 2, column \d+: malformed YAML"),
        ("- a\n- b\n", "expected a mapping at the top level, got a list"),
        ("", "expected a mapping at the top level, got nothing"),
        ("just text\n", "expected a mapping at the top level, got a string 'just text'"),
        ("1: x\nname: y\nnode_type: effect\n", "1: expected string keys"),
    ],
)
def test_unreadable_documents(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text, "doc.yaml")
    with pytest.raises(InputError, match=expected) as caught:
        load_contract(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert "\n" not in str(caught.value)


def test_non_utf8_bytes_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: x\nnode_type: effect\ndescription: caf\xe9\n")
    with pytest.raises(InputError, match=r"latin1\.yaml: line 3: expected UTF-8 text, found byte 0xe9"):
        load_contract(path)


def test_control_characters_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"name: x\nnode_type: effect\ndescription: a\x00b\n")
    with pytest.raises(InputError, match=r"nul\.yaml: line 3: malformed YAML: character #x0000"):
        load_contract(path)


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(BASE + "description: '" + "x" * MAX_CONTRACT_BYTES + "'\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"big\.yaml: contract is larger than 1024 KiB"):
        load_contract(path)


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    path = write(tmp_path, BASE + "\n".join(lines) + "\n", "bomb.yaml")
    with pytest.raises(InputError, match="expands to more than"):
        load_contract(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="contract file not found"):
        load_contract(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="got a directory"):
        load_contract(tmp_path)


# --------------------------------------------------------------------------- dumping


@pytest.mark.parametrize("text", [EFFECT, COMPUTE, REDUCER, ORCHESTRATOR])
def test_dump_then_load_gives_the_same_contract(text: str) -> None:
    contract = parse_contract(text)
    dumped = dump_contract(contract)
    again = parse_contract(dumped)
    assert again == contract
    assert dump_contract(again) == dumped


def test_every_corpus_contract_round_trips() -> None:
    for path in FIXTURES.glob("*.yaml"):
        if path.name != "expected.yaml":
            contract = load_contract(path)
            assert parse_contract(dump_contract(contract)) == contract, path.name


def test_contract_is_frozen_and_hashable() -> None:
    contract = parse_contract(EFFECT)
    with pytest.raises(AttributeError):
        contract.name = "other"  # type: ignore[misc]
    assert hash(contract) == hash(parse_contract(dump_contract(contract)))
    assert isinstance(contract, Contract)


_identifier = st.text(string.ascii_lowercase, min_size=1, max_size=8).map(lambda s: "x" + s)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
_version = st.one_of(
    st.none(),
    st.tuples(*[st.integers(0, 99)] * 3).map(lambda v: ".".join(map(str, v))),
    st.fixed_dictionaries(
        {"major": st.integers(0, 9), "minor": st.integers(0, 9), "patch": st.integers(0, 9)}
    ),
)
_handler = st.fixed_dictionaries(
    {"operation": _identifier},
    optional={
        "handler": st.fixed_dictionaries({"name": _identifier}, optional={"module": _identifier}),
        "priority": st.integers(0, 5),
    },
)
_capability = st.one_of(
    _identifier, st.fixed_dictionaries({"name": _identifier}, optional={"description": _text})
)
_scalar = st.one_of(st.integers(-1000, 1000), _text, st.booleans(), st.none())
_extra_value = st.recursive(_scalar, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


@st.composite
def contract_documents(draw: st.DrawFn) -> dict[str, object]:
    doc: dict[str, object] = {
        "name": draw(_identifier),
        "node_type": draw(st.sampled_from(["effect", "COMPUTE_GENERIC", "reducer", "ORCHESTRATOR"])),
    }
    for key in ("contract_version", "node_version"):
        version = draw(_version)
        if version is not None:
            doc[key] = version
    if draw(st.booleans()):
        doc["description"] = draw(_text)
    handlers = draw(st.lists(_handler, max_size=4, unique_by=lambda h: h["operation"]))
    if handlers:
        doc["handler_routing"] = {
            "routing_strategy": draw(st.sampled_from(["", "operation_match"])),
            "handlers": handlers,
        }
    elif draw(st.booleans()):
        doc["operations"] = draw(st.lists(_identifier, max_size=3, unique=True))
    doc["capabilities"] = draw(st.lists(_capability, max_size=3))
    doc["io_operations"] = draw(st.lists(_identifier, max_size=3))
    if draw(st.booleans()):
        doc["event_bus"] = {"publish_topics": draw(st.lists(_text, max_size=2))}
    doc.update(draw(st.dictionaries(_identifier.map(lambda s: "ext_" + s), _extra_value, max_size=3)))
    return doc


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contract_documents())
def test_load_dump_load_is_stable(document: dict[str, object]) -> None:
    contract = parse_contract(yaml.safe_dump(document))
    dumped = dump_contract(contract)
    assert parse_contract(dumped) == contract
    assert dump_contract(parse_contract(dumped)) == dumped
