"""Accuracy and speed of the digitizer (issues 3 and 4) on figures with exact truth.

Figures:

- ``kmipd``: every case of :func:`kmipd.testing.styles.test_figure_cases` (real lifelines data
  drawn in nine publication styles), rendered into a temporary folder; truth includes tick pixels.
- ``r``: ``../shared/r-figures`` (12 figures drawn by R: survminer, base graphics, JPEG).
- ``real``: entries of ``../shared/real-figures/manifest.json`` with true IPD (``--all-real``:
  also those with only a numbers-at-risk table or only reported statistics, scored for arms,
  names, calibration and table); curves scored only up to each arm's ``drawn_end``; a panel
  of a multi-panel image is digitized as that panel; at-risk cells the truth file marks "not
  printed" (taken from the paper) are not scored.

Shared folders are read in place (never copied) and skipped when absent.

Per figure, with :func:`kmipd.digitize.digitize` called without axis overrides:

- arms matched to the true arms (by name when the legend was read, else least RMSE);
  RMSE of survival at 100 even times over each arm's drawn follow-up;
- arm count right; axis calibration right: with pixel truth (``kmipd`` figures) every labelled
  tick maps within 1% of the axis range, otherwise (``ticks`` proxy) the ticks used carry true
  values, the fit residual is under 1% of the axis length and the percent flag is right;
- numbers-at-risk cells read exactly (a blank read where the truth is 0 counts as right),
  wrong cells flagged in ``at_risk_flags`` (a flag's arm mapped to the true arm as the table's
  rows are) or silent; arm names right;
- wall time of the library call (after an OCR warm-up; median of three calls) and of
  ``kmipd digitize`` (subprocess, median of three runs) on a few figures.

Run: ``python bench/bench_digitize.py [--quick] [--only SUBSTRING] [--all-real] [--keep DIR]``;
prints tables per figure and per source/style, writes ``bench/results/digitize.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from figure_sources import panel_index, r_figures, real_entries, real_ipd

from kmipd.analysis.plots import km_steps
from kmipd.compare import curve_rmse, match_arms, split_arms
from kmipd.testing.datasets import load_ipd
from kmipd.testing.render import render_km_figure
from kmipd.testing.styles import test_figure_cases

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "digitize.json"
TARGETS = {"rmse_median": 0.006, "rmse_worst": 0.02, "arms_right": 1.0, "calibration": 0.95,
           "at_risk_exact": 0.98, "names": 0.95, "library_s": 1.0, "cli_s": 3.0}
N_CLI = 3
CLI_REPEATS = 3
LIBRARY_REPEATS = 3


@dataclass
class Case:
    """One figure and its truth (times in x-axis units, survival 0-1)."""

    id: str
    source: str
    style: str
    image: Path
    curves: pd.DataFrame | None  # arm,time,survival; None: curves not scored
    arms: list[str]
    t_end: dict[str, float] = field(default_factory=dict)
    at_risk: pd.DataFrame | None = None  # printed cells: arm,time,n_at_risk
    x_range: tuple[float, float] = (0.0, 1.0)
    y_range: tuple[float, float] = (0.0, 1.0)
    percent: bool = False
    x_ticks: list[float] | None = None
    tick_px: dict | None = None
    panel: int = 0  # which plot of a multi-panel image (0 = top-left)


def _norm(name) -> str:
    return " ".join(str(name).lower().replace("-", " ").replace("_", " ").split())


def _ends(curves: pd.DataFrame, x_end: float, drawn: dict | None = None) -> dict[str, float]:
    # an arm drawn past the axis limit is clipped by the plot: score only what can be seen
    drawn = drawn or {}
    return {arm: float(min(drawn.get(arm, rows["time"].max()), x_end))
            for arm, rows in curves.groupby("arm", sort=False)}


def kmipd_cases(folder: Path) -> list[Case]:
    """Render the catalogue of :func:`test_figure_cases` into ``folder``."""
    cases = []
    for case_id, name, kw in test_figure_cases():
        fig = render_km_figure(load_ipd(name), folder / f"{case_id}.png", **kw)
        cases.append(Case(
            case_id, "kmipd", fig.style, fig.path, fig.curves, fig.arms,
            _ends(fig.curves, fig.x_range[1]), fig.at_risk if fig.has_table else None,
            fig.x_range, fig.y_range, fig.percent, fig.x_ticks, fig.tick_px))
    return cases


def r_cases() -> list[Case]:
    """The R-drawn figures of ``../shared/r-figures``."""
    cases = []
    for name, d, truth in r_figures():
        curves = pd.read_csv(d / "curves.csv")
        arms = [a["name"] for a in truth["arms"]]
        x_max = float(truth["x_max"])
        pct = bool(truth["percent_axis"])
        cases.append(Case(
            name, "r", truth["style"], d / truth["figure"], curves, arms, _ends(curves, x_max),
            pd.read_csv(d / "at_risk.csv") if truth["risk_table"] else None, (0.0, x_max),
            (0.0, 100.0) if pct else (0.0, 1.0), pct, [float(t) for t in truth["ticks"]]))
    return cases


def _real_at_risk(base: Path, spec: dict | None, arms: list[str]) -> pd.DataFrame | None:
    if not spec:
        return None
    frame = pd.read_csv(base / spec["path"])
    for col, val in (spec.get("rows_where") or {}).items():
        frame = frame[frame[col].astype(str) == str(val)]
    # cells the truth file marks as not printed in the figure (taken from the paper) cannot be read
    text = frame.select_dtypes(include="object")
    if not text.empty:
        frame = frame[~text.apply(lambda c: c.str.contains("not printed", case=False, na=False)).any(axis=1)]
    cols = spec["columns"]
    if spec["layout"] == "wide":
        parts = [pd.DataFrame({"arm": arm, "time": frame[cols["time"]], "n_at_risk": frame[c]})
                 for c, arm in cols["arms"].items()]
        out = pd.concat(parts, ignore_index=True)
    else:
        arm = frame[cols["arm"]].astype(str) if cols.get("arm") else arms[0]
        out = pd.DataFrame({"arm": arm, "time": frame[cols["time"]],
                            "n_at_risk": frame[cols["n_at_risk"]]})
    return out.dropna().astype({"time": float, "n_at_risk": int}).reset_index(drop=True)


def real_cases(all_real: bool = False) -> list[Case]:
    """Entries of ``../shared/real-figures/manifest.json`` (true IPD; with ``all_real`` also
    those known by their numbers at risk or reported statistics only)."""
    base, entries = real_entries()
    cases = []
    for e in entries:
        truth = e["truth"]
        if not truth.get("ipd") and not (all_real and (truth.get("at_risk") or truth.get("reported"))):
            continue
        curves = None
        ipd = real_ipd(base, e)
        if ipd is not None:
            ipd["arm"] = pd.Categorical(ipd["arm"], categories=e["arms"])
            curves = km_steps(ipd.sort_values("arm", kind="stable").astype({"arm": str}))
        x_range = (float(e["x_range"][0]), float(e["x_range"][1]))
        cases.append(Case(
            e["id"], "real", e["id"].split("/")[0], base / e["image"], curves, list(e["arms"]),
            _ends(curves, x_range[1], truth.get("drawn_end")) if curves is not None else {},
            _real_at_risk(base, truth.get("at_risk"), e["arms"]), x_range,
            (float(e["y_range"][0]), float(e["y_range"][1])), bool(e["percent_axis"]),
            panel=panel_index(e.get("panel"))))
    return cases


def calibration(case: Case, dig) -> dict:
    """Is the pixel -> value mapping of both axes right (within 1% of each axis range)?"""
    m = dig.mapping
    if "override" in (m.x.source, m.y.source):
        return {"ok": False, "method": "override"}
    y_span = (case.y_range[1] - case.y_range[0]) / (100.0 if case.percent else 1.0)
    if case.tick_px:
        xv, xp = np.array(case.tick_px["x"]).T
        yv, yp = np.array(case.tick_px["y"]).T
        x_err = float(np.max(np.abs(m.time(xp) - xv)) / (case.x_range[1] - case.x_range[0]))
        y_true = yv / (100.0 if case.percent else 1.0)
        y_err = float(np.max(np.abs(m.survival(yp) - y_true)) / y_span)
        return {"ok": x_err <= 0.01 and y_err <= 0.01, "method": "pixels", "x_err": x_err,
                "y_err": y_err}

    def ticks_ok(cal, lo, hi, true_ticks, length_px) -> bool:
        used = [t.value for t in cal.ticks if t.used and t.value is not None]
        span = hi - lo
        if len(used) < 2 or cal.residual > 0.01 * max(length_px, 1):
            return False
        if true_ticks:
            return all(min(abs(v - t) for t in true_ticks) <= 1e-6 * span for v in used)
        return all(lo - 1e-6 * span <= v <= hi + 1e-6 * span for v in used)

    x_ok = ticks_ok(m.x, *case.x_range, case.x_ticks, dig.box.width)
    y_ok = ticks_ok(m.y, *case.y_range, None, dig.box.height)
    return {"ok": bool(x_ok and y_ok and m.percent == case.percent), "method": "ticks",
            "x_ok": bool(x_ok), "y_ok": bool(y_ok), "percent_ok": m.percent == case.percent}


def at_risk_score(case: Case, dig, pairs: dict[str, str]) -> dict:
    """Cells of the printed table read exactly; wrong cells flagged or silent."""
    if case.at_risk is None:
        return {"cells": 0, "spurious_table": dig.at_risk is not None and len(dig.at_risk) > 0}
    found = dig.at_risk if dig.at_risk is not None else pd.DataFrame(
        columns=["arm", "time", "n_at_risk"])
    by_norm = {_norm(a): a for a in case.arms}
    to_true = {f: pairs.get(f, by_norm.get(_norm(f))) for f in found["arm"].astype(str).unique()}
    found = found.assign(true_arm=found["arm"].astype(str).map(to_true))
    tol = 0.005 * (case.x_range[1] - case.x_range[0])
    # a flag names the found arm: map it to the true arm as the table's rows are
    flags = [(pairs.get(str(f.get("arm")), by_norm.get(_norm(f.get("arm")), str(f.get("arm")))),
              f.get("time"))
             for f in (dig.at_risk_flags or [])]
    right = wrong_flagged = wrong_silent = 0
    for arm, t, n in case.at_risk[["arm", "time", "n_at_risk"]].itertuples(index=False):
        hit = found[(found["true_arm"] == arm) & ((found["time"] - t).abs() <= tol)]
        ok = (len(hit) == 0 and n == 0) or (len(hit) > 0 and int(hit["n_at_risk"].iloc[0]) == n)
        flagged = any(a == arm and ft is not None
                      and abs(float(ft) - t) <= tol for a, ft in flags)
        right += ok
        wrong_flagged += (not ok) and flagged
        wrong_silent += (not ok) and not flagged
    cells = len(case.at_risk)
    return {"cells": cells, "right": int(right), "exact": right / cells,
            "wrong_flagged": int(wrong_flagged), "wrong_silent": int(wrong_silent)}


def score(case: Case, dig) -> dict:
    """All accuracy numbers of one digitization against its truth."""
    found = split_arms(dig.curves) if len(dig.curves) else {}
    rec: dict = {"n_found": len(found), "n_true": len(case.arms),
                 "arms_right": len(found) == len(case.arms), "legend": list(dig.legend),
                 "warnings": list(dig.warnings), "content": getattr(dig, "content", "")}
    truth = split_arms(case.curves) if case.curves is not None else {}
    if truth:
        pairs = match_arms(found, truth, t_max=case.t_end, by_name=bool(dig.legend))
        rmse = {arm: None for arm in truth}
        for f, arm in pairs.items():
            rmse[arm] = curve_rmse(found[f], truth[arm], case.t_end[arm])
        vals = [v for v in rmse.values() if v is not None]
        rec.update(rmse_arms=rmse, rmse=float(np.mean(vals)) if vals else None,
                   rmse_max=float(np.max(vals)) if vals else None,
                   missing_arms=[a for a, v in rmse.items() if v is None])
    else:  # no curve truth: pair by name only
        by_norm = {_norm(a): a for a in case.arms}
        pairs = {f: by_norm[_norm(f)] for f in found if _norm(f) in by_norm}
    rec["names_right"] = sum(_norm(f) == _norm(a) for f, a in pairs.items())
    rec["calibration"] = calibration(case, dig)
    rec["at_risk"] = at_risk_score(case, dig, pairs)
    return rec


def _digitize():
    from kmipd.digitize import digitize  # imported late: may not exist yet

    return digitize


def run_library(cases: list[Case]) -> list[dict]:
    """Digitize every case (errors recorded, never raised) and score it."""
    records = []
    try:
        digitize = _digitize()
        if cases:
            try:  # warm-up: OCR models, imports
                digitize(cases[0].image)
            except Exception:  # noqa: BLE001 - the timed run records the error
                pass
    except Exception as exc:  # noqa: BLE001
        digitize, err = None, f"import failed: {type(exc).__name__}: {exc}"
    for case in cases:
        rec = {"id": case.id, "source": case.source, "style": case.style, "image": str(case.image)}
        if digitize is None:
            rec["error"] = err
        else:
            t0 = time.perf_counter()
            try:
                times = []
                for _ in range(LIBRARY_REPEATS):  # the median of a few: one call is noisy here
                    t0 = time.perf_counter()
                    dig = digitize(case.image, panel=case.panel)
                    times.append(time.perf_counter() - t0)
                rec["library_s"] = float(np.median(times))
                rec.update(score(case, dig))
            except Exception as exc:  # noqa: BLE001
                rec["library_s"] = time.perf_counter() - t0
                last = traceback.extract_tb(exc.__traceback__)[-1]
                rec["error"] = f"{type(exc).__name__}: {exc} ({Path(last.filename).name}:{last.lineno})"
        records.append(rec)
        print(f"  {case.id:<45} {_fmt(rec.get('rmse'))} {rec.get('error', '')[:80]}", flush=True)
    return records


def run_cli(cases: list[Case], outdir: Path) -> list[dict]:
    """Time ``kmipd digitize IMAGE -o OUT`` as a whole process on a few figures."""
    exe = shutil.which("kmipd", path=str(Path(sys.executable).parent)) or shutil.which("kmipd")
    if exe is None:
        return []
    probe = subprocess.run([exe, "digitize", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        return [{"error": "kmipd digitize not available: " + probe.stderr.strip()[-200:]}]
    runs = []
    for case in cases[:N_CLI]:
        times = []
        for _ in range(CLI_REPEATS):  # the median of a few: one process start is noisy here
            t0 = time.perf_counter()
            proc = subprocess.run([exe, "digitize", str(case.image), "-o",
                                   str(outdir / case.id.replace("/", "_"))], capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
        runs.append({"id": case.id, "cli_s": float(np.median(times)), "cli_runs": times,
                     "rc": proc.returncode, "stderr": proc.stderr.strip()[-300:]})
    return runs


def _fmt(v, spec=".4f") -> str:
    return "-" if v is None or (isinstance(v, float) and np.isnan(v)) else format(v, spec)


def _row(recs: list[dict]) -> dict:
    ok = [r for r in recs if "error" not in r]
    rm = [r["rmse"] for r in ok if r.get("rmse") is not None]
    worst = [r["rmse_max"] for r in ok if r.get("rmse_max") is not None]
    cells = sum(r["at_risk"]["cells"] for r in ok)
    n_true = sum(r["n_true"] for r in ok)
    lib = [r["library_s"] for r in ok]
    return {
        "figures": len(recs), "errors": len(recs) - len(ok),
        "rmse_median": float(np.median(rm)) if rm else None,
        "rmse_worst": float(np.max(worst)) if worst else None,
        "missing_arms": sum(len(r.get("missing_arms", [])) for r in ok),
        "arms_right": sum(r["arms_right"] for r in ok) / len(recs) if recs else None,
        "calibration": sum(r["calibration"]["ok"] for r in ok) / len(recs) if recs else None,
        "at_risk_cells": cells,
        "at_risk_exact": sum(r["at_risk"].get("right", 0) for r in ok) / cells if cells else None,
        "at_risk_flagged_wrong": sum(r["at_risk"].get("wrong_flagged", 0) for r in ok),
        "at_risk_silent_wrong": sum(r["at_risk"].get("wrong_silent", 0) for r in ok),
        "names": sum(r["names_right"] for r in ok) / n_true if n_true else None,
        "library_s": float(np.median(lib)) if lib else None,
        "library_s_max": float(np.max(lib)) if lib else None,
    }


def _verdict(summary: dict, cli: list[dict]) -> dict:
    cli_s = [r["cli_s"] for r in cli if r.get("rc") == 0]
    summary["cli_s"] = float(np.median(cli_s)) if cli_s else None
    out = {}
    for key, target in TARGETS.items():
        v = summary.get(key)
        lower_is_better = key.startswith(("rmse", "library", "cli"))
        out[key] = {"value": v, "target": target, "pass": v is not None and (
            v <= target if lower_is_better else v >= target)}
    out["rmse_worst"]["pass"] &= summary["errors"] == 0 and summary["missing_arms"] == 0
    return out


def _print_tables(records: list[dict], groups: dict, verdict: dict) -> None:
    rows = []
    for r in records:
        cal, ar = r.get("calibration", {}), r.get("at_risk", {})
        rows.append({"figure": r["id"][:40], "rmse": _fmt(r.get("rmse")), "worst": _fmt(r.get("rmse_max")),
                     "arms": f"{r.get('n_found', '-')}/{r.get('n_true', '-')}",
                     "calib": {True: "ok", False: "BAD"}.get(cal.get("ok"), "-"),
                     "at_risk": f"{ar.get('right', '-')}/{ar.get('cells', '-')}" if ar.get("cells") else "-",
                     "flagged": ar.get("wrong_flagged", "-"), "silent": ar.get("wrong_silent", "-"),
                     "names": f"{r['names_right']}/{r['n_true']}" if "names_right" in r else "-",
                     "s": _fmt(r.get("library_s"), ".2f"), "error": r.get("error", "")[:50]})
    with pd.option_context("display.width", 200, "display.max_colwidth", 60, "display.max_rows", 500):
        print("\nPer figure\n" + pd.DataFrame(rows).to_string(index=False))
        print("\nPer source / style\n" + pd.DataFrame(groups).T.to_string(float_format="%.4f"))
    print("\nTargets")
    for key, v in verdict.items():
        print(f"  {key:<14} {_fmt(v['value'])}  target {v['target']}  {'PASS' if v['pass'] else 'FAIL'}")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one figure per style, a few shared ones")
    ap.add_argument("--only", default=None, help="only figures whose id contains this")
    ap.add_argument("--all-real", action="store_true", help="also real figures without IPD")
    ap.add_argument("--keep", default=None, help="render kmipd figures into this folder")
    ap.add_argument("--no-cli", action="store_true", help="skip the CLI timing")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="kmipd-bench-"))
    folder = Path(args.keep) if args.keep else tmp / "figures"
    cases = kmipd_cases(folder) + r_cases() + real_cases(args.all_real)
    if args.quick:
        seen: set = set()
        cases = [c for c in cases if (c.source, c.style) not in seen and not seen.add((c.source, c.style))]
    if args.only:
        cases = [c for c in cases if args.only in c.id]
    print(f"digitizing {len(cases)} figures")
    records = run_library(cases)
    cli = [] if args.no_cli else run_cli(cases, tmp / "cli")
    groups = {"all": _row(records)}
    for key in sorted({(r["source"], r["style"]) for r in records}):
        groups["/".join(key)] = _row([r for r in records if (r["source"], r["style"]) == key])
    for src in sorted({r["source"] for r in records}):
        groups[src] = _row([r for r in records if r["source"] == src])
    verdict = _verdict(groups["all"], cli)
    _print_tables(records, groups, verdict)
    if cli:
        print("\nCLI: " + ", ".join(f"{r.get('id', '?')} {_fmt(r.get('cli_s'), '.2f')} s (rc {r.get('rc')})"
                                    for r in cli))
    result = {"generated": time.strftime("%Y-%m-%d %H:%M:%S"), "args": vars(args),
              "targets": TARGETS, "verdict": verdict, "summary": groups["all"], "groups": groups,
              "cli": cli, "figures": records}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1, default=lambda o: o.item() if hasattr(o, "item") else str(o)))
    print(f"\nwrote {OUT.relative_to(ROOT)}")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


if __name__ == "__main__":
    main()
