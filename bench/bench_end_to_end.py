"""Figure -> IPD end to end (issue 4's last target): does the rebuilt IPD give the true hazard ratio?

For every figure whose true IPD is known and that prints a numbers-at-risk table:

- ``kmipd``: the catalogue of :func:`kmipd.testing.styles.test_figure_cases` rendered from
  lifelines data (figures without a table are skipped);
- ``r``: ``../shared/r-figures`` (R: survminer, base graphics), with their ``ipd.csv``;
- ``real``: entries of ``../shared/real-figures/manifest.json`` with a true IPD and a table.

the figure is digitized with no overrides (:func:`kmipd.digitize`), rebuilt with the table read
from it (:func:`kmipd.reconstruct`, censor marks used), and compared with the true IPD:
Cox log hazard ratio of each arm against the first true arm, total events per arm, and the mean
absolute difference of the KM curves over each arm's follow-up. Arms are paired by name (the
legend) or, failing that, by least curve distance. The same is done with the table ignored and
only each arm's true N given, to show what the table is worth; with the table cut at half of
its last tick (a table printed for part of the follow-up; kmipd completes it from the curve,
Guyot's algorithm carries the earlier censoring rate on); with N and the true median
follow-up (reverse Kaplan-Meier over all patients, as papers report it); and with N by Guyot et
al.'s rule (no censoring before the end), for comparison (issue 14).

Target (issue 4): median |log HR(rebuilt) - log HR(true)| <= 0.05 over figures.

Run: ``python bench/bench_end_to_end.py [--only SUBSTRING]``; prints a table per figure and a
summary, writes ``bench/results/end_to_end.json``. Shared folders are read in place.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from bench_reconstruct import first_half, guyot_paper, guyot_paper_n_only, log_hrs
from figure_sources import panel_index, r_figures, real_entries, real_ipd
from lifelines import KaplanMeierFitter

from kmipd.analysis.plots import km_steps
from kmipd.compare import match_arms, split_arms, step_survival
from kmipd.testing.datasets import load_ipd
from kmipd.testing.render import render_km_figure
from kmipd.testing.simulate import km_curve
from kmipd.testing.styles import test_figure_cases

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "end_to_end.json"
TARGET_DLOGHR = 0.05
# the table read; its first half (kmipd, Guyot's published algorithm); only N (censor marks
# used); N and the median follow-up; Guyot's rule with N
CONDITIONS = ("table", "half_table", "half_table_guyot", "n_only", "n_follow_up", "guyot_n")


@dataclass
class Case:
    """A figure and the IPD it was drawn from (times in the figure's x units)."""

    id: str
    source: str
    image: Path
    ipd: pd.DataFrame  # arm,time,event
    panel: int = 0


def kmipd_cases(folder: Path) -> list[Case]:
    out = []
    for case_id, name, kw in test_figure_cases():
        fig = render_km_figure(load_ipd(name), folder / f"{case_id}.png", **kw)
        if fig.has_table:
            out.append(Case(case_id, "kmipd", fig.path, fig.ipd[["arm", "time", "event"]]))
    return out


def r_cases() -> list[Case]:
    out = []
    for name, d, truth in r_figures():
        if truth["risk_table"] and (d / "ipd.csv").is_file():
            ipd = pd.read_csv(d / "ipd.csv").astype({"arm": str})
            out.append(Case(name, "r", d / truth["figure"], ipd[["arm", "time", "event"]]))
    return out


def real_cases() -> list[Case]:
    base, entries = real_entries()
    out = []
    for e in entries:
        ipd = real_ipd(base, e)
        if ipd is not None and e["truth"].get("at_risk") and ipd["arm"].nunique() >= 2:
            out.append(Case(e["id"], "real", base / e["image"], ipd, panel_index(e.get("panel"))))
    return out


def km_mae(a: pd.DataFrame, b: pd.DataFrame, t_max: float) -> float:
    grid = np.linspace(0.0, t_max, 400)
    sa = step_survival(*km_curve(a["time"], a["event"]), grid)
    sb = step_survival(*km_curve(b["time"], b["event"]), grid)
    return float(np.mean(np.abs(sa - sb)))


def compare(case: Case, rebuilt: pd.DataFrame, pairs: dict[str, str]) -> dict:
    """Rebuilt IPD (arms renamed to the true names) against the truth."""
    arms = list(dict.fromkeys(case.ipd["arm"]))
    rebuilt = rebuilt.assign(arm=rebuilt["arm"].map(pairs))
    if set(rebuilt["arm"].dropna()) != set(arms):
        return {"error": "arms not paired"}
    true_hr, got_hr = log_hrs(case.ipd, arms), log_hrs(rebuilt, arms)
    rec = {"dloghr": {a: got_hr[a] - true_hr[a] for a in true_hr}}
    rec["dloghr_max"] = float(max(abs(v) for v in rec["dloghr"].values()))
    ev_true = case.ipd.groupby("arm")["event"].sum()
    ev_got = rebuilt.groupby("arm")["event"].sum()
    rec["events_err"] = float(max(abs(ev_got[a] - ev_true[a]) / max(ev_true[a], 1) for a in arms))
    rec["km_mae"] = float(max(km_mae(case.ipd[case.ipd["arm"] == a], rebuilt[rebuilt["arm"] == a],
                                     float(case.ipd.loc[case.ipd["arm"] == a, "time"].max()))
                              for a in arms))
    return rec


def run_case(case: Case, digitize, reconstruct) -> dict:
    rec: dict = {"id": case.id, "source": case.source}
    t0 = time.perf_counter()
    try:
        dig = digitize(case.image, panel=case.panel)
    except Exception as exc:  # noqa: BLE001 - a failure is a result here
        return rec | {"error": f"digitize: {type(exc).__name__}: {exc}"}
    rec["digitize_s"] = time.perf_counter() - t0
    found, truth = split_arms(dig.curves), split_arms(km_steps(case.ipd))
    if len(found) != len(truth):
        return rec | {"error": f"{len(found)} arms found, {len(truth)} true"}
    pairs = match_arms(found, truth, by_name=bool(dig.legend))
    marks = dig.censor_marks if len(dig.censor_marks) else None
    if dig.at_risk is not None:
        ipd = reconstruct(dig.curves, at_risk=dig.at_risk, censor_marks=marks).ipd
        rec["table"] = compare(case, ipd, pairs)
        half = first_half(dig.at_risk)
        rec["half_table"] = compare(case, reconstruct(dig.curves, at_risk=half, censor_marks=marks).ipd, pairs)
        rec["half_table_guyot"] = compare(case, guyot_paper(dig.curves, half), pairs)
    else:
        rec["table"] = {"error": "no at-risk table read"}
    n_true = case.ipd.groupby("arm").size()
    n = {f: int(n_true[a]) for f, a in pairs.items()}
    rec["n_only"] = compare(case, reconstruct(dig.curves, n=n, censor_marks=marks).ipd, pairs)
    follow_up = KaplanMeierFitter().fit(case.ipd["time"], 1 - case.ipd["event"]).median_survival_time_
    if np.isfinite(follow_up):  # as papers report it: reverse Kaplan-Meier over all patients
        rec["n_follow_up"] = compare(case, reconstruct(dig.curves, n=n, censor_marks=marks,
                                                       median_follow_up=float(follow_up)).ipd, pairs)
    rec["guyot_n"] = compare(case, guyot_paper_n_only(dig.curves, n), pairs)
    return rec


def summarise(records: list[dict], key: str) -> dict:
    records = [r for r in records if key in r or "error" in r]  # median follow-up: not every figure has one
    ok = [r[key] for r in records if key in r and "error" not in r[key]]
    if not ok:
        return {"figures": 0}
    d = np.array([r["dloghr_max"] for r in ok])
    return {"figures": len(ok), "failed": len(records) - len(ok),
            "dloghr_median": float(np.median(d)), "dloghr_worst": float(d.max()),
            "events_err_median": float(np.median([r["events_err"] for r in ok])),
            "km_mae_median": float(np.median([r["km_mae"] for r in ok]))}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="run only figures whose id contains this")
    args = ap.parse_args(argv)
    from kmipd.digitize import digitize
    from kmipd.reconstruct import reconstruct

    with tempfile.TemporaryDirectory() as tmp:
        cases = kmipd_cases(Path(tmp)) + r_cases() + real_cases()
        if args.only:
            cases = [c for c in cases if args.only in c.id]
        records = [run_case(c, digitize, reconstruct) for c in cases]
    print(f"\n{'figure':<42} {'|dlogHR| table':>15} {'events':>7} {'KM MAE':>7} {'|dlogHR| N only':>16}")
    def cell(x: dict, k: str, f: str) -> str:
        return format(x[k], f) if k in x else "-"

    for r in records:
        t, n = r.get("table", {}), r.get("n_only", {})
        print(f"{r['id'][:42]:<42} {cell(t, 'dloghr_max', '.4f'):>15} {cell(t, 'events_err', '.3f'):>7} "
              f"{cell(t, 'km_mae', '.4f'):>7} {cell(n, 'dloghr_max', '.4f'):>16}  "
              f"{r.get('error', t.get('error', ''))}")
    summary = {key: summarise(records, key) for key in CONDITIONS}
    by_source = {s: {key: summarise([r for r in records if r["source"] == s], key) for key in CONDITIONS}
                 for s in dict.fromkeys(r["source"] for r in records)}
    print("\nSummary (max over an arm's comparisons per figure; medians over figures)")
    print(pd.DataFrame({f"{s}/{k}": v for s, d in {"all": summary, **by_source}.items()
                        for k, v in d.items()}).T.to_string(float_format=lambda v: f"{v:.4f}"))
    med = summary["table"].get("dloghr_median", np.inf)
    verdict = "PASS" if med <= TARGET_DLOGHR else "FAIL"
    print(f"\nmedian |dlogHR| with the table read: {med:.4f}  target {TARGET_DLOGHR}  {verdict}")
    result = {"generated": time.strftime("%Y-%m-%d %H:%M:%S"), "target_dloghr": TARGET_DLOGHR,
              "verdict": verdict, "summary": summary, "by_source": by_source, "figures": records}
    if not args.only:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(result, indent=1, default=float))
        print(f"wrote {OUT.relative_to(ROOT)}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
