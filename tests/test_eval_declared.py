"""The eval's "every declared handler generated" score: by class and by the module the contract names."""

from __future__ import annotations

from pathlib import Path

from nodeforge.cli.evaluation.declared import declared_file, declared_handlers
from nodeforge.generation.contract import load_contract

CONTRACT = """\
name: node_parcel_effect
node_type: EFFECT_GENERIC
description: Ships parcels and tracks them.
handler_routing:
  routing_strategy: operation_match
  handlers:
    - operation: ship
      handler:
        name: HandlerParcelShip
        module: teamapp.nodes.node_parcel_effect.handlers.handler_parcel_ship
    - operation: track
      handler:
        name: HandlerParcelTrack
        module: teamapp.nodes.node_parcel_effect.handlers.handler_parcel_track
    - operation: audit
      handler:
        name: HandlerAudit
        module: teamkit.handlers.handler_audit
"""


def test_a_handler_counts_only_in_the_module_the_contract_names(tmp_path: Path) -> None:
    contract_path = tmp_path / "contract.yaml"
    contract_path.write_text(CONTRACT, encoding="utf-8")
    contract = load_contract(contract_path)
    node = tmp_path / "candidate"
    (node / "handlers").mkdir(parents=True)
    (node / "handlers" / "handler_parcel_ship.py").write_text("class HandlerParcelShip:\n    pass\n", "utf-8")
    # Defined, but in another module than the contract's: not the handler the contract routes to.
    (node / "handlers" / "handler_other.py").write_text("class HandlerParcelTrack:\n    pass\n", "utf-8")
    found = declared_handlers(contract, "node_parcel_effect", node)
    assert found is not None
    # The shared package's handler is not the node's to generate.
    assert (found.generated, found.declared, found.complete) == (1, 2, False)
    assert found.missing == ("HandlerParcelTrack (handlers/handler_parcel_track.py)",)
    (node / "handlers" / "handler_parcel_track.py").write_text(
        "class HandlerParcelTrack:\n    pass\n", "utf-8"
    )
    complete = declared_handlers(contract, "node_parcel_effect", node)
    assert complete is not None and complete.complete


def test_a_module_path_maps_to_the_node_file_or_nothing() -> None:
    assert declared_file("pkg.nodes.node_a.handlers.handler_b", "node_a") == "handlers/handler_b.py"
    assert declared_file("pkg.nodes.node_a", "node_a") == "__init__.py"
    assert declared_file("pkg.shared.handler_b", "node_a") is None
    assert declared_file(None, "node_a") is None


def test_a_package_that_re_exports_the_declared_class_has_it(tmp_path: Path) -> None:
    contract_path = tmp_path / "contract.yaml"
    text = CONTRACT.replace(
        "teamapp.nodes.node_parcel_effect.handlers.handler_parcel_track", "teamapp.nodes.node_parcel_effect"
    )
    contract_path.write_text(text, encoding="utf-8")
    node = tmp_path / "candidate"
    (node / "handlers").mkdir(parents=True)
    (node / "handlers" / "handler_parcel_ship.py").write_text("class HandlerParcelShip:\n    pass\n", "utf-8")
    (node / "node.py").write_text("class HandlerParcelTrack:\n    pass\n", "utf-8")
    (node / "__init__.py").write_text("from .node import HandlerParcelTrack\n", "utf-8")
    found = declared_handlers(load_contract(contract_path), "node_parcel_effect", node)
    assert found is not None and found.complete
