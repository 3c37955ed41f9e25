"""Plausibility checks that catch a failed read (issue 13, item 6).

A reading can look complete and still be wrong: a curve that stops while the number-at-risk
table still counts patients, a trace that hops onto another arm, an arm named after a p-value, an
axis calibration that was assumed rather than read. Each check here is a small pure function of
the parts of a reading; it returns zero or more :class:`Doubt` records. :func:`check_plausibility`
runs them all (those on the curves' shapes live in :mod:`kmipd.digitize.curve_checks`);
:func:`kmipd.digitize.digitize` calls it last and a reading with any doubt is *unsure*
(:attr:`kmipd.digitize.result.Digitization.unsure`).

The thresholds are named constants below. They are deliberately loose: a doubt must be rare on a
correct reading (it is shouted at the user), so each one fires only on what a correct reading of
a real KM figure cannot show.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from kmipd.digitize.curve_checks import (
    check_curve_ends,
    check_curve_shape,
    check_hidden_start,
    check_hops,
    check_seen,
    check_shade,
    check_short_arms,
    check_start,
    check_under_text,
)
from kmipd.digitize.frame.calibrate import CROSS_CHECK_LABELS
from kmipd.digitize.legend.text import skipped_siblings
from kmipd.digitize.match.pairing import chroma
from kmipd.digitize.result import ArmTrace, AxisMapping, Doubt, PlotBox

__all__ = [
    "Doubt", "arm_confidence", "check_arm_count", "check_band_overlap", "check_calibration", "check_curve_ends",
    "check_curve_shape", "check_hops", "check_names", "check_plausibility", "check_seen",
    "check_stage_failures",
    "check_shade", "check_start", "check_table_disputes", "check_under_text", "looks_like_statistics",
]

# --- calibration ------------------------------------------------------------------------------
#: The survival at the top of the plot box must lie in this range (a KM axis goes up to 1 or
#: 100%, sometimes with a margin); outside it the y calibration is off.
TOP_SURVIVAL_RANGE = (0.85, 1.35)
#: The highest y tick read must be within this of 1 (100%), when the y axis has ticks read.
TOP_TICK_TOLERANCE = 0.2

# --- names ------------------------------------------------------------------------------------
#: What an arm name must not look like: statistics or an annotation, not a group.
_STATS_NAME = re.compile(
    r"[=<>]\s*0?[.,·]\d"                                    # p = 0.189, p < .001, HR = 0.71
    r"|\bHR\s*[=:(]?\s*\d|hazard\s+ratio"                    # HR 0.71 (not "HR+" as a subgroup)
    r"|\b95\s*%|C[Il1]\)|\bC[Il1]\s*[=:(]?\s*\d"             # 95% CI, "Cl)" as OCR reads "CI)"
    r"|\d[.,]\d+\s*%"                                        # 72.5% (not "PD-L1 >=50%")
    r"|\d[.,]\d+\s*(?:months?|mo|weeks?|years?|days?)\b"      # 14.9 months (not ">= 6 months")
    r"|\b(?:months?|weeks?|years?|days?)\s*\d+[.,]\d"
    r"|log[-\s]?rank|\bmedian\b[^A-Za-z]*\d"                   # log-rank, median 14.9
    r"|\(\s*\d+[.,]\d+\s*(?:to|-|\u2013|,)\s*\d"            # (8.7 to 17.3) (not "(18-64)")
    r"|\d+[.,]\d+\s*\(",                                      # 14.9 (8.7 ...
    re.IGNORECASE)

# --- confidence -------------------------------------------------------------------------------
#: How much one doubt lowers an arm's confidence (multiplied in, per doubt on the arm or on the
#: whole reading).
DOUBT_PENALTY = 0.5


def check_plausibility(arms: Sequence[ArmTrace], curves: pd.DataFrame, at_risk: pd.DataFrame | None,
                       mapping: AxisMapping, box: PlotBox, *, legend: Sequence[str] = (),
                       table_rows: int | None = None, legend_entries: int = 0,
                       warnings: Sequence[str] = (),
                       at_risk_flags: Sequence[dict] = (), left_out: int = 0) -> tuple[Doubt, ...]:
    """Every doubt about a reading.

    Parameters
    ----------
    arms : sequence of ArmTrace
        The named arms as traced (pixels).
    curves : DataFrame
        ``arm, time, survival`` (survival 0-1), as built from ``arms``.
    at_risk : DataFrame or None
        ``arm, time, n_at_risk`` when a table was read.
    mapping : AxisMapping
        Pixel -> data.
    box : PlotBox
        The plot area.
    legend : sequence of str
        The legend names (``""`` where none), in ``arms``' order.
    table_rows : int, optional
        Number of rows the at-risk table has (before they were matched to arms).
    legend_entries : int
        Keyed entries the legend lists (0: no keyed legend).
    warnings : sequence of str
        The reading's warnings; those starting ``"unsure:"`` (a stage that failed) are doubts.
    at_risk_flags : sequence of dict
        The table's flagged cells; those marked ``disputes_curve`` are doubts.
    left_out : int
        Traced lines left out as not listed by the legend.

    Returns
    -------
    tuple of Doubt
    """
    span = abs(float(mapping.time(box.right)) - float(mapping.time(box.left))) or 1.0
    by_arm = {str(a): g.sort_values("time", kind="stable") for a, g in curves.groupby("arm", sort=False)}
    table = {str(a): g.sort_values("time", kind="stable")
             for a, g in at_risk.groupby("arm", sort=False)} if at_risk is not None else {}
    out: list[Doubt] = []
    out += check_calibration(mapping, box)
    out += check_arm_count(len(arms), table_rows, legend, legend_entries, left_out)
    out += check_names([a.name for a in arms])
    out += check_stage_failures(warnings)
    out += check_table_disputes(at_risk_flags)
    for name, c in by_arm.items():
        t, s = c["time"].to_numpy(float), c["survival"].to_numpy(float)
        t_rows = table.get(name)
        risk = (t_rows["time"].to_numpy(float), t_rows["n_at_risk"].to_numpy(float)) \
            if t_rows is not None and len(t_rows) else None
        out += check_curve_ends(name, t, s, risk, span)
        out += check_start(name, s)
    for arm in arms:
        raw = _raw_curve(arm, mapping)
        t_rows = table.get(arm.name)
        risk = (t_rows["time"].to_numpy(float), t_rows["n_at_risk"].to_numpy(float)) \
            if t_rows is not None and len(t_rows) else None
        out += check_curve_shape(arm.name, *raw, risk)
        out += check_seen(arm.name, arm.confidence)
        out += check_hidden_start(arm.name, arm.hidden_start)
        out += check_shade(arm.name, arm.shade_change)
        out += check_under_text(arm.name, [(float(mapping.time(a)), float(mapping.time(b)),
                                            float(mapping.survival(ya)), float(mapping.survival(yb)))
                                           for a, b, ya, yb in arm.under_text])
    out += check_band_overlap(arms)
    steps = {n: (c["time"].to_numpy(float), c["survival"].to_numpy(float)) for n, c in by_arm.items()}
    out += check_hops(steps)
    out += check_short_arms(steps, {d.arm for d in out if d.code == "ends_early"})
    return tuple(out)


def _raw_curve(arm: ArmTrace, mapping: AxisMapping) -> tuple[np.ndarray, np.ndarray]:
    """An arm's traced points in data units, ordered by time, not made monotone."""
    pts = np.asarray(arm.steps_px, float).reshape(-1, 2)
    order = np.argsort(pts[:, 0], kind="stable")
    return (np.asarray(mapping.time(pts[order, 0]), float),
            np.asarray(mapping.survival(pts[order, 1]), float))


# --- arms ---------------------------------------------------------------------------------------
#: An arm is "pale grey" when its colour is this close to grey (max - min of RGB) and this light
#: (mean RGB); the other arms are "coloured" at this chroma or more.
PALE_GREY_CHROMA, PALE_GREY_MEAN, COLOURED_ARM_CHROMA = 40.0, 140.0, 80.0


def check_band_overlap(arms: Sequence[ArmTrace]) -> list[Doubt]:
    """A pale grey broken line among strongly coloured arms: where two translucent confidence
    bands overlap they mix to a dull grey whose stepped edges trace like a dashed curve."""
    out = []
    for arm in arms:
        others = [a for a in arms if a is not arm]
        if (others and chroma(arm.colour) < PALE_GREY_CHROMA
                and float(np.mean(arm.colour)) >= PALE_GREY_MEAN and arm.line_style != "solid"
                and all(chroma(a.colour) >= COLOURED_ARM_CHROMA for a in others)):
            out.append(Doubt(arm.name, "band_overlap",
                             f"{arm.name}: a pale grey broken line among coloured arms may be where "
                             "two confidence bands overlap, not an arm; check the overlay, or give "
                             "the number of arms (--arms N, n_arms= in Python)."))
    return out


def check_calibration(mapping: AxisMapping, box: PlotBox) -> list[Doubt]:
    """An axis assumed rather than read, read from two labels only, or a y axis read to a
    survival range a KM plot does not have.

    Parameters
    ----------
    mapping : AxisMapping
        Pixel -> data.
    box : PlotBox
        The plot area.

    Returns
    -------
    list of Doubt
    """
    out = []
    if mapping.x.source == "assumed":
        out.append(Doubt(None, "calibration", "the x axis labels were not read: times 0-1 across the "
                                              "outermost ticks were assumed; give --x-range."))
    if mapping.y.source == "assumed":
        out.append(Doubt(None, "calibration", "the y axis labels were not read: survival 0-1 over the "
                                              "plot box was assumed; give --y-range."))
    for axis, cal in (("x", mapping.x), ("y", mapping.y)):
        if cal.source == "ocr" and sum(t.used for t in cal.ticks) < CROSS_CHECK_LABELS:
            out.append(Doubt(None, "calibration", f"the {axis} axis rests on two tick labels, "
                                                  "which nothing checks: a misread one moves it; "
                                                  f"check it or give --{axis}-range."))
    top = float(mapping.survival(box.top))
    lo, hi = TOP_SURVIVAL_RANGE
    if not lo <= top <= hi:
        out.append(Doubt(None, "calibration", f"the top of the plot box reads as survival {top:.2f}, "
                                              "not about 1 (100%): the y axis was misread; give --y-range."))
    elif mapping.y.source == "ocr":
        values = [t.value for t in mapping.y.ticks if t.used and t.value is not None]
        if values:
            high = max(values) / (100.0 if mapping.percent else 1.0)
            if abs(high - 1.0) > TOP_TICK_TOLERANCE and high < lo:
                out.append(Doubt(None, "calibration", f"the highest y tick reads as {high:.2f}, not 1 "
                                                      "(100%); check the y axis or give --y-range."))
    return out


def check_arm_count(n_arms: int, table_rows: int | None, legend: Sequence[str] = (),
                    legend_entries: int = 0, left_out: int = 0) -> list[Doubt]:
    """The number of arms against the at-risk table's rows and the legend's names.

    Parameters
    ----------
    n_arms : int
        Arms traced.
    table_rows : int or None
        Rows of the at-risk table, None (or 0) when no table was read.
    legend : sequence of str
        Legend names per arm (``""`` where none). Two arms given the same name is a doubt; a
        legend that names only some arms is not (a missed legend entry is common on correct
        readings).
    legend_entries : int
        Keyed entries the legend lists (0: no keyed legend). More than the arms traced is a
        doubt: each keyed entry is a curve, so an arm was missed.
    left_out : int
        Traced lines left out as not listed by the legend: each may be an arm, or a piece of
        one (a doubt).

    Returns
    -------
    list of Doubt
    """
    out = []
    if table_rows and table_rows != n_arms:
        out.append(Doubt(None, "arm_count", f"{n_arms} curve(s) traced but the at-risk table has "
                                            f"{table_rows} rows: an arm was missed or split; give --arms."))
    if legend_entries > n_arms:
        out.append(Doubt(None, "arm_count", f"{n_arms} curve(s) traced but the legend lists "
                                            f"{legend_entries} entries: an arm was missed; give --arms."))
    if left_out:
        out.append(Doubt(None, "arm_count", f"{left_out} more line(s) traced than the legend lists "
                                            "were left out: one may be an arm, or a piece of one; "
                                            "give --arms."))
    names = [str(n).strip() for n in legend]
    named = [n for n in names if n]
    repeated = sorted({n for n in named if named.count(n) > 1})
    if repeated:
        out.append(Doubt(None, "arm_count", f"the legend gives the name {repeated[0]!r} to more than "
                                            "one curve: a curve is spurious or split; give --arms."))
    return out


def check_names(names: Sequence[str]) -> list[Doubt]:
    """Arm names that look like statistics or an annotation ("HR 0.71 (95% CI ...)", "P = 0.189"),
    and names of a run that skip one ("Arm A", "Arm C": an arm was missed).

    Parameters
    ----------
    names : sequence of str
        The arms' names.

    Returns
    -------
    list of Doubt
    """
    out = [Doubt(n, "name", f"arm name {n!r} looks like statistics or an annotation, not a group: "
                            "the legend was misread.") for n in names if looks_like_statistics(n)]
    skipped = skipped_siblings(list(names)) if all(n.strip() for n in names) else []
    if skipped:
        out.append(Doubt(None, "arm_count", f"the arms' names ({', '.join(names)}) skip "
                                            f"{', '.join(repr(n) for n in skipped)}: an arm, or "
                                            "its legend entry, was missed."))
    return out


def looks_like_statistics(name: str) -> bool:
    """Does a name look like a p-value, HR, CI, median or a time, rather than a group's name?

    Parameters
    ----------
    name : str

    Returns
    -------
    bool
    """
    return bool(_STATS_NAME.search(str(name)))


def check_stage_failures(warnings: Sequence[str]) -> list[Doubt]:
    """A stage of the digitizer that failed and was left out (its warning starts ``unsure:``).

    Parameters
    ----------
    warnings : sequence of str

    Returns
    -------
    list of Doubt
    """
    return [Doubt(None, "stage", w.split(":", 1)[1].strip()) for w in warnings
            if str(w).lower().startswith("unsure:")]


#: An arm with this many of its at-risk counts left out (they fit neither the row nor the
#: curve) is misread: its row, or its curve.
MAX_LEFT_OUT = 3


def check_table_disputes(flags: Sequence[dict]) -> list[Doubt]:
    """Arms whose clearly read at-risk counts the curve contradicts (the table reader keeps such
    cells, marked ``disputes_curve``): the curve or the table is misread; arms with
    :data:`MAX_LEFT_OUT` or more counts left out (``"table_unread"``); and rows that went to
    their arms by order alone (``by_order``): which row is which arm is a guess.

    Parameters
    ----------
    flags : sequence of dict
        The table's flagged cells (:attr:`kmipd.digitize.table.AtRiskReading.flags`).

    Returns
    -------
    list of Doubt
    """
    arms = dict.fromkeys(str(f["arm"]) for f in flags if f.get("disputes_curve"))
    out = [Doubt(a, "table_curve", f"{a}: the numbers at risk, read clearly, contradict the "
                 "curve's drops: the curve (or the table) is misread") for a in arms]
    left_out = Counter(str(f["arm"]) for f in flags if f.get("action") == "flagged")
    out += [Doubt(a, "table_unread", f"{a}: {k} of its numbers at risk fit neither the row nor "
                  "the curve and were left out: the row (or the curve) is misread")
            for a, k in left_out.items() if k >= MAX_LEFT_OUT]
    if any(f.get("by_order") for f in flags):
        out.append(Doubt(None, "table_order", "the at-risk table's rows went to the arms by their "
                                              "order or by a guess (no label, colour or curve told): "
                                              "check which row is which arm in the overlay."))
    return out


def arm_confidence(arms: Sequence[ArmTrace], doubts: Sequence[Doubt]) -> dict[str, float]:
    """Each arm's confidence: its tracing confidence lowered by every doubt on it or on the reading.

    Parameters
    ----------
    arms : sequence of ArmTrace
    doubts : sequence of Doubt

    Returns
    -------
    dict of str -> float
        Arm name -> confidence in [0, 1].
    """
    out = {}
    for arm in arms:
        k = sum(d.arm is None or d.arm == arm.name for d in doubts)
        out[arm.name] = float(arm.confidence) * DOUBT_PENALTY ** k
    return out
