"""Pixel -> data calibration of the two axes from their tick labels.

Tick labels are read by OCR, matched to the tick marks found on the axis line (or, without tick
marks, placed at the label centres), and a line ``value = offset + scale * pixel`` is fitted by
an exhaustive RANSAC over label pairs. Labels are linear in their position, so a single misread
("99" read as "66", "0.5" read as "05") falls far off the line through the others and is
overruled, with a warning saying so.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from kmipd.digitize.frame.label_digits import eights_as_zeros
from kmipd.digitize.frame.nice_ticks import VALUE_TOL, round_step_axis
from kmipd.digitize.frame.tick_labels import axis_label_words, parse_number, reread_labels
from kmipd.digitize.result import AxisCalibration, AxisMapping, PlotBox, TickReading
from kmipd.digitize.text.ocr import OcrWord
from kmipd.errors import KmipdError

#: Two labels closer than this many pixels along the axis propose no line.
_MIN_PAIR_PX = 1.0
#: A label takes the position of a tick mark within this many pixels or ``h`` of its centre
#: (tick marks are sharper than OCR boxes).
_TICK_SNAP_PX, _TICK_SNAP_H = 3.0, 0.6
#: A label is on the fitted line within this many pixels or this share of the axis length.
_FIT_TOL_PX, _FIT_TOL_SHARE = 3.0, 0.012
#: Labels needed to cross-check a calibration: two define the line, a third confirms it (fewer
#: in the whole-image OCR: the axis strip is read again, enlarged).
CROSS_CHECK_LABELS = 3
#: Confidence grows with the labels beyond the first (full at this many more) and falls with
#: the residual (halved at this many pixels).
_CONF_FULL_EXTRA, _CONF_RESID_PX = 3.0, 3.0
#: A y axis whose values reach beyond this is in percent.
_PERCENT_ABOVE = 1.5
#: A user's range is questioned when the labels read put either end further off than this
#: share of the range.
_RANGE_DISAGREE_SHARE = 0.02
#: A calibrated box is unusual for a KM plot when survival at its top is outside this range, at
#: its bottom outside this one, or when it starts earlier than this share of its span before 0.
_TOP_SURVIVAL = (0.2, 1.6)
_BOTTOM_SURVIVAL = (-0.6, 0.95)
_EARLY_START_SHARE = 0.25


@dataclass
class Calibration:
    """Both axes' calibration with how much to trust it."""

    mapping: AxisMapping
    confidence: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def fit_axis(pixels: np.ndarray, values: np.ndarray, *, sign: int, tol: float) -> tuple[float, float, np.ndarray]:
    """Robust line ``value = offset + scale * pixel`` through label points.

    Every pair of points proposes a line (exhaustive RANSAC: there are rarely more than 15 labels);
    the line with most points within ``tol`` pixels wins, ties going to the smaller residual, and
    is refitted by least squares on its inliers.

    Parameters
    ----------
    pixels, values : ndarray
        Label positions (pixels along the axis) and their read values.
    sign : {1, -1}
        Required sign of the scale (x grows to the right, y grows upwards i.e. to smaller rows).
    tol : float
        Inlier distance, in pixels.

    Returns
    -------
    scale, offset : float
    inliers : ndarray of bool
    """
    p, v = np.asarray(pixels, float), np.asarray(values, float)
    best, best_key = None, None
    for i, j in itertools.combinations(range(len(p)), 2):
        if abs(p[j] - p[i]) < _MIN_PAIR_PX or v[j] == v[i]:
            continue
        scale = (v[j] - v[i]) / (p[j] - p[i])
        if np.sign(scale) != sign:
            continue
        offset = v[i] - scale * p[i]
        resid = np.abs((v - offset) / scale - p)
        inl = resid <= tol
        key = (int(inl.sum()), -float(resid[inl].sum()))
        if best_key is None or key > best_key:
            best, best_key = inl, key
    if best is None:
        raise KmipdError("tick labels do not define an axis")
    scale, offset = np.polyfit(p[best], v[best], 1)
    return float(scale), float(offset), best


@dataclass
class _AxisResult:
    cal: AxisCalibration
    confidence: float
    percent: bool
    warnings: list[str]


def _calibrate_axis(words: Sequence[OcrWord], box: PlotBox, ticks: np.ndarray, axis: str,
                   value_range: tuple[float, float] | None = None) -> _AxisResult:
    """Calibrate one axis from its labels (or from ``value_range`` given by the user)."""
    ticks = np.asarray(ticks, float)
    length = box.width if axis == "x" else box.height
    sign = 1 if axis == "x" else -1
    labels = axis_label_words(words, box, axis)
    readings, pct = [], False
    for w in labels:
        value, is_pct = parse_number(w.text)
        centre = w.cx if axis == "x" else w.cy
        pixel = centre
        if ticks.size:
            k = int(np.argmin(np.abs(ticks - centre)))
            if abs(ticks[k] - centre) <= max(_TICK_SNAP_PX, _TICK_SNAP_H * w.height):
                pixel = float(ticks[k])
        pct |= is_pct
        readings.append((pixel, w.text, value))
    if value_range is not None:
        return _override(axis, box, ticks, value_range, readings, sign)
    got = _fitted(axis, readings, pct, sign, length)
    # small or monospaced zeros read as eights ("188" for "180", "8.9" for "0.9")
    fixed = None if got is None else eights_as_zeros(
        readings, got.cal.scale, max(_FIT_TOL_PX, _FIT_TOL_SHARE * length), parse_number)
    if fixed is not None:
        alt = _fitted(axis, fixed, pct, sign, length)
        if alt is not None and _used(alt) >= _used(got):
            was = [t for (_, t, v), (_, _, w) in zip(readings, fixed) if v != w]
            alt.warnings.append(f"{axis} axis: label(s) {', '.join(repr(t) for t in was)} read with "
                                "an 8 for a 0 (they fit the axis only so); check the "
                                f"{axis} calibration.")
            got = alt
    if got is not None and axis == "x":
        got = _round_step(got, readings, ticks)
    return got if got is not None else _assumed(axis, box, ticks, readings)


def _round_step(got: _AxisResult, readings: list[tuple[float, str, float]],
                ticks: np.ndarray) -> _AxisResult:
    """``got``, or, when only two labels were read to fit it, the axis through the tick marks
    at a round step when that agrees with the labels clearly better
    (:func:`kmipd.digitize.frame.nice_ticks.round_step_axis`)."""
    # only an axis through two labels, which could not be cross-checked, is in question
    checked = _used(got) >= CROSS_CHECK_LABELS
    better = None if checked or ticks.size < 3 else round_step_axis(readings, ticks, got.cal.to_data)
    if better is None:
        return got
    offset, scale, step = better
    out = [TickReading(p, t, v, v is not None and abs(offset + scale * p - v) <= VALUE_TOL * step)
           for p, t, v in readings]
    wrong = [t for t, r in zip(readings, out) if not r.used]
    msg = (f"x axis: label(s) {', '.join(repr(t[1]) for t in wrong)} read as values the tick marks' "
           "round steps do not fit; the marks' values were taken from the labels read right; "
           "check the x calibration.")
    # the fit's "only 2 tick labels read" gives way to what was done about it (its other
    # warnings stand: an 8 read for a 0 says "only" too)
    kept = [w for w in got.warnings if not w.startswith("x axis: only ")]
    return _AxisResult(AxisCalibration(scale, offset, out, "ocr", 0.0), min(got.confidence, 0.5),
                       got.percent, kept + [msg])


def _used(result: _AxisResult) -> int:
    """The number of labels a calibration rests on."""
    return sum(t.used for t in result.cal.ticks)


def _fitted(axis: str, readings: list[tuple[float, str, float]], pct: bool, sign: int,
            length: float) -> _AxisResult | None:
    """The axis fitted through its labels' readings ``(pixel, text, value)``, or None when
    fewer than two agree."""
    pix = [p for p, _, _ in readings]
    vals = [v for _, _, v in readings]
    warnings: list[str] = []
    if len(readings) >= 2:
        try:
            scale, offset, inl = fit_axis(np.array(pix), np.array(vals), sign=sign,
                                          tol=max(_FIT_TOL_PX, _FIT_TOL_SHARE * length))
        except KmipdError:
            inl = None
        if inl is not None and inl.sum() >= 2:
            ticks_out = [TickReading(p, t, v, bool(u)) for (p, t, v), u in zip(readings, inl)]
            resid = float(np.sqrt(np.mean(((np.array(vals)[inl] - offset) / scale - np.array(pix)[inl]) ** 2)))
            n_in, n_all = int(inl.sum()), len(readings)
            conf = (n_in / n_all) * min(1.0, (n_in - 1) / _CONF_FULL_EXTRA) / (1.0 + resid / _CONF_RESID_PX)
            dropped = [t.text for t in ticks_out if not t.used]
            if dropped:
                warnings.append(f"{axis} axis: label(s) {', '.join(repr(d) for d in dropped)} did not fit "
                                f"the other {n_in} and were ignored; check the {axis} calibration.")
            if n_in < CROSS_CHECK_LABELS:
                warnings.append(f"{axis} axis: only {n_in} tick labels read; calibration could not be cross-checked.")
            percent = pct or max(abs(v) for v in np.array(vals)[inl]) > _PERCENT_ABOVE
            return _AxisResult(AxisCalibration(scale, offset, ticks_out, "ocr", resid), float(conf), percent, warnings)
    return None


def check_value_range(value_range, axis: str) -> tuple[float, float] | None:
    """A user's ``x_range``/``y_range`` as two floats; None stays None.

    Raises
    ------
    KmipdError
        Unless it is two finite numbers that differ.
    """
    if value_range is None:
        return None
    try:
        a, b = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise KmipdError(f"{axis}_range must be two numbers, the values of the first and last tick mark "
                         f"(--{axis}-range A B on the command line), got {value_range!r}.") from None
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        raise KmipdError(f"{axis}_range must be two different values, both finite numbers: the values of the "
                         f"first and last tick mark (--{axis}-range A B on the command line); got {a:g} and {b:g}.")
    return a, b


def _override(axis, box, ticks, value_range, readings, sign) -> _AxisResult:
    a, b = check_value_range(value_range, axis)
    # the given range is the first and last labelled tick (what a reader sees printed); without
    # two tick marks, the box edges stand in for them
    if len(ticks) >= 2:
        p_lo, p_hi = (float(ticks[0]), float(ticks[-1])) if axis == "x" else (float(ticks[-1]), float(ticks[0]))
    else:
        p_lo, p_hi = (box.left, box.right) if axis == "x" else (box.bottom, box.top)
    scale = (b - a) / (p_hi - p_lo)
    offset = a - scale * p_lo
    warnings = []
    known = [(p, v) for p, _, v in readings if v is not None]
    if len(known) >= CROSS_CHECK_LABELS:
        try:
            s2, o2, inl = fit_axis(*map(np.array, zip(*known)), sign=sign,
                                   tol=max(_FIT_TOL_PX, _FIT_TOL_SHARE * abs(p_hi - p_lo)))
            span = abs(b - a)
            if inl.sum() >= CROSS_CHECK_LABELS and (max(abs(o2 + s2 * p_lo - a), abs(o2 + s2 * p_hi - b))
                                                     > _RANGE_DISAGREE_SHARE * span):
                warnings.append(f"{axis} axis: the labels read suggest {o2 + s2 * p_lo:.4g}-{o2 + s2 * p_hi:.4g}, "
                                f"not the {a:g}-{b:g} given; using the given range.")
        except KmipdError:
            pass
    ticks_out = [TickReading(p, t, v, False) for p, t, v in readings]
    percent = max(abs(a), abs(b)) > _PERCENT_ABOVE
    return _AxisResult(AxisCalibration(scale, offset, ticks_out, "override", 0.0), 1.0, percent, warnings)


def _assumed(axis, box, ticks, readings) -> _AxisResult:
    if len(ticks) >= 2:
        p_lo, p_hi = (float(ticks[0]), float(ticks[-1])) if axis == "x" else (float(ticks[-1]), float(ticks[0]))
        where = "outermost tick marks"
    else:
        p_lo, p_hi = (box.left, box.right) if axis == "x" else (box.bottom, box.top)
        where = "box edges"
    scale = 1.0 / (p_hi - p_lo)
    hint = ("--x-range A B (x_range= in Python; times in the figure's unit)" if axis == "x"
            else "--y-range A B (y_range= in Python)")
    msg = (f"{axis} axis: tick labels could not be read ({len(readings)} found); assumed 0-1 at the {where}; "
           f"give {hint} for real values.")
    ticks_out = [TickReading(p, t, v, False) for p, t, v in readings]
    return _AxisResult(AxisCalibration(scale, -scale * p_lo, ticks_out, "assumed", 0.0), 0.0, False, [msg])


def calibrate(image: np.ndarray | None, box: PlotBox, words: Sequence[OcrWord] | None = None, *,
              x_ticks: np.ndarray | None = None, y_ticks: np.ndarray | None = None,
              x_range: tuple[float, float] | None = None, y_range: tuple[float, float] | None = None) -> Calibration:
    """Calibrate both axes of a plot.

    Parameters
    ----------
    image : ndarray or None
        The figure; used to re-read an axis's labels enlarged when the whole-image OCR found
        fewer than three of them, and to read y labels printed sideways when the upright reading
        fails (:func:`kmipd.digitize.frame.rotated.sideways_y`) (None: no re-reading).
    box : PlotBox
        The plot box.
    words : sequence of OcrWord, optional
        OCR of the whole image (shared with the legend and risk-table readers); read here if None.
    x_ticks, y_ticks : ndarray, optional
        Tick positions from :func:`kmipd.digitize.frame.axes.find_ticks`; found here if None.
    x_range, y_range : (float, float), optional
        User overrides: the values of the first and last tick mark on that axis (the box edges
        when fewer than two tick marks are found). A y range above 1.5 means a percent axis.

    Returns
    -------
    Calibration
        ``mapping`` (AxisMapping), per-axis ``confidence`` in [0, 1], and ``warnings`` for every
        reading that failed a consistency check or was assumed.
    """
    from kmipd.digitize.frame import axes

    if image is not None:
        if x_ticks is None:
            x_ticks = axes.find_ticks(image, box, "x")
        if y_ticks is None:
            y_ticks = axes.find_ticks(image, box, "y")
        if words is None:
            from kmipd.digitize.text.ocr import read_words

            words = read_words(image)
    words = list(words or [])
    x_ticks = np.zeros(0) if x_ticks is None else np.asarray(x_ticks, float)
    y_ticks = np.zeros(0) if y_ticks is None else np.asarray(y_ticks, float)
    x_range, y_range = check_value_range(x_range, "x"), check_value_range(y_range, "y")
    results = {}
    for axis, ticks, rng in (("x", x_ticks, x_range), ("y", y_ticks, y_range)):
        axis_words = words
        few = len(axis_label_words(words, box, axis)) < CROSS_CHECK_LABELS
        if image is not None and rng is None and few:
            axis_words = reread_labels(image, box, axis, words)
        results[axis] = _calibrate_axis(axis_words, box, ticks, axis, rng)
        if image is not None and rng is None and not few and results[axis].cal.source == "assumed":
            # the labels taken were not the axis's (a table row read for tiny tick labels):
            # the strip enlarged may hold the real ones
            again_words = reread_labels(image, box, axis, words, always=True)
            again = _calibrate_axis(again_words, box, ticks, axis, rng)
            if again.cal.source != "assumed":
                results[axis], axis_words = again, again_words
        if axis == "y" and image is not None and rng is None:  # labels printed sideways?
            from kmipd.digitize.frame.rotated import sideways_y

            results[axis] = sideways_y(image, box, axis_words, ticks, results[axis])
    xr, yr = results["x"], results["y"]
    mapping = AxisMapping(xr.cal, yr.cal, percent=yr.percent)
    warnings = xr.warnings + yr.warnings + _plausibility(mapping, box)
    return Calibration(mapping, {"x_axis": xr.confidence, "y_axis": yr.confidence}, warnings)


def _plausibility(mapping: AxisMapping, box: PlotBox) -> list[str]:
    """Warn when the calibrated box does not look like a survival plot."""
    out = []
    s_bottom, s_top = float(mapping.survival(box.bottom)), float(mapping.survival(box.top))
    if mapping.y.source != "assumed" and (s_top < _TOP_SURVIVAL[0] or s_top > _TOP_SURVIVAL[1]
                                          or s_bottom < _BOTTOM_SURVIVAL[0]
                                          or s_bottom > _BOTTOM_SURVIVAL[1]):
        out.append(f"y axis: the plot box spans survival {s_bottom:.2f}-{s_top:.2f}, unusual for a KM plot; "
                   "check the y calibration or give --y-range A B (y_range= in Python).")
    t_left = float(mapping.time(box.left))
    span = float(mapping.time(box.right)) - t_left
    if mapping.x.source != "assumed" and span > 0 and t_left < -_EARLY_START_SHARE * span:
        out.append(f"x axis: the plot starts at time {t_left:.3g}, well before 0; check the x calibration.")
    return out
