"""Benchmark: does pooling reconstructed IPD give the pooled hazard ratio of the true IPD?

Real lifelines data sets are split into "studies" (by a covariate, or several trials side by side).
For each study the true Kaplan-Meier steps and a numbers-at-risk table at round times (what a
published figure shows) go through ``kmipd.reconstruct.reconstruct``; the rebuilt studies and the
true studies are pooled with ``kmipd.pooling.pool`` and the pooled log hazard ratios compared.

Two variants per case: ``exact`` (the KM steps as they are) and ``digitized`` (times and survival
snapped to the pixel grid of an 800 x 500 px plot, as a digitizer would read them).

Run: ``python bench/bench_pooling.py`` -> printed table + ``bench/results/pooling.json``.
Target: |pooled log HR rebuilt - true| <= 0.05 for every method.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import datasets as ld
from matplotlib.ticker import MaxNLocator

from kmipd.analysis.plots import km_steps, numbers_at_risk
from kmipd.pooling import pool
from kmipd.reconstruct import reconstruct
from kmipd.testing.datasets import load_ipd

TARGET = 0.05
RESULTS = Path(__file__).parent / "results" / "pooling.json"


def _ipd(frame: pd.DataFrame, time: str, event: str, arm: str, names: dict) -> pd.DataFrame:
    return pd.DataFrame({"arm": frame[arm].map(names), "time": frame[time].astype(float),
                         "event": frame[event].astype(int)}).dropna()


def cases() -> dict[str, list[tuple[str, pd.DataFrame, str, str]]]:
    """``case -> [(study, true IPD, treatment, control), ...]``."""
    gbsg = ld.load_gbsg2()
    g = lambda rows: _ipd(rows, "time", "cens", "horTh", {"yes": "HT", "no": "Control"})  # noqa: E731
    rossi = ld.load_rossi()
    r = lambda rows: _ipd(rows, "week", "arrest", "fin", {1: "Aid", 0: "No aid"})  # noqa: E731
    lung = ld.load_lung().dropna(subset=["ph.ecog"])
    lu = lambda rows: _ipd(rows, "time", "status", "sex", {2: "Female", 1: "Male"})  # noqa: E731
    out = {
        "gbsg2 by tumour grade (3)": [(f"grade {k}", g(v), "HT", "Control") for k, v in gbsg.groupby("tgrade")],
        "gbsg2 by age quartile (4)": [(f"age Q{i + 1}", g(v), "HT", "Control") for i, (_, v) in
                                      enumerate(gbsg.groupby(pd.qcut(gbsg["age"], 4), observed=True))],
        "rossi by age tertile (3)": [(f"age T{i + 1}", r(v), "Aid", "No aid") for i, (_, v) in
                                     enumerate(rossi.groupby(pd.qcut(rossi["age"], 3), observed=True))],
        "lung by ECOG (3)": [(f"ECOG {k}", lu(v), "Female", "Male") for k, v in
                             lung.groupby(lung["ph.ecog"].clip(upper=2).astype(int))],
        "four different trials (4)": [
            ("GBSG2", load_ipd("gbsg2"), "Hormone therapy", "No hormone therapy"),
            ("Rossi", load_ipd("rossi"), "Financial aid", "No aid"),
            ("Leukemia", load_ipd("leukemia"), "6-MP", "Placebo"),
            ("Lung", load_ipd("lung"), "Female", "Male"),
        ],
    }
    return out


def figure_data(ipd: pd.DataFrame, digitized: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a published KM figure gives: the curves and numbers at risk at round x ticks."""
    t_max = float(ipd["time"].max())
    ticks = [t for t in MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]).tick_values(0, t_max) if 0 <= t <= t_max]
    curves = km_steps(ipd)
    if digitized:  # snap to the pixel grid of an 800 x 500 px plot area
        dx, dy = ticks[-1] / 800 if ticks[-1] > 0 else t_max / 800, 1 / 500
        curves = curves.assign(time=(curves["time"] / dx).round() * dx, survival=(curves["survival"] / dy).round() * dy)
    return curves, numbers_at_risk(ipd, ticks)


def run_case(studies, digitized: bool) -> dict:
    start = time.perf_counter()
    rebuilt = []
    for name, ipd, treatment, control in studies:
        curves, at_risk = figure_data(ipd, digitized)
        rebuilt.append((name, reconstruct(curves, at_risk=at_risk).ipd, treatment, control))
    seconds = time.perf_counter() - start
    true, rec = pool(studies), pool(rebuilt)
    diff = {k: abs(float(rec.pooled_.loc[k, "log_hr"] - true.pooled_.loc[k, "log_hr"])) for k in ("one_stage", "fixed", "random")}
    per_study = np.abs(rec.studies_["log_hr"].to_numpy() - true.studies_["log_hr"].to_numpy())
    return {
        "studies": len(studies), "patients": int(sum(len(s[1]) for s in studies)),
        "true_log_hr": {k: float(true.pooled_.loc[k, "log_hr"]) for k in diff},
        "rebuilt_log_hr": {k: float(rec.pooled_.loc[k, "log_hr"]) for k in diff},
        "abs_diff_log_hr": diff, "max_abs_diff_study_log_hr": float(per_study.max()),
        "true_i2": true.heterogeneity_["i2"], "rebuilt_i2": rec.heterogeneity_["i2"],
        "true_tau2": true.heterogeneity_["tau2"], "rebuilt_tau2": rec.heterogeneity_["tau2"],
        "reconstruct_seconds": seconds, "pass": max(diff.values()) <= TARGET,
    }


def main() -> dict:
    results = {}
    for case, studies in cases().items():
        for variant in ("exact", "digitized"):
            results[f"{case} | {variant}"] = run_case(studies, digitized=variant == "digitized")
    rows = pd.DataFrame([
        {"case": k, "one-stage": v["abs_diff_log_hr"]["one_stage"], "fixed": v["abs_diff_log_hr"]["fixed"],
         "random": v["abs_diff_log_hr"]["random"], "max study": v["max_abs_diff_study_log_hr"],
         "I2 true/rebuilt": f"{100 * v['true_i2']:.0f}%/{100 * v['rebuilt_i2']:.0f}%", "pass": v["pass"]}
        for k, v in results.items()
    ])
    print(f"|pooled log HR rebuilt - true| (target <= {TARGET})")
    print(rows.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    worst = max(max(v["abs_diff_log_hr"].values()) for v in results.values())
    summary = {"target": TARGET, "worst_abs_diff_log_hr": worst, "all_pass": all(v["pass"] for v in results.values()),
               "cases": results}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"\nworst |diff| = {worst:.4f}; all pass: {summary['all_pass']}; wrote {RESULTS}")
    return summary


if __name__ == "__main__":
    main()
