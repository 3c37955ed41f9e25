"""The ``kmipd`` command line: one sub-command per stage, each in its own module.

Every command turns a :class:`~kmipd.errors.KmipdError` into ``error: <one line>`` on stderr and
exit code 2; nothing bad the user gives kmipd ends in a traceback.

Start-up time matters here (``kmipd digitize`` is meant to take a few seconds at most): the
command modules import their stage only inside the command function, so ``kmipd digitize`` never
loads lifelines, statsmodels or matplotlib.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading

import click

# Sub-commands register themselves on the group when their module is imported.
from kmipd.cli import analyze as _analyze  # noqa: F401,E402
from kmipd.cli import digitize as _digitize  # noqa: F401,E402
from kmipd.cli import reconstruct as _reconstruct  # noqa: F401,E402
from kmipd.cli import review as _review  # noqa: F401,E402
from kmipd.cli import run as _run  # noqa: F401,E402
from kmipd.cli import validate as _validate  # noqa: F401,E402
from kmipd.cli.common import main_group


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``kmipd`` console script.

    Parameters
    ----------
    argv : list of str, optional
        Arguments after the program name. None (what the console script passes) reads the
        process's own command line; the process then ends as soon as the command is done (see
        :func:`_exit_now`). With an explicit list, the command's ``SystemExit`` is raised to the
        caller as usual.
    """
    if argv is not None:
        main_group(args=argv, prog_name="kmipd")
        return
    try:
        main_group(prog_name="kmipd")
    except SystemExit as exc:
        _exit_now(exc)


def _exit_now(exc: SystemExit) -> None:
    """End the process with ``exc``'s status without tearing the interpreter down.

    Tearing down a process that has loaded the OCR models and ~600 modules takes 0.2-0.3 s (10%
    of a whole ``kmipd digitize``) and achieves nothing the operating system does not do anyway.
    ``atexit`` handlers run and output is flushed first, so nothing written is lost; with other
    Python threads still running, the ordinary exit (which waits for them) is kept.
    """
    if threading.active_count() > 1:
        raise exc
    code = exc.code
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # SystemExit("message"): printed to stderr, status 1, as Python itself does
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed or broken pipe: nothing left to save
            pass
    os._exit(status)


__all__ = ["main", "main_group", "click"]
