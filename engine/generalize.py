"""Generalize mined code (source names -> placeholders) and adapt it (placeholders -> new names).

Both are libcst transforms over identifiers, string literals and comments, so keywords, operators and
formatting are never touched and the result is checked to parse. Mined code is data: it is adapted
here and inserted into templates as text, never evaluated as Jinja source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import libcst as cst

from nodeforge.naming import NodeNames, generalize_text, instantiate_text


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


def generalize_node(node: cst.CSTNode, names: NodeNames, renames: Mapping[str, str] | None = None) -> cst.CSTNode:
    """``generalize_code`` on an already parsed node: no second parse during mining."""
    result = node.visit(_RewriteNames(lambda text: generalize_text(text, names), renames or {}))
    assert isinstance(result, cst.CSTNode)
    return result


def generalize_code(code: str, names: NodeNames, renames: Mapping[str, str] | None = None) -> str:
    """Replace the source node's names with placeholders. Idempotent: generalizing twice is a no-op.

    ``renames`` maps exact identifiers that do not follow the naming convention (a contract's handler
    class ``OrderWriter``) to placeholders, before the convention-based replacement.
    """
    return _transform(code, lambda text: generalize_text(text, names), renames or {})


def adapt_code(code: str, names: NodeNames, renames: Mapping[str, str] | None = None) -> str:
    """Instantiate placeholders with the new node's names, then apply exact ``renames``.

    Raises ``libcst.ParserSyntaxError`` if the code does not parse (the caller tries the next candidate).
    """
    instantiated = _transform(code, lambda text: instantiate_text(text, names), {})
    if not renames:
        return instantiated
    return _transform(instantiated, lambda text: text, renames)
