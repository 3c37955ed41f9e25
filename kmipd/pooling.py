"""Evidence synthesis of several studies' IPD: one-stage and two-stage hazard-ratio meta-analysis.

One-stage: a Cox model of all patients, stratified by study (each study keeps its own baseline
hazard; one common treatment effect). Two-stage: each study's Cox log HR and SE, combined by
inverse variance (fixed effect) and DerSimonian-Laird (random effects) with statsmodels'
``combine_effects``, with Cochran's Q, I^2 and tau^2.

The studies (IPD files, or a TOML manifest) are read by :mod:`kmipd.pool_studies`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from numpy.typing import ArrayLike
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from kmipd.analysis._common import fmt, fmt_ci, fmt_p, wald, write_json
from kmipd.analysis.survival import fit_cox
from kmipd.errors import KmipdError
from kmipd.io import write_table
from kmipd.outputs import make_folder, write_figure
from kmipd.pool_studies import (  # noqa: F401  (Study, read_manifest, studies_from_paths: re-exported)
    StudiesLike,
    Study,
    as_studies,
    read_manifest,
    studies_from_paths,
    two_arm,
)

POOLED_METHODS = {
    "one_stage": "one-stage Cox, stratified by study",
    "fixed": "fixed effect (inverse variance)",
    "random": "random effects (DerSimonian-Laird)",
}


def two_stage(log_hr: ArrayLike, se: ArrayLike, names: list[str] | None = None) -> dict:
    """Fixed-effect and DerSimonian-Laird random-effects pooling of study estimates (statsmodels).

    Parameters
    ----------
    log_hr, se : array_like
        Each study's log hazard ratio and its standard error.
    names : list of str, optional
        Study names (row names of the statsmodels results).

    Returns
    -------
    dict
        ``fixed`` and ``random``: ``(estimate, se)``; ``heterogeneity``: ``q, df, p, i2, tau2``;
        ``weight_fixed`` / ``weight_random``: relative weights; ``combine_results``: statsmodels'.
    """
    effect = np.asarray(log_hr, dtype=float)
    variance = np.asarray(se, dtype=float) ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # sqrt of a negative variance when tau2 < 0, see below
        m = combine_effects(effect, variance, method_re="dl", row_names=names)
    # statsmodels (0.14-0.15) does not truncate the DL moment estimate at 0: with Q < df it returns
    # tau2 < 0 and negative random-effects weights. DerSimonian-Laird sets tau2 = max(0, .), and
    # with tau2 = 0 the random-effects model *is* the fixed-effect one.
    truncated = m.tau2 < 0
    df = effect.size - 1
    return {
        "fixed": (float(m.mean_effect_fe), float(m.sd_eff_w_fe)),
        "random": (float(m.mean_effect_fe), float(m.sd_eff_w_fe)) if truncated
        else (float(m.mean_effect_re), float(m.sd_eff_w_re)),
        "heterogeneity": {"q": float(m.q), "df": df, "p": float(stats.chi2.sf(m.q, df)),
                          "i2": max(0.0, float(m.i2)), "tau2": 0.0 if truncated else float(m.tau2)},
        "weight_fixed": np.asarray(m.weights_rel_fe, dtype=float),
        "weight_random": np.asarray(m.weights_rel_fe if truncated else m.weights_rel_re, dtype=float),
        "combine_results": m,
    }

#: Columns of :attr:`PooledAnalysis.summary`.
SUMMARY_COLUMNS = ["study", "treatment", "control", "n_treatment", "n_control", "events_treatment",
                   "events_control", "log_hr", "se_log_hr", "hr", "hr_lower", "hr_upper", "p",
                   "weight_fixed", "weight_random"]


class PooledAnalysis:
    """One-stage and two-stage meta-analysis of treatment-vs-control hazard ratios.

    Parameters
    ----------
    alpha : float, default 0.05
        Confidence intervals are ``1 - alpha``.

    Attributes
    ----------
    studies_ : pandas.DataFrame
        Per study: ``study, treatment, control, n_treatment, n_control, events_treatment,
        events_control, log_hr, se_log_hr, hr, hr_lower, hr_upper, p, note, weight_fixed,
        weight_random`` (relative weights; ``note`` holds any lifelines convergence warning).
    pooled_ : pandas.DataFrame
        Rows ``one_stage, fixed, random``: ``method, log_hr, se_log_hr, hr, hr_lower, hr_upper, p``.
    heterogeneity_ : dict
        ``q, df, p`` (Cochran's Q test), ``i2`` (fraction, 0-1), ``tau2`` (DerSimonian-Laird, >= 0).
    one_stage_model_ : lifelines.CoxPHFitter
        The stratified Cox model.
    meta_ : statsmodels CombineResults
        The two-stage computation.
    summary : pandas.DataFrame
        The studies' rows, then the pooled rows (see the property). :meth:`format` (also
        ``str()``) is the text ``kmipd pool`` prints, :meth:`to_dict` the content of
        ``pooling.json``.
    """

    def __init__(self, alpha: float = 0.05) -> None:
        if not 0 < alpha < 1:
            raise KmipdError(f"alpha must be between 0 and 1, got {alpha}.")
        self.alpha = alpha

    def fit(self, studies: StudiesLike) -> PooledAnalysis:
        """Pool ``studies``: a list of :class:`Study` or ``(name, ipd, treatment, control)``, or a manifest path."""
        studies = as_studies(studies)
        if len(studies) < 2:
            raise KmipdError(f"pooling needs at least 2 studies, got {len(studies)}.")
        names = [s.name for s in studies]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise KmipdError(f"study name(s) {', '.join(map(repr, dupes))} appear more than once; give each study its own name.")
        parts = [two_arm(s) for s in studies]
        rows = [self._study_row(s, d) for s, d in zip(studies, parts, strict=True)]
        per = pd.DataFrame(rows)
        meta = two_stage(per["log_hr"], per["se_log_hr"], names=names)
        self.meta_ = meta["combine_results"]
        per["weight_fixed"], per["weight_random"] = meta["weight_fixed"], meta["weight_random"]
        self.studies_ = per
        self.heterogeneity_ = meta["heterogeneity"]
        data = pd.concat(parts, ignore_index=True)
        self.one_stage_model_ = self._one_stage(data)
        s = self.one_stage_model_.summary.loc["treat"]
        self.pooled_ = pd.DataFrame([
            self._pooled_row("one_stage", float(s["coef"]), float(s["se(coef)"])),
            self._pooled_row("fixed", *meta["fixed"]),
            self._pooled_row("random", *meta["random"]),
        ]).set_index("key", drop=True).rename_axis(None)
        return self

    def _study_row(self, study: Study, data: pd.DataFrame) -> dict:
        cph, note = fit_cox(data[["time", "event", "treat"]], self.alpha)
        if cph is None:
            raise KmipdError(f"study {study.name!r}: {note}.")
        s = cph.summary.loc["treat"]
        t, c = data[data["treat"] == 1], data[data["treat"] == 0]
        log_hr, se = float(s["coef"]), float(s["se(coef)"])
        lo, hi, _ = wald(log_hr, se, self.alpha)
        return {"study": study.name, "treatment": study.treatment, "control": study.control,
                "n_treatment": len(t), "n_control": len(c), "events_treatment": int(t["event"].sum()),
                "events_control": int(c["event"].sum()), "log_hr": log_hr, "se_log_hr": se,
                "hr": float(np.exp(log_hr)), "hr_lower": float(np.exp(lo)), "hr_upper": float(np.exp(hi)),
                "p": float(s["p"]), "note": note}

    def _one_stage(self, data: pd.DataFrame) -> CoxPHFitter:
        try:
            return CoxPHFitter(alpha=self.alpha).fit(data, "time", "event", strata=["study"])
        except Exception as exc:  # noqa: BLE001 - lifelines raises several types
            raise KmipdError(f"the one-stage stratified Cox model could not be fitted ({type(exc).__name__}).") from None

    def _pooled_row(self, key: str, log_hr: float, se: float) -> dict:
        lo, hi, p = wald(log_hr, se, self.alpha)
        return {"key": key, "method": POOLED_METHODS[key], "log_hr": log_hr, "se_log_hr": se,
                "hr": float(np.exp(log_hr)), "hr_lower": float(np.exp(lo)), "hr_upper": float(np.exp(hi)), "p": p}

    @property
    def summary(self) -> pd.DataFrame:
        """The studies, then the pooled rows: ``study, treatment, control, n_treatment,
        n_control, events_treatment, events_control, log_hr, se_log_hr, hr, hr_lower, hr_upper,
        p, weight_fixed, weight_random``; a pooled row has its method in ``study`` and no
        arms, counts or weights (the rows of the forest plot)."""
        pooled = self.pooled_.rename(columns={"method": "study"})
        return pd.concat([self.studies_[SUMMARY_COLUMNS], pooled.reindex(columns=SUMMARY_COLUMNS)],
                         ignore_index=True)

    def format(self) -> str:
        """The results as printable text tables (what ``kmipd pool`` prints)."""
        level = f"{100 * (1 - self.alpha):g}% CI"
        s = self.studies_
        table = pd.DataFrame({
            "study": s["study"], "treatment vs control": s["treatment"] + " vs " + s["control"],
            "N (t/c)": s["n_treatment"].astype(str) + "/" + s["n_control"].astype(str),
            "events (t/c)": s["events_treatment"].astype(str) + "/" + s["events_control"].astype(str),
            f"HR ({level})": [fmt_ci(r.hr, r.hr_lower, r.hr_upper, inf="inf") for r in s.itertuples()],
            "p": s["p"].map(fmt_p), "weight FE": s["weight_fixed"].map(lambda w: f"{100 * w:.1f}%"),
            "weight RE": s["weight_random"].map(lambda w: f"{100 * w:.1f}%"),
        })
        pooled = pd.DataFrame({
            "method": self.pooled_["method"],
            f"HR ({level})": [fmt_ci(r.hr, r.hr_lower, r.hr_upper, inf="inf") for r in self.pooled_.itertuples()],
            "log HR": self.pooled_["log_hr"].map(lambda x: f"{x:.4f}"),
            "SE": self.pooled_["se_log_hr"].map(lambda x: f"{x:.4f}"), "p": self.pooled_["p"].map(fmt_p),
        })
        h = self.heterogeneity_
        return "\n".join([
            f"Pooled analysis of {len(s)} studies (HR < 1 favours treatment)", "", table.to_string(index=False), "",
            pooled.to_string(index=False), "",
            f"Heterogeneity: Q = {h['q']:.3f}, df = {h['df']}, p = {fmt_p(h['p'])}, "
            f"I^2 = {100 * h['i2']:.1f}%, tau^2 = {fmt(h['tau2'], 4)}",
        ])

    def __str__(self) -> str:
        return self.format()

    def to_dict(self) -> dict:
        """All results as plain data (the content of ``pooling.json``)."""
        return {"alpha": self.alpha, "studies": self.studies_, "pooled": self.pooled_.reset_index(names="key"),
                "heterogeneity": self.heterogeneity_}

    def plot_forest(self, fig: Figure | None = None) -> Figure:
        """Forest plot: each study's HR and CI (square area ~ fixed-effect weight) and the pooled diamonds."""
        s, p = self.studies_, self.pooled_
        labels = list(s["study"]) + list(p["method"])
        n = len(labels)
        if fig is None:
            fig = Figure(figsize=(9, 0.42 * n + 1.4))
            FigureCanvasAgg(fig)
        ax = fig.add_axes((0.36, 0.7 / (0.42 * n + 1.4), 0.36, 1 - 1.1 / (0.42 * n + 1.4)))
        ys = np.arange(n)[::-1].astype(float)
        ys[len(s):] -= 0.6  # a gap between the studies and the pooled rows
        for y, r in zip(ys, s.itertuples(), strict=False):
            ax.plot([r.hr_lower, r.hr_upper], [y, y], color="black", lw=1)
            ax.plot(r.hr, y, marker="s", color="#1f4e79", ms=4 + 10 * np.sqrt(r.weight_fixed), ls="none")
        for y, r in zip(ys[len(s):], p.itertuples(), strict=False):
            ax.fill([r.hr_lower, r.hr, r.hr_upper, r.hr], [y, y + 0.25, y, y - 0.25], color="#b22222")
        ax.axvline(1.0, color="grey", lw=0.8, ls="--")
        ax.set_xscale("log")
        _log_ticks(ax)
        ax.set_ylim(ys.min() - 0.8, ys.max() + 0.8)
        ax.set_yticks(ys, labels, fontsize=8)
        ax.set_xlabel("Hazard ratio (log scale)")
        ax.spines[["top", "right", "left"]].set_visible(False)
        ax.tick_params(axis="y", length=0)
        texts = [fmt_ci(r.hr, r.hr_lower, r.hr_upper, inf="inf") for r in s.itertuples()] + \
                [fmt_ci(r.hr, r.hr_lower, r.hr_upper, inf="inf") for r in p.itertuples()]
        trans = ax.get_yaxis_transform()
        ax.text(1.04, ys.max() + 0.8, f"HR ({100 * (1 - self.alpha):g}% CI)", transform=trans, fontsize=8, weight="bold")
        for y, t in zip(ys, texts, strict=True):
            ax.text(1.04, y, t, transform=trans, va="center", fontsize=8)
        h = self.heterogeneity_
        ax.set_title(f"Q = {h['q']:.2f} (p = {fmt_p(h['p'])}), I\u00b2 = {100 * h['i2']:.0f}%, "
                     f"\u03c4\u00b2 = {fmt(h['tau2'], 3)}", fontsize=8, loc="left")
        return fig

    def to_folder(self, outdir: str | Path) -> dict[str, Path]:
        """Write ``studies.csv``, ``pooled.csv``, ``pooling.json`` and ``forest.png`` into ``outdir``
        (:data:`POOL_OUTPUTS`), each replaced in one step."""
        outdir = make_folder(outdir)
        return {
            "studies": write_table(self.studies_, outdir / "studies.csv"),
            "pooled": write_table(self.pooled_.reset_index(names="key"), outdir / "pooled.csv"),
            "json": write_json(self.to_dict(), outdir / "pooling.json"),
            "forest_png": write_figure(self.plot_forest(), outdir / "forest.png", dpi=150,
                                       bbox_inches="tight", facecolor="white"),
        }


POOL_OUTPUTS = ("studies.csv", "pooled.csv", "pooling.json", "forest.png")
"""The files :meth:`PooledAnalysis.to_folder` writes."""


def _log_ticks(ax) -> None:
    """Plain-number ticks (0.5, 1, 2) on the log HR axis instead of matplotlib's 5x10^-1 style."""
    lo, hi = ax.get_xlim()
    decades = 10.0 ** np.arange(-3, 4)
    for mantissas in ((1, 2, 5), (1, 1.5, 2, 3, 5, 7)):
        ticks = [m * d for d in decades for m in mantissas if lo <= m * d <= hi]
        if len(ticks) >= 3:
            break
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())


def pool(studies: StudiesLike, alpha: float = 0.05) -> PooledAnalysis:
    """Pool studies' IPD; ``studies`` is a list of ``(name, ipd, treatment, control)`` / :class:`Study`, or a manifest path.

    Returns
    -------
    PooledAnalysis
        Fitted; see its attributes.
    """
    return PooledAnalysis(alpha=alpha).fit(studies)
