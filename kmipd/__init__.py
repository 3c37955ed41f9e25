"""kmipd: turn a published Kaplan-Meier figure into individual patient data you can trust.

The chain is image -> :func:`digitize` -> :func:`reconstruct` -> :func:`validate` / :func:`analyze`;
each stage is a plain function over plain data and can be entered on its own.
"""

from __future__ import annotations

__version__ = "0.1.0"

from kmipd.errors import KmipdError  # noqa: E402

__all__ = ["KmipdError", "__version__"]
