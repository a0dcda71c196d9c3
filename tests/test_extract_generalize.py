"""Generalization: entity spellings, plurals, contract names off the convention, literal parameters."""

from __future__ import annotations

import random
import re
from pathlib import Path

from nodeforge.learning.extract.miner import mine_node
from nodeforge.learning.generalize import _KEYED_LITERAL, adapt_code, generalize_source, parameterize_literals
from nodeforge.learning.nodes import discover
from nodeforge.model import NodeType, PatternKind
from nodeforge.naming import NodeNames

USER = NodeNames.of("user_profile", NodeType.EFFECT)
ORDER = NodeNames.of("order", NodeType.EFFECT)


def test_every_spelling_and_regular_plurals_become_placeholders() -> None:
    code = 'class HandlerUserProfileGet:\n    TABLE = "user_profiles"  # USER_PROFILES, user-profile\n'
    general = generalize_source(code, USER)
    assert general == (
        'class Handler__Entity__Get:\n    TABLE = "__entity__s"  # __ENTITY__S, __entity-kebab__\n'
    )
    assert generalize_source(general, USER) == general  # idempotent
    assert "username" in generalize_source("username = user", NodeNames.of("user", NodeType.EFFECT))


def test_keyword_entities_fall_back_to_the_tree_rewrite() -> None:
    names = NodeNames.of("pass", NodeType.EFFECT)
    assert generalize_source("def get_pass() -> None:\n    pass\n", names) == (
        "def get___entity__() -> None:\n    pass\n"
    )


def test_specific_literals_become_parameters_that_instantiate_back() -> None:
    code = generalize_source(
        'publish(topic="user_profile-events", url="https://api.example.com/v1/user_profiles")\n'
        'TABLE_NAME = "user_profile_rows"\nemit("user_profile.created")\n'
        'DSN_URL = "postgres://admin:hunter2@db/app"\n',
        USER,
    )
    general, parameters = parameterize_literals(code)
    assert general == (
        'publish(topic="__topic__", url="__url__")\nTABLE_NAME = "__table__"\n'
        'emit("__entity__.created")\nDSN_URL = "postgres://admin:hunter2@db/app"\n'
    )
    assert dict(parameters) == {
        "__topic__": "__entity__-events",
        "__url__": "https://api.example.com/v1/__entity__s",
        "__table__": "__entity___rows",
    }
    assert parameterize_literals(general) == (general, ())  # idempotent
    adapted = adapt_code(general, ORDER, parameters=parameters)
    assert 'topic="order-events"' in adapted
    assert 'url="https://api.example.com/v1/orders"' in adapted
    assert 'TABLE_NAME = "order_rows"' in adapted


CONTRACT = """\
name: node_order_effect
node_type: EFFECT_GENERIC
input_model: {name: OrderRequest, module: app.nodes.node_order_effect.models.order_request}
handler_routing:
  handlers:
    - operation: create
      handler: {name: OrderWriter, module: app.nodes.node_order_effect.handlers.writer}
"""

HANDLER = '''\
"""Writes orders."""

from ..models.order_request import OrderRequest


class OrderWriter:
    """Write one order."""

    async def handle(self, request: OrderRequest) -> str:
        """Store the order."""
        if not request.key:
            raise ValueError("an order needs a key")
        return request.key
'''


def test_contract_names_off_the_convention_are_generalized(tmp_path: Path) -> None:
    node = tmp_path / "node_order_effect"
    for rel, text in {
        "contract.yaml": CONTRACT,
        "handlers/__init__.py": "",
        "handlers/writer.py": HANDLER,
        "models/__init__.py": "",
        "models/order_request.py": 'class OrderRequest:\n    """Input."""\n\n    key: str = ""\n',
    }.items():
        (node / rel).parent.mkdir(parents=True, exist_ok=True)
        (node / rel).write_text(text, encoding="utf-8")
    [found] = discover(tmp_path)
    operation = next(p for p in mine_node(found).patterns if p.kind is PatternKind.OPERATION)
    assert operation.slot == "effect:create"
    assert operation.code.startswith("class Handler__Entity__Create:")
    assert "async def handle(self, request: Model__Entity__Input) -> str:" in operation.code
    deps = {(d.kind, d.name, d.origin) for d in operation.dependencies}
    assert ("import", "Model__Entity__Input", "") in deps
    assert ("definition", "Model__Entity__Input", "models/model___entity___input.py") in deps
    imports = [d.code for d in operation.dependencies if d.kind == "import"]
    assert imports == ["from ..models.model___entity___input import Model__Entity__Input"]


def test_a_broken_contract_is_read_tolerantly(tmp_path: Path) -> None:
    node = tmp_path / "node_order_effect"
    (node / "handlers").mkdir(parents=True)
    (node / "contract.yaml").write_text("handler_routing: [unclosed\n", encoding="utf-8")
    (node / "handlers" / "writer.py").write_text(
        HANDLER.replace("..models.order_request", "app"), encoding="utf-8"
    )
    [found] = discover(tmp_path)
    mined = mine_node(found)
    assert any(p.kind is PatternKind.OPERATION for p in mined.patterns)


# The keyed-literal regex as it was, before its leading look-behind.
_KEYED_LITERAL_BEFORE = re.compile(
    r"""(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?P<sep>["']?\s*[=:]\s*)(?<![A-Za-z])(?P<q>["'])(?P<value>[^"'\\\n{}]+)(?P=q)"""
)


def test_the_keyed_literal_look_behind_finds_the_same_matches() -> None:
    rng = random.Random(3)
    alphabet = "ab_1x=: '\"\n{}\\topic"
    texts = ["".join(rng.choice(alphabet) for _ in range(120)) for _ in range(3000)]
    texts += ["0xtopic: 'a'", "my_topic = 'orders'", "a1topic='x'", 'd = {"topic": "t", "url": "u"}']
    found = 0
    for text in texts:
        before = [(m.span(), m.groupdict()) for m in _KEYED_LITERAL_BEFORE.finditer(text)]
        assert [(m.span(), m.groupdict()) for m in _KEYED_LITERAL.finditer(text)] == before, text
        found += len(before)
    assert found > 100
