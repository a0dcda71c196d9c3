"""Imports of the repository's own modules checked against their source, and an assembled node's
loose ends: re-exports narrowed, unimported broken modules left out, the node itself kept."""

from __future__ import annotations

from pathlib import Path

from nodeforge.generation.prune import prune_unresolved, without_names
from nodeforge.generation.repomodules import RepoModules
from nodeforge.generation.scope import check_module

HANDLER = "class HandlerRefund:\n    def handle(self) -> int:\n        return 1\n"


def _repo(tmp_path: Path) -> RepoModules:
    events = tmp_path / "src" / "teamapp" / "events"
    events.mkdir(parents=True)
    (tmp_path / "src" / "teamapp" / "__init__.py").write_text("", encoding="utf-8")
    (events / "__init__.py").write_text("from .ledger import ModelInvoiceComputed\n", encoding="utf-8")
    (events / "ledger.py").write_text("class ModelInvoiceComputed: ...\n", encoding="utf-8")
    (events / "wildcard.py").write_text("from .ledger import *\n", encoding="utf-8")
    return RepoModules.of(tmp_path)


def test_a_name_the_repository_module_lacks_is_unresolved(tmp_path: Path) -> None:
    outside = _repo(tmp_path).names
    renamed = "from teamapp.events.ledger import ModelRefundComputed\n\nX = ModelRefundComputed\n"
    [missing] = check_module("handlers/h.py", renamed, {}, outside=outside)
    assert (missing.name, missing.why) == ("ModelRefundComputed", "teamapp.events.ledger does not define it")
    assert check_module("handlers/h.py", renamed.replace("Refund", "Invoice"), {}, outside=outside) == []


def test_packages_third_party_modules_and_star_imports_are_taken_as_they_are(tmp_path: Path) -> None:
    outside = _repo(tmp_path).names
    # A package's submodules count as its names; a module outside the repository says nothing.
    assert (
        check_module("h.py", "from teamapp.events import ledger, ModelInvoiceComputed\n", {}, outside=outside)
        == []
    )
    assert check_module("h.py", "from pydantic import NoSuchThing\n", {}, outside=outside) == []
    assert check_module("h.py", "from teamapp.events.wildcard import Anything\n", {}, outside=outside) == []
    assert [
        u.name for u in check_module("h.py", "from teamapp.events import Gone\n", {}, outside=outside)
    ] == ["Gone"]


def test_the_node_s_own_package_is_checked_against_the_generated_files_not_the_disk(tmp_path: Path) -> None:
    old = tmp_path / "src" / "teamapp" / "nodes" / "node_refund_effect" / "models"
    old.mkdir(parents=True)
    (old / "model_refund.py").write_text("class ModelOld: ...\n", encoding="utf-8")
    code = "from teamapp.nodes.node_refund_effect.models.model_refund import ModelRefund\n"
    files = {"models/model_refund.py": "class ModelRefund: ...\n"}
    own = frozenset({"node_refund_effect"})
    assert check_module("handlers/h.py", code, files, own, RepoModules.of(tmp_path).names) == []


def test_re_exports_that_do_not_resolve_are_dropped_and_the_rest_kept() -> None:
    init = (
        "from .handler_refund import HandlerRefund, ModelGone as Gone\n"
        "from .handler_refund import AlsoGone\n\n"
        '__all__ = ["HandlerRefund", "Gone", "AlsoGone"]\n'
    )
    files = {"handlers/__init__.py": init, "handlers/handler_refund.py": HANDLER}
    pruned = prune_unresolved(files, frozenset())
    assert pruned.files["handlers/__init__.py"] == (
        'from .handler_refund import HandlerRefund\n\n__all__ = ["HandlerRefund"]\n'
    )
    assert pruned.notes == [
        "handlers/__init__.py: dropped re-exports that do not resolve (AlsoGone, ModelGone)"
    ]


def test_an_unimported_broken_module_is_left_out_and_the_node_itself_stays() -> None:
    files = {
        "handlers/handler_refund.py": HANDLER,
        "__main__.py": "from .handlers.handler_refund import ModelDiagnosticsRequest as M\n\nprint(M)\n",
        "tests/test_cli.py": "from ..__main__ import ModelDiagnosticsRequest\n",
        "node.py": "from .handlers.handler_refund import HandlerMissing\n",
    }
    pruned = prune_unresolved(files, frozenset())
    # __main__ goes (only a test imports it), then the test, which imported it.
    assert sorted(pruned.files) == ["handlers/handler_refund.py", "node.py"]
    assert [note.split(":")[0] for note in pruned.notes] == [
        "left out __main__.py",
        "left out tests/test_cli.py",
    ]
    assert "ModelDiagnosticsRequest (handlers/handler_refund.py does not define it)" in pruned.notes[0]


def test_a_used_re_export_is_not_dropped_from_a_package_that_needs_it() -> None:
    init = "from .handler_refund import ModelGone\n\nDEFAULT = ModelGone()\n"
    files = {"handlers/__init__.py": init, "handlers/handler_refund.py": HANDLER}
    assert prune_unresolved(files, frozenset()).files["handlers/__init__.py"] == init
    assert without_names(init, {"ModelGone"}).startswith("\nDEFAULT")


def test_a_module_in_syntax_newer_than_this_python_does_not_stop_the_checks() -> None:
    # ``type X = ...`` is Python 3.12: under 3.11 ``ast`` cannot read it (libcst can). The checks
    # then claim nothing about that module, on any interpreter, instead of raising.
    newer = "from .handlers.handler_refund import HandlerRefund\n\ntype Pair = tuple[str, HandlerRefund]\n"
    files = {"handlers/handler_refund.py": HANDLER, "support.py": newer}
    assert [u.name for u in check_module("support.py", newer, files)] == []
    assert prune_unresolved(files, frozenset()).files == files
