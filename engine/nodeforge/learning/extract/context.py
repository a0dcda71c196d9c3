"""A node being mined: its files parsed once each, its contract read tolerantly, its sibling imports."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

import libcst as cst
import yaml

from nodeforge.learning.extract.source import ParsedFile, dotted_name
from nodeforge.learning.nodes import DIRECTORY, NodeSource
from nodeforge.naming import ENTITY_PASCAL, ENTITY_SNAKE, MODEL_PACKAGES, NodeNames, pascal_case, snake_case
from nodeforge.yamlload import load_yaml


@dataclass(frozen=True)
class ContractFacts:
    """What mining needs from a node's ``contract.yaml``; anything malformed is simply absent.

    A learned repository's contract is not ours to validate: mining reads it tolerantly.
    """

    operations_by_handler: dict[str, str] = field(default_factory=dict)  # handler class -> operation
    handler_modules: dict[str, str] = field(default_factory=dict)  # handler class -> module basename
    input_model: tuple[str, str] = ("", "")  # (class name, module basename)
    output_model: tuple[str, str] = ("", "")

    @classmethod
    def read(cls, node: NodeSource) -> ContractFacts:
        path = node.root / "contract.yaml" if node.layout == DIRECTORY else None
        if path is None or not path.is_file():
            return cls()
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        operations: dict[str, str] = {}
        modules: dict[str, str] = {}
        routing = data.get("handler_routing")
        handlers = routing.get("handlers") if isinstance(routing, dict) else None
        for entry in handlers if isinstance(handlers, list) else []:
            handler = entry.get("handler") if isinstance(entry, dict) else None
            name, module = _ref(handler)
            if name and isinstance(entry.get("operation"), str):
                operations[name] = entry["operation"]
                if module:
                    modules[name] = module
        return cls(
            operations, modules, _model_ref(data.get("input_model")), _model_ref(data.get("output_model"))
        )

    def renames(self, names: NodeNames) -> dict[str, str]:
        """Contract names that do not follow the convention -> the conventional name, generalized.

        ``OrderWriter`` (the handler of ``create``) -> ``Handler__Entity__Create``; an input model
        ``OrderRequest`` in ``order_request`` -> ``Model__Entity__Input`` in ``model___entity___input``.
        Composition maps the conventional names back to the new contract's (``compose._renames``).
        """
        found: dict[str, str] = {}
        for handler, operation in self.operations_by_handler.items():
            conventional = names.handler_class(operation)
            if handler != conventional:
                found[handler] = f"Handler{ENTITY_PASCAL}{pascal_case(operation)}"
            module = self.handler_modules.get(handler, "")
            if module and module != names.handler_module(operation):
                found[module] = f"handler_{ENTITY_SNAKE}_{snake_case(operation)}"
        for (model, module), role in ((self.input_model, "input"), (self.output_model, "output")):
            if model and model != f"Model{names.pascal}{role.capitalize()}":
                found[model] = f"Model{ENTITY_PASCAL}{role.capitalize()}"
            if module and module not in MODEL_PACKAGES and module != f"model_{names.snake}_{role}":
                found[module] = f"model_{ENTITY_SNAKE}_{role}"
        return found


def _model_ref(raw: Any) -> tuple[str, str]:
    """As ``_ref``; a bare class name (``input_model: ModelXRequest``) -> (name, the module named
    for it, as generation names it)."""
    if isinstance(raw, str) and raw.isidentifier() and raw[:1].isupper():
        return raw, snake_case(raw)
    return _ref(raw)


def _ref(raw: Any) -> tuple[str, str]:
    """``{name, module}`` -> (name, last module component); anything else -> ("", "")."""
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        return ("", "")
    module = raw.get("module")
    return raw["name"], module.rsplit(".", 1)[-1] if isinstance(module, str) else ""


@dataclass
class NodeContext:
    """Parses each file of one node at most once; resolves imports between the node's modules."""

    node: NodeSource
    commit: str = ""
    contract: ContractFacts = field(default_factory=ContractFacts)
    _parsed: dict[str, ParsedFile] = field(default_factory=dict)
    # (module, bound name) -> the import reduced to that name, rendered; shared by every pattern.
    import_cache: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    @property
    def operations_by_handler(self) -> dict[str, str]:
        return self.contract.operations_by_handler

    @property
    def base(self) -> Path:
        return self.node.root if self.node.layout == DIRECTORY else self.node.root.parent

    @cached_property
    def linked(self) -> dict[str, Path]:
        """The node's linked outside tests by the node-relative path they take: ``tests/<name>``.

        That is where a test of the node lives inside a node folder, so their test dependencies
        travel with the node's layout; a name taken already gets its folder's name as a prefix.
        """
        taken = {self.rel(p) for p in self.node.files}
        found: dict[str, Path] = {}
        for path in self.node.linked_tests:
            rel = f"tests/{path.name}"
            if rel in taken or rel in found:
                rel = f"tests/{path.parent.name}_{path.name}"
            found[rel] = path
        return found

    def rel(self, path: Path) -> str:
        return path.relative_to(self.base).as_posix()

    def path_of(self, rel: str) -> Path:
        return self.linked.get(rel) or self.base / rel

    def repo_rel(self, rel: str) -> str:
        """The repository-relative path of the node file at ``rel`` (a linked test's own path)."""
        linked = self.linked.get(rel)
        if linked is not None:
            return linked.relative_to(self._repo).as_posix()
        return f"{self.node.key}/{rel}" if self.node.layout == DIRECTORY else self.node.key

    @property
    def _repo(self) -> Path:
        depth = len(PurePosixPath(self.node.key).parts)
        return self.node.root.parents[depth - 1]

    def parsed(self, rel: str) -> ParsedFile:
        """The parsed file at ``rel`` (relative to the node root). Raises libcst.ParserSyntaxError."""
        if rel not in self._parsed:
            self._parsed[rel] = ParsedFile.parse(self.path_of(rel), rel)
        return self._parsed[rel]

    def python_files(self) -> list[str]:
        """The node's own Python files, then its linked outside tests (node-relative)."""
        return [*(self.rel(p) for p in self.node.files if p.suffix == ".py"), *self.linked]

    def sibling_module(self, importing_rel: str, statement: cst.ImportFrom) -> str | None:
        """The node-relative path of the module a relative import names, if it is inside the node."""
        if not statement.relative:
            return None
        level = len(statement.relative)
        parts = importing_rel.split("/")[:-1]
        if level - 1 > len(parts):
            return None
        package = parts[: len(parts) - (level - 1)]
        module = dotted_name(statement.module).split(".") if statement.module is not None else []
        candidate = "/".join([*package, *module])
        for rel in (f"{candidate}.py", f"{candidate}/__init__.py"):
            if (self.base / rel).is_file():
                return rel
        return None
