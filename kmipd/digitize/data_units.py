"""The traced arms in data units: the curves and censor-mark tables of a digitization.

Pixels become times and survival through the axis mapping; times are put on whole units and
cleared of float noise where a figure cannot tell the difference, so that tied events read
from a drawing fall exactly on their time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmipd.digitize.curve_checks import START_MIN
from kmipd.digitize.result import ArmTrace, AxisMapping, PlotBox

#: A first curve point within this of survival 1 is the curve's start at 1 (line thickness and
#: anti-aliasing move a traced centre by a fraction of a pixel).
_START_SNAP = 0.015
#: Drops this close (pixels) to a whole number of time units are put on it (:func:`snap_whole_units`).
WHOLE_UNIT_SNAP_PX = 0.1


def time_origin(mapping: AxisMapping, box: PlotBox) -> float:
    """Where the curves start: 0, unless the x axis itself starts later (a landmark plot from
    month 12), then its first labelled tick."""
    left, right = float(mapping.time(box.left)), float(mapping.time(box.right))
    if left <= 0.02 * (right - left):
        return 0.0
    used = [t.value for t in mapping.x.ticks if t.used and t.value is not None]
    return float(min(used)) if used else left


def curves_frame(arms: list[ArmTrace], mapping: AxisMapping, t0: float = 0.0) -> pd.DataFrame:
    """Step points of every arm in data units: ``arm, time, survival``.

    Times below ``t0`` (normally 0) become ``t0`` and a curve that starts later gets a point
    there; survival is clipped to [0, 1] and made non-increasing (a running minimum: a pixel of
    noise above the previous level cannot make a curve rise).
    """
    frames = []
    for arm in arms:
        pts = np.asarray(arm.steps_px, float).reshape(-1, 2)
        if len(pts) == 0:
            continue
        order = np.argsort(pts[:, 0], kind="stable")
        t = np.maximum(np.asarray(mapping.time(pts[order, 0]), float), t0)
        s = np.clip(np.asarray(mapping.survival(pts[order, 1]), float), 0.0, 1.0)
        if s[0] >= 1.0 - _START_SNAP:
            s[0] = 1.0
        s = np.minimum.accumulate(s)
        t = drop_float_noise(snap_whole_units(t, float(mapping.x.scale)), float(mapping.x.scale))
        half_px = 0.5 * abs(float(mapping.x.scale))
        # a thick line's start overhangs the origin by half its width, and a steep start's
        # first drops show in those columns: the curve is at its first level at t0 and falls
        # just after it
        at_origin = np.flatnonzero(t <= t0)
        falls_at_origin = len(at_origin) > 1 and s[at_origin[-1]] < s[0]
        if len(at_origin) > 1:
            later = t[at_origin[-1] + 1:]
            t[at_origin[1:]] = min(t0 + half_px, float(later[0])) if len(later) else t0 + half_px
        if t0 == 0.0 and START_MIN <= s[0] < 1.0 and (t[0] > t0 + 3 * half_px or falls_at_origin):
            # survival is 1 at time 0: the drops down to the first level read fell, unseen
            # (crowded at the start, or under the curves' shared start), between time 0 and its
            # point (halfway; half a pixel in where it falls at the origin). A start lower than
            # START_MIN is doubted as a misread axis or trace instead; a curve read flat from
            # (within a pixel of) the origin is left as read (a misread axis)
            drop = max(0.5 * t[0], half_px)
            if drop >= t[0] and (len(t) < 2 or drop < t[1]):
                t, s = np.r_[0.0, drop, t[1:]], np.r_[1.0, s]
            elif drop < t[0]:
                t, s = np.r_[0.0, drop, t], np.r_[1.0, s[0], s]
        if t[0] > t0:
            t, s = np.r_[t0, t], np.r_[s[0], s]
        frame = pd.DataFrame({"arm": arm.name, "time": t, "survival": s})
        frames.append(frame.drop_duplicates("time", keep="last"))
    if not frames:
        return pd.DataFrame(columns=["arm", "time", "survival"])
    return pd.concat(frames, ignore_index=True)


def snap_whole_units(times: np.ndarray, units_per_px: float, tol_px: float = WHOLE_UNIT_SNAP_PX
                     ) -> np.ndarray:
    """Times within ``tol_px`` pixels of a whole number of axis units, put on that number.

    Trials record times in whole days, weeks, months or years, so tied events fall on whole
    units; a drop read a hundredth of a pixel after "4 years" would otherwise miss survival
    *at* 4 years by the whole drop. Moving a time by at most ``tol_px`` is far below what the
    image can tell apart.
    """
    t = np.asarray(times, float)
    whole = np.round(t)
    return np.where(np.abs(t - whole) <= tol_px * abs(units_per_px), whole, t)


def drop_float_noise(times: np.ndarray, units_per_px: float) -> np.ndarray:
    """Times rounded to the decimal a thousandth of a pixel resolves.

    Exact (vector) coordinates come through the pixel mapping with float noise: 6.2 read as
    6.2000000001 misses survival *at* 6.2 by the whole drop there. Rounding a thousand times
    finer than a pixel changes nothing a figure can show.
    """
    step = 1e-3 * abs(units_per_px)
    if not np.isfinite(step) or step <= 0:
        return np.asarray(times, float)
    return np.round(np.asarray(times, float), max(int(np.ceil(-np.log10(step))), 0))


def censor_frame(arms: list[ArmTrace], mapping: AxisMapping, t0: float = 0.0) -> pd.DataFrame:
    """Censor marks in data units: ``arm, time, survival``."""
    frames = []
    for arm in arms:
        c = np.asarray(arm.censor_px, float).reshape(-1, 2)
        if len(c):
            frames.append(pd.DataFrame({
                "arm": arm.name,
                "time": np.maximum(np.asarray(mapping.time(c[:, 0]), float), t0),
                "survival": np.clip(np.asarray(mapping.survival(c[:, 1]), float), 0.0, 1.0),
            }))
    if not frames:
        return pd.DataFrame(columns=["arm", "time", "survival"])
    return pd.concat(frames, ignore_index=True).sort_values(["arm", "time"], kind="stable").reset_index(drop=True)
