"""What a command prints: its payload as JSON under ``--json``, else its lines of text."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from nodeforge.learning.reasons import Reason


def _jsonable(value: Any) -> Any:
    if isinstance(value, Reason):  # a reason reads as its text, as the lines show it
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def emit(args: argparse.Namespace, payload: Any, text: Sequence[str]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(_jsonable(payload), indent=2, sort_keys=True, default=str))
    else:
        for line in text:
            print(line)


__all__ = ["emit"]
