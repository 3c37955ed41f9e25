"""kmipd: turn a published Kaplan-Meier figure into individual patient data you can trust.

The chain is image -> :func:`digitize` -> :func:`reconstruct` -> :func:`validate` / :func:`analyze`
(:func:`run` does all of it, :func:`pool` combines several studies); each stage is a plain
function over plain data and can be entered on its own.

The stage functions share their names with the subpackages that hold them
(``kmipd.digitize`` the function lives in ``kmipd/digitize/``); import submodules by their full
path, e.g. ``from kmipd.digitize.ocr import read_words``.
"""

from __future__ import annotations

__version__ = "0.1.0"

# Stage functions: these names shadow the subpackages of the same name on purpose.
from kmipd.analysis import analyze  # noqa: E402
from kmipd.digitize import digitize  # noqa: E402
from kmipd.errors import KmipdError  # noqa: E402
from kmipd.pipeline import run  # noqa: E402
from kmipd.pooling import pool  # noqa: E402
from kmipd.reconstruct import reconstruct  # noqa: E402
from kmipd.validate import validate  # noqa: E402

__all__ = ["KmipdError", "__version__", "analyze", "digitize", "pool", "reconstruct", "run", "validate"]
