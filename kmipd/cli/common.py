"""Shared pieces of the CLI: the command group and the error handling every command uses."""

from __future__ import annotations

import functools
import math
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
    """Parse ``ARM=VALUE`` pairs given to an option such as ``--n``.

    Parameters
    ----------
    pairs : tuple of str
        The option's values, e.g. ``("Placebo=120", "Drug=118")``.
    option : str
        The option's name, for messages.
    cast : callable
        ``int`` (the default) accepts whole numbers only (``120``, ``120.0``, ``1e3``); any other
        callable converts the text and raises ValueError when it cannot.

    Raises
    ------
    KmipdError
        A pair without ``=`` or arm name, a value that is not a (whole) number, or an arm given
        twice.
    """
    out = {}
    for pair in pairs:
        arm, sep, value = pair.rpartition("=")
        arm = arm.strip()
        if not sep or not arm:
            raise KmipdError(f"{option} takes ARM=VALUE (for example {option} Placebo=120), got {pair!r}.")
        if arm in out:
            raise KmipdError(f"{option} gives arm {arm!r} twice; give each arm once.")
        out[arm] = _whole(value, option, pair) if cast is int else _converted(value, option, pair, cast)
    return out


def _converted(value: str, option: str, pair: str, cast):
    try:
        return cast(value)
    except ValueError:
        raise KmipdError(f"{option} {pair!r}: {value!r} is not a number.") from None


def _whole(value: str, option: str, pair: str) -> int:
    """``value`` as a whole number ("120", "120.0", "1e3"); the range is checked by the library."""
    number = _converted(value, option, pair, float)
    if not math.isfinite(number) or number != int(number):
        raise KmipdError(f"{option} {pair!r}: {value.strip()} is not a whole number.")
    return int(number)


def check_axis_range(value: tuple[float, float] | None, option: str) -> None:
    """Refuse an ``--x-range``/``--y-range`` that is not two finite, different numbers."""
    if value is not None and (not all(math.isfinite(v) for v in value) or value[0] == value[1]):
        raise KmipdError(f"{option} needs two finite, different numbers (the values of the first and "
                         f"last tick mark), got {value[0]:g} and {value[1]:g}.")


