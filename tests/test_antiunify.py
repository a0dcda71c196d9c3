"""Anti-unification: typed holes where fragments of one idiom differ, nothing else."""

from __future__ import annotations

import keyword

from hypothesis import given, settings
from hypothesis import strategies as st

from nodeforge.learning.antiunify import (
    HoleKind,
    Template,
    antiunify,
    holes_from_json,
    holes_to_json,
    instantiate,
    merge_hole_values,
)

BASE = '''\
class Handler{cls}:
    """{doc}"""

    async def handle(self, request: {annotation}) -> None:
        value = await {call}(request, attempts={attempts}, strict={flag})
        log(f"{prefix} {{value}} done", {event})
'''
VALUES = {
    "cls": "Create",
    "doc": "Create records.",
    "annotation": "dict[str, int]",
    "call": "with_retry",
    "attempts": "3",
    "flag": "True",
    "prefix": "stored",
    "event": '"billing.created"',
}


def _code(**changes: str) -> str:
    return BASE.format(**{**VALUES, **changes})


def _pair(a: str, b: str) -> Template | None:
    return antiunify(Template.of([a], ["n1"]), Template.of([b], ["n2"]))


def test_each_kind_of_difference_becomes_a_hole_of_its_kind() -> None:
    other = _code(annotation="Mapping[str, object]", call="call_soon", attempts="5", event='"crm.created"')
    template = _pair(_code(), other)
    assert template is not None
    kinds = {hole.kind: hole for hole in template.holes}
    assert set(kinds) == {HoleKind.TYPE, HoleKind.NAME, HoleKind.CONSTANT, HoleKind.STRING}
    assert kinds[HoleKind.TYPE].values == (("n1", "dict[str, int]"), ("n2", "Mapping[str, object]"))
    assert kinds[HoleKind.NAME].values == (("n1", "with_retry"), ("n2", "call_soon"))
    assert "request: __hole_type_1__" in template.parts[0]
    assert template.support == 2


def test_fstring_text_is_a_string_hole_inside_the_fstring() -> None:
    template = _pair(_code(), _code(prefix="saved"))
    assert template is not None
    assert 'f"__hole_string_1__{value} done"' in template.parts[0]
    assert template.holes[0].values == (("n1", "stored "), ("n2", "saved "))


def test_the_same_difference_everywhere_is_one_hole() -> None:
    a = "x = read(source)\ny = read(source)\n"
    b = "x = fetch(source)\ny = fetch(source)\n"
    template = _pair(a, b)
    assert template is not None
    assert [h.name for h in template.holes] == ["__hole_name_1__"]
    assert template.parts[0].count("__hole_name_1__") == 2


def test_fragments_of_another_shape_do_not_unify() -> None:
    assert _pair(_code(), _code().replace("strict=", "lenient=").replace("value = await", "await")) is None
    assert _pair("x = f(a)\n", "x = f(a, b)\n") is None
    assert _pair("x = f(a)\n", "x = [a]\n") is None


def test_too_many_differences_are_not_one_idiom() -> None:
    a = "x = f(a, b, c, d)\n"
    b = "x = g(p, q, r, s)\n"
    assert _pair(a, b) is None


def test_formatting_and_comments_never_make_a_hole() -> None:
    template = _pair("x = f(a)  # one\n\n\ny = 2\n", "x = f( a )  # two\ny = 2\n")
    assert template is not None
    assert template.holes == ()


def test_a_template_unifies_with_a_third_fragment_and_keeps_every_value() -> None:
    first = _pair(_code(), _code(attempts="5"))
    assert first is not None
    third = antiunify(first, Template.of([_code(attempts="7", call="call_soon")], ["n3"]))
    assert third is not None
    expected = (("n1", "3", "with_retry"), ("n2", "5", "with_retry"), ("n3", "7", "call_soon"))
    for node, attempts, call in expected:
        assert instantiate(third.parts[0], third.values_of(node)) == _code(attempts=attempts, call=call)


def test_holes_round_trip_through_json_and_merge_per_node() -> None:
    template = _pair(_code(), _code(attempts="5"))
    assert template is not None
    text = holes_to_json(template.holes)
    assert holes_from_json(text) == template.holes
    later = _pair(_code(attempts="9"), _code(attempts="5"))
    assert later is not None
    merged = holes_from_json(merge_hole_values(text, holes_to_json(later.holes)))
    assert merged[0].values == (("n1", "9"), ("n2", "5"))


_IDENTIFIER = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s) and not keyword.issoftkeyword(s)
)
_VARIANT = st.fixed_dictionaries(
    {
        "cls": _IDENTIFIER.map(str.capitalize),
        "doc": st.text(alphabet="abc xyz.", min_size=1, max_size=12).filter(lambda s: s.strip() == s and s),
        "annotation": st.sampled_from(["dict[str, int]", "Mapping[str, object]", "int", "list[Any]"]),
        "call": _IDENTIFIER,
        "attempts": st.integers(0, 99).map(str),
        "flag": st.sampled_from(["True", "False", "None"]),
        "prefix": st.text(alphabet="abcdef ", min_size=1, max_size=8).filter(lambda s: "  " not in s),
        "event": st.text(alphabet="abc.-", max_size=10).map(repr),
    }
)


@settings(max_examples=40, deadline=None)
@given(_VARIANT)
def test_a_fragment_with_itself_has_no_holes(values: dict[str, str]) -> None:
    code = _code(**values)
    template = antiunify(Template.of([code], ["a"]), Template.of([code], ["b"]))
    assert template is not None
    assert template.holes == ()
    assert template.parts == (code,)


@settings(max_examples=40, deadline=None)
@given(st.lists(_VARIANT, min_size=2, max_size=4))
def test_instantiating_with_each_nodes_values_gives_back_its_code(variants: list[dict[str, str]]) -> None:
    codes = [_code(**values) for values in variants]
    templates = [Template.of([code], [f"n{i}"]) for i, code in enumerate(codes)]
    template: Template | None = templates[0]
    for other in templates[1:]:  # folded in order, as idioms joins one node at a time
        assert template is not None
        template = antiunify(template, other, max_holes=100, max_share=1.0)
    assert template is not None
    for index, code in enumerate(codes):
        assert instantiate(template.parts[0], template.values_of(f"n{index}")) == code
