"""A :class:`~kmipd.analysis.survival.SurvivalAnalysis` as printed text tables (what
``kmipd analyze`` prints): per arm, survival at landmarks, versus the reference, the overall
log-rank test and the parametric fits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from kmipd.analysis._common import fmt, fmt_ci, fmt_p

if TYPE_CHECKING:
    from kmipd.analysis.survival import SurvivalAnalysis


def survival_text(analysis: SurvivalAnalysis) -> str:
    """Every table of a fitted analysis as aligned plain text, with its notes."""
    level = f"{100 * (1 - analysis.alpha):g}% CI"
    a, lm = analysis.per_arm_, analysis.landmarks_
    per = pd.DataFrame({
        "arm": a["arm"], "N": a["n"], "events": a["events"],
        f"median ({level})": [fmt_ci(r.median, r.median_lower, r.median_upper, 4) for r in a.itertuples()],
        f"RMST to {fmt(analysis.tau_, 4)} ({level})": [fmt_ci(r.rmst, r.rmst_lower, r.rmst_upper, 4)
                                                         for r in a.itertuples()],
    })
    land = pd.DataFrame({
        "arm": lm["arm"], "time": lm["time"].map(lambda t: fmt(t, 4)), "at risk": lm["n_at_risk"],
        f"survival ({level})": [fmt_ci(r.survival, r.lower, r.upper) for r in lm.itertuples()],
    })
    parts = [f"Survival analysis: reference arm {analysis.reference_!r}, tau = {fmt(analysis.tau_, 4)}, {level}",
             "", "Per arm", per.to_string(index=False)]
    if len(land):
        parts += ["", "Survival at landmarks", land.to_string(index=False)]
    if len(analysis.comparisons_):
        c = analysis.comparisons_
        comp = pd.DataFrame({
            "arm": c["arm"], f"HR ({level})": [fmt_ci(r.hr, r.hr_lower, r.hr_upper, inf="inf") for r in c.itertuples()],
            "p": c["hr_p"].map(fmt_p), "PH test p": c["ph_p"].map(fmt_p), "log-rank p": c["logrank_p"].map(fmt_p),
            f"RMST diff ({level})": [fmt_ci(r.rmst_diff, r.rmst_diff_lower, r.rmst_diff_upper) for r in c.itertuples()],
            "RMST p": c["rmst_diff_p"].map(fmt_p),
        })
        parts += ["", f"Versus {analysis.reference_!r}", comp.to_string(index=False)]
        for r in c.itertuples():
            if r.note:
                parts.append(f"note ({r.arm}): {r.note}")
    if analysis.overall_logrank_:
        o = analysis.overall_logrank_
        parts += ["", f"Overall log-rank: chi2 = {o['statistic']:.3f}, df = {o['df']}, p = {fmt_p(o['p'])}"]
    if analysis.parametric_ is not None:
        parts += ["", analysis.parametric_.format()]
    return "\n".join(parts)
