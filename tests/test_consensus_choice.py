"""Generation picks a handler by consensus of the near nodes, not the nearest node's alone."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from nodeforge.generation.assemble import assemble
from nodeforge.generation.contract import load_contract
from nodeforge.generation.exemplar import NearExemplar
from nodeforge.generation.fanout import HandlerRef
from nodeforge.generation.similarity import Similarity
from nodeforge.learning.extract.exemplar import FEATURES_KEY, exemplar_features, exemplar_files
from nodeforge.learning.extract.miner import mine_node
from nodeforge.learning.nodes import discover
from nodeforge.model import Pattern, PatternKind
from nodeforge.storage.edge import open_embedded

CONTRACT = """\
name: node_{entity}_effect
node_type: EFFECT_GENERIC
description: Syncs {entity} records with the upstream service.
handler_routing:
  routing_strategy: operation_match
  handlers:
    - operation: sync
"""

# Three teams' nodes sync the same way: validate, call the client, wrap the answer.
TYPICAL = '''"""Sync of node_{entity}_effect."""

from __future__ import annotations

import logging

LOG = logging.getLogger(__name__)


class Handler{Entity}Sync:
    def __init__(self, client: object) -> None:
        self._client = client

    def handle(self, key: str) -> dict[str, object]:
        if not key:
            raise ValueError("a {entity} key is required")
        LOG.info("syncing %s", key)
        answer = getattr(self._client, "{verb}")(key)
        return {{"key": key, "synced": bool(answer)}}
'''

# One node does it its own way: a batch loop with a counter.
ODD = '''"""Sync of node_{entity}_effect."""

from __future__ import annotations


class Handler{Entity}Sync:
    def handle(self, keys: list[str]) -> int:
        count = 0
        for key in keys:
            while key:
                key = key[1:]
                count += 1
        return count
'''


def _write(root: Path, entity: str, handler: str, verb: str = "push") -> None:
    node = root / f"node_{entity}_effect"
    (node / "handlers").mkdir(parents=True)
    (node / "contract.yaml").write_text(CONTRACT.format(entity=entity), encoding="utf-8")
    (node / "handlers" / "__init__.py").write_text("", encoding="utf-8")
    code = handler.format(entity=entity, Entity=entity.capitalize(), verb=verb)
    (node / "handlers" / f"handler_{entity}_sync.py").write_text(code, encoding="utf-8")


def _exemplars(root: Path) -> dict[str, Pattern]:
    found = {}
    for node in discover(root):
        [exemplar] = [p for p in mine_node(node).patterns if p.kind is PatternKind.EXEMPLAR]
        found[node.name] = exemplar
    return found


def _near(exemplar: Pattern, similarity: float) -> NearExemplar:
    return NearExemplar(exemplar, Similarity(similarity, {}), similarity)


def _template(target: HandlerRef) -> str:
    return f"class {target.class_name}:\n    pass\n"


def test_the_typical_handler_beats_the_nearest_nodes_odd_one(tmp_path: Path) -> None:
    nodes = tmp_path / "nodes"
    _write(nodes, "odd", ODD)
    for entity, verb in (("parcel", "push"), ("invoice", "send"), ("ticket", "post")):
        _write(nodes, entity, TYPICAL, verb)
    exemplars = _exemplars(nodes)
    new = tmp_path / "new" / "contract.yaml"
    new.parent.mkdir()
    new.write_text(CONTRACT.format(entity="gizmo"), encoding="utf-8")
    contract = load_contract(new)
    nearest_first = [_near(exemplars["node_odd_effect"], 0.6)] + [
        _near(exemplars[f"node_{e}_effect"], 0.5) for e in ("parcel", "invoice", "ticket")
    ]
    with open_embedded(tmp_path / "store") as store:
        built = assemble(contract, nearest_first, store, _template)
        assert built is not None
        handler = built.files["handlers/handler_gizmo_sync.py"]
        assert "class HandlerGizmoSync:" in handler
        assert 'raise ValueError("a gizmo key is required")' in handler
        assert "node_odd_effect" not in built.handlers["sync"]
        # Far nearer, the odd node's own handler is still the better bet.
        far_nearer = [_near(exemplars["node_odd_effect"], 1.0)] + [
            _near(exemplars[f"node_{e}_effect"], 0.0) for e in ("parcel", "invoice", "ticket")
        ]
        built = assemble(contract, far_nearer, store, _template)
        assert built is not None
        assert "node_odd_effect" in built.handlers["sync"]
        assert "count += 1" in built.files["handlers/handler_gizmo_sync.py"]


def test_an_exemplar_without_a_handler_to_route_gives_way_to_the_next(tmp_path: Path) -> None:
    nodes = tmp_path / "nodes"
    _write(nodes, "parcel", TYPICAL)
    _write(nodes, "plain", ODD)
    exemplars = _exemplars(nodes)
    # As a node whose contract declares its handlers where no handler module is: nothing to route.
    plain = exemplars["node_plain_effect"]
    features = dataclasses.replace(exemplar_features(plain), handlers=())
    exemplars["node_plain_effect"] = dataclasses.replace(
        plain, extra={**plain.extra, FEATURES_KEY: features.to_json()}
    )
    new = tmp_path / "new" / "contract.yaml"
    new.parent.mkdir()
    new.write_text(CONTRACT.format(entity="gizmo"), encoding="utf-8")
    with open_embedded(tmp_path / "store") as store:
        built = assemble(
            load_contract(new),
            [_near(exemplars["node_plain_effect"], 0.9), _near(exemplars["node_parcel_effect"], 0.5)],
            store,
            _template,
        )
    assert built is not None
    assert built.exemplar.pattern.provenance.node_name == "node_parcel_effect"
    assert 'raise ValueError("a gizmo key is required")' in built.files["handlers/handler_gizmo_sync.py"]


def _parcel_exemplar_files(root: Path, contract_tail: str, models: dict[str, str]) -> dict[str, str]:
    """The exemplar of node_parcel_effect with ``contract_tail`` added to its contract and these
    files in its ``models/``: its files, generalized."""
    _write(root, "parcel", TYPICAL)
    node = root / "node_parcel_effect"
    contract = node / "contract.yaml"
    contract.write_text(contract.read_text(encoding="utf-8") + contract_tail, encoding="utf-8")
    (node / "models").mkdir()
    for name, code in models.items():
        (node / "models" / name).write_text(code, encoding="utf-8")
    [exemplar] = _exemplars(root).values()
    return exemplar_files(exemplar)


def test_a_contract_naming_the_models_package_keeps_the_models_folder(tmp_path: Path) -> None:
    files = _parcel_exemplar_files(
        tmp_path,
        "output_model:\n  name: ModelParcelResult\n  module: team.nodes.node_parcel_effect.models\n",
        {
            "__init__.py": "from .model_parcel_result import ModelParcelResult\n",
            "model_parcel_result.py": "class ModelParcelResult:\n    synced: bool = False\n",
        },
    )
    assert "models/__init__.py" in files and "models/model___entity___result.py" in files
    assert "from .model___entity___result import" in files["models/__init__.py"]


def test_a_model_named_without_its_module_is_generalized_with_its_file(tmp_path: Path) -> None:
    files = _parcel_exemplar_files(
        tmp_path,
        'input_model: "ModelParcelRequest"\n',
        {"model_parcel_request.py": "class ModelParcelRequest:\n    key: str = ''\n"},
    )
    # As a {name, module} model is: the class and its file take the conventional generalized names.
    assert "class Model__Entity__Input:" in files["models/model___entity___input.py"]
