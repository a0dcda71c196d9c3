"""Contracts as real teams write them: every variant our fixtures imitate loads, keeps every handler
it declares, and round-trips; real checkouts (omnimarket, omnibase_core) load in full when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nodeforge.errors import InputError
from nodeforge.generation.contract import (
    HandlerRef,
    ModelRef,
    dump_contract,
    load_contract,
    parse_contract,
    python_identifier,
)
from nodeforge.model import NodeType
from nodeforge.yamlload import load_contract_yaml

VARIANTS = Path(__file__).parent / "fixtures" / "contract_variants"

# file -> (node type, python names of the operations, handler class names in declaration order)
EXPECTED = {
    "effect_ledger_dotted.yaml": (
        NodeType.EFFECT,
        ("ledger_append", "ledger_compact"),
        ("HandlerLedgerAppend", "HandlerLedgerCompact"),
    ),
    "orchestrator_payload_workflow.yaml": (
        NodeType.ORCHESTRATOR,
        ("shipment_flow", "shipment_delivered", "shipment_audit"),
        ("HandlerShipmentFlow", "HandlerShipmentAudit"),
    ),
    "orchestrator_legacy_keys.yaml": (
        NodeType.ORCHESTRATOR,
        ("join", "leave", "crew_assign"),
        ("HandlerCrewMembership", "HandlerCrewAssign"),
    ),
    "reducer_mapping_fsm.yaml": (
        NodeType.REDUCER,
        ("ticket_open", "ticket_close", "ticket_escalate"),
        ("HandlerTicketOpen", "HandlerTicketClose", "HandlerTicketEscalate"),
    ),
    "compute_service_handlers.yaml": (
        NodeType.COMPUTE,
        ("text_trim", "text_fold", "text_detect_language", "text_audit"),
        ("HandlerTextTrim", "HandlerTextFold", "HandlerTextAudit"),
    ),
    "effect_runtime_host.yaml": (
        NodeType.EFFECT,
        ("bus_wire", "bus_unwire"),
        ("HandlerBusWire", "HandlerBusUnwire"),
    ),
    "node_rates_query/contract.yaml": (NodeType.EFFECT, ("rates_query",), ("HandlerRatesQuery",)),
}


def declared_handler_names(value: object) -> set[str]:
    """Class names the YAML gives as handlers, read independently of the loader: ``handler``
    (mapping or dotted string), ``handler_class``, a ``Class.method`` ``handler_key``, and string
    entries of handler lists. ``handlers: {required: [{type: ...}]}`` names requirements."""
    found: set[str] = set()
    if isinstance(value, dict):
        handler = value.get("handler")
        if isinstance(handler, dict):
            name = handler.get("name", handler.get("class"))
            if isinstance(name, str):
                found.add(name)
        elif isinstance(handler, str):
            found.add(handler.split(".")[-1])
        for key in ("handler_class", "handler_name"):
            if isinstance(value.get(key), str):
                found.add(value[key])
        key = value.get("handler_key")
        if isinstance(key, str) and key[:1].isupper():
            found.add(key.split(".")[0])
        for key, item in value.items():
            if key == "handlers" and isinstance(item, list):
                found.update(i.split(".")[-1] for i in item if isinstance(i, str))
            if (
                key == "handlers"
                and isinstance(item, dict)
                and not all(isinstance(v, list) for v in item.values())
            ):
                found.update(i.split(".")[-1] for i in item.values() if isinstance(i, str))
            if key != "handler":
                found |= declared_handler_names(item)
    elif isinstance(value, list):
        for item in value:
            found |= declared_handler_names(item)
    return found


def assert_loads_with_every_handler(path: Path) -> tuple[int, int]:
    contract = load_contract(path)
    names = {h.name for h in contract.handlers}
    missing = declared_handler_names(load_contract_yaml(path.read_text(encoding="utf-8"))) - names
    assert not missing, f"{path}: handlers lost: {sorted(missing)}"
    for op in contract.operations:
        assert op.python_name.isidentifier(), (path, op.name)
    assert parse_contract(dump_contract(contract)) == contract, path
    return 1, len(contract.handlers)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_variant_loads_with_its_operations_and_handlers(rel: str) -> None:
    contract = load_contract(VARIANTS / rel)
    node_type, python_names, handler_names = EXPECTED[rel]
    assert contract.node_type is node_type
    assert contract.python_names == python_names
    assert tuple(h.name for h in contract.handlers) == handler_names
    assert_loads_with_every_handler(VARIANTS / rel)


def test_every_variant_fixture_is_covered() -> None:
    on_disk = {p.relative_to(VARIANTS).as_posix() for p in VARIANTS.rglob("*.yaml")}
    assert on_disk == set(EXPECTED)


def test_dotted_names_keep_their_spelling_and_gain_a_python_name() -> None:
    contract = load_contract(VARIANTS / "effect_ledger_dotted.yaml")
    assert tuple(op.name for op in contract.operations) == ("ledger.append", "ledger-compact")
    assert contract.node_type_raw == "effect"
    assert contract.input_model == ModelRef("ModelLedgerRequest")
    assert contract.output_model == ModelRef(
        "ModelLedgerResult", "acme.nodes.node_ledger_writer.models.model_ledger_result"
    )
    assert contract.io_operations == ("append_rows", "compact_rows")
    assert contract.subscribe_topics == ("acme.cmd.ledger-append.v1",)
    assert contract.publish_topics[1] == "acme.evt.ledger-compacted.v1"
    assert contract.terminal_event == "acme.evt.ledger-appended.v1"
    assert [(d.name, d.kind, d.module) for d in contract.dependency_refs] == [
        ("ledger_store", "protocol", None),
        ("clock", "service", "acme.shared.clock"),
    ]
    assert contract.section("descriptor")["timeout_ms"] == 5000
    # the top-level `handler` repeats a routed one: one HandlerRef, with the input model it adds
    assert contract.handlers[0] == HandlerRef(
        "HandlerLedgerAppend",
        "acme.nodes.node_ledger_writer.handlers.handler_ledger_append",
        ("ledger.append",),
        input_model=ModelRef("ModelLedgerRequest"),
    )


def test_legacy_routing_keys_give_the_method_and_event_model() -> None:
    contract = load_contract(VARIANTS / "orchestrator_legacy_keys.yaml")
    membership = contract.handlers[0]
    assert (membership.method, membership.event_model) == ("join", ModelRef("ModelCrewJoin"))
    assert (
        membership.module == "acme.nodes.node_crew_coordinator_orchestrator.handlers.handler_crew_membership"
    )
    assert contract.dependency_refs[0].kind == "packages"
    assert contract.handlers[1].input_model == ModelRef(
        "ModelCrewAssign", "acme.nodes.node_crew_coordinator_orchestrator.models"
    )


def test_runtime_contract_is_named_by_its_file_and_keeps_requirements_as_written() -> None:
    contract = load_contract(VARIANTS / "effect_runtime_host.yaml")
    assert contract.name == "effect_runtime_host"
    assert contract.node_type_raw == "RUNTIME_HOST_GENERIC"
    assert contract.extra["handlers"] == {
        "required": [{"type": "ProtocolEventBus", "version": {"major": 1, "minor": 0, "patch": 0}}],
        "optional": [{"type": "ProtocolLogger"}],
    }
    assert contract.extra["routing"] == {"!include": "subcontracts/routing.yaml"}
    query = load_contract(VARIANTS / "node_rates_query" / "contract.yaml")
    assert query.name == "node_rates_query"
    assert query.publish_topics == ("acme.evt.rates-served.v1", "acme.evt.rates-failed.v1")


@pytest.mark.parametrize(
    ("spelling", "node_type"),
    [
        ("workflow", NodeType.ORCHESTRATOR),
        ("GATEWAY", NodeType.ORCHESTRATOR),
        ("service", NodeType.COMPUTE),
        ("TRANSFORMER", NodeType.COMPUTE),
        ("NODE", NodeType.COMPUTE),
        ("tool", NodeType.EFFECT),
        ("query", NodeType.EFFECT),
        ("REDUCER_GENERIC", NodeType.REDUCER),
    ],
)
def test_every_enum_node_type_spelling_is_classified(spelling: str, node_type: NodeType) -> None:
    contract = parse_contract(f"name: x\nnode_type: {spelling}\n")
    assert (contract.node_type, contract.node_type_raw) == (node_type, spelling)


def test_unknown_node_type_is_refused() -> None:
    with pytest.raises(InputError, match=r"node_type: unknown node type 'UNKNOWN'"):
        parse_contract("name: x\nnode_type: UNKNOWN\n")


@pytest.mark.parametrize(
    ("raw", "python"),
    [
        ("chain.replay", "chain_replay"),
        ("rrh-emit", "rrh_emit"),
        ("import", "import_"),
        ("3d.render", "op_3d_render"),
    ],
)
def test_python_identifier(raw: str, python: str) -> None:
    assert python_identifier(raw) == python


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "state_machine:\n  transitions:\n    - actions:\n        - handler: {name: H, module: ../x}\n",
            "state_machine.transitions[0].actions[0].handler.module: expected a dotted module path",
        ),
        ("handler: {module: pkg.h, class: 'a/b'}\n", "handler.name: expected a safe identifier"),
        (
            "effect_operations:\n  - {operation_name: ../up, handler: pkg.H}\n",
            "effect_operations[0].operation: expected",
        ),
        ("handlers: [7]\n", "handlers[0]: expected a mapping or a string"),
        ("handler_routing:\n  handlers:\n    - {operation: a.b}\n    - {operation: a-b}\n", "both become"),
    ],
)
def test_bad_handler_sections_are_one_line(text: str, needle: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_contract("name: x\nnode_type: effect\n" + text)
    message = str(caught.value)
    assert needle in message and "\n" not in message


def _real_contracts(env: str) -> list[Path]:
    root = os.environ.get(env)
    if not root:
        pytest.skip(f"{env} is not set")
    return sorted(p for p in Path(root).rglob("*.yaml") if _is_node_contract(p))


def _is_node_contract(path: Path) -> bool:
    if "node_modules" in path.parts or ".venv" in path.parts:
        return False
    text = path.read_text(encoding="utf-8", errors="replace")
    return path.name == "contract.yaml" or "\nnode_type:" in text


def test_every_omnimarket_contract_loads_with_every_handler() -> None:
    files = [p for p in _real_contracts("NODEFORGE_OMNIMARKET") if p.name == "contract.yaml"]
    assert len(files) >= 150
    totals = [assert_loads_with_every_handler(p) for p in files]
    assert sum(n for n, _ in totals) == len(files)


def test_every_omnibase_core_node_contract_loads_with_every_handler() -> None:
    files = _real_contracts("NODEFORGE_OMNIBASE_CORE")
    assert len(files) >= 30
    for path in files:
        assert_loads_with_every_handler(path)
