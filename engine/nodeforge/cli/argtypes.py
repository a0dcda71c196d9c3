"""argparse types for numbers with a range: a value outside it is a usage error (exit 2), not a surprise.

``--min-uses -3`` once judged every pattern on no evidence; ``--limit -1`` asked for nothing.
"""

from __future__ import annotations

import argparse
import math


def at_least_one(text: str) -> int:
    """A count or a limit: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def fraction(text: str) -> float:
    """A rate or threshold: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text}")
    return value
