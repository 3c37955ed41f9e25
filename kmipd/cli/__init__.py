"""The ``kmipd`` command line: one sub-command per stage, each in its own module.

Every command turns a :class:`~kmipd.errors.KmipdError` into ``error: <one line>`` on stderr and
exit code 2; nothing bad the user gives kmipd ends in a traceback.
"""

from __future__ import annotations

import click

# Sub-commands register themselves on the group when their module is imported.
from kmipd.cli import analyze as _analyze  # noqa: F401,E402
from kmipd.cli import digitize as _digitize  # noqa: F401,E402
from kmipd.cli import reconstruct as _reconstruct  # noqa: F401,E402
from kmipd.cli import run as _run  # noqa: F401,E402
from kmipd.cli import validate as _validate  # noqa: F401,E402
from kmipd.cli.common import main_group


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``kmipd`` console script."""
    main_group(args=argv, prog_name="kmipd")


__all__ = ["main", "main_group", "click"]
