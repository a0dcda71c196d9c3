"""False-positive rate of the secret gate over repositories with no secrets in them.

Usage: python benchmarks/secret_false_positives.py DIR [DIR ...]

Every ``.py`` file under each DIR is scanned whole (stricter than the gate, which scans one
pattern's code at a time): a file with any finding counts as a false positive, and each finding is
printed (kind and line only; the value is never shown) so it can be checked by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nodeforge.learning.secrets import scan


def main(roots: list[str]) -> int:
    for root in map(Path, roots):
        files = sorted(path for path in root.rglob("*.py") if ".venv" not in path.parts)
        flagged = 0
        findings_total = 0
        for path in files:
            findings = scan(path.read_text(encoding="utf-8", errors="replace"))
            if findings:
                flagged += 1
                findings_total += len(findings)
                for finding in findings:
                    print(f"  {path.relative_to(root)}:{finding.line} {finding.kind} {finding.detail}")
        rate = flagged / len(files) if files else 0.0
        print(f"{root}: {len(files)} files, {flagged} with findings ({rate:.2%}), {findings_total} findings")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
