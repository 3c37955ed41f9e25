"""The rules a number-at-risk table obeys, and how a row that breaks them is repaired or flagged.

Counts never rise along a row, and between two columns they drop at least by the events the
curve shows (:func:`min_events`) and no more than censoring allows (:func:`_max_at_risk`). A row
that breaks these rules is mended by the reading the recogniser found next most likely, or by a
known digit confusion (:func:`confusion_variants`), and flagged when no single reading explains
it (:func:`repair_row`). :func:`check_at_risk_against_curves` checks a finished table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from kmipd.digitize.text.cells import MAX_COUNT, CellReading

# Digit pairs that OCR engines (and low-resolution JPEG figures) swap, both ways.
CONFUSIONS: dict[str, str] = {
    "6": "8590", "8": "6305", "1": "74", "7": "1", "3": "85", "5": "63", "0": "869", "9": "60",
    "4": "1",
}
COST_CONFUSION = 6.0  # cost (in nats) of a reading that only a known confusion explains
COST_DIGIT = 9.0  # a digit dropped or added by the reader
MAX_REPAIR_COST = 8.0  # above this a row is flagged rather than rewritten
MIN_MARGIN = 2.5  # a repair must beat every other explanation by this many nats
SURVIVAL_TOL = 0.015  # how far a digitized survival may be off when bounding events


def confusion_variants(text: str) -> list[tuple[int, float]]:
    """Counts that ``text`` may have been misread from, with their price.

    One digit swapped for a look-alike (6/8, 1/7, 3/8, 5/6, 0/8, ...), or one digit dropped or
    added by the reader.
    """
    digits = "".join(c for c in text.split("(")[0] if c.isdigit())
    out: dict[int, float] = {}

    def add(s: str, cost: float) -> None:
        if s and (s == "0" or s[0] != "0"):
            out[int(s)] = min(out.get(int(s), cost), cost)

    for i, c in enumerate(digits):
        for r in CONFUSIONS.get(c, ""):
            add(digits[:i] + r + digits[i + 1:], COST_CONFUSION)
        if len(digits) > 1:
            add(digits[:i] + digits[i + 1:], COST_DIGIT)  # an extra digit was read
    for i in range(len(digits) + 1):
        for r in "0123456789":
            add(digits[:i] + r + digits[i:], COST_DIGIT)  # a digit was dropped
    out.pop(int(digits), None) if digits else None
    return sorted(out.items(), key=lambda c: c[1])


def min_events(s0: float, s1: float, n1: int) -> int:
    """Fewest events that take survival from ``s0`` to ``s1`` with ``n1`` still at risk after.

    Every event multiplies survival by at least ``n1 / (n1 + 1)`` (the risk set then holds at
    least the ``n1`` survivors and the one who dies), so ``d >= ln(s1/s0) / ln(n1/(n1+1))``.
    """
    if not (np.isfinite(s0) and np.isfinite(s1)) or n1 <= 0 or s0 <= 0:
        return 0
    if s1 + SURVIVAL_TOL <= 0:
        return 0  # a curve read below zero (a misread curve or axis) says nothing here
    ratio = min(1.0, (s1 + SURVIVAL_TOL) / max(s0 - SURVIVAL_TOL, 1e-9))
    if ratio >= 1.0:
        return 0
    return max(0, int(math.floor(math.log(ratio) / math.log(n1 / (n1 + 1)) + 1e-9)))


def _max_at_risk(s0: float, s1: float, n0: int) -> float:
    """Most that can be at risk at a later time, given ``n0`` at risk when survival was ``s0``.

    Events keep (number at risk) / (survival) constant and censoring only lowers it, so
    ``n1 <= n0 * s1 / s0`` (survival read just before each time; inf when the curve says nothing).
    """
    if not (np.isfinite(s0) and np.isfinite(s1)) or s0 <= SURVIVAL_TOL:
        return math.inf
    return n0 * min(1.0, (s1 + SURVIVAL_TOL) / (s0 - SURVIVAL_TOL)) + 1.0


def counts_fit(s0: float, s1: float, n0: int, n1: int) -> bool:
    """Whether ``n0`` then ``n1`` at risk agree with survival ``s0`` then ``s1`` (NaN: no curve)."""
    return n0 >= n1 and n0 - n1 >= min_events(s0, s1, n1) and n1 <= _max_at_risk(s0, s1, n0)


def step_at(t: np.ndarray, s: np.ndarray, times: np.ndarray, eps: float = 0.0) -> np.ndarray:
    """Survival just before each of ``times`` (NaN past the curve's end) from step points ``t, s``.

    The number at risk at time t still counts those who die at t, so the curve is read left of
    any drop at t: at ``time - eps`` (``eps`` covers the pixel error of a digitized drop).
    """
    times = np.asarray(times, float)
    out = np.full(times.shape, np.nan)
    if len(t):
        inside = (times >= t[0] - 1e-9) & (times <= t[-1] + 1e-9)
        at = np.maximum(times[inside] - eps, t[0])
        out[inside] = s[np.maximum(np.searchsorted(t, at, side="left") - 1, 0)]
    return out


_Feasible = Callable[[int, int, int, int], bool]  # (cell i, cell j > i, count at i, count at j)


def _best_path(options: list[list[tuple[int, float]]], ok: _Feasible):
    """Cheapest choice of one option per cell such that ``ok`` holds between neighbours."""
    cost = [c for _, c in options[0]]
    back: list[list[int]] = []
    for i in range(1, len(options)):
        new, arg = [], []
        for v, c in options[i]:
            best, k = math.inf, -1
            for j, (u, _) in enumerate(options[i - 1]):
                if cost[j] < best and ok(i - 1, u, v):
                    best, k = cost[j], j
            new.append(best + c)
            arg.append(k)
        cost = new
        back.append(arg)
    j = int(np.argmin(cost))
    if not math.isfinite(cost[j]):
        return math.inf, None
    path = [j]
    for arg in reversed(back):
        path.append(arg[path[-1]])
    path.reverse()
    return cost[j], [options[i][k][0] for i, k in enumerate(path)]


def repair_row(readings: Sequence[CellReading], ok: _Feasible) -> tuple[list[int | None], list[str]]:
    """Make one row of counts consistent, changing a cell only when one reading explains it.

    Parameters
    ----------
    readings : sequence of CellReading
        The row's cells in time order.
    ok : callable
        ``ok(i, j, n_i, n_j)`` tells whether counts ``n_i`` at cell ``i`` and ``n_j`` at a later
        cell ``j`` can both be right (never rising; dropping at least by the curve's events).

    Returns
    -------
    values : list of int or None
        The value of each cell (None where the reading is not a count).
    status : list of str
        ``"ok"``, ``"repaired"``, or ``"flagged"`` for each cell.
    """
    primary = [r.value for r in readings]
    status = ["ok"] * len(readings)
    idx = [i for i, v in enumerate(primary) if v is not None]
    if len(idx) < 2:
        return primary, status
    seq = [primary[i] for i in idx]
    if all(ok(idx[k], idx[k + 1], seq[k], seq[k + 1]) for k in range(len(idx) - 1)):
        return primary, status

    def pair_ok(k: int, u: int, v: int) -> bool:
        return ok(idx[k], idx[k + 1], u, v)

    options = []
    for i in idx:
        r = readings[i]
        opts = dict(r.candidates)
        for v, c in confusion_variants(r.text):
            opts[v] = min(opts.get(v, math.inf), c)
        opts.pop(None, None)
        options.append(sorted(opts.items(), key=lambda o: o[1])[:60])
    cost, path = _best_path(options, pair_ok)
    changed = [k for k in range(len(idx)) if path is not None and path[k] != seq[k]]
    if path is not None and cost <= MAX_REPAIR_COST:
        unique = True
        for k in changed:
            # the best explanation that does not give cell k this value must cost clearly more
            alt = [o if j != k else [p for p in o if p[0] != path[k]] for j, o in enumerate(options)]
            alt_cost, _ = _best_path(alt, pair_ok)
            unique &= alt_cost - cost >= MIN_MARGIN
        if unique:
            values = list(primary)
            for k in changed:
                values[idx[k]] = path[k]
                status[idx[k]] = "repaired"
            return values, status
    for k in _outside_longest_chain(seq, lambda a, b: ok(idx[a], idx[b], seq[a], seq[b])):
        status[idx[k]] = "flagged"
    return primary, status


def _outside_longest_chain(seq: list[int], ok: Callable[[int, int], bool]) -> list[int]:
    """Cells that are not on every longest consistent chain: the suspects to flag.

    When two cells contradict each other and either could be the wrong one (15 then 17 in a
    falling row), both are flagged, so that what is kept never rises.
    """
    n = len(seq)
    best, n_end = [1] * n, [1] * n  # longest chain ending at i, and how many there are
    for i in range(n):
        for j in range(i):
            if ok(j, i):
                if best[j] + 1 > best[i]:
                    best[i], n_end[i] = best[j] + 1, n_end[j]
                elif best[j] + 1 == best[i]:
                    n_end[i] += n_end[j]
    tail, n_start = [1] * n, [1] * n  # the same for chains starting at i
    for i in range(n - 1, -1, -1):
        for j in range(i + 1, n):
            if ok(i, j):
                if tail[j] + 1 > tail[i]:
                    tail[i], n_start[i] = tail[j] + 1, n_start[j]
                elif tail[j] + 1 == tail[i]:
                    n_start[i] += n_start[j]
    top = max(best)
    total = sum(n_end[i] for i in range(n) if best[i] == top)
    return [i for i in range(n)
            if best[i] + tail[i] - 1 < top or n_end[i] * n_start[i] < total]


def check_at_risk_against_curves(table: pd.DataFrame | None, curves: pd.DataFrame) -> list[dict]:
    """Check a number-at-risk table against digitized curves.

    Parameters
    ----------
    table : pandas.DataFrame or None
        ``arm, time, n_at_risk``.
    curves : pandas.DataFrame
        ``arm, time, survival`` (survival 0-1, step points); arms matched by name, else by order.

    Returns
    -------
    list of dict
        One per failed check: ``arm, time, read, value, action`` (``"flagged"``), ``reason``.
    """
    if table is None or table.empty or curves is None or curves.empty:
        return []
    t_arms = list(pd.unique(table["arm"]))
    c_arms = list(pd.unique(curves["arm"]))
    pairs = {a: a for a in t_arms if a in c_arms}
    if len(pairs) < len(t_arms) and len(t_arms) == len(c_arms):
        pairs = dict(zip(t_arms, c_arms))
    out = []
    for arm, rows in table.sort_values("time").groupby("arm", sort=False):
        n, t, bad = _counts(rows)
        out += [{"arm": arm, "time": float(tb), "read": str(v), "value": None, "action": "flagged",
                 "reason": f"not a count of patients (0 to {MAX_COUNT:,}); left out of the checks"}
                for tb, v in bad]
        cur = curves[curves["arm"] == pairs.get(arm)].sort_values("time")
        ct = cur["time"].to_numpy(float)
        eps = 0.003 * (ct[-1] - ct[0]) if len(ct) > 1 else 0.0  # about a pixel of the figure
        s = step_at(ct, cur["survival"].to_numpy(float), t, eps)
        for k in range(1, len(n)):
            reason = None
            if n[k] > n[k - 1]:
                reason = f"count rises from {n[k - 1]} at time {t[k - 1]:g}"
            elif n[k - 1] - n[k] < (d := min_events(s[k - 1], s[k], int(n[k]))):
                reason = (f"drops by {n[k - 1] - n[k]} since time {t[k - 1]:g} but the curve "
                          f"shows at least {d} events")
            elif n[k] > (m := _max_at_risk(s[k - 1], s[k], int(n[k - 1]))):
                reason = (f"more at risk than the curve allows after {n[k - 1]} at time "
                          f"{t[k - 1]:g} (at most {int(m)})")
            if reason:
                out.append({"arm": arm, "time": float(t[k]), "read": str(n[k]), "value": int(n[k]),
                            "action": "flagged", "reason": reason})
    return out


def _counts(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[tuple[float, object]]]:
    """One arm's counts and times, without cells that are no count of patients (not a whole
    number from 0 to :data:`~kmipd.digitize.ocr_cells.MAX_COUNT`), which are returned apart as
    ``(time, value)``."""
    raw = rows["n_at_risk"].to_numpy(object)
    t = rows["time"].to_numpy(float)
    num = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(float)
    ok = np.isfinite(num) & (num >= 0) & (num <= MAX_COUNT) & (num == np.round(num))
    bad = [(float(tb), v) for tb, v, good in zip(t, raw, ok) if not good]
    return num[ok].astype(np.int64), t[ok], bad
