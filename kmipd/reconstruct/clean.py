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


def detect_percent(survival: np.ndarray) -> bool:
    """True when survival values are on a 0-100 scale (any value clearly above 1)."""
    return bool(np.nanmax(survival) > 1.5)


def clean_curve(time, survival, *, percent: bool | None = None, arm: str = "") -> CleanCurve:
    """Turn raw digitized points into a non-increasing step curve starting at (0, 1).

    Steps, each recorded in ``notes`` when it changed something:

    1. drop non-finite points; detect a 0-100 scale and divide by 100 (unless ``percent`` given);
    2. clip survival to [0, 1] and tiny negative times (digitizer noise) to 0;
    3. sort by time, and within one time by survival descending (a vertical drop drawn top-down);
    4. enforce monotone non-increasing survival by isotonic regression (least squares), which
       averages out noise instead of dragging the curve down as a running minimum would;
    5. put the start at (0, 1);
    6. drop points inside flat runs that add nothing (keep each run's first and last point).

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
    label = f" for arm {arm!r}" if arm else ""
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
    is_percent = detect_percent(s) if percent is None else bool(percent)
    if is_percent:
        s = s / 100.0
        notes.append("survival given in percent; divided by 100")
    if s.min() < -0.05 or s.max() > 1.05:
        raise KmipdError(
            f"curve{label} has survival outside [0, 1] (min {s.min():g}, max {s.max():g}); "
            "give survival as a fraction or a percent."
        )
    s = np.clip(s, 0.0, 1.0)

    order = np.lexsort((-s, t))
    t, s = t[order], s[order]
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


def _informative(t: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Mask keeping the first and last point of each run of equal survival (and every drop)."""
    same_prev = np.r_[False, np.isclose(s[1:], s[:-1], rtol=0, atol=1e-12)]
    same_next = np.r_[np.isclose(s[:-1], s[1:], rtol=0, atol=1e-12), False]
    keep = ~(same_prev & same_next)
    # Several points at one time with one survival carry nothing more.
    dup = np.r_[False, (t[1:] == t[:-1]) & (s[1:] == s[:-1])]
    return keep & ~dup
