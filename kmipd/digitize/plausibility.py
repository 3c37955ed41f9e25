"""Plausibility checks that catch a failed read (issue 13, item 6).

A reading can look complete and still be wrong: a curve that stops while the number-at-risk
table still counts patients, a trace that hops onto another arm, an arm named after a p-value, an
axis calibration that was assumed rather than read. Each check here is a small pure function of
the parts of a reading; it returns zero or more :class:`Doubt` records. :func:`check_plausibility`
runs them all; :func:`kmipd.digitize.digitize` calls it last and a reading with any doubt is
*unsure* (:attr:`kmipd.digitize.result.Digitization.unsure`).

The thresholds are named constants below. They are deliberately loose: a doubt must be rare on a
correct reading (it is shouted at the user), so each one fires only on what a correct reading of
a real KM figure cannot show.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmipd.digitize.result import ArmTrace, AxisMapping, PlotBox

__all__ = [
    "Doubt", "arm_confidence", "check_arm_count", "check_calibration", "check_curve_ends",
    "check_curve_shape", "check_hops", "check_names", "check_plausibility", "check_stage_failures",
    "check_start", "check_table_disputes", "looks_like_statistics",
]

# --- curve ends against the number-at-risk table ---------------------------------------------
#: An arm "ends early" when the table still counts at least this many patients at risk ...
END_MIN_AT_RISK = 5
#: ... at a time later than its last curve point by more than this fraction of the x axis span
#: (a curve may legitimately stop a little before a table column: the last censoring falls
#: between two columns, and tracing loses the last pixels under a censor mark or the box edge).
END_GAP_FRACTION = 0.08
#: A curve "drops to 0" when its last survival is below this.
ZERO_SURVIVAL = 0.005
#: A final drop to 0 is implausible when, by the table, at least this many patients were still at
#: risk after the drop (all of them would have to have the event at the same moment).
ZERO_MIN_AT_RISK = 3
#: Without a table: a final drop to 0 from at least this survival, that is also at least
#: :data:`ZERO_DROP_RATIO` times the largest earlier drop of the curve, is implausible (the last
#: patient's event is a drop of the size of the earlier ones, s / n_at_risk).
ZERO_DROP_FROM = 0.15
ZERO_DROP_RATIO = 3.0

# --- curve shape ------------------------------------------------------------------------------
#: A traced curve that rises by more than this (survival) between two of its points has left its
#: own line (KM curves never rise; a pixel or two of trace noise stays well under it).
RISE_TOLERANCE = 0.04
#: Number of such rises that make the trace doubtful.
MAX_RISES = 1
#: A single drop of the curve is ``rel * n`` tied events (``rel`` the drop as a fraction of the
#: level before it, ``n`` the number at risk then, interpolated between the table's columns).
#: More than this many events at one moment is a jump between curves, not a step (ties in a
#: correct reading, months rounded or steps merged within a pixel, stay well below it) ...
MAX_TIED_EVENTS = 10
#: ... as is a drop of more than this fraction of those at risk that is at least
#: :data:`MIN_TIED_FOR_FRACTION` events (the last few patients may fall in large relative steps).
MAX_TIED_FRACTION = 0.3
MIN_TIED_FOR_FRACTION = 4
#: Only drops larger than this (survival) are judged: smaller ones, in a steep stretch of a large
#: trial, are many steps merged within a pixel and their "events at one moment" are overcounted.
MIN_JUDGED_DROP = 0.1
#: Two arms "touch" where their survival differs by less than this; an arm that leaves and
#: rejoins another arm more than :data:`MAX_CROSSINGS` times, by more than :data:`CROSS_SEPARATION`
#: each time, hops between curves.
TOUCH = 0.01
CROSS_SEPARATION = 0.03
MAX_CROSSINGS = 12  # close correct curves (HR near 1) meet up to ~10 times over the grid
#: Two arms whose survival differs by less than :data:`DUPLICATE_MEAN` on average and less than
#: :data:`DUPLICATE_Q90` at 90% of the common times are one curve traced twice (a halo of a
#: compressed image, a confidence band), not two arms: two samples of patients differ by more.
DUPLICATE_MEAN = 0.008
DUPLICATE_Q90 = 0.02
#: Points of the common time grid for comparing arms.
GRID = 400

# --- calibration ------------------------------------------------------------------------------
#: The survival at the top of the plot box must lie in this range (a KM axis goes up to 1 or
#: 100%, sometimes with a margin); outside it the y calibration is off.
TOP_SURVIVAL_RANGE = (0.85, 1.35)
#: The highest y tick read must be within this of 1 (100%), when the y axis has ticks read.
TOP_TICK_TOLERANCE = 0.2
#: A curve that starts below this survival starts far below 1 (a calibration or tracing error;
#: curves from time 0 start at 1).
START_MIN = 0.9

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


@dataclass(frozen=True)
class Doubt:
    """One reason to think a reading is wrong.

    Attributes
    ----------
    arm : str or None
        The arm it is about, None for the whole reading.
    code : str
        What kind of doubt (``"ends_early"``, ``"drop_to_zero"``, ``"rises"``, ``"jump"``,
        ``"hops"``, ``"arm_count"``, ``"name"``, ``"calibration"``, ``"start"``, ``"stage"``,
        ``"table_curve"``).
    message : str
        One line for the user.
    """

    arm: str | None
    code: str
    message: str

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        """``{"arm", "code", "message"}`` (as in ``digitization.json``)."""
        return {"arm": self.arm, "code": self.code, "message": self.message}


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
    out += check_hops({n: (c["time"].to_numpy(float), c["survival"].to_numpy(float))
                       for n, c in by_arm.items()})
    return tuple(out)


def _raw_curve(arm: ArmTrace, mapping: AxisMapping) -> tuple[np.ndarray, np.ndarray]:
    """An arm's traced points in data units, ordered by time, not made monotone."""
    pts = np.asarray(arm.steps_px, float).reshape(-1, 2)
    order = np.argsort(pts[:, 0], kind="stable")
    return (np.asarray(mapping.time(pts[order, 0]), float),
            np.asarray(mapping.survival(pts[order, 1]), float))


def check_calibration(mapping: AxisMapping, box: PlotBox) -> list[Doubt]:
    """The y axis assumed rather than read, or read to a survival range a KM plot does not have.

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
    if mapping.y.source == "assumed":
        out.append(Doubt(None, "calibration", "the y axis labels were not read: survival 0-1 over the "
                                              "plot box was assumed; give --y-range."))
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
    """Arm names that look like statistics or an annotation ("HR 0.71 (95% CI ...)", "P = 0.189").

    Parameters
    ----------
    names : sequence of str
        The arms' names.

    Returns
    -------
    list of Doubt
    """
    return [Doubt(n, "name", f"arm name {n!r} looks like statistics or an annotation, not a group: "
                             "the legend was misread.") for n in names if looks_like_statistics(n)]


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


def check_table_disputes(flags: Sequence[dict]) -> list[Doubt]:
    """Arms whose clearly read at-risk counts the curve contradicts (the table reader keeps such
    cells, marked ``disputes_curve``): the curve or the table is misread.

    Parameters
    ----------
    flags : sequence of dict
        The table's flagged cells (:attr:`kmipd.digitize.table.AtRiskReading.flags`).

    Returns
    -------
    list of Doubt
    """
    arms = dict.fromkeys(str(f["arm"]) for f in flags if f.get("disputes_curve"))
    return [Doubt(a, "table_curve", f"{a}: the numbers at risk, read clearly, contradict the "
                  "curve's drops: the curve (or the table) is misread") for a in arms]


def _at_risk_at(risk: tuple[np.ndarray, np.ndarray], t: float) -> float:
    """Patients at risk at ``t`` by the table: at least the count of the first column after it."""
    times, n = risk
    after = n[times >= t - 1e-9]
    return float(after[0]) if len(after) else 0.0


def check_curve_ends(arm: str, t: np.ndarray, s: np.ndarray, risk: tuple[np.ndarray, np.ndarray] | None,
                     span: float) -> list[Doubt]:
    """A curve that stops while the table still counts patients, that still falls after the table
    has nobody at risk, or that drops to 0 at its end.

    Parameters
    ----------
    arm : str
        The arm's name.
    t, s : ndarray
        The curve's step points (time, survival), ordered by time, non-increasing.
    risk : (ndarray, ndarray) or None
        The arm's table columns (times, numbers at risk), ordered by time.
    span : float
        The x axis span (data units).

    Returns
    -------
    list of Doubt
    """
    out: list[Doubt] = []
    if len(t) == 0:
        return out
    end = float(t[-1])
    if risk is not None:
        times, n = risk
        late = (times > end + END_GAP_FRACTION * span) & (n >= END_MIN_AT_RISK)
        if late.any():
            k = int(np.flatnonzero(late)[-1])
            out.append(Doubt(arm, "ends_early", f"{arm}: the curve ends at {end:.3g} but the table has "
                                                f"{int(n[k])} at risk at {times[k]:.3g}: part of the "
                                                "curve was not traced."))
        gone = times[n <= 0]
        if len(gone) and len(s) >= 2:
            falls = t[1:][np.diff(s) < -ZERO_SURVIVAL]
            late_fall = falls[falls > gone[0] + END_GAP_FRACTION * span]
            if len(late_fall):
                out.append(Doubt(arm, "ends_late", f"{arm}: the table has nobody at risk from "
                                                   f"{gone[0]:.3g} but the curve still falls at "
                                                   f"{late_fall[-1]:.3g}: the table row or the curve "
                                                   "belongs to another arm."))
    if len(s) >= 2 and s[-1] < ZERO_SURVIVAL:
        prev = float(s[:-1][s[:-1] > ZERO_SURVIVAL][-1]) if (s[:-1] > ZERO_SURVIVAL).any() else 1.0
        drop_at = float(t[np.flatnonzero(s < ZERO_SURVIVAL)[0]])
        if risk is not None:
            remaining = _at_risk_at(risk, drop_at + 1e-6 * span)
            if remaining >= ZERO_MIN_AT_RISK:
                out.append(Doubt(arm, "drop_to_zero", f"{arm}: the curve drops to 0 at {drop_at:.3g} "
                                                      f"but the table has {int(remaining)} at risk after "
                                                      "that: the end was misread."))
                return out
        drops = -np.diff(s[s >= ZERO_SURVIVAL]) if (s >= ZERO_SURVIVAL).sum() > 1 else np.zeros(0)
        largest = float(drops.max()) if len(drops) else 0.0
        if prev >= ZERO_DROP_FROM and prev > ZERO_DROP_RATIO * largest:
            out.append(Doubt(arm, "drop_to_zero", f"{arm}: the curve falls from {prev:.2f} to 0 in one "
                                                  f"step at {drop_at:.3g}, far more than any of its "
                                                  "earlier steps: the end was misread."))
    return out


def check_start(arm: str, s: np.ndarray) -> list[Doubt]:
    """A curve that starts far below survival 1 (:data:`START_MIN`).

    Parameters
    ----------
    arm : str
        The arm's name.
    s : ndarray
        The curve's survival, from its first point.

    Returns
    -------
    list of Doubt
    """
    if len(s) and s[0] < START_MIN:
        return [Doubt(arm, "start", f"{arm}: the curve starts at survival {s[0]:.2f}, not 1: the y axis "
                                    "or the start of the curve was misread.")]
    return []


def check_curve_shape(arm: str, t: np.ndarray, s: np.ndarray,
                      risk: tuple[np.ndarray, np.ndarray] | None = None) -> list[Doubt]:
    """A trace that rises, or drops by more than the table's numbers at risk allow in one step.

    Parameters
    ----------
    arm : str
        The arm's name.
    t, s : ndarray
        The traced points (time, survival) ordered by time, as traced (not made monotone).
    risk : (ndarray, ndarray), optional
        The arm's table columns (times, numbers at risk).

    Returns
    -------
    list of Doubt
    """
    out: list[Doubt] = []
    if len(s) < 2:
        return out
    level = np.minimum.accumulate(s)
    rises = int(np.sum((s[1:] - level[:-1] > RISE_TOLERANCE) & (s[:-1] - level[:-1] <= RISE_TOLERANCE)))
    if rises > MAX_RISES:
        out.append(Doubt(arm, "rises", f"{arm}: the traced curve rises {rises} times by more than "
                                       f"{RISE_TOLERANCE:g}: the trace left its line (another curve?)."))
    if risk is not None:
        drop = level[:-1] - level[1:]
        for i in np.flatnonzero(drop > MIN_JUDGED_DROP):
            rel = drop[i] / max(level[i], 1e-9)
            events = rel * float(np.interp(t[i + 1], *risk))
            if events > MAX_TIED_EVENTS or (rel > MAX_TIED_FRACTION and events >= MIN_TIED_FOR_FRACTION):
                out.append(Doubt(arm, "jump", f"{arm}: a drop of {drop[i]:.2f} at {t[i + 1]:.3g} would be "
                                              f"{events:.0f} events at one moment ({100 * rel:.0f}% of those "
                                              "at risk): the trace jumped between curves."))
                break
    return out


def check_hops(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[Doubt]:
    """An arm that leaves and rejoins another one many times (the trace hops between curves), or
    that lies on another one everywhere (one curve traced twice).

    Parameters
    ----------
    curves : dict of str -> (ndarray, ndarray)
        Each arm's step points (time, survival), ordered by time.

    Returns
    -------
    list of Doubt
    """
    out: list[Doubt] = []
    names = list(curves)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ta, sa = curves[a]
            tb, sb = curves[b]
            lo, hi = max(ta[0], tb[0]), min(ta[-1], tb[-1])
            if hi <= lo or len(ta) < 2 or len(tb) < 2:
                continue
            grid = np.linspace(lo, hi, GRID)
            d = _step_at(ta, sa, grid) - _step_at(tb, sb, grid)
            if np.mean(np.abs(d)) < DUPLICATE_MEAN and np.quantile(np.abs(d), 0.9) < DUPLICATE_Q90:
                out.append(Doubt(b, "duplicate", f"{b}: the curve lies on {a} almost everywhere: one "
                                                 "curve was traced twice; give --arms."))
                continue
            n = _rejoins(d)
            if n > MAX_CROSSINGS:
                out.append(Doubt(a, "hops", f"{a}: the curve meets {b} {n} times after leaving it: "
                                            "the trace hops between the two curves."))
    return out


def _step_at(t: np.ndarray, s: np.ndarray, grid: np.ndarray) -> np.ndarray:
    i = np.clip(np.searchsorted(t, grid, side="right") - 1, 0, len(s) - 1)
    return s[i]


def _rejoins(d: np.ndarray) -> int:
    """How often a difference of two curves returns to 0 (within :data:`TOUCH`) or changes sign,
    after having been at least :data:`CROSS_SEPARATION` away."""
    count, away, sign = 0, False, 0
    for v in d:
        if abs(v) >= CROSS_SEPARATION:
            if away and np.sign(v) != sign:
                count += 1
            away, sign = True, int(np.sign(v))
        elif abs(v) < TOUCH and away:
            count += 1
            away = False
    return count


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
