"""Cleaning digitized KM coordinates before reconstruction.

A digitizer (a person clicking, or :mod:`kmipd.digitize`) gives points that are unsorted,
duplicated, slightly non-monotone, sometimes on a 0-100 scale and not always starting at (0, 1).
The reconstruction needs a non-increasing step curve that starts at (0, 1); this module makes one
and says what it changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import isotonic_regression

from kmipd.errors import KmipdError
from kmipd.input_rules import is_percent_curve, survival_as_fraction

#: A Kaplan-Meier curve never rises. Digitizer noise makes points wobble by a pixel or two
#: (< ~0.01 of survival), and a vertical drop clicked a little carelessly can put its foot just
#: before its top; both are averaged away by isotonic regression. A rise of more than MAX_RISE
#: between two points at least RISE_MIN_GAP of the follow-up apart is neither: the curve is a
#: cumulative-incidence curve, or two arms' points are mixed, and it is refused.
MAX_RISE = 0.05
#: See :data:`MAX_RISE`; a fraction of the curve's last time.
RISE_MIN_GAP = 0.02
#: A curve whose first point, within RISE_MIN_GAP of time 0, is below this starts like a
#: cumulative-incidence curve (at 0), not like a survival curve (at 1), and is refused.
MIN_START = 0.5


@dataclass
class CleanCurve:
    """A cleaned KM curve: ``time`` ascending from 0, ``survival`` non-increasing from 1."""

    time: np.ndarray
    survival: np.ndarray
    percent_scale: bool = False
    notes: list[str] = field(default_factory=list)
    noise_sd: float = 0.0  # robust SD of the points around the monotone fit (survival units)

    def __len__(self) -> int:
        return len(self.time)

    def at(self, t) -> np.ndarray:
        """Right-continuous step value of the curve at times ``t``."""
        idx = np.searchsorted(self.time, np.asarray(t, dtype=float), side="right") - 1
        return self.survival[np.clip(idx, 0, None)]


def detect_percent(survival: np.ndarray, time=None) -> bool:
    """True when survival values are on a 0-100 scale (:func:`kmipd.input_rules.is_percent_curve`).

    Parameters
    ----------
    survival : array_like
        One arm's survival values.
    time : array_like, optional
        Their times (the start of the curve is the earliest one); in the given order when omitted.
    """
    s = np.asarray(survival, dtype=float).ravel()
    t = np.arange(s.size, dtype=float) if time is None else np.asarray(time, dtype=float).ravel()
    ok = np.isfinite(s) & np.isfinite(t)
    return is_percent_curve(t[ok], s[ok])


def clean_curve(time, survival, *, percent: bool | None = None, arm: str = "") -> CleanCurve:
    """Turn raw digitized points into a non-increasing step curve starting at (0, 1).

    Steps, each recorded in ``notes`` when it changed something:

    1. drop non-finite points; detect a 0-100 scale from the whole curve and divide by 100
       (unless ``percent`` given; :func:`kmipd.input_rules.survival_as_fraction`);
    2. clip survival to [0, 1] and tiny negative times (digitizer noise) to 0;
    3. sort by time, and within one time by survival descending (a vertical drop drawn top-down);
    4. refuse a curve that rises (:data:`MAX_RISE`) or starts far below 1 (:data:`MIN_START`):
       a cumulative-incidence curve or mixed arms;
    5. enforce monotone non-increasing survival by isotonic regression (least squares), which
       averages out noise instead of dragging the curve down as a running minimum would;
    6. put the start at (0, 1);
    7. drop points inside flat runs that add nothing (keep each run's first and last point).

    Parameters
    ----------
    time, survival : array_like
        Digitized coordinates of one arm.
    percent : bool, optional
        Force the scale; by default it is detected.
    arm : str
        Arm name, used in messages.

    Returns
    -------
    CleanCurve
    """
    label = f" for arm {str(arm)!r}" if arm else ""
    t = np.asarray(time, dtype=float).ravel()
    s = np.asarray(survival, dtype=float).ravel()
    if t.shape != s.shape:
        raise KmipdError(f"curve{label}: time and survival have different lengths.")
    notes: list[str] = []
    ok = np.isfinite(t) & np.isfinite(s)
    if not ok.all():
        notes.append(f"dropped {int((~ok).sum())} non-finite point(s)")
        t, s = t[ok], s[ok]
    if t.size == 0:
        raise KmipdError(f"curve{label} has no points; give at least one (time, survival) point.")
    span = max(float(t.max()), 1e-12)
    if (t < -0.02 * span).any():
        raise KmipdError(f"curve{label} has negative time {t.min():g}; times must be >= 0.")
    if (t < 0).any():
        notes.append("clipped slightly negative times to 0")
        t = np.clip(t, 0, None)
    s, is_percent, changed = survival_as_fraction(t, s, f"curve{label}", percent)
    notes += changed

    order = np.lexsort((-s, t))
    t, s = t[order], s[order]
    _check_falls(t, s, f"curve{label}")
    fitted = isotonic_regression(s, increasing=False).x
    change = np.abs(fitted - s)
    if change.max() > 1e-9:
        notes.append(f"made survival non-increasing (largest change {change.max():.4f})")
    noise_sd = float(1.4826 * np.median(change)) if change.size > 10 else 0.0
    s = fitted

    if t[0] > 0 or s[0] < 1.0:
        if t[0] > 0:
            t, s = np.r_[0.0, t], np.r_[1.0, s]
        else:
            s[0] = 1.0
        notes.append("added the start point (0, 1)")

    keep = _informative(t, s)
    return CleanCurve(t[keep], s[keep], is_percent, notes, noise_sd)


def _check_falls(t: np.ndarray, s: np.ndarray, label: str) -> None:
    """Refuse a curve (sorted by time) that rises or starts far below 1; see :data:`MAX_RISE`."""
    gap = RISE_MIN_GAP * float(t[-1])
    if gap <= 0:
        return
    later = np.searchsorted(t, t + gap, side="left")  # first point at least `gap` later
    peak = np.maximum.accumulate(s[::-1])[::-1]  # highest survival from each point on
    has_later = later < t.size
    rise = np.where(has_later, peak[np.minimum(later, t.size - 1)] - s, -np.inf)
    i = int(np.argmax(rise))
    if rise[i] > MAX_RISE:
        j = int(later[i] + np.argmax(s[later[i]:]))
        raise KmipdError(
            f"{label} rises from {s[i]:.3g} at time {t[i]:g} to {s[j]:.3g} at time {t[j]:g}; a Kaplan-Meier "
            f"survival curve never rises by more than digitizer noise ({MAX_RISE:g}): if this is a "
            "cumulative-incidence curve, give 1 - F as survival; otherwise the arm's points are mixed "
            "with another curve's, check the arm column."
        )
    if t[0] <= gap and s[0] < MIN_START:
        raise KmipdError(
            f"{label} starts at survival {s[0]:.3g} at time {t[0]:g}; a Kaplan-Meier survival curve starts "
            "at 1: if this is a cumulative-incidence curve, give 1 - F as survival."
        )


def _informative(t: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Mask keeping the first and last point of each run of equal survival (and every drop)."""
    same_prev = np.r_[False, np.isclose(s[1:], s[:-1], rtol=0, atol=1e-12)]
    same_next = np.r_[np.isclose(s[:-1], s[1:], rtol=0, atol=1e-12), False]
    keep = ~(same_prev & same_next)
    # Several points at one time with one survival carry nothing more.
    dup = np.r_[False, (t[1:] == t[:-1]) & (s[1:] == s[:-1])]
    return keep & ~dup
