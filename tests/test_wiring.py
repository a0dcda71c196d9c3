"""The node's own test of its contract, and declared models made importable where the contract says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nodeforge.generation.contract import Contract, parse_contract
from nodeforge.generation.modmerge import merge_modules
from nodeforge.generation.placement import handler_moves, node_folder
from nodeforge.generation.render import environment
from nodeforge.generation.wiring import Reference, declared_references, wiring_test, with_declared_exports

CONTRACT = """\
name: node_parcel_effect
node_type: EFFECT_GENERIC
input_model:
  name: ModelParcelQuery
  module: teamapp.nodes.node_parcel_effect.models
output_model:
  name: ModelAuditRecord
  module: teamkit.models.model_audit
handler_routing:
  handlers:
    - operation: track
      handler:
        name: HandlerParcelTrack
        module: teamapp.nodes.node_parcel_effect.handlers.handler_parcel_track
    - operation: store
      handler:
        name: AdapterParcelStore
        module: teamapp.nodes.node_parcel_effect.adapters.adapter_parcel_store
"""

FILES = {
    "handlers/handler_parcel_track.py": "class HandlerParcelTrack:\n    pass\n",
    "adapters/adapter_parcel_store.py": "class AdapterParcelStore:\n    pass\n",
    "models/__init__.py": '"""Models."""\n',
    "models/model_parcel_query.py": "class ModelParcelQuery:\n    pass\n",
}


def _contract(text: str = CONTRACT) -> tuple[Contract, str]:
    contract = parse_contract(text)
    return contract, node_folder(contract, contract.names)


def test_the_references_are_where_the_contract_says_handlers_moved_models_shared_or_own() -> None:
    contract, folder = _contract()
    moves = handler_moves(contract, contract.names)
    assert declared_references(contract, FILES, folder, moves) == [
        Reference("..handlers.handler_parcel_track", "HandlerParcelTrack"),
        Reference("..adapters.adapter_parcel_store", "AdapterParcelStore"),
        Reference("..models", "ModelParcelQuery"),
        Reference("teamkit.models.model_audit", "ModelAuditRecord"),
    ]


def test_a_model_the_contract_names_without_a_module_is_found_where_it_is_defined() -> None:
    contract, folder = _contract(CONTRACT.replace("  module: teamapp.nodes.node_parcel_effect.models\n", ""))
    refs = declared_references(contract, FILES, folder, {})
    assert Reference("..models.model_parcel_query", "ModelParcelQuery") in refs


def test_a_declared_model_written_elsewhere_is_re_exported_from_the_module_the_contract_names() -> None:
    contract, folder = _contract()
    exported = with_declared_exports(contract, FILES, folder)
    export = "from ..models.model_parcel_query import ModelParcelQuery\n"
    assert exported["models/__init__.py"].endswith(export)
    assert {rel: text for rel, text in exported.items() if rel != "models/__init__.py"} == {
        rel: text for rel, text in FILES.items() if rel != "models/__init__.py"
    }
    assert with_declared_exports(contract, exported, folder) == exported  # once only


def test_a_model_the_contract_keeps_in_a_handler_module_is_exported_by_it() -> None:
    contract, folder = _contract(
        CONTRACT.replace(
            "module: teamapp.nodes.node_parcel_effect.models\n",
            "module: teamapp.nodes.node_parcel_effect.handlers.handler_parcel_track\n",
        )
    )
    exported = with_declared_exports(contract, FILES, folder)
    handler = exported["handlers/handler_parcel_track.py"]
    assert handler.startswith("from ..models.model_parcel_query import ModelParcelQuery\n")


def test_a_handler_the_contract_keeps_in_the_node_package_is_exported_by_its_init() -> None:
    # omnimarket's node_persona_retrieval_effect: `handler: {module: <the node's package>, class: ...}`.
    contract, folder = _contract(
        CONTRACT + "handler:\n  module: teamapp.nodes.node_parcel_effect\n  class: NodeParcelEffect\n"
    )
    files = {
        **FILES,
        "__init__.py": '"""The parcel node."""\n',
        "handlers/node_parcel_effect.py": "class NodeParcelEffect:\n    pass\n",
    }
    exported = with_declared_exports(contract, files, folder)
    assert exported["__init__.py"].endswith("from .handlers.node_parcel_effect import NodeParcelEffect\n")
    assert with_declared_exports(contract, exported, folder) == exported  # once only


def _run(tmp_path: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    contract, folder = _contract()
    moves = handler_moves(contract, contract.names)
    placed = with_declared_exports(contract, files, folder)
    test = wiring_test(contract, placed, folder, moves, environment(), "# header")
    assert test is not None
    node = tmp_path / "teamapp" / "nodes" / folder
    kit = tmp_path / "teamkit" / "models"
    for package in (node.parents[1], node.parent, node, node / "tests", kit.parent, kit):
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text("", encoding="utf-8")
    (kit / "model_audit.py").write_text("class ModelAuditRecord:\n    pass\n", encoding="utf-8")
    for rel, text in {**placed, "tests/test_contract_wiring.py": test}.items():
        (node / rel).parent.mkdir(parents=True, exist_ok=True)
        (node / rel).write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(node / "tests")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_the_wiring_test_passes_on_a_node_that_keeps_its_contract(tmp_path: Path) -> None:
    result = _run(tmp_path, FILES)
    assert result.returncode == 0 and "4 passed" in result.stdout, result.stdout + result.stderr


def test_the_wiring_test_fails_and_names_a_class_the_contract_promises_and_the_node_lacks(
    tmp_path: Path,
) -> None:
    renamed = {**FILES, "adapters/adapter_parcel_store.py": "class AdapterStore:\n    pass\n"}
    result = _run(tmp_path, renamed)
    assert result.returncode == 1 and "1 failed, 3 passed" in result.stdout, result.stdout
    assert "..adapters.adapter_parcel_store does not define the class AdapterParcelStore" in result.stdout


def test_a_contract_that_names_nothing_gets_no_wiring_test() -> None:
    contract, folder = _contract("name: node_empty_compute\nnode_type: COMPUTE_GENERIC\n")
    assert wiring_test(contract, {}, folder, {}, environment(), "# header") is None


def test_an_import_merged_into_a_module_without_imports_goes_before_its_code() -> None:
    merged = merge_modules('"""Doc."""\n\nX = 1\n', "import os\n")
    assert merged == '"""Doc."""\nimport os\n\nX = 1\n'
    assert merge_modules("X = 1\n", "import os\n") == "import os\nX = 1\n"
