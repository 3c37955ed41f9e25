"""Tick values from regular tick marks and round steps, where too few labels were read right.

Small, blurred labels are read wrong or not at all ("50" for "30", "14" for "24"). When only a
few are read, a wrong one can pass as right: two labels always fit a line. But axes put their
ticks at regular marks, a round step apart (1, 2, 2.5, 3, 5, 6, 12 ... times a power of ten),
from a round first value. Each such axis predicts every mark's label; the one whose labels agree
best with what was read (exactly, or but for one glyph) tells the values.
"""

from __future__ import annotations

import numpy as np

__all__ = ["VALUE_TOL", "round_step_axis"]

#: Steps between tick labels, times a power of ten.
#: (1.2 2.4 3.6 4.8: months by the year; 7 1.4 2.8: days by the week; 9 1.8 3.65 7.3: days by
#: the quarter, half-year, year and two years.)
_STEP_MANTISSAS = (1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 1.2, 1.5, 2.4, 3.6, 4.8, 7.0, 1.4,
                   2.8, 9.0, 1.8, 3.65, 7.3)
_STEPS = tuple(m * 10.0 ** p for p in range(-2, 4) for m in _STEP_MANTISSAS)
#: Tick marks are regular when their spacing varies by at most this share of it ...
_REGULAR_SHARE = 0.05
#: ... and a label belongs to the mark within this share of the spacing.
_ON_MARK_SHARE = 0.3
#: First values tried: this many steps from 0.
_FIRST_STEPS = 10
#: A value agrees with a label within this share of a step (a fitted axis is a pixel off).
VALUE_TOL = 0.05
#: A label read but for one glyph agrees this much (an exact one: 1).
_ONE_GLYPH = 0.5


def _regular_marks(marks: np.ndarray) -> tuple[float, float] | None:
    """First mark and spacing of regularly spaced tick marks, or None."""
    marks = np.sort(np.asarray(marks, float))
    if len(marks) < 3:
        return None
    gaps = np.diff(marks)
    spacing = float(np.median(gaps))
    if spacing <= 0 or np.max(np.abs(gaps - spacing)) > _REGULAR_SHARE * spacing + 1.0:
        return None
    return float(marks[0]), spacing


def _agreement(read: str, value: float, tol: float) -> float:
    """How well a label read agrees with a value (give or take ``tol``): 1 exactly,
    ``_ONE_GLYPH`` but for one glyph of the same length, else 0."""
    decimals = len(read.split(".")[1]) if "." in read else 0
    if abs(value - round(value, decimals)) > tol:
        return 0.0  # 12.5 is not printed "12"
    want = f"{round(value, decimals):.{decimals}f}"
    if read == want:
        return 1.0
    if len(read) == len(want) and sum(a != b for a, b in zip(read, want)) == 1:
        return _ONE_GLYPH
    return 0.0


def _score(labels: list[tuple[int, str]], first: float, step: float) -> tuple[float, int]:
    """Agreement of labels ``(mark index, text)`` with an axis ``first + index * step``: the
    total and the number of exact ones."""
    agree = [_agreement(t, first + i * step, VALUE_TOL * abs(step)) for i, t in labels]
    return float(sum(agree)), sum(a == 1.0 for a in agree)


def round_step_axis(readings: list[tuple[float, str, float | None]], marks: np.ndarray,
                    to_value) -> tuple[float, float, float] | None:
    """The axis ``value = offset + scale * pixel`` through the tick marks at a round step that
    agrees with the labels read clearly better than the axis fitted through them, as
    ``(offset, scale, step)`` (``step``: the value from one mark to the next); None when the
    fitted axis stands (or the marks are not regular).

    Parameters
    ----------
    readings : list of (pixel, text, value)
        The axis's labels as read (pixels already snapped to their marks).
    marks : ndarray
        The axis's tick mark positions (pixels).
    to_value : callable
        The fitted axis: pixel -> value.
    """
    regular = _regular_marks(marks)
    if regular is None:
        return None
    x0, spacing = regular
    labels = []
    for p, t, _ in readings:
        i = int(round((p - x0) / spacing))
        text = t.strip().replace(",", ".")
        if i >= 0 and abs(p - (x0 + i * spacing)) <= _ON_MARK_SHARE * spacing and \
                text.replace(".", "", 1).isdigit():
            labels.append((i, text))
    if len(labels) < 2:
        return None
    first_fit = float(to_value(x0))
    step_fit = float(to_value(x0 + spacing) - first_fit)
    fitted = _score(labels, first_fit, step_fit)
    # a fitted axis at a round step from a round first value is trusted unless a round axis
    # agrees clearly better; one at an odd step (two labels, one misread, always fit a line)
    # only needs to be outdone by a round axis that reads one label exactly
    trusted = _is_round(step_fit) and _is_round_multiple(first_fit, step_fit)
    best, best_axis = ((fitted[0] + 0.25, fitted[1]) if trusted else (_ONE_GLYPH + 0.75, 1)), None
    for step in _STEPS:
        for k in range(_FIRST_STEPS):
            score = _score(labels, k * step, step)
            if score[0] >= best[0] and score[1] >= best[1] and (best_axis is None or score[0] > best[0]):
                best, best_axis = score, (k * step, step)
    if best_axis is None:
        return None
    first, step = best_axis
    scale = step / spacing
    return first - scale * x0, scale, step


def _is_round(step: float) -> bool:
    """A step of the usual ones (within 3%: the labels' centres are a pixel or so off)."""
    return step > 0 and any(abs(step - s) <= 0.03 * s for s in _STEPS)


def _is_round_multiple(value: float, step: float) -> bool:
    """``value`` is a whole number of steps (within a tenth of a step)."""
    return abs(value / step - round(value / step)) <= 0.1
