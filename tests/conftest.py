"""Settings every test shares.

The figures drawn by others live in ``../shared`` beside the repository (``r-figures``: R-drawn
with exact truth; ``real-figures``: published figures with a manifest). They are read from there
and never copied in; tests that need them are skipped, with the reason shown by ``make test``
(``-rs``), when the folder is absent. ``KMIPD_SHARED`` points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# property tests draw the same examples on every machine (a fresh CI checkout fails or passes as
# here); `pytest --hypothesis-profile=explore` searches new ones
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("repeatable")

SHARED = Path(os.environ.get("KMIPD_SHARED") or Path(__file__).resolve().parents[2] / "shared")
R_FIGURES = SHARED / "r-figures"
REAL_FIGURES = SHARED / "real-figures"
RESORT = Path(__file__).resolve().parents[1] / "figures" / "resort"


@pytest.fixture(scope="session")
def resort_run(tmp_path_factory):
    """``kmipd.run`` on the bundled RESORT figure and its reported file, once per session (~4 s):
    ``(RunResult, progress lines)``. Tests must not change its output folder."""
    digitize = pytest.importorskip("kmipd.digitize")
    if not hasattr(digitize, "digitize"):
        pytest.skip("kmipd.digitize.digitize not available")
    from kmipd.pipeline import run

    lines: list[str] = []
    out = tmp_path_factory.mktemp("resort")
    return run(RESORT / "figure.png", RESORT / "reported.toml", out, progress=lines.append), lines
