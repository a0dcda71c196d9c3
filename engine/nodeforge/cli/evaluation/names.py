"""Undefined names in generated code, counted by ruff's F821 (a scope analysis of each module).

ruff comes with nodeforge's development extra; where it is not installed the count is ``None``
and the table says so, rather than reporting zero.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def undefined_names_checker() -> str | None:
    """ruff beside the running interpreter (its virtualenv), else on ``PATH``."""
    beside = Path(sys.executable).parent / "ruff"
    return str(beside) if beside.is_file() else shutil.which("ruff")


def undefined_names(folders: Sequence[Path]) -> dict[Path, int] | None:
    """Folder -> how many names its Python files use without defining or importing them."""
    binary = undefined_names_checker()
    if binary is None or not folders:
        return None
    command = [binary, "check", "--isolated", "--no-cache", "--select", "F821", "--exit-zero"]
    result = subprocess.run(
        [*command, "--output-format", "json", *map(str, folders)], capture_output=True, text=True, check=True
    )
    counts = dict.fromkeys(folders, 0)
    for finding in json.loads(result.stdout or "[]"):
        path = Path(finding["filename"])
        for folder in folders:
            if path.is_relative_to(folder):
                counts[folder] += 1
    return counts
