"""Per-file outcomes of a mining run, in the manner of LibCST's codemod runner."""

from __future__ import annotations

from dataclasses import dataclass

EXTRACTED = "extracted"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass(frozen=True)
class FileOutcome:
    path: str  # repo-relative
    status: str  # EXTRACTED / SKIPPED / FAILED
    detail: str = ""  # why skipped, or the error
    patterns: int = 0
