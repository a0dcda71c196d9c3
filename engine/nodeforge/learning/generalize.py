"""Generalize mined code (source names -> placeholders) and adapt it (placeholders -> new names).

Three steps, in this order, each idempotent:

1. **names**: the source node's entity in every spelling (``naming.generalize_text``), its regular
   plurals (``users`` -> ``__entity__s``, ``Addresses`` -> ``__Entity__es``), and exact ``renames``
   of identifiers that do not follow the naming convention (a contract's ``OrderWriter`` handler
   class) become placeholders. Mining applies this to the code text
   (``generalize_source``): with no entity spelling equal to a Python keyword, rewriting the text
   changes exactly what a libcst transform of identifiers, strings and comments would (keywords
   and operators cannot contain a whole-word entity), and costs a regex instead of a tree rewrite.
   When a spelling *is* a keyword (an entity called ``pass``), the libcst transform is used.
2. **parameters** (``parameterize_literals``): *specific* string literals, i.e. a URL
   (``scheme://...``) or a literal bound to a name whose words include topic, table, url, endpoint,
   queue, channel, stream, bucket, collection, subject or exchange (``topic="..."``,
   ``EVENTS_TOPIC = "..."``, ``{"table": "..."}``), are replaced by a placeholder ``__<kind>__``
   (``__topic_2__`` for a second distinct one) and recorded in ``Pattern.parameters`` as
   ``(placeholder, value)``. The value is the literal after step 1, so it instantiates back to a
   sensible value for the new node: ``"user-events"`` -> ``__topic__`` = ``__entity__-events`` ->
   ``order-events``. Literals carrying credentials (``scheme://user:pw@host``) are left in the
   code so that the secret check still sees them.
3. **adapt** (``adapt_code``): parameters first, then entity placeholders, then exact renames.

Mined code is data: it is adapted here and inserted into templates as text, never evaluated.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

import libcst as cst

from nodeforge.naming import NodeNames, generalize_text, instantiate_text, split_identifier

PARAMETER_KINDS = (
    "topic",
    "table",
    "url",
    "endpoint",
    "queue",
    "channel",
    "stream",
    "bucket",
    "collection",
    "subject",
    "exchange",
)
# The leading look-behind only spares the regex trying every letter inside a name (a match found
# there would start earlier, at a letter or "_" before it, and be found there first): the same
# matches, a fraction of the attempts.
_KEYED_LITERAL = re.compile(
    r"""(?<![A-Za-z_])(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?P<sep>["']?\s*[=:]\s*)(?<![A-Za-z])(?P<q>["'])(?P<value>[^"'\\\n{}]+)(?P=q)"""
)
_URL_LITERAL = re.compile(
    r"""(?<![A-Za-z0-9_])(?P<q>["'])(?P<value>[a-z][a-z0-9+.-]*://[^"'\s\\{}]+)(?P=q)"""
)
_CREDENTIALS = re.compile(r"//[^/@\s]+:[^/@\s]*@")
_PARAMETER_PLACEHOLDER = re.compile(rf"^__(?:{'|'.join(PARAMETER_KINDS)})(?:_\d+)?__$")


class _RewriteNames(cst.CSTTransformer):
    """Apply ``rewrite`` to every identifier, string literal part and comment."""

    def __init__(self, rewrite: Callable[[str], str], renames: Mapping[str, str]) -> None:
        super().__init__()
        self._rewrite = rewrite
        self._renames = renames

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        value = self._renames.get(updated_node.value)
        return updated_node.with_changes(
            value=value if value is not None else self._rewrite(updated_node.value)
        )

    def leave_SimpleString(
        self, original_node: cst.SimpleString, updated_node: cst.SimpleString
    ) -> cst.SimpleString:
        return updated_node.with_changes(value=self._rewrite(updated_node.value))

    def leave_FormattedStringText(
        self, original_node: cst.FormattedStringText, updated_node: cst.FormattedStringText
    ) -> cst.FormattedStringText:
        return updated_node.with_changes(value=self._rewrite(updated_node.value))

    def leave_Comment(self, original_node: cst.Comment, updated_node: cst.Comment) -> cst.Comment:
        return updated_node.with_changes(value=self._rewrite(updated_node.value))


def _transform(code: str, rewrite: Callable[[str], str], renames: Mapping[str, str]) -> str:
    module = cst.parse_module(code)
    return module.visit(_RewriteNames(rewrite, renames)).code


@lru_cache(maxsize=256)
def _plural_patterns(names: NodeNames) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """Regular plurals of each spelling: the stem becomes the placeholder, the suffix stays."""
    found: list[tuple[str, re.Pattern[str], str]] = []
    seen: set[str] = set()
    for placeholder, form in sorted(names.forms().items(), key=lambda item: len(item[1]), reverse=True):
        if form in seen or len(form) < 3 or " " in form:
            continue
        seen.add(form)
        escaped = re.escape(form)
        if form.isupper():
            pattern = rf"(?<![A-Za-z0-9]){escaped}(?=E?S(?![A-Za-z0-9]))"
        elif form[:1].isupper():
            pattern = rf"(?<![A-Z]){escaped}(?=e?s(?![a-z]))"
        else:
            pattern = rf"(?<![a-z0-9]){escaped}(?=e?s(?![a-z0-9]))"
        found.append((form, re.compile(pattern), placeholder))
    return tuple(found)


def generalize_words(text: str, names: NodeNames) -> str:
    """``naming.generalize_text`` plus regular plurals of the entity."""
    text = generalize_text(text, names)
    for form, pattern, placeholder in _plural_patterns(names):
        if form in text:  # case-sensitive patterns: without the stem there is no match
            text = pattern.sub(placeholder, text)
    return text


@lru_cache(maxsize=256)
def _needs_tree(names: NodeNames) -> bool:
    """Whether a spelling of the entity is a Python keyword: then only a tree rewrite is exact."""
    spellings = (names.snake, names.pascal, names.camel, names.upper)
    return any(keyword.iskeyword(s) or keyword.issoftkeyword(s) for s in spellings)


def _rename_pattern(renames: Mapping[str, str]) -> re.Pattern[str] | None:
    if not renames:
        return None
    return _compiled_renames(tuple(sorted(renames)))


@lru_cache(maxsize=64)
def _compiled_renames(renames: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(name) for name in sorted(renames, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_])(?:{alternatives})(?![A-Za-z0-9_])")


def generalize_source(code: str, names: NodeNames, renames: Mapping[str, str] | None = None) -> str:
    """Generalize mined code text (see the module docstring, step 1). Idempotent."""
    renames = renames or {}
    if _needs_tree(names):
        return _transform(code, lambda text: generalize_words(text, names), renames)
    pattern = _rename_pattern(renames)
    if pattern is not None:
        code = pattern.sub(lambda match: renames[match.group(0)], code)
    return generalize_words(code, names)


def _parameter_kind(key: str) -> str | None:
    words = split_identifier(key)
    for kind in PARAMETER_KINDS:
        if kind in words:
            return kind
    return None


def parameterize_literals(code: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Replace specific literals by placeholders (module docstring, step 2); return the parameters."""
    by_value: dict[tuple[str, str], str] = {}
    counts: dict[str, int] = {}

    def placeholder_for(kind: str, value: str) -> str:
        key = (kind, value)
        if key not in by_value:
            counts[kind] = counts.get(kind, 0) + 1
            suffix = "" if counts[kind] == 1 else f"_{counts[kind]}"
            by_value[key] = f"__{kind}{suffix}__"
        return by_value[key]

    def keyed(match: re.Match[str]) -> str:
        value = match.group("value")
        kind = _parameter_kind(match.group("key"))
        if kind is None and "://" in value:
            kind = "url"
        if kind is None or _CREDENTIALS.search(value) or _PARAMETER_PLACEHOLDER.match(value):
            return match.group(0)
        quote = match.group("q")
        return f"{match.group('key')}{match.group('sep')}{quote}{placeholder_for(kind, value)}{quote}"

    def url(match: re.Match[str]) -> str:
        value = match.group("value")
        if _CREDENTIALS.search(value):
            return match.group(0)
        quote = match.group("q")
        return f"{quote}{placeholder_for('url', value)}{quote}"

    code = _KEYED_LITERAL.sub(keyed, code)
    code = _URL_LITERAL.sub(url, code)
    parameters = tuple((placeholder, value) for (_, value), placeholder in by_value.items())
    return code, tuple(sorted(parameters))


def instantiate_parameters(code: str, parameters: Sequence[tuple[str, str]], names: NodeNames) -> str:
    """Replace parameter placeholders with their values, instantiated for ``names``."""
    for placeholder, value in sorted(parameters, key=lambda item: len(item[0]), reverse=True):
        code = code.replace(placeholder, instantiate_text(value, names))
    return code


def adapt_code(
    code: str,
    names: NodeNames,
    renames: Mapping[str, str] | None = None,
    parameters: Sequence[tuple[str, str]] = (),
) -> str:
    """Instantiate parameters and placeholders with the new node's names, then apply exact ``renames``.

    Raises ``libcst.ParserSyntaxError`` if the code does not parse (the caller tries the next candidate).
    """
    if parameters:
        code = instantiate_parameters(code, parameters, names)
    instantiated = _transform(code, lambda text: instantiate_text(text, names), {})
    if not renames:
        return instantiated
    return _transform(instantiated, lambda text: text, renames)
