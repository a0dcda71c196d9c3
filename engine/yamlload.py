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
