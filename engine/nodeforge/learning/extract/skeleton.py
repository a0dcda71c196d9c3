"""Class skeletons per node type: bases, constructor dependencies and method signatures.

A skeleton keeps a class's decorators, bases, docstring and class-level fields, and every method's
decorators, signature and docstring; each method body becomes ``...`` (after its docstring, so the
quality check reads it as a documented declaration, not a stub). Node classes (``Node<Entity><Type>``
deriving from a node base) and handler classes get skeletons; a class whose only method is an
``__init__`` and that derives from nothing is boilerplate and gets none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from nodeforge.learning.extract import deps
from nodeforge.learning.extract.build import Mining, add_pattern, base_name
from nodeforge.learning.extract.error_handling import identity_code
from nodeforge.learning.extract.handlers import handle_method, is_node_class
from nodeforge.learning.extract.source import ParsedFile
from nodeforge.model import PatternKind

_ELLIPSIS = cst.SimpleStatementLine(body=[cst.Expr(cst.Ellipsis())])


@dataclass
class GatherClassSkeletonsVisitor(cst.CSTVisitor):
    """Module-level node classes and handler classes, with their role (``node`` or ``handler``)."""

    classes: list[tuple[str, cst.ClassDef]] = field(default_factory=list)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return False  # nothing to find inside expressions

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if is_node_class(node) and node.bases:
            self.classes.append(("node", node))
        elif handle_method(node) is not None:
            self.classes.append(("handler", node))
        return False


def _methods(cls: cst.ClassDef) -> list[cst.FunctionDef]:
    return [s for s in cls.body.body if isinstance(s, cst.FunctionDef)]


def skeleton_skip_reason(cls: cst.ClassDef) -> str:
    methods = _methods(cls)
    if not methods:
        return "no methods"
    if not cls.bases and all(method.name.value == "__init__" for method in methods):
        return "only a constructor"
    return ""


def _declaration(method: cst.FunctionDef) -> cst.FunctionDef:
    docstring = None
    if isinstance(method.body, cst.IndentedBlock) and method.body.body:
        first = method.body.body[0]
        if method.get_docstring(clean=False) is not None:
            docstring = first
    body = [docstring, _ELLIPSIS] if docstring is not None else [_ELLIPSIS]
    return method.with_changes(body=cst.IndentedBlock(body=body))


def skeleton_of(cls: cst.ClassDef) -> cst.ClassDef:
    """The class with every method reduced to its declaration; nested classes are dropped."""
    kept: list[cst.BaseStatement | cst.BaseSmallStatement] = []
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef):
            kept.append(_declaration(statement))
        elif not isinstance(statement, cst.ClassDef):
            kept.append(statement)
    return cls.with_changes(body=cls.body.with_changes(body=kept), leading_lines=[])


def mine_skeletons(mining: Mining, parsed: ParsedFile) -> None:
    node_type = mining.ctx.node.node_type.value
    for role, cls in parsed.visit(GatherClassSkeletonsVisitor()).classes:
        reason = skeleton_skip_reason(cls)
        if reason:
            mining.skip(parsed, f"{cls.name.value} skeleton", reason)
            continue
        # One skeleton per role and node type: the class's own name and its docstrings are
        # instance detail (HandlerXCreate and HandlerXGet have the same shape). A cheap shape key
        # first, so a repeated shape costs no code generation.
        if mining.seen(PatternKind.SKELETON, f"{role}:{_shape_key(cls)}"):
            continue
        skeleton = skeleton_of(cls)
        code = mining.general(cst.Module(body=[skeleton]).code)
        identity = identity_code(_CLASS_NAME.sub("class Skeleton", code, count=1))
        add_pattern(
            mining,
            parsed,
            kind=PatternKind.SKELETON,
            slot=f"{node_type}:skeleton:{role}",
            operation="",
            node=skeleton,
            code=code,
            # The skeleton's own names (bases, signatures, fields), not what the elided bodies used.
            dependencies=deps.collect(
                mining.ctx,
                parsed,
                mining.render,
                cls,
                follow_siblings=False,
                names=parsed.signature_names(cls),
            ),
            symbol=f"{cls.name.value}#skeleton",
            summary=f"{role} class: bases {_bases(cls) or 'none'}; methods {_method_names(cls)}",
            identity=identity,
            lines_of=(cls, cls),
            references_of=None,
            tested=None,
            class_name=cls.name.value,
            boilerplate_of=cls,
        )


_CLASS_NAME = re.compile(r"^class \w+", re.MULTILINE)


def _shape_key(cls: cst.ClassDef) -> str:
    """Bases and method signatures by name: equal for classes whose skeletons differ only in names."""
    methods = []
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef):
            params = statement.params
            names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
            decorators = len(statement.decorators)
            methods.append(
                f"{statement.name.value}/{decorators}({','.join(names)}){bool(statement.asynchronous)}"
            )
    bases = ",".join(base_name(base.value) for base in cls.bases)
    return f"{bases}|{';'.join(methods)}"


def _bases(cls: cst.ClassDef) -> str:
    return ", ".join(cst.Module(body=[]).code_for_node(base.value) for base in cls.bases)


def _method_names(cls: cst.ClassDef) -> str:
    return ", ".join(s.name.value for s in cls.body.body if isinstance(s, cst.FunctionDef))
