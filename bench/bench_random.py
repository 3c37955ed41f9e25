"""How the digitizer generalises (issue 13, item 1): random trials drawn in random looks.

Each figure is a trial from :func:`kmipd.testing.random_figures.simulate_trial` drawn in a look
from :func:`kmipd.testing.looks.draw_look` (figure ``i`` of seed ``s`` uses
``numpy.random.default_rng([s, i])``, so a figure is the same whatever ``--n`` and ``--jobs``).
It is digitized with :func:`kmipd.digitize.digitize` (no overrides) and scored:

- arms right: as many arms found as drawn;
- names right: where the figure prints names, every printed name read exactly (case and
  spaces ignored) on the arm whose curve it labels;
- at-risk cells exact: the fraction of printed cells read exactly (where a table is printed);
- RMSE100: survival RMSE at 100 even times over each arm's drawn follow-up, arms paired by curve
  (or by name when that fits as well); the worst arm counts;
- |d log HR|: Cox log hazard ratio of each arm against the first, IPD rebuilt from the figure
  (:func:`kmipd.reconstruct.reconstruct` with the table read, or the true N when none was read)
  against the true IPD as far as the figure shows it (follow-up past the last x tick, where a
  figure may cut its curves, censored there); the worst arm counts;
- events without the table (issue 14): each arm rebuilt from its curve, the censor marks read
  and only its true N, against the true events as far as the figure shows them (relative
  error, the worst arm counts), and the same by Guyot et al.'s rule (no censoring before the
  end); with the table read, the same error for comparison;
- flagged: the reading is unsure (``Digitization.unsure``: a plausibility check doubts it,
  :mod:`kmipd.digitize.plausibility`); a refusal (``KmipdError``) counts as flagged and wrong;
  "silent failure": wrong (arms wrong, RMSE100 > 0.02 or |d log HR| > 0.08) and not flagged.
  Two rates judge the flag: flagged among wrong figures (want high) and flagged among right
  figures (want low: a flag that fires on correct readings is noise).

Tables: overall, the worst strata (highest wrong rate, then silent rate) and every knob's
strata (numeric knobs in three bins).

With ``--pdf`` the same figures are saved as vector PDF pages (the pixel knobs, dpi, JPEG and
blur, do not apply), measuring the vector PDF reading (issue 15) on every look; results in
``bench/results/random_pdf.json``.

Run: ``python bench/bench_random.py [--n 300] [--seed 2026] [--jobs 2] [--quick] [--pdf]
[--out bench/results/random.json] [--save-failures DIR]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import shutil
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kmipd.compare import curve_rmse, match_arms, split_arms
from kmipd.errors import KmipdError
from kmipd.testing.looks import RANGES
from kmipd.testing.random_figures import (
    N_RANGE,
    RandomFigure,
    draw_look,
    render_random_figure,
    simulate_trial,
)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "random.json"
DEFAULT_SEED = 2026
DEFAULT_N = 300
QUICK_N = 30
RMSE_WRONG = 0.02
DLOGHR_WRONG = 0.08
MIN_CONFIDENCE = 0.5
NAME_PAIR_SLACK = 0.005  # pair arms by name when that costs at most this much RMSE per arm
WORST_STRATA = 15
MIN_STRATUM = 5  # strata smaller than this are not ranked among the worst
_BINS = 3
ONLY_SCAN = 60  # --only looks at up to this many looks per figure wanted

_digitize = None  # per worker process: the OCR engine loads once


def make_figure(seed: int, index: int, folder: Path, vector: bool = False) -> RandomFigure:
    """Figure ``index`` of ``seed``: a random trial in a random look, rendered into ``folder``
    (``vector``: as a vector PDF page)."""
    rng = np.random.default_rng([seed, index])
    trial, look = simulate_trial(rng), draw_look(rng)
    return render_random_figure(trial, look, folder / f"fig{index:04d}.png", vector=vector)


def _norm(name: Any) -> str:
    return "".join(str(name).lower().split())


def _name_right(found: Any, printed: str) -> bool:
    """A found name is right when it is the printed label, or the arm's name inside it: the
    label "Drug (n=120)" names arm "Drug" (the N is a count, not part of the name), and
    survminer's "arm=Drug" names arm "Drug"."""
    bare = re.sub(r"\s*\(n\s*=\s*\d+\)\s*$", "", printed)
    options = {printed, bare, bare.split("=", 1)[-1]}
    return _norm(found) in {_norm(o) for o in options}


def _matching_indices(seed: int, n: int, only: dict[str, str]) -> list[int]:
    """The first ``n`` figure indices of ``seed`` whose look has every knob value in ``only``
    (looks are drawn without rendering, so the scan is cheap)."""
    if not only:
        return list(range(n))
    found: list[int] = []
    for index in range(ONLY_SCAN * n):
        rng = np.random.default_rng([seed, index])
        simulate_trial(rng)
        knobs = draw_look(rng).knobs()
        if all(str(knobs.get(k)) == v for k, v in only.items()):
            found.append(index)
            if len(found) == n:
                break
    return found


def _pairs(found: dict, truth: dict, t_end: dict) -> dict[str, str]:
    """Found -> true arm: by least curve RMSE, or by name when that fits as well."""
    by_curve = match_arms(found, truth, t_max=t_end, by_name=False)
    by_name = match_arms(found, truth, t_max=t_end, by_name=True)

    def cost(p: dict) -> float:
        return sum(curve_rmse(found[f], truth[a], t_end[a]) for f, a in p.items())

    if by_name != by_curve and cost(by_name) <= cost(by_curve) + NAME_PAIR_SLACK * len(truth):
        return by_name
    return by_curve


def _shown(fig: RandomFigure) -> pd.DataFrame:
    """The true IPD as far as the figure shows it: follow-up past the x axis's last tick (where
    a figure cuts its curves) is censored there, as nothing beyond it can be rebuilt."""
    cut = float(fig.x_ticks[-1])
    ipd = fig.ipd.copy()
    past = ipd["time"] > cut
    ipd.loc[past, "event"] = 0
    ipd.loc[past, "time"] = cut
    return ipd


def _log_hrs(ipd: pd.DataFrame, arms: list[str]) -> dict[str, float]:
    """Cox log HR of each arm against the first."""
    from lifelines import CoxPHFitter

    out = {}
    for arm in arms[1:]:
        d = ipd[ipd["arm"].isin([arms[0], arm])]
        d = pd.DataFrame({"time": d["time"].astype(float), "event": d["event"].astype(int),
                          "x": (d["arm"] == arm).astype(float)})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[arm] = float(CoxPHFitter().fit(d, "time", "event").params_["x"])
    return out


def _rebuild_ipd(curves: pd.DataFrame, at_risk: pd.DataFrame | None, n: dict[str, int],
                 censor_marks: pd.DataFrame | None) -> pd.DataFrame:
    """IPD rebuilt from the digitized figure: with the table read, else with the true N (with
    ``at_risk`` None: only N).

    The only call of :func:`kmipd.reconstruct.reconstruct` (its return type is changing: a
    result object with ``.ipd`` or the IPD table itself).
    """
    from kmipd.reconstruct import reconstruct

    if at_risk is not None and len(at_risk):
        result = reconstruct(curves, at_risk=at_risk, censor_marks=censor_marks)
    else:
        result = reconstruct(curves, n=n, censor_marks=censor_marks)
    ipd = result.ipd if hasattr(result, "ipd") else result
    return ipd


def _events_error(fig: RandomFigure, rebuilt: pd.DataFrame, pairs: dict[str, str]) -> float:
    """Worst arm's relative error of the events rebuilt against those the figure shows."""
    shown = _shown(fig).groupby("arm")["event"].sum()
    got = rebuilt.assign(arm=rebuilt["arm"].astype(str).map(pairs)).groupby("arm")["event"].sum()
    return float(max(abs(got.get(a, 0) - shown[a]) / max(shown[a], 1) for a in shown.index))


def _events_without_table(fig: RandomFigure, dig, pairs: dict[str, str], n: dict[str, int],
                          marks: pd.DataFrame | None, rebuilt: dict[str, pd.DataFrame]) -> dict:
    """Events rebuilt from only N (and the marks read), by Guyot's rule, and with the table read;
    the IPD rebuilt go into ``rebuilt`` (``"n_only"``, ``"table"``) for the hazard ratios."""
    from bench_reconstruct import guyot_paper_n_only

    out: dict[str, Any] = {}
    try:
        rebuilt["n_only"] = _rebuild_ipd(dig.curves, None, n, marks)
        out["events_err_n_only"] = _events_error(fig, rebuilt["n_only"], pairs)
        out["events_err_guyot_n"] = _events_error(fig, guyot_paper_n_only(dig.curves, n), pairs)
        if dig.at_risk is not None and len(dig.at_risk):
            rebuilt["table"] = _rebuild_ipd(dig.curves, dig.at_risk, n, marks)
            out["events_err_table"] = _events_error(fig, rebuilt["table"], pairs)
    except Exception as exc:  # noqa: BLE001 - a failure is a result here
        out["events_error"] = f"{type(exc).__name__}: {exc}"[:200]
    return out


def _cells(fig: RandomFigure, dig, pairs: dict[str, str]) -> dict:
    if fig.at_risk is None:
        return {}
    found = dig.at_risk if dig.at_risk is not None else pd.DataFrame(
        columns=["arm", "time", "n_at_risk"])
    found = found.assign(true_arm=found["arm"].astype(str).map(pairs))
    tol = 0.005 * (fig.x_ticks[-1] - fig.x_ticks[0])
    right = 0
    for arm, t, n in fig.at_risk[["arm", "time", "n_at_risk"]].itertuples(index=False):
        hit = found[(found["true_arm"] == arm) & ((found["time"] - t).abs() <= tol)]
        right += (len(hit) == 0 and n == 0) or (len(hit) > 0 and int(hit["n_at_risk"].iloc[0]) == n)
    return {"cells": len(fig.at_risk), "cells_right": int(right),
            "table_read": dig.at_risk is not None and len(dig.at_risk) > 0}


def _flagged(dig) -> bool:
    """The reading says it is unsure (refusals are counted as flagged where they are caught)."""
    return bool(dig.unsure)


def _flagged_old(dig) -> bool:
    """The flag before issue 13 item 6: any warning, at-risk flag or confidence under 0.5."""
    conf = [*dig.confidence.values(), *(a.confidence for a in dig.arms)]
    return bool(dig.warnings or dig.at_risk_flags or (conf and min(conf) < MIN_CONFIDENCE))


def score(fig: RandomFigure, dig) -> dict:
    """Every measure of one digitization against the figure's truth."""
    found = split_arms(dig.curves) if len(dig.curves) else {}
    truth = split_arms(fig.curves)
    rec: dict[str, Any] = {"n_found": len(found), "n_true": len(truth),
                           "arms_right": len(found) == len(truth), "flagged": _flagged(dig),
                           "flagged_old": _flagged_old(dig),
                           "doubts": [d.code for d in dig.doubts],
                           "warnings": list(dig.warnings)[:5], "legend": list(dig.legend)}
    pairs = _pairs(found, truth, fig.t_end) if found else {}
    rmse = [curve_rmse(found[f], truth[a], fig.t_end[a]) for f, a in pairs.items()]
    rec["rmse100"] = float(max(rmse)) if rmse else None
    rec["rmse100_mean"] = float(np.mean(rmse)) if rmse else None
    if fig.names_printed:
        rec["names_right"] = bool(len(pairs) == len(truth)
                                  and all(_name_right(f, a) for f, a in pairs.items()))
    rec.update(_cells(fig, dig, pairs))
    marks = dig.censor_marks if len(dig.censor_marks) else None
    n_true = fig.ipd.groupby("arm").size()
    n = {f: int(n_true[a]) for f, a in pairs.items()}
    made: dict[str, pd.DataFrame] = {}  # each IPD rebuilt once, for the events and the HR
    if rec["arms_right"]:
        rec.update(_events_without_table(fig, dig, pairs, n, marks, made))
    if len(truth) >= 2 and rec["arms_right"]:
        try:
            rebuilt = made.get("table" if dig.at_risk is not None and len(dig.at_risk) else "n_only")
            if rebuilt is None:  # not made above (it failed there): fail here as a rebuild error
                rebuilt = _rebuild_ipd(dig.curves, dig.at_risk, n, marks)
            rebuilt = rebuilt.assign(arm=rebuilt["arm"].astype(str).map(pairs))
            true_hr, got_hr = _log_hrs(_shown(fig), fig.arms), _log_hrs(rebuilt, fig.arms)
            rec["dloghr"] = float(max(abs(got_hr[a] - true_hr[a]) for a in true_hr))
            # against all of the follow-up, shown or not (this bench's measure until 2026-12-06)
            full_hr = _log_hrs(fig.ipd, fig.arms)
            rec["dloghr_full"] = float(max(abs(got_hr[a] - full_hr[a]) for a in full_hr))
        except KmipdError as exc:
            rec.update(rebuild_error=str(exc)[:200], flagged=True, flagged_old=True)
        except Exception as exc:  # noqa: BLE001 - a failure is a result here
            rec["rebuild_error"] = f"{type(exc).__name__}: {exc}"[:200]
    rec["wrong"] = bool(not rec["arms_right"] or "rebuild_error" in rec
                        or (rec["rmse100"] or 0) > RMSE_WRONG or rec["rmse100"] is None
                        or (rec.get("dloghr") or 0) > DLOGHR_WRONG)
    rec["silent"] = rec["wrong"] and not rec["flagged"]
    return rec


def _init_worker() -> None:
    global _digitize
    from kmipd.digitize import digitize

    _digitize = digitize


def run_one(task: tuple[int, int, str, str | None, bool]) -> dict:
    """Render, digitize and score figure ``index`` of ``seed`` (in a worker process)."""
    seed, index, tmp, save_dir, vector = task
    if _digitize is None:
        _init_worker()
    rec: dict[str, Any] = {"id": f"s{seed}-{index:04d}", "seed": seed, "index": index}
    try:
        fig = make_figure(seed, index, Path(tmp), vector)
    except Exception as exc:  # noqa: BLE001
        return rec | {"render_error": f"{type(exc).__name__}: {exc}", "wrong": True,
                      "silent": False}
    rec["knobs"] = fig.knobs
    t0 = time.perf_counter()
    dig = None
    try:
        dig = _digitize(fig.path)
        rec["digitize_s"] = time.perf_counter() - t0
    except KmipdError as exc:
        rec.update(digitize_s=time.perf_counter() - t0, refused=str(exc)[:200], flagged=True,
                   wrong=True, silent=False, arms_right=False)
    except Exception as exc:  # noqa: BLE001 - a crash is a result (flagged: the user sees it)
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
        rec.update(digitize_s=time.perf_counter() - t0, flagged=True, wrong=True, silent=False,
                   arms_right=False, error=f"{type(exc).__name__}: {exc} ({where})"[:300])
    if dig is not None:
        try:
            rec.update(score(fig, dig))
        except Exception as exc:  # noqa: BLE001 - a bench bug must not stop the run
            rec.update(score_error=f"{type(exc).__name__}: {exc}"[:300], wrong=True, silent=False)
    if save_dir and rec.get("wrong"):
        out = Path(save_dir) / rec["id"]
        fig.save_truth(out)
        shutil.copy(fig.path, out / fig.path.name)
        if dig is not None:
            reading = dig.to_dict() if hasattr(dig, "to_dict") else dig.summary()
            (out / "digitization.json").write_text(json.dumps(reading, indent=1, default=str))
        (out / "score.json").write_text(json.dumps(rec, indent=1, default=str))
    fig.path.unlink(missing_ok=True)
    return rec


def _bin(knob: str, value: Any) -> Any:
    """A numeric knob's value as one of three bins of its range; others unchanged."""
    if knob == "blur":
        return "none" if value == 0 else ("light" if value < 0.6 else "strong")
    if knob == "n_per_arm":
        lo, hi = N_RANGE
    elif knob in RANGES:
        lo, hi = RANGES[knob]
    else:
        return value
    edges = np.linspace(lo, hi, _BINS + 1)
    k = int(np.clip(np.searchsorted(edges, value, side="right") - 1, 0, _BINS - 1))
    fmt = "g" if knob not in ("line_width", "censor_size", "aspect", "ci_alpha") else ".2f"
    return f"{edges[k]:{fmt}}-{edges[k + 1]:{fmt}}"


def summarise(recs: list[dict]) -> dict:
    """Rates and medians over figures."""
    if not recs:
        return {"count": 0}
    named = [r["names_right"] for r in recs if "names_right" in r]
    cells = sum(r.get("cells", 0) for r in recs)
    rm = [r["rmse100"] for r in recs if r.get("rmse100") is not None]
    dh = [r["dloghr"] for r in recs if r.get("dloghr") is not None]
    secs = [r["digitize_s"] for r in recs if "digitize_s" in r]
    wrong = [r for r in recs if r.get("wrong")]
    right = [r for r in recs if not r.get("wrong")]

    def rate(group: list[dict], key: str = "flagged") -> float | None:
        return float(np.mean([bool(r.get(key, r.get("flagged"))) for r in group])) if group else None

    return {
        "count": len(recs),
        "arms_right": float(np.mean([bool(r.get("arms_right")) for r in recs])),
        "names_right": float(np.mean(named)) if named else None,
        "cells_exact": sum(r.get("cells_right", 0) for r in recs) / cells if cells else None,
        "rmse100_median": float(np.median(rm)) if rm else None,
        "dloghr_median": float(np.median(dh)) if dh else None,
        "dloghr_p90": float(np.percentile(dh, 90)) if dh else None,
        "dloghr_full_median": float(np.median([r["dloghr_full"] for r in recs if "dloghr_full" in r]))
        if dh else None,
        "rmse100_share_le_002": float(np.mean(np.array(rm) <= RMSE_WRONG)) if rm else None,
        "wrong": float(np.mean([bool(r.get("wrong")) for r in recs])),
        "flagged": float(np.mean([bool(r.get("flagged")) for r in recs])),
        "flagged_wrong": rate(wrong),  # flagged among wrong figures: want high
        "flagged_right": rate(right),  # flagged among right figures: want low
        "flagged_old_wrong": rate(wrong, "flagged_old"),
        "flagged_old_right": rate(right, "flagged_old"),
        "silent": float(np.mean([bool(r.get("silent")) for r in recs])),
        "refused_or_error": sum(("refused" in r) or ("error" in r) for r in recs),
        "seconds_median": float(np.median(secs)) if secs else None,
        **{f"{key}_median": _median(recs, key)
           for key in ("events_err_n_only", "events_err_guyot_n", "events_err_table")},
        "events_err_n_only_le_005": _share_at_most(recs, "events_err_n_only", 0.05),
    }


def _median(recs: list[dict], key: str) -> float | None:
    values = [r[key] for r in recs if r.get(key) is not None]
    return float(np.median(values)) if values else None


def _share_at_most(recs: list[dict], key: str, limit: float) -> float | None:
    values = [r[key] for r in recs if r.get(key) is not None]
    return float(np.mean(np.array(values) <= limit)) if values else None


def strata(recs: list[dict]) -> dict[str, dict[str, dict]]:
    """``{knob: {value: summary}}`` over the figures' knobs."""
    out: dict[str, dict[str, dict]] = {}
    knobs = sorted({k for r in recs for k in r.get("knobs", {})})
    for knob in knobs:
        groups: dict[str, list[dict]] = {}
        for r in recs:
            if knob in r.get("knobs", {}):
                groups.setdefault(str(_bin(knob, r["knobs"][knob])), []).append(r)
        out[knob] = {v: summarise(g) for v, g in groups.items()}
    return out


def _table(rows: dict[str, dict]) -> str:
    frame = pd.DataFrame(rows).T
    cols = ["count", "arms_right", "names_right", "cells_exact", "rmse100_median",
            "dloghr_median", "wrong", "silent", "flagged_wrong", "flagged_right",
            "events_err_n_only_median"]
    frame = frame[[c for c in cols if c in frame]]
    return frame.to_string(float_format=lambda v: f"{v:.3f}", na_rep="-")


def _worst(by_knob: dict[str, dict[str, dict]]) -> list[tuple[str, str, dict]]:
    rows = [(k, v, s) for k, d in by_knob.items() for v, s in d.items()
            if s["count"] >= MIN_STRATUM]
    return sorted(rows, key=lambda x: (-x[2]["wrong"], -x[2]["silent"], -x[2]["count"]))


def print_report(summary: dict, by_knob: dict[str, dict[str, dict]]) -> None:
    """Print the overall row, the worst strata and every knob's strata (worst first)."""
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print("\nOverall\n" + _table({"all": summary}))
        worst = _worst(by_knob)[:WORST_STRATA]
        print(f"\nWorst strata (at least {MIN_STRATUM} figures; by wrong, then silent rate)\n"
              + _table({f"{k}={v}": s for k, v, s in worst}))
        for knob, d in by_knob.items():
            order = dict(sorted(d.items(), key=lambda kv: (-kv[1]["wrong"], -kv[1]["silent"])))
            print(f"\n{knob}\n" + _table(order))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=DEFAULT_N, help="number of figures")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the figure set")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--quick", action="store_true", help=f"only {QUICK_N} figures")
    ap.add_argument("--out", type=Path, default=None, help="JSON results file (default: "
                    "bench/results/random.json, or random_pdf.json with --pdf)")
    ap.add_argument("--only", action="append", default=[], metavar="KNOB=VALUE",
                    help="only figures whose look has this knob value (repeatable), e.g. "
                         "--only palette=black: to work on one stratum")
    ap.add_argument("--pdf", action="store_true",
                    help="save the figures as vector PDF pages (results: random_pdf.json)")
    ap.add_argument("--save-failures", type=Path, default=None,
                    help="copy wrong figures with their truth and reading into this folder")
    args = ap.parse_args(argv)
    args.out = args.out or (OUT.with_name("random_pdf.json") if args.pdf else OUT)
    n = QUICK_N if args.quick else args.n
    save = str(args.save_failures) if args.save_failures else None
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kmipd-random-") as tmp:
        only = dict(item.split("=", 1) for item in args.only)
        tasks = [(args.seed, i, tmp, save, args.pdf) for i in _matching_indices(args.seed, n, only)]
        n = len(tasks)
        if args.jobs > 1:
            with mp.get_context("fork").Pool(args.jobs, initializer=_init_worker) as pool:
                records = []
                for rec in pool.imap(run_one, tasks):
                    records.append(rec)
                    _progress(rec, len(records), n)
        else:
            records = []
            for task in tasks:
                records.append(run_one(task))
                _progress(records[-1], len(records), n)
    wall = time.perf_counter() - t0
    summary = summarise(records) | {"wall_s": wall}
    by_knob = strata(records)
    print_report(summary, by_knob)
    print(f"\nflagged (unsure) among wrong figures: {_pct(summary['flagged_wrong'])} (want high); "
          f"among right figures: {_pct(summary['flagged_right'])} (want low); before "
          f"(any warning): {_pct(summary['flagged_old_wrong'])} / {_pct(summary['flagged_old_right'])}")
    print(f"\n{n} figures in {wall / 60:.1f} min ({args.jobs} jobs)")
    result = {"generated": time.strftime("%Y-%m-%d %H:%M:%S"),
              "args": {**vars(args), "out": str(args.out), "save_failures": save, "n": n},
              "thresholds": {"rmse100": RMSE_WRONG, "dloghr": DLOGHR_WRONG,
                             "min_confidence": MIN_CONFIDENCE},
              "summary": summary, "strata": by_knob,
              "worst_strata": [{"knob": k, "value": v, **s}
                               for k, v, s in _worst(by_knob)[:WORST_STRATA]],
              "figures": records}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(
        result, indent=1, default=lambda o: o.item() if hasattr(o, "item") else str(o)))
    print(f"wrote {args.out}")
    return result


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.0f}%"


def _progress(rec: dict, done: int, n: int) -> None:
    what = rec.get("refused") or rec.get("error") or rec.get("render_error") or ""
    status = "SILENT" if rec.get("silent") else ("wrong" if rec.get("wrong") else "ok")
    def num(key: str) -> str:
        v = rec.get(key)
        return "-" if v is None else f"{v:.4f}"

    arms = f"{rec.get('n_found', '-')}/{rec.get('n_true', '-')}"
    print(f"[{done:>4}/{n}] {rec['id']} {status:<6} arms {arms}"
          f" rmse {num('rmse100')} dlogHR {num('dloghr')}"
          f" {rec.get('digitize_s', 0):.1f}s {what[:80]}", flush=True)


if __name__ == "__main__":
    main()
