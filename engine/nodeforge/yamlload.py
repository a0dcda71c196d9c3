"""YAML loading, safe and fast: libyaml's safe loader when PyYAML was built with it.

Contracts run to hundreds of lines; the pure-Python loader took about 20 ms for each, on the hook's
and the miner's paths.
"""

from __future__ import annotations

import yaml

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> object:
    """``yaml.safe_load`` semantics (no Python objects), libyaml speed. Raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=SAFE_LOADER)


class _ContractLoader(SAFE_LOADER):  # type: ignore[valid-type,misc]
    """The safe loader, plus omnibase_core's ``!include path``: kept as ``{"!include": path}``
    (never followed, so a contract cannot make nodeforge read other files)."""


def _include(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, object]:
    value = loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else ""
    return {"!include": value}


_ContractLoader.add_constructor("!include", _include)


def load_contract_yaml(text: str) -> object:
    """``load_yaml`` for contracts: also accepts ``!include`` tags."""
    return yaml.load(text, Loader=_ContractLoader)
