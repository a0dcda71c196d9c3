"""Mapping test files to the nodes they test: location, static imports, names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nodeforge.learning.nodes import NodeSource, discover
from nodeforge.learning.testmap import ImportRef, NodeMapper, TestFileLocator, module_imports


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_directory_node(parent: Path, name: str = "node_user_effect", *, package: bool = False) -> Path:
    node = parent / name
    write(node / "node.py", "class NodeUserEffect:\n    pass\n")
    write(node / "contract.yaml", "name: user\nnode_type: EFFECT_GENERIC\n")
    write(node / "handlers" / "handler_user_create.py", "class HandlerUserCreate:\n    pass\n")
    if package:
        write(node / "__init__.py")
        write(node / "handlers" / "__init__.py")
    return node


def keys(nodes: list[NodeSource]) -> list[str]:
    return [node.key for node in nodes]


def test_module_imports_sees_every_form() -> None:
    source = (
        "import a.b.c, d as e\n"
        "from f.g import h, i as j\n"
        "from . import k\n"
        "from ..l.m import *\n"
        "def test_x():\n"
        "    from n import o\n"
    )
    assert module_imports(source) == [
        ImportRef("a.b.c", (), 0),
        ImportRef("d", (), 0),
        ImportRef("f.g", ("h", "i"), 0),
        ImportRef("", ("k",), 1),
        ImportRef("l.m", ("*",), 2),
        ImportRef("n", ("o",), 0),
    ]


def test_module_imports_reads_syntax_newer_than_the_running_python() -> None:
    # PEP 695 (Python 3.12): the stdlib parser of 3.11 refuses it, libcst reads it.
    source = (
        "from pkg.models import Model\n\n\n"
        "def first[T](items: list[T]) -> T:\n    import os\n    return items[0]\n"
    )
    assert module_imports(source) == [ImportRef("pkg.models", ("Model",), 0), ImportRef("os", (), 0)]


def test_test_inside_a_node_directory_belongs_to_it(repo: Path) -> None:
    make_directory_node(repo)
    test = write(repo / "node_user_effect" / "tests" / "test_node.py", "import json\n")
    assert keys(NodeMapper(repo, discover(repo)).nodes_for_test_file(test)) == ["node_user_effect"]


@pytest.mark.parametrize(
    "import_line",
    [
        "from node_user_effect.handlers.handler_user_create import HandlerUserCreate",
        "from node_user_effect.handlers import handler_user_create",
        "import node_user_effect.node",
        "import node_user_effect",
        "from node_user_effect.node import NodeUserEffect as N",
    ],
)
def test_absolute_imports_from_the_repo_root(repo: Path, import_line: str) -> None:
    make_directory_node(repo)
    make_directory_node(repo, "node_order_compute")
    test = write(repo / "tests" / "test_user.py", f"import json\n{import_line}\n\ndef test_x():\n    pass\n")
    assert keys(NodeMapper(repo, discover(repo)).nodes_for_test_file(test)) == ["node_user_effect"]


def test_src_layout_and_several_nodes(repo: Path) -> None:
    nodes_dir = repo / "src" / "pkg" / "nodes"
    write(repo / "src" / "pkg" / "__init__.py")
    write(nodes_dir / "__init__.py")
    make_directory_node(nodes_dir, package=True)
    make_directory_node(nodes_dir, "node_order_compute", package=True)
    test = write(
        repo / "tests" / "test_both.py",
        "from pkg.nodes.node_user_effect.handlers.handler_user_create import HandlerUserCreate\n"
        "from pkg.nodes import node_order_compute\n",
    )
    assert keys(NodeMapper(repo, discover(repo)).nodes_for_test_file(test)) == [
        "src/pkg/nodes/node_order_compute",
        "src/pkg/nodes/node_user_effect",
    ]


def test_relative_import_from_the_test_package(repo: Path) -> None:
    pkg = repo / "pkg"
    write(pkg / "__init__.py")
    make_directory_node(pkg, package=True)
    write(pkg / "tests" / "__init__.py")
    test = write(
        pkg / "tests" / "test_rel.py", "from ..node_user_effect.handlers import handler_user_create\n"
    )
    unrelated = write(pkg / "tests" / "test_helper.py", "from . import helpers\n")
    write(pkg / "tests" / "helpers.py")
    mapper = NodeMapper(repo, discover(repo))
    assert keys(mapper.nodes_for_test_file(test)) == ["pkg/node_user_effect"]
    assert mapper.nodes_for_test_file(unrelated) == []


def test_module_node_is_found_by_its_file(repo: Path) -> None:
    write(repo / "services" / "__init__.py")
    write(repo / "services" / "user_effect.py", "class NodeUserEffect(NodeEffect):\n    pass\n")
    test = write(repo / "tests" / "test_service.py", "from services.user_effect import NodeUserEffect\n")
    assert keys(NodeMapper(repo, discover(repo)).nodes_for_test_file(test)) == ["services/user_effect.py"]


def test_unrelated_and_broken_test_files_map_to_nothing(repo: Path) -> None:
    make_directory_node(repo)
    nodes = discover(repo)
    plain = write(repo / "tests" / "test_plain.py", "import os\nfrom json import loads\n")
    broken = write(repo / "tests" / "test_broken.py", "from node_user_effect import (\n")
    not_python = write(repo / "tests" / "data.txt", "import node_user_effect\n")
    for path in (plain, broken, not_python):
        assert NodeMapper(repo, nodes).nodes_for_test_file(path) == []


def test_parse_results_are_cached_until_the_file_changes(repo: Path) -> None:
    make_directory_node(repo)
    test = write(repo / "tests" / "test_user.py", "import json\n")
    mapper = NodeMapper(repo, discover(repo))
    first = mapper.imported_files(test)
    assert mapper.imported_files(test) is first  # no second parse
    write(test, "import node_user_effect.node\n")
    os.utime(test, ns=(1, 1))  # a different mtime even on coarse clocks
    assert mapper.imported_files(test) == {(repo / "node_user_effect" / "node.py").resolve()}


def test_nodes_named_by_key_or_name(repo: Path) -> None:
    make_directory_node(repo / "a")
    make_directory_node(repo / "b")
    mapper = NodeMapper(repo, discover(repo))
    assert keys(mapper.nodes_named("a/node_user_effect")) == ["a/node_user_effect"]
    assert keys(mapper.nodes_named("node_user_effect")) == ["a/node_user_effect", "b/node_user_effect"]
    assert mapper.nodes_named("node_nothing_effect") == []


def test_locator_finds_files_by_classname_file_or_suffix(repo: Path) -> None:
    test = write(repo / "pkg" / "tests" / "test_user.py")
    locator = TestFileLocator(repo.resolve())
    assert locator.locate(None, "pkg.tests.test_user.TestUser") == test.resolve()
    assert locator.locate("pkg/tests/test_user.py", "whatever") == test.resolve()
    assert locator.locate(None, "tests.test_user") == test.resolve()  # rootdir was pkg/
    assert locator.locate(None, "nothing.here") is None
