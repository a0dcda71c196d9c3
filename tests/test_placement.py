"""A generated node goes where its own contract's module paths say, and exemplar code follows it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nodeforge.cli.main import main
from nodeforge.generation.contract import load_contract
from nodeforge.generation.exemplar import shared_model_paths
from nodeforge.generation.placement import handler_moves, node_folder, point_at_folder
from tests.test_generate import BASE

PLACED = """\
name: parcel_tracking
node_type: COMPUTE_GENERIC
description: Tracks parcels.
input_model:
  name: ModelParcelQuery
  module: teamapp.nodes.node_parcel_tracking.models.model_parcel_query
output_model:
  name: ModelAuditRecord
  module: teamkit.models.model_audit
handler_routing:
  routing_strategy: operation_match
  handlers:
    - operation: track
      handler:
        name: HandlerParcelTrack
        module: teamapp.nodes.node_parcel_tracking.handlers.handler_parcel_track
"""


def test_the_folder_is_the_one_the_contract_s_modules_name(tmp_path: Path) -> None:
    contract = load_contract(_write(tmp_path, PLACED))
    # Not the derived node_parcel_tracking_compute; the shared package (teamkit.models) says nothing.
    assert node_folder(contract, contract.names) == "node_parcel_tracking"
    bare = load_contract(_write(tmp_path, PLACED.split("input_model:", maxsplit=1)[0]))
    assert node_folder(bare, bare.names) == "node_parcel_tracking_compute"


def test_exemplar_code_is_pointed_at_the_folder(tmp_path: Path) -> None:
    contract = load_contract(_write(tmp_path, PLACED))
    files = {
        "handlers/h.py": "from teamapp.nodes.node_parcel_tracking_compute.models.m import M\n",
        "metadata.yaml": "entry: teamapp.nodes.node_parcel_tracking_compute\n"
        "keep: node_parcel_tracking_computer\n",
    }
    pointed = point_at_folder(files, contract.names, "node_parcel_tracking")
    assert pointed["handlers/h.py"] == "from teamapp.nodes.node_parcel_tracking.models.m import M\n"
    # A longer word that merely starts like the package is left alone.
    assert (
        pointed["metadata.yaml"]
        == "entry: teamapp.nodes.node_parcel_tracking\nkeep: node_parcel_tracking_computer\n"
    )


def _write(folder: Path, text: str) -> Path:
    path = folder / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_model_in_the_contract_s_folder_is_the_node_s_own_not_shared(tmp_path: Path) -> None:
    contract = load_contract(_write(tmp_path, PLACED))
    # The input model lives in node_parcel_tracking (no type suffix): generated in the node.
    assert shared_model_paths(contract) == {"models/model_audit.py": "teamkit.models.model_audit"}


MOVED = PLACED.replace(
    "teamapp.nodes.node_parcel_tracking.handlers.handler_parcel_track",
    "teamapp.nodes.node_parcel_tracking.adapters.adapter_parcel_store",
) + (
    "    - operation: audit\n"
    "      handler:\n"
    "        name: HandlerParcelAudit\n"
    "        module: teamapp.nodes.node_parcel_tracking.handler_parcel_audit\n"
)


def test_handler_modules_the_contract_keeps_outside_handlers_are_moved(tmp_path: Path) -> None:
    contract = load_contract(_write(tmp_path, MOVED))
    assert handler_moves(contract, contract.names) == {
        "handlers/adapter_parcel_store.py": "adapters/adapter_parcel_store.py",
        "handlers/handler_parcel_audit.py": "handler_parcel_audit.py",
    }
    assert handler_moves(load_contract(_write(tmp_path, PLACED)), contract.names) == {}


def test_a_generated_node_with_moved_handlers_imports_and_passes_its_tests(repo: Path) -> None:
    contract = repo / "parcel.yaml"
    contract.write_text(MOVED, encoding="utf-8")
    out = repo / "src" / "teamapp" / "nodes"
    out.mkdir(parents=True)
    for package in (repo / "src" / "teamapp", out):
        (package / "__init__.py").write_text("", encoding="utf-8")
    (repo / "src" / "basekit.py").write_text(BASE, encoding="utf-8")
    # The shared package the contract keeps its output model in (the node's wiring test imports it).
    kit = repo / "src" / "teamkit" / "models"
    kit.mkdir(parents=True)
    for package in (kit.parent, kit):
        (package / "__init__.py").write_text("", encoding="utf-8")
    (kit / "model_audit.py").write_text("class ModelAuditRecord:\n    pass\n", encoding="utf-8")
    (repo / "pyproject.toml").write_text('[tool.nodeforge]\nbase_module = "basekit"\n', encoding="utf-8")
    argv = ["generate", str(contract), "--repo", str(repo), "--out", str(out), "--no-learning", "--no-verify"]
    assert main(argv) == 0
    node = out / "node_parcel_tracking"
    assert (node / "adapters" / "adapter_parcel_store.py").is_file() and (
        node / "adapters" / "__init__.py"
    ).is_file()
    assert (node / "handler_parcel_audit.py").is_file()
    assert not (node / "handlers" / "adapter_parcel_store.py").exists()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(node)],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo / "src")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    imported = subprocess.run(
        [sys.executable, "-c", "import teamapp.nodes.node_parcel_tracking.node"],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo / "src")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
