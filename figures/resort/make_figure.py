"""Build a RESORT-like trial in calendar time, cut it three times, and draw the 2019 cut.

The RESORT publication's figure (Procopio et al., Eur Urol Oncol 2019;2(6):699-707,
recurrence-free survival) cannot be redistributed, so this script makes a synthetic stand-in:
one invented trial of 36 observation and 33 sorafenib patients, followed in calendar time and
analysed at the three data cuts the trial was reported at:

* ``interim`` (ASCO 2018, ``reported_interim.toml``): median follow-up 21 months;
* ``primary`` (the 2019 paper, ``reported.toml``): median follow-up 38 months;
* ``extended`` (Mennitto 2021, ``reported_extended.toml``): median follow-up 42 months.

Each cut's IPD reproduces every number of its own report within ``kmipd.validate``'s default
tolerances (checked here, with ``kmipd.validate`` itself, every time the script runs); the 2019
cut (``ipd.csv``) is drawn as ``figure.png`` with :func:`kmipd.testing.render.render_km_figure`
(style "journal").

The model (all deterministic, times on a 0.1-month grid), with its parameters in
``trial_params.json``:

1. Each patient has a randomisation date ``entry`` (tenths of a month after the first
   randomisation; accrual speeds up over time and ends at least 3 months before the interim
   cut, as all 68 patients of the interim analysis were randomised), an event time (or none)
   and possibly a loss to follow-up (``dropouts``: patient index, months in tenths); at a cut at
   calendar time ``C`` (``cuts``) the patient is followed for ``min(C - entry, loss)``: an event
   within that window is seen, otherwise the patient is censored at its end. So the three IPD
   are truncations of one trial.
2. The 2019 analysis is intention-to-treat (69 patients); the interim and extended analyses
   count 68, as the extended report explains: one sorafenib patient never started therapy and
   is left out of both (``mitt = 0`` in ``trial.csv``).
3. Event times are given cut by cut: for each cut a target curve per arm (``targets``: knots
   through its report's numbers) is tracked; walking along the time grid, an event is given to
   an at-risk patient whenever that brings that cut's Kaplan-Meier step closer to the target,
   only to patients whose time is beyond what the previous cut saw of them (a later cut adds
   events, it never rewrites one), the patient of highest ``frailty`` first.

The parameters were found once by a seeded random search over the targets' free knots, the cut
dates, entry dates, frailties and losses to follow-up; the 2019 knots at the published
landmarks and medians are the published numbers (observation's 36-month 50% is aimed at 50.4%,
still printed as 50%, so that a redrawing reads the 37-month median back).

Run from the repository root: ``python figures/resort/make_figure.py`` (a few seconds); it
rewrites ``ipd.csv``, ``ipd_interim.csv``, ``ipd_extended.csv``, ``trial.csv`` and ``figure.png``
next to this file, prints each cut's validation table, and exits 1 if any line fails.
"""

from __future__ import annotations

import bisect
import heapq
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ARMS = {"Observation": 36, "Sorafenib": 33}
CUTS = ("interim", "primary", "extended")
REPORTED = {"interim": "reported_interim.toml", "primary": "reported.toml",
            "extended": "reported_extended.toml"}
OUTPUT = {"interim": "ipd_interim.csv", "primary": "ipd.csv", "extended": "ipd_extended.csv"}
EXCLUDED = ("Sorafenib", 20)  # the patient left out of the interim and extended analyses
BIG = 10**6  # "no event" on the 0.1-month grid
GMAX = 1000  # the grid: 0.1 .. 100 months, in tenths


def load_params(path: Path = HERE / "trial_params.json") -> dict:
    """The trial's parameters: ``cuts`` and, per arm, entries, frailties, dropouts, targets."""
    raw = json.loads(path.read_text())
    params = {"cuts": tuple(int(c) for c in raw["cuts"])}
    for arm in ARMS:
        a = raw[arm]
        params[arm] = {"entry": tuple(a["entry"]), "frailty": tuple(a["frailty"]),
                       "dropouts": tuple(tuple(d) for d in a["dropouts"]),
                       "targets": {cut: {float(k): v for k, v in a["targets"][cut].items()}
                                   for cut in CUTS}}
    return params


def simulate(params: dict) -> dict:
    """arm -> :func:`simulate_arm` output, for the whole trial."""
    return {arm: simulate_arm(arm, params[arm], params["cuts"],
                              {cut: goal_curve(params[arm]["targets"][cut]) for cut in CUTS})
            for arm in ARMS}


def goal_curve(target: dict[float, float]) -> np.ndarray:
    """The target on the 0.1-month grid (index = tenths), made non-increasing."""
    knots = np.array(sorted(target))
    values = np.minimum.accumulate(np.array([target[k] for k in knots]))
    return np.interp(np.arange(GMAX + 1) / 10.0, knots, values)


def build_stage(goal: np.ndarray, follow: np.ndarray, prev: np.ndarray, event_time: np.ndarray,
                rank: np.ndarray) -> np.ndarray:
    """Give events at one cut so that its KM tracks ``goal`` (see the module docstring, step 3).

    ``follow``: each patient's follow-up at this cut (tenths; < 0 when not analysed);
    ``prev``: what the previous cut saw of the patient (new events only after it);
    ``event_time``: events given at earlier cuts (BIG = none); ``rank``: 0 = first to get one.
    Equivalent to walking the 0.1-month grid and, at each step, giving events while
    ``goal < S * (1 - 0.5 / at_risk)``; it jumps from one time where something changes (a
    censoring, an earlier cut's event, a patient becoming eligible, the goal crossing the
    threshold) to the next.
    """
    T = [int(v) for v in event_time]
    follow, prev, rank = follow.tolist(), prev.tolist(), rank.tolist()
    neg_goal = (-goal).tolist()
    queue = []  # (time, kind, patient): 0 = leaves (censored the step before), 1 = eligible, 2 = event
    r = 0
    for i, f in enumerate(follow):
        if f < 1:
            continue
        r += 1
        if T[i] < BIG:
            queue.append((T[i], 2, i))
        else:
            queue.append((f + 1, 0, i))
            if prev[i] < f:
                queue.append((max(prev[i], 0) + 1, 1, i))
    heapq.heapify(queue)
    left, candidates = [False] * len(T), []
    s = 1.0
    while queue or candidates:
        t = queue[0][0] if queue else GMAX + 1
        if candidates and r > 0:  # the first step where the goal falls below the threshold
            threshold = s * (1.0 - 0.5 / r)
            t = min(t, bisect.bisect_right(neg_goal, -threshold))
        if t > GMAX or r == 0:
            break
        deaths = 0
        while queue and queue[0][0] == t:
            _, kind, i = heapq.heappop(queue)
            if kind == 0 and not left[i]:
                left[i] = True
                r -= 1
            elif kind == 1:
                heapq.heappush(candidates, (rank[i], i))
            elif kind == 2:
                deaths += 1
        if deaths:
            s *= 1.0 - deaths / r
            r -= deaths
        while candidates and (left[candidates[0][1]]):
            heapq.heappop(candidates)
        while r > 0 and candidates and neg_goal[t] > -s * (1.0 - 0.5 / r):
            _, i = heapq.heappop(candidates)
            T[i], left[i] = t, True
            s *= 1.0 - 1.0 / r
            r -= 1
            while candidates and left[candidates[0][1]]:
                heapq.heappop(candidates)
    return np.array(T, dtype=np.int64)


def simulate_arm(arm: str, p: dict, cuts: tuple[int, int, int],
                 goals: dict[str, np.ndarray]) -> dict:
    """One arm of the trial: per cut ``(time, event, analysed)`` per patient, time in tenths."""
    entry = np.asarray(p["entry"], dtype=np.int64)
    n = entry.size
    loss = np.full(n, BIG, dtype=np.int64)
    for i, d in p["dropouts"]:
        loss[i] = min(loss[i], d)
    rank = np.argsort(np.argsort(-np.asarray(p["frailty"]), kind="stable"), kind="stable")
    active = {cut: np.ones(n, dtype=bool) for cut in CUTS}
    if arm == EXCLUDED[0]:
        active["interim"][EXCLUDED[1]] = active["extended"][EXCLUDED[1]] = False
    T = np.full(n, BIG, dtype=np.int64)
    seen = np.zeros(n, dtype=np.int64)
    out = {"entry": entry}
    for cut, c in zip(CUTS, cuts, strict=True):
        follow = np.minimum(c - entry, loss)
        T = build_stage(goals[cut], np.where(active[cut], follow, -1), seen, T, rank)
        seen = np.where(active[cut], follow, seen)
        out[cut] = (np.minimum(T, follow), T <= follow, active[cut].copy())
    out["event_time"] = T
    return out


def frames(sims: dict) -> dict[str, pd.DataFrame]:
    """Per cut IPD (``arm, time, event``, months), sorted as the files are written."""
    out = {}
    for cut in CUTS:
        parts = [pd.DataFrame({"arm": arm, "time": time[keep] / 10.0, "event": event[keep].astype(int)})
                 for arm, (time, event, keep) in ((a, s[cut]) for a, s in sims.items())]
        ipd = pd.concat(parts, ignore_index=True)
        out[cut] = ipd.sort_values(["arm", "time", "event"], ascending=[True, True, False],
                                   kind="stable").reset_index(drop=True)
    return out


def trial_table(sims: dict) -> pd.DataFrame:
    """``trial.csv``: one row per patient, entry date and what each cut saw (blank: not analysed)."""
    rows = []
    for arm, sim in sims.items():
        for i, entry in enumerate(sim["entry"]):
            row = {"arm": arm, "entry": entry / 10.0, "mitt": int((arm, i) != EXCLUDED)}
            for cut in CUTS:
                time, event, analysed = sim[cut]
                row[f"time_{cut}"] = time[i] / 10.0 if analysed[i] else np.nan
                row[f"event_{cut}"] = int(event[i]) if analysed[i] else pd.NA
            rows.append(row)
    table = pd.DataFrame(rows).sort_values(["arm", "entry"], kind="stable")
    table.insert(0, "id", [f"P{k + 1:02d}" for k in range(len(table))])
    return table


def main() -> int:
    from kmipd.testing.render import render_km_figure
    from kmipd.validate.checks import validate

    params = load_params()
    sims = simulate(params)
    ipds = frames(sims)
    results = {cut: validate(ipds[cut], HERE / REPORTED[cut]) for cut in CUTS}
    cuts = ", ".join(f"{cut} {c / 10:g}" for cut, c in zip(CUTS, params["cuts"], strict=True))
    print(f"data cuts at months {cuts} after the first randomisation")
    for cut, ipd in ipds.items():
        ipd.to_csv(HERE / OUTPUT[cut], index=False, float_format="%.1f")
        print(f"\n{OUTPUT[cut]} vs {REPORTED[cut]}:\n{results[cut].format()}")
    trial_table(sims).to_csv(HERE / "trial.csv", index=False, float_format="%.1f")
    render_km_figure(
        ipds["primary"], HERE / "figure.png", style="journal", x_label="Months",
        y_label="Recurrence-free survival (%)", x_ticks=np.arange(0, 73, 6),
    )
    print(f"\nwrote {', '.join(OUTPUT.values())}, trial.csv and figure.png to {HERE}")
    return 0 if all(result.passed for result in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
