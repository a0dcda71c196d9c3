"""Property tests: extraction never raises on parseable Python; generalize -> adapt round-trips names.

(contract load -> dump -> load is stable: ``tests/test_contract.py::test_load_dump_load_is_stable``.)
"""

from __future__ import annotations

import keyword
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nodeforge.learning.extract.miner import mine_node
from nodeforge.learning.generalize import adapt_code, generalize_source
from nodeforge.learning.nodes import load_directory_node
from nodeforge.model import NodeType
from nodeforge.naming import NodeNames

_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8).filter(
    lambda w: not keyword.iskeyword(w) and w not in {"node", "handler", "self", "none", "true", "false"}
)
IDENT = st.builds(lambda a, b: f"{a}_{b}", _WORDS, _WORDS)
PASCAL = st.builds(lambda a, b: a.capitalize() + b.capitalize(), _WORDS, _WORDS)
EXPR = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.text(alphabet="abc {}%:!'\\\"", max_size=12).map(repr),
    IDENT,
    st.builds(lambda n, a: f"{n}({a})", IDENT, IDENT),
    st.builds(lambda n, a: f"self.{n}.{a}", IDENT, IDENT),
    st.just("{'k': [1, 2], **{}}"),
    st.just("(x for x in range(3) if x)"),
    st.just("f'{1 + 1!r:>4} {{braces}}'"),
    st.just("'{{ jinja }} {% raw %}'"),
    st.just("lambda *a, **k: (a, k)"),
)


def _indent(lines: list[str], by: int = 4) -> list[str]:
    return [" " * by + line if line else line for line in lines]


@st.composite
def statements(draw: st.DrawFn, depth: int = 0) -> list[str]:
    kind = draw(st.sampled_from(["assign", "return", "raise", "if", "try", "for", "with", "expr", "pass"]))
    value = draw(EXPR)
    name = draw(IDENT)
    if kind == "assign":
        return [f"{name} = {value}"]
    if kind == "return":
        return [f"return {value}"]
    if kind == "raise":
        return [f"raise {draw(PASCAL)}Error({value})"]
    if kind == "expr":
        return [value]
    if kind == "pass" or depth >= 2:
        return ["pass"]
    body = draw(st.lists(statements(depth + 1), min_size=1, max_size=3))
    inner = _indent([line for block in body for line in block])
    if kind == "if":
        return [f"if {value}:", *inner, "else:", "    pass"]
    if kind == "for":
        return [f"for {name} in {value}:", *inner]
    if kind == "with":
        return [f"with {value} as {name}:", *inner]
    handlers = draw(st.lists(PASCAL, min_size=1, max_size=3))
    lines = ["try:", *inner]
    for exc in handlers:
        lines += [f"except {exc}Error as error:", "    raise ValueError(str(error)) from error"]
    if draw(st.booleans()):
        lines += ["finally:", "    pass"]
    return lines


@st.composite
def modules(draw: st.DrawFn) -> str:
    lines = ['"""A random module."""', "from __future__ import annotations", ""]
    for _ in range(draw(st.integers(0, 3))):
        lines.append(
            draw(st.sampled_from([f"import {draw(IDENT)}", f"from .{draw(IDENT)} import {draw(PASCAL)}"]))
        )
    lines.append("")
    for _ in range(draw(st.integers(1, 3))):
        cls = draw(st.one_of(st.builds(lambda p: f"Handler{p}", PASCAL), PASCAL))
        method = draw(st.sampled_from(["handle", "execute", "run", "process"]))
        asynchronous = draw(st.booleans())
        body = [line for block in draw(st.lists(statements(), min_size=1, max_size=4)) for line in block]
        lines += [
            f"class {cls}:",
            f'    """{draw(st.text(alphabet="abc xyz", max_size=20))}"""',
            "",
            "    def __init__(self) -> None:",
            f"        self.{draw(IDENT)} = None",
            "",
            f"    {'async ' if asynchronous else ''}def {method}(self, request: object) -> object:",
            *_indent(body, 8),
            "",
        ]
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=modules())
def test_extraction_never_raises_on_parseable_python(source: str) -> None:
    compile(source, "<generated>", "exec")  # the strategy builds parseable Python only
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        node = repo / "node_zorb_effect"
        (node / "handlers").mkdir(parents=True)
        (node / "node.py").write_text("class NodeZorbEffect:\n    pass\n", encoding="utf-8")
        (node / "handlers" / "handler_zorb_random.py").write_text(source, encoding="utf-8")
        mined = mine_node(load_directory_node(node, repo))
    assert all(o.status != "failed" for o in mined.outcomes), mined.outcomes
    for pattern in mined.patterns:
        compile(pattern.code, "<pattern>", "exec") if pattern.code.strip() else None


ENTITY = st.lists(
    st.sampled_from(["zorb", "quix", "plumbus", "flarn", "gleep", "wubba", "snark"]),
    min_size=1,
    max_size=3,
    unique=True,
)


def _code(names: NodeNames) -> str:
    return (
        f"{names.upper}_LIMIT = 3\n\n\n"
        f"class Handler{names.pascal}Create:\n"
        f'    """Create one {names.spaced} record."""\n\n'
        f"    async def handle(self, {names.snake}_id: str) -> Model{names.pascal}Output:\n"
        f"        {names.camel}Count = len({names.snake}_id)\n"
        f"        if {names.camel}Count > {names.upper}_LIMIT:\n"
        f'            raise ValueError(f"{names.spaced} {{{names.snake}_id}} is too long")\n'
        f'        return await self.store.get_{names.snake}({names.snake}_id, route="{names.kebab}")\n'
    )


@settings(max_examples=60, deadline=None)
@given(source=ENTITY, target=ENTITY, node_type=st.sampled_from(list(NodeType)))
def test_generalize_then_adapt_round_trips_names(
    source: list[str], target: list[str], node_type: NodeType
) -> None:
    old, new = NodeNames(tuple(source), node_type), NodeNames(tuple(target), node_type)
    general = generalize_source(_code(old), old)
    assert all(word not in general.lower() for word in source), general
    assert adapt_code(general, old) == _code(old)  # back to where it came from
    if len(source) > 1 and len(target) > 1:
        # A one-word entity spells snake, camel, kebab and spaced alike, so only multi-word names keep
        # every form apart; between those, adapting to any other node's names is exact both ways.
        assert adapt_code(general, new) == _code(new)
        assert generalize_source(adapt_code(general, new), new) == general
    else:
        assert all(word in adapt_code(general, new).lower() for word in target)
