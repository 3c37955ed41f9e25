"""The analyst's part of ``report.html``: per-arm statistics, hazard ratios and the KM plot of
the rebuilt IPD, what the user overrode and what was assumed, how sure the reading of each arm
is, and why a run stopped.

The statistics are :class:`kmipd.analysis.SurvivalAnalysis`'s (lifelines): medians with the
confidence interval of ``median_survival_times`` on the Kaplan-Meier confidence band, Cox hazard
ratios (Efron ties) and log-rank tests, so that the report says what ``kmipd analyze`` says.
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Mapping, Sequence

import pandas as pd

from kmipd.errors import KmipdError

__all__ = ["failure_section", "overrides_section", "reading_section", "results_section"]


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def results_section(ipd: pd.DataFrame, reference: str | None, time_unit: str = "",
                    colours: Mapping[str, object] | None = None, png_uri=None) -> str:
    """Per-arm table, comparisons against ``reference`` and the KM plot with numbers at risk.

    Parameters
    ----------
    ipd : DataFrame
        ``arm, time, event``; arms are shown in their order here.
    reference : str, optional
        The hazard ratios' reference arm (default: the first arm).
    time_unit : str
        Label of the time axis.
    colours : mapping of arm -> colour, optional
        Each arm's colour in the plot.
    png_uri : callable
        Turns PNG bytes into a ``data:`` URI (the report's own, so that every image is inline).

    Returns
    -------
    str
        HTML; a paragraph saying why when the IPD cannot be analysed.
    """
    from kmipd.analysis import analyze

    arms = list(dict.fromkeys(ipd["arm"].astype(str)))
    reference = reference if reference in arms else arms[0]
    try:
        result = analyze(ipd, reference=reference, parametric=False)
    except KmipdError as exc:
        return f"<p class='muted'>Not computed: {_e(exc)}</p>"
    per_arm = result.per_arm_.set_index("arm").loc[arms].reset_index()
    parts = ["<h3>Per arm</h3>" + _per_arm_table(per_arm)]
    if len(arms) > 1:
        parts.append(f"<h3>Each arm against {_e(reference)}</h3>" + _comparison_table(result))
    plot = _km_png(ipd, arms, time_unit, colours, result)
    parts.append(f"<img alt='Kaplan-Meier plot of the rebuilt IPD' src='{png_uri(plot)}'>"
                 "<p class='muted'>Kaplan-Meier estimate (lifelines) of the rebuilt IPD, numbers "
                 "at risk under it (patients with time &ge; t). Medians with the 95% CI of the KM "
                 "confidence band; hazard ratios from a Cox model (lifelines, Efron ties); NR: not "
                 "reached.</p>")
    return "".join(parts)


def _num(x: float, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if math.isinf(x):
        return "NR" if x > 0 else "–"
    return f"{x:.{digits}g}"


def _p(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "–"
    return "&lt;0.001" if p < 0.001 else f"{p:.3f}"


def _per_arm_table(per_arm: pd.DataFrame) -> str:
    head = ("<tr><th class='l'>arm</th><th>N</th><th>events</th><th>censored</th>"
            "<th>median (95% CI)</th></tr>")
    rows = "".join(
        f"<tr><td class='l'>{_e(r.arm)}</td><td>{r.n}</td><td>{r.events}</td><td>{r.censored}</td>"
        f"<td>{_num(r.median)} ({_num(r.median_lower)}, {_num(r.median_upper)})</td></tr>"
        for r in per_arm.itertuples())
    return f"<table class='results' id='per-arm'>{head}{rows}</table>"


def _comparison_table(result) -> str:
    head = ("<tr><th class='l'>arm</th><th class='l'>reference</th><th>HR (95% CI)</th>"
            "<th>Cox p</th><th>log-rank p</th><th class='l'>note</th></tr>")
    rows = "".join(
        f"<tr><td class='l'>{_e(r.arm)}</td><td class='l'>{_e(r.reference)}</td>"
        f"<td>{_num(r.hr)} ({_num(r.hr_lower)}, {_num(r.hr_upper)})</td><td>{_p(r.hr_p)}</td>"
        f"<td>{_p(r.logrank_p)}</td><td class='l'>{_e(r.note)}</td></tr>"
        for r in result.comparisons_.itertuples())
    overall = ""
    if len(result.arms_) > 2 and result.overall_logrank_:
        overall = (f"<p class='muted'>Log-rank test across all {len(result.arms_)} arms: "
                   f"p = {_p(result.overall_logrank_['p'])}.</p>")
    return f"<table class='results' id='comparisons'>{head}{rows}</table>{overall}"


def _km_png(ipd: pd.DataFrame, arms: list[str], time_unit: str, colours: Mapping[str, object] | None,
            result) -> bytes:
    from kmipd.analysis.plots import plot_km

    palette = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
    chosen = [(colours or {}).get(arm, palette[i % len(palette)]) for i, arm in enumerate(arms)]
    note = None
    if len(arms) == 2 and len(result.comparisons_):
        p = _p(float(result.comparisons_["logrank_p"].iloc[0])).replace("&lt;", "<")
        note = f"log-rank p {p if p.startswith('<') else '= ' + p}"
    fig = plot_km(ipd, colours=chosen, x_label=f"Time ({time_unit})" if time_unit else "Time",
                  annotation=note)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def overrides_section(overrides: Sequence[str], assumptions: Sequence[str]) -> str:
    """The values the user gave in place of the figure's reading, and those that were assumed."""
    given = ("<ul id='overrides'>" + "".join(f"<li>{_e(o)}</li>" for o in overrides) + "</ul>"
             if overrides else "<p class='muted'>None: everything was read from the figure.</p>")
    assumed = ("<ul id='assumptions'>" + "".join(f"<li>{_e(a)}</li>" for a in assumptions) + "</ul>"
               if assumptions else "<p class='muted'>None.</p>")
    return f"<h3>Given by the user</h3>{given}<h3>Assumed</h3>{assumed}"


def reading_section(arm_reading: pd.DataFrame) -> str:
    """Per arm: the line read, the digitizer's confidence, and whether (and why) it is unsure."""
    head = ("<tr><th class='l'>arm</th><th class='l'>line read</th><th>confidence</th>"
            "<th class='l'>unsure</th><th class='l'>flags</th></tr>")
    rows = "".join(
        f"<tr><td class='l'>{_e(r.arm)}</td><td class='l'>{_e(r.line)}</td><td>{r.confidence:.2f}</td>"
        f"<td class='l {'fail' if r.unsure else ''}'>{'yes' if r.unsure else 'no'}</td>"
        f"<td class='l'>{_e(r.flags)}</td></tr>" for r in arm_reading.itertuples())
    return (f"<table id='arm-reading'>{head}{rows}</table><p class='muted'>Confidence: the "
            "digitizer's tracing confidence, halved by every doubt on the arm or on the whole "
            "reading (digitization.json).</p>")


def failure_section(failure: Mapping) -> str:
    """The stage where the run stopped, its message and what to do (a red box)."""
    advice = "".join(f"<li>{_e(a)}</li>" for a in failure.get("advice", ()))
    return (f"<div class='unsure' id='stopped'><h2>Stopped at {_e(failure['stage'])}</h2>"
            f"<p>{_e(failure['message'])}</p>"
            + (f"<p>What to do:</p><ul>{advice}</ul>" if advice else "")
            + "<p>Below: what was read before the run stopped.</p></div>")
