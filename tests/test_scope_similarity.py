"""The scope check of generated nodes, contract similarity and routing an exemplar's files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from nodeforge.generation.contract import parse_contract
from nodeforge.generation.fanout import HandlerRef, absolute_model_imports, fan_out, imports_name
from nodeforge.generation.features import features_of_contract
from nodeforge.generation.scope import check_module, check_node
from nodeforge.generation.similarity import compare
from nodeforge.generation.support import add_definition, support_for

HANDLER = """\
from __future__ import annotations

from ..models.model_x import ModelXInput


class HandlerXCreate:
    async def handle(self, request: ModelXInput) -> dict[str, object]:
        return {"key": request.key, "n": len(request.key)}
"""


def test_a_fragment_referencing_an_undefined_name_is_rejected() -> None:
    files = {"models/model_x.py": "class ModelXInput:\n    key: str\n"}
    broken = HANDLER.replace('"n": len(request.key)', '"n": with_retry(request.key)')
    [missing] = check_module("handlers/h.py", broken, {**files, "handlers/h.py": broken})
    assert (missing.name, missing.why) == ("with_retry", "undefined")


def test_a_resolvable_fragment_is_kept_and_sibling_imports_must_exist() -> None:
    files = {"models/model_x.py": "class ModelXInput:\n    key: str\n", "handlers/h.py": HANDLER}
    assert check_node(files) == []
    without_model = {"models/model_x.py": "class Other:\n    pass\n", "handlers/h.py": HANDLER}
    [missing] = check_node(without_model)
    assert missing.name == "ModelXInput" and "does not define it" in missing.why
    assert check_node({"handlers/h.py": HANDLER})[0].why == "no module models/model_x in the node"


def _features(text: str, tmp_path: Path, name: str) -> object:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return features_of_contract(parse_contract(text, source=path))


def test_similarity_ranks_by_facets(tmp_path: Path) -> None:
    base = "node_type: EFFECT_GENERIC\nhandler_routing:\n  handlers:\n"
    a = _features(
        "name: node_a_effect\n" + base + "    - operation: create\n    - operation: get\n", tmp_path, "a"
    )
    b = _features(
        "name: node_b_effect\n" + base + "    - operation: create\n    - operation: get\n", tmp_path, "b"
    )
    c = _features("name: node_c_effect\n" + base + "    - operation: purge\n", tmp_path, "c")
    d = _features(
        "name: node_d_compute\nnode_type: COMPUTE_GENERIC\nhandler_routing:\n  handlers:\n"
        "    - operation: create\n    - operation: get\n",
        tmp_path,
        "d",
    )
    assert compare(a, b).score == 1.0  # type: ignore[arg-type]
    assert compare(a, c).score < compare(a, b).score  # type: ignore[arg-type]
    assert compare(a, d).score < compare(a, b).score  # type: ignore[arg-type]
    assert compare(a, c).score == compare(c, a).score  # type: ignore[arg-type]
    assert compare(a, d).facets["node_type"] == 0.0  # type: ignore[arg-type]


REGISTRY = """\
from .handlers.handler___entity___create import Handler__Entity__Create
from .handlers.handler___entity___get import Handler__Entity__Get

HANDLERS = {
    "create": Handler__Entity__Create(container),
    "get": Handler__Entity__Get(container),
}
"""


def test_fan_out_routes_the_exemplar_to_the_new_handlers() -> None:
    create = HandlerRef("create", "Handler__Entity__Create", "handler___entity___create")
    get = HandlerRef("get", "Handler__Entity__Get", "handler___entity___get")
    plan = {
        create: [
            HandlerRef("add", "HandlerOrderAdd", "handler_order_add"),
            HandlerRef("put", "HandlerOrderPut", "handler_order_put"),
        ],
        get: [],
    }
    routed = fan_out(REGISTRY, plan)
    assert "from .handlers.handler_order_add import HandlerOrderAdd\n" in routed
    assert "from .handlers.handler_order_put import HandlerOrderPut\n" in routed
    assert '    "add": HandlerOrderAdd(container),\n    "put": HandlerOrderPut(container),\n' in routed
    assert "Get" not in routed and "create" not in routed
    compile(routed, "registry.py", "exec")


def test_models_in_a_shared_package_are_imported_from_it() -> None:
    code = "from ..models.model_order import ModelOrderInput\nfrom ..support import key\n"
    moved = absolute_model_imports("handlers/h.py", code, {"models/model_order.py": "kit.models.model_order"})
    assert moved == "from kit.models.model_order import ModelOrderInput\nfrom ..support import key\n"


def test_a_handler_named_inside_a_larger_statement_is_renamed_too() -> None:
    create = HandlerRef("create", "Handler__Entity__Create", "handler___entity___create")
    code = "from .handlers.handler___entity___create import Handler__Entity__Create\n\n\n" + (
        "class Node__Entity__Compute(Handler__Entity__Create):\n    pass\n"
    )
    routed = fan_out(code, {create: [HandlerRef("classify", "HandlerTicketClassify", "handler_ticket")]})
    assert "class Node__Entity__Compute(HandlerTicketClassify):" in routed
    assert "from .handlers.handler_ticket import HandlerTicketClassify" in routed


def test_support_for_adds_a_missing_module_and_a_missing_definition() -> None:
    code = "from ..support import key, window\nfrom ..extra import LIMIT\n"
    files = {"support.py": "def key(k: str) -> str:\n    return k\n"}
    support = {
        "support.py": "import math\n\n\ndef window() -> float:\n    return math.pi\n",
        "extra.py": "LIMIT = 3\n",
    }
    added = support_for("handlers/h.py", code, files, support)
    assert added is not None and added["extra.py"] == "LIMIT = 3\n"
    assert "def key(" in added["support.py"] and "def window(" in added["support.py"]
    assert "import math" in added["support.py"]
    assert support_for("handlers/h.py", "from ..nowhere import x\n", files, support) is None


def test_an_absolute_import_through_the_node_s_own_package_must_resolve_in_the_node() -> None:
    own = frozenset({"node_parcel_effect"})
    code = "from teamapp.nodes.node_parcel_effect.models.model_parcel import ModelParcel\n\nX = ModelParcel\n"
    missing = check_module("handlers/h.py", code, {}, own)
    assert [(u.name, u.module) for u in missing] == [("ModelParcel", "models/model_parcel.py")]
    assert (
        check_module("handlers/h.py", code, {"models/model_parcel.py": "class ModelParcel: ...\n"}, own) == []
    )
    # Another node's package is outside what is generated: the environment decides.
    assert check_module("handlers/h.py", code.replace("parcel_effect", "other_effect"), {}, own) == []
    # The support a borrowed handler's node had comes along for an absolute own import too.
    support = {"models/model_parcel.py": "class ModelParcel: ...\n"}
    assert support_for("handlers/h.py", code, {}, support, own) == support


def test_a_handler_that_lacks_what_the_node_s_other_modules_import_from_it_is_seen() -> None:
    from nodeforge.generation.assemble import _broken_importers

    files = {"__main__.py": "from .handlers.handler_a import Request\n\nREQUEST = Request\n"}
    lacking = {**files, "handlers/handler_a.py": "class Other:\n    pass\n"}
    assert [u.name for u in _broken_importers("handlers/handler_a.py", files, lacking, frozenset())] == [
        "Request"
    ]
    giving = {**files, "handlers/handler_a.py": "class Request:\n    pass\n"}
    assert _broken_importers("handlers/handler_a.py", files, giving, frozenset()) == []


def test_a_name_imported_from_a_package_comes_along_with_its_re_export() -> None:
    own = frozenset({"node_parcel_effect"})
    code = "from teamapp.nodes.node_parcel_effect.models import EnumParcelStatus, ModelParcel\n"
    support = {
        "models/__init__.py": "from .model_parcel import ModelParcel\n",
        "models/model_parcel.py": (
            "from .enum_parcel_status import EnumParcelStatus\n\n\nclass ModelParcel: ...\n"
        ),
        "models/enum_parcel_status.py": "import enum\n\n\nclass EnumParcelStatus(enum.Enum):\n    OK = 1\n",
    }
    # The node has its own models package, which exports neither name.
    files = {
        "models/__init__.py": "from .model_own import ModelOwn\n",
        "models/model_own.py": "class ModelOwn: ...\n",
    }
    added = support_for("handlers/h.py", code, files, support, own)
    assert added is not None
    init = added["models/__init__.py"]
    assert init.startswith("from .model_own import ModelOwn\n")  # the node's own exports stay
    assert (
        "from .enum_parcel_status import EnumParcelStatus" in init
        and "from .model_parcel import ModelParcel" in init
    )
    # What the brought model itself imports comes along too.
    assert set(added) == {"models/__init__.py", "models/model_parcel.py", "models/enum_parcel_status.py"}
    assert check_module("handlers/h.py", code, {**files, **added}, own) == []
    # Without any models package in the node, one is made.
    made = support_for("handlers/h.py", code, {}, support, own)
    assert made is not None and check_module("handlers/h.py", code, made, own) == []
    assert (
        support_for("handlers/h.py", code.replace("ModelParcel", "ModelNowhere"), files, support, own) is None
    )


def test_a_module_brought_for_several_names_comes_once() -> None:
    code = "from ..models.model_result import ModelResult, ModelSegment, LIMIT\n"
    source = "LIMIT = 3\n\n\nclass ModelSegment: ...\n\n\nclass ModelResult: ...\n"
    added = support_for("handlers/h.py", code, {}, {"models/model_result.py": source})
    assert added == {"models/model_result.py": source}


def test_a_definition_comes_with_the_module_level_names_it_uses_in_their_order() -> None:
    existing = "from enum import StrEnum\n\n\nclass ModelState: ...\n"
    source = (
        "from enum import StrEnum\n\n\n"
        "class EnumPhase(StrEnum):\n    INIT = 'init'\n    DONE = 'done'\n\n\n"
        "ORDER = (EnumPhase.INIT, EnumPhase.DONE)\n"
        "TERMINAL = frozenset({ORDER[-1]})\n\n\n"
        "class ModelState: ...\n"
    )
    added = add_definition(existing, source, "TERMINAL")
    assert added is not None
    assert added.index("class EnumPhase") < added.index("ORDER =") < added.index("TERMINAL =")
    assert added.count("class ModelState") == 1  # what the module had stays, once
    namespace: dict[str, object] = {}
    exec(compile(added, "<added>", "exec"), namespace)  # it runs: nothing used before it is defined
    assert "TERMINAL" in namespace


def test_a_package_init_re_export_breaks_nothing_a_main_module_does() -> None:
    from nodeforge.generation.assemble import _broken_importers

    files = {
        "__init__.py": "from .handlers.handler_a import Request\n",
        "__main__.py": "from .handlers.handler_a import Request\n\nREQUEST = Request\n",
    }
    lacking = {**files, "handlers/handler_a.py": "class Other:\n    pass\n"}
    broken = _broken_importers("handlers/handler_a.py", files, lacking, frozenset())
    assert [u.path for u in broken] == ["__main__.py"]  # the re-export is pruned, the entry point is not


def test_a_test_imports_a_handler_on_one_line_or_in_a_formatted_block() -> None:
    one = "from pkg.handlers.h import HandlerX\n"
    block = "from pkg.handlers.h import (\n    HandlerX,\n    HandlerY,\n)\n"
    assert imports_name(one, "HandlerX") and imports_name(block, "HandlerX")
    assert not imports_name("import pkg\n\nHandlerX = 1\n", "HandlerX")
    assert imports_name("from x import HandlerX as H\n", "HandlerX")


def test_contracts_of_one_family_are_nearer_by_their_words(tmp_path: Path) -> None:
    base = "node_type: EFFECT_GENERIC\nhandler_routing:\n  handlers:\n    - operation: run\n"
    sweep = "merge_sweep:\n  max_prs: 10\n  auto_merge: true\n"
    new = parse_contract("name: node_alpha_effect\n" + base + sweep, source=tmp_path / "n.yaml")
    sibling = parse_contract("name: node_beta_effect\n" + base + sweep, source=tmp_path / "s.yaml")
    other = parse_contract(
        "name: node_gamma_effect\n" + base + "ledger:\n  hash: sha256\n", source=tmp_path / "o.yaml"
    )
    mine, theirs, far = (features_of_contract(c) for c in (new, sibling, other))
    assert {"merge", "sweep", "max", "prs", "auto"} <= set(mine.words) and "alpha" not in mine.words
    near, away = compare(mine, theirs), compare(mine, far)
    assert near.facets["words"] == 1.0 and away.facets["words"] < 0.6
    assert near.score > away.score
    # An exemplar learned before words were kept is compared on the other facets alone.
    assert "words" not in compare(mine, dataclasses.replace(theirs, words=())).facets
