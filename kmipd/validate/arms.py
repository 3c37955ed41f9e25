"""Arm names and arm-level sanity checks shared by validate, analyze and pool.

Arm names come from a paper's text, a figure's legend read by OCR, a TOML file typed by hand and
a CSV: "Sorafenib " and "sorafenib", or "Arm  A" and "Arm A", are the same arm. Every place that
compares arm names goes through :func:`normalise_arm_name` (one rule, applied everywhere), and a
name that still matches nothing is shown with ``repr`` so that stray spaces are visible.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from kmipd.errors import KmipdError

# Runs of whitespace, underscores and hyphens all count as one separator: "Arm_A", "arm-a" and
# "Arm  A" name the same arm.
_SEPARATORS = re.compile(r"[\s_\-]+")
# Two or more spaces in a row: what a one-line message would collapse
_SPACE_RUNS = re.compile(r" {2,}")


def normalise_arm_name(name: object) -> str:
    """The form arm names are compared in: separators collapsed to one space, stripped, casefolded.

    Parameters
    ----------
    name : object
        An arm name (converted with ``str``).

    Returns
    -------
    str

    Examples
    --------
    >>> normalise_arm_name("  Arm  A ")
    'arm a'
    """
    return _SEPARATORS.sub(" ", str(name)).strip().casefold()


def shown(name: object) -> str:
    """``repr`` of a name, with runs of spaces written ``\\x20`` so that they stay visible.

    One-line messages collapse runs of whitespace (:class:`~kmipd.errors.KmipdError`), which
    would print ``'Arm  A'`` as ``'Arm A'``; ``'Arm\\x20\\x20A'`` survives.

    Examples
    --------
    >>> print(shown("Arm  A"), shown("Sorafenib "))
    'Arm\\x20\\x20A' 'Sorafenib '
    """
    return _SPACE_RUNS.sub(lambda m: "\\x20" * len(m.group()), repr(str(name)))


def quoted(names: Iterable[object]) -> str:
    """``'A', 'B '`` -- names with :func:`shown` so that leading, trailing or doubled spaces show."""
    return ", ".join(shown(n) for n in names)


def find_arm(name: object, available: Iterable[object]) -> str | None:
    """The arm of ``available`` that ``name`` refers to: exact, else by :func:`normalise_arm_name`.

    Parameters
    ----------
    name : object
        The name asked for.
    available : iterable
        The arms to choose from.

    Returns
    -------
    str or None
        The matching arm as spelled in ``available``; None when none matches.

    Raises
    ------
    KmipdError
        When ``name`` matches several arms that differ only in case or spacing.
    """
    available = [str(a) for a in available]
    if str(name) in available:
        return str(name)
    hits = [a for a in available if normalise_arm_name(a) == normalise_arm_name(name)]
    if len(hits) > 1:
        raise KmipdError(f"arm name {shown(name)} matches several arms that differ only in case or "
                         f"spacing ({quoted(hits)}); rename them so that each is distinct.")
    return hits[0] if hits else None


def require_arm(name: object, available: Iterable[object], role: str, where: str = "the IPD",
                fix: str = "") -> str:
    """:func:`find_arm`, raising a one-line :class:`KmipdError` naming the arms when none matches.

    Parameters
    ----------
    name : object
        The name asked for.
    available : iterable
        The arms to choose from.
    role : str
        What the arm is, for the message (e.g. ``"reference arm"``).
    where : str
        Where the arms come from, for the message.
    fix : str
        What to do about it, appended to the message (default: use one of the listed names).

    Returns
    -------
    str
        The matching arm as spelled in ``available``.
    """
    available = [str(a) for a in available]
    match = find_arm(name, available)
    if match is None:
        raise KmipdError(f"{role} {shown(name)} is not in {where}; its arms are {quoted(available)}"
                         f" (names are matched ignoring case and spacing); "
                         f"{fix or 'use one of these names'}.")
    return match


def check_follow_up(ipd: pd.DataFrame, arms: Iterable[object] | None = None, where: str = "IPD") -> None:
    """Refuse an arm whose every time is 0: it has no follow-up to estimate anything from.

    A Kaplan-Meier curve, an RMST and a parametric or Cox model all need at least one positive
    time; an arm of zeros is almost always a broken file (times in the wrong column or unit).

    Parameters
    ----------
    ipd : pandas.DataFrame
        Checked IPD (``arm, time, event``).
    arms : iterable, optional
        The arms to check; default all.
    where : str
        The data's name for the message.

    Raises
    ------
    KmipdError
        Naming the first such arm.
    """
    last = ipd.groupby("arm")["time"].max()
    for arm in (last.index if arms is None else arms):
        if arm in last.index and not last[arm] > 0:
            raise KmipdError(
                f"{where} arm {str(arm)!r} has no follow-up: every one of its times is 0; "
                "Kaplan-Meier, RMST and model fits need at least one time > 0 (check the time "
                "column and its unit).")
