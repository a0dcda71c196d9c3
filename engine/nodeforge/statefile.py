"""Reading nodeforge's state files (``.nodeforge/*.json``) so that a damaged one never stops work.

``learned.json``, ``pending.json``, ``generated.json`` and ``verdicts.json`` are bookkeeping that
the next ``learn`` or test run rebuilds. An empty, truncated or hand-mangled one is moved aside
(``<name>.corrupt-<UTC stamp>``, kept for inspection), one warning names it, and work goes on from
an empty state. It is never deleted and never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def read_state_object(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; ``{}`` when it is absent or was corrupt (then set aside)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        set_aside(path, "not UTF-8 text")
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        set_aside(path, "empty" if not text.strip() else f"not JSON: {error.msg} at line {error.lineno}")
        return {}
    if not isinstance(data, dict):
        set_aside(path, f"a JSON {type(data).__name__}, not an object")
        return {}
    return data


def set_aside(path: Path, why: str) -> Path:
    """Move a corrupt state file out of the way, say so once on stderr, return where it went."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        return aside  # another process set it aside first, and said so
    print(
        f"nodeforge: warning: {path} was corrupt ({why}); moved to {aside.name}, starting from empty",
        file=sys.stderr,
    )
    return aside
