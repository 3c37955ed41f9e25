"""Settings every test shares.

The figures drawn by others live in ``../shared`` beside the repository (``r-figures``: R-drawn
with exact truth; ``real-figures``: published figures with a manifest). They are read from there
and never copied in; tests that need them are skipped, with the reason shown by ``make test``
(``-rs``), when the folder is absent. ``KMIPD_SHARED`` points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(os.environ.get("KMIPD_SHARED") or Path(__file__).resolve().parents[2] / "shared")
R_FIGURES = SHARED / "r-figures"
REAL_FIGURES = SHARED / "real-figures"
