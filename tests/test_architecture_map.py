"""``docs/architecture.md`` maps every module, once, in the layer ``tests/test_layers.py`` gives it."""

from __future__ import annotations

import re

from tests.test_layers import ROOT, layer, modules

ROW = re.compile(r"^\| `(nodeforge(?:\.[a-z_.]+)?)` \| (\w+) \|", re.MULTILINE)


def mapped() -> list[tuple[str, str]]:
    """(module without ``nodeforge.``, layer) for every row of the module map."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    return [(name.removeprefix("nodeforge").removeprefix("."), kind) for name, kind in ROW.findall(text)]


def test_every_module_has_one_row_and_every_row_a_module() -> None:
    names = [name for name, _ in mapped()]
    assert sorted(set(modules()) - set(names)) == [], "add these modules to docs/architecture.md"
    assert sorted(set(names) - set(modules())) == [], "these rows name no module"
    assert len(names) == len(set(names)), "a module has two rows"


def test_each_row_says_the_layer_the_import_test_checks() -> None:
    assert [(name, kind) for name, kind in mapped() if layer(name) != kind] == []
