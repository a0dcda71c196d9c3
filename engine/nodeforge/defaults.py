"""The tunable defaults, in one place: ``config.Settings`` starts from them, and so does any stage
called without settings (the quality gate, detection, a patterns import).

No imports: the post-commit hook and every stage can read these without loading pydantic.
"""

from __future__ import annotations

from typing import Final

# A mined pattern is stored only when its quality score (``quality.analyze``) reaches this.
QUALITY_THRESHOLD: Final = 0.8
# A contract need is detected (``detect.detect``) when its confidence reaches this.
DETECTION_THRESHOLD: Final = 0.7
# Below this ``rank.score`` generation uses the template code for a slot. A fresh pattern
# (success 0.5) of quality 0.6 found first by one retriever (similarity 0.5) scores 0.15; one that
# failed in 6 of 6 uses (success 0.125) at quality 0.7 and similarity 1.0 scores under 0.09.
MIN_SCORE: Final = 0.1
