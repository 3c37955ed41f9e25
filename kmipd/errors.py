"""The one exception kmipd raises for bad input.

Every message is a single line that names the problem and what to do about it; the CLI prints
it as ``error: <message>`` and exits with code 2, never with a traceback.
"""

from __future__ import annotations

import logging

_LOG = logging.getLogger("kmipd")


class KmipdError(ValueError):
    """Bad input or an unusable figure, with a one-line message meant for the user."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class NotKaplanMeierError(KmipdError):
    """The plot read is not a KM plot (a bar chart, a scatter plot, rising curves, no curve):
    on a page with several plots, the next one may be."""


def internal_error(exc: BaseException) -> str:
    """What the user is told of a failure that is kmipd's own (a bug meeting an odd figure).

    The exception's text (array indices, shapes) means nothing to the user and would read as a
    finding in a report; its type, which helps a bug report, is kept, and the whole traceback
    goes to the ``kmipd`` logger at DEBUG level.
    """
    _LOG.debug("internal error", exc_info=exc)
    return f"an internal error ({type(exc).__name__}; please report it with the image)"
