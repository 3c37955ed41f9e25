"""The one exception kmipd raises for bad input.

Every message is a single line that names the problem and what to do about it; the CLI prints
it as ``error: <message>`` and exits with code 2, never with a traceback.
"""

from __future__ import annotations


class KmipdError(ValueError):
    """Bad input or an unusable figure, with a one-line message meant for the user."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
