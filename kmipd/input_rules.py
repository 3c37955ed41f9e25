"""Rules for numbers a user gives kmipd, shared by the file readers and the reconstruction.

Each rule lives here once, so :mod:`kmipd.io` (reading a curves file) and
:mod:`kmipd.reconstruct` (cleaning one arm) can never disagree:

- the **survival scale** of one arm: a fraction (0-1) or a percent (0-100), decided from the
  whole curve, never from a single stray point (:func:`survival_as_fraction`);
- the **size of an arm**: a whole number of patients, at most :data:`MAX_PATIENTS`
  (:func:`check_count`).

Messages name both ways of giving a value: the command-line flag, then the Python argument.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from kmipd.errors import KmipdError

#: Most patients (and so events) one arm may have. The largest trials have ~100,000 patients per
#: arm; the bound turns a typo such as N=1000000000000 into a clear error instead of exhausting
#: memory (1e8 patients take ~3 GB).
MAX_PATIENTS = 1_000_000

#: Survival at most this far outside [0, 1] (as a fraction) is digitizer noise: a curve drawn at
#: 1.0 is read a pixel above it. It is clipped to [0, 1] with a note; anything further is refused.
SURVIVAL_NOISE = 0.05

#: A percent curve starts near 100: its first point (the highest one at the earliest time) is at
#: least this. A fraction curve never gets there, whatever stray points it has.
PERCENT_START_MIN = 50.0

#: Points above this are impossible on a fraction curve, even with noise.
PERCENT_POINT_MIN = 1.5

#: A percent curve has at least this share of its points above :data:`PERCENT_POINT_MIN` (it
#: would have to spend most of its points below 1.5% survival otherwise); a fraction curve with a
#: stray point or two far above 1 does not.
PERCENT_MIN_SHARE = 0.5


def plain(value):
    """``value`` as a plain Python object (``np.float64(1.5)`` -> ``1.5``), for messages."""
    return value.item() if isinstance(value, np.generic) else value


def is_percent_curve(time, survival) -> bool:
    """True when one arm's survival values are on a 0-100 scale.

    Decided from the whole curve: it starts near 100 (:data:`PERCENT_START_MIN`) and most of its
    points (:data:`PERCENT_MIN_SHARE`) are above :data:`PERCENT_POINT_MIN`. A fraction curve with
    a stray point at 1.08 or 1.7 is therefore not a percent curve.

    Parameters
    ----------
    time, survival : array_like
        The arm's points (finite values).
    """
    t = np.asarray(time, dtype=float).ravel()
    s = np.asarray(survival, dtype=float).ravel()
    if s.size == 0 or s.max() <= 1.0 + SURVIVAL_NOISE:
        return False
    start = float(s[t == t.min()].max())
    return start >= PERCENT_START_MIN and float(np.mean(s > PERCENT_POINT_MIN)) >= PERCENT_MIN_SHARE


def survival_as_fraction(time, survival, label: str = "curve", percent: bool | None = None
                         ) -> tuple[np.ndarray, bool, list[str]]:
    """One arm's survival as a fraction in [0, 1]: scale decided, noise clipped, the rest refused.

    Parameters
    ----------
    time, survival : array_like
        The arm's points (finite values).
    label : str
        How messages name the arm, e.g. ``"curves file x.csv, arm 'A'"``.
    percent : bool, optional
        Force the scale; by default :func:`is_percent_curve` decides.

    Returns
    -------
    survival : ndarray
        As a fraction, clipped to [0, 1].
    is_percent : bool
        Whether the values were divided by 100.
    notes : list of str
        What was changed.

    Raises
    ------
    KmipdError
        Values above 1 on a curve that is not a percent curve, or values outside [0, 1] (or
        [0, 100]) by more than :data:`SURVIVAL_NOISE`.
    """
    t = np.asarray(time, dtype=float).ravel()
    s = np.asarray(survival, dtype=float).ravel()
    is_percent = is_percent_curve(t, s) if percent is None else bool(percent)
    notes = []
    if is_percent:
        s = s / 100.0
        notes.append("survival given in percent; divided by 100")
    elif s.size and s.max() > 1.0 + SURVIVAL_NOISE:
        raise KmipdError(_not_a_fraction(t, s, label))
    if s.size and (s.min() < -SURVIVAL_NOISE or s.max() > 1.0 + SURVIVAL_NOISE):
        scale = "[0, 100]" if is_percent else "[0, 1]"
        factor = 100.0 if is_percent else 1.0
        raise KmipdError(
            f"{label} has survival outside {scale} (min {s.min() * factor:g}, max {s.max() * factor:g}); "
            "give survival as a fraction (0-1) or a percent (0-100)."
        )
    outside = (s < 0) | (s > 1)
    if outside.any():
        worst = float(np.max(np.abs(s[outside] - np.clip(s[outside], 0, 1))))
        notes.append(f"clipped {int(outside.sum())} survival value(s) outside [0, 1] by at most "
                     f"{worst:.3g} (digitizer noise)")
    return np.clip(s, 0.0, 1.0), is_percent, notes


def _not_a_fraction(t: np.ndarray, s: np.ndarray, label: str) -> str:
    """The message for an arm with values above 1 that is not a percent curve."""
    first = t == t.min()
    start = float(s[first].max())
    top = int(np.argmax(s))
    high = int((s > PERCENT_POINT_MIN).sum())
    if high / s.size >= PERCENT_MIN_SHARE:  # mostly above 1.5, but starting low: it rises
        return (
            f"{label}: survival rises from {start:g} at time {t.min():g} to {s[top]:g} at time {t[top]:g}; "
            "a survival curve starts at 1 (or 100) and falls: if this is a cumulative-incidence curve, "
            "give 1 - F (100 - F in percent); otherwise points of another arm are mixed in, check the arm column."
        )
    return (
        f"{label}: survival {s[top]:g} at time {t[top]:g} is above 1, but the arm is not a percent curve "
        f"(a percent curve starts near 100 and most of its points are above {PERCENT_POINT_MIN:g}; this one "
        f"starts at {start:g} and {high} of {s.size} points are above {PERCENT_POINT_MIN:g}); fix or remove "
        "the stray point(s), or give the whole arm as a fraction (0-1) or as a percent (0-100)."
    )


def check_count(value, what: str, *, minimum: int = 0) -> int:
    """``value`` as a whole number of patients or events in [minimum, :data:`MAX_PATIENTS`].

    Parameters
    ----------
    value : int or float
        A whole number (``120`` or ``120.0``); bools, strings and fractions are refused.
    what : str
        How messages name the value, e.g. ``"N of arm 'A'"``.
    minimum : int
        The smallest allowed value (1 for N, 0 for events).

    Raises
    ------
    KmipdError
        Not a whole number, below ``minimum`` or above :data:`MAX_PATIENTS`.
    """
    value = plain(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise KmipdError(f"{what} must be a whole number, got {value!r}.")
    if value != int(value):
        raise KmipdError(f"{what} must be a whole number, got {value:g}.")
    count = int(value)
    if count < minimum:
        raise KmipdError(f"{what} must be at least {minimum}, got {count}.")
    if count > MAX_PATIENTS:
        raise KmipdError(
            f"{what} is {count:,}, more than kmipd's limit of {MAX_PATIENTS:,} patients per arm "
            "(far beyond any trial); check the number for a typo."
        )
    return count
