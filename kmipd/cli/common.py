"""Shared pieces of the CLI: the command group and the error handling every command uses."""

from __future__ import annotations

import functools
import sys

import click

from kmipd import __version__
from kmipd.errors import KmipdError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kmipd")
def main_group() -> None:
    """kmipd: Kaplan-Meier figure -> individual patient data you can check.

    Stages: digitize (image -> curves, at-risk table), reconstruct (curves -> IPD, Guyot),
    validate (IPD vs the paper's numbers), analyze / pool (downstream), run (all of it).
    """


def fail(message: str, code: int = 2) -> None:
    """Print ``error: message`` on one line and exit with ``code``."""
    click.echo(f"error: {' '.join(str(message).split())}", err=True)
    sys.exit(code)


def one_line_errors(func):
    """Turn KmipdError (and unreadable files) into a one-line message and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except KmipdError as exc:
            fail(str(exc), exc.exit_code)
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"{exc.__class__.__name__}: {exc}", 2)

    return wrapper


def parse_arm_values(pairs: tuple[str, ...], option: str, cast=int) -> dict[str, float]:
    """Parse ``ARM=VALUE`` pairs given to an option such as ``--n``."""
    out = {}
    for pair in pairs:
        arm, sep, value = pair.rpartition("=")
        if not sep or not arm.strip():
            raise KmipdError(f"{option} takes ARM=VALUE (for example {option} Placebo=120), got {pair!r}.")
        try:
            out[arm.strip()] = cast(value)
        except ValueError:
            raise KmipdError(f"{option} {pair!r}: {value!r} is not a number.") from None
    return out
