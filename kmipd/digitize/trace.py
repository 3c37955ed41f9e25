"""Trace a step curve through the pixels of one colour.

A column of a step curve crosses the line either once (a horizontal stretch: a short run of
about the line width) or along a vertical stroke (a drop, or a censor tick: a long run). Short
runs are chained from column to column into *segments*; a dynamic programme then picks the
chain of segments that covers the most columns while never going back up (survival does not
rise), which skips legend keys, text, gridlines and other curves of the same colour. Levels are
the coverage-weighted centroid of each column's run (sub-pixel), pooled by isotonic regression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Alpha (coverage) above which a pixel belongs to a line.
ALPHA_MIN = 0.35


@dataclass
class Runs:
    """Vertical runs of line pixels, one row per run, ordered by column then top."""

    x: np.ndarray
    top: np.ndarray
    bottom: np.ndarray  # inclusive
    centre: np.ndarray  # coverage-weighted centroid (sub-pixel y)
    mass: np.ndarray  # summed coverage: the line's thickness for a horizontal crossing


@dataclass
class Segment:
    """Short runs linked across neighbouring columns: a horizontal piece of some line."""

    x: np.ndarray  # consecutive columns
    y: np.ndarray  # centroid per column
    comp: tuple[int, int] = (0, 0)  # connected component of the first and last pixel

    @property
    def x0(self) -> int:
        return int(self.x[0])

    @property
    def x1(self) -> int:
        return int(self.x[-1])


def column_runs(alpha: np.ndarray, thr: float = ALPHA_MIN) -> Runs:
    """All vertical runs of ``alpha >= thr`` with their sub-pixel centroids.

    The centroid and mass take one pixel of anti-aliased rim above and below the run, so that a
    line drawn at a fractional position gets its true centre.
    """
    a = np.asarray(alpha, np.float32)
    h, w = a.shape
    m = (a >= thr).T  # column-major: runs of one column are contiguous in memory order
    pad = np.zeros((w, 1), bool)
    d = np.diff(np.concatenate([pad, m, pad], axis=1).astype(np.int8), axis=1)
    xs, ts = np.nonzero(d == 1)
    _, es = np.nonzero(d == -1)
    bs = es - 1
    ys = np.arange(h, dtype=np.float64)
    s0 = np.zeros((w, h + 1))
    s1 = np.zeros((w, h + 1))
    s0[:, 1:] = np.cumsum(a.T, axis=1)
    s1[:, 1:] = np.cumsum(a.T * ys[None, :], axis=1)
    lo = np.clip(ts - 1, 0, h)
    hi = np.clip(bs + 2, 0, h)
    mass = s0[xs, hi] - s0[xs, lo]
    mom = s1[xs, hi] - s1[xs, lo]
    centre = mom / np.maximum(mass, 1e-9)
    return Runs(xs, ts, bs, centre, mass)


def line_width(runs: Runs) -> float:
    """Typical thickness of the line (px): the median coverage of its column crossings."""
    if len(runs.x) == 0:
        return 1.0
    length = runs.bottom - runs.top + 1
    short = runs.mass[length <= np.percentile(length, 60) + 1]
    return float(max(np.median(short) if len(short) else 1.0, 0.8))


def build_segments(runs: Runs, width: float) -> list[Segment]:
    """Link the short (horizontal-crossing) runs of neighbouring columns into segments."""
    length = runs.bottom - runs.top + 1
    short = length <= width + 1.6
    xs, ys = runs.x[short], runs.centre[short]
    tol = max(1.0, 0.5 * width)
    segs: list[list[tuple[int, float]]] = []
    open_: list[int] = []  # indices into segs that ended in the previous column
    prev_x = -10
    order = np.argsort(xs, kind="stable")
    xs, ys = xs[order], ys[order]
    bounds = np.flatnonzero(np.diff(np.r_[-1, xs, -1]))
    for k in range(len(bounds) - 1):
        sl = slice(bounds[k], bounds[k + 1])
        if sl.start >= len(xs):
            break
        x = int(xs[sl.start])
        col = ys[sl]
        new_open = []
        taken = set()
        cands = open_ if x == prev_x + 1 else []
        for y in col:
            best, bd = -1, tol
            for s in cands:
                if s in taken:
                    continue
                dy = abs(segs[s][-1][1] - y)
                if dy <= bd:
                    best, bd = s, dy
            if best < 0:
                segs.append([(x, float(y))])
                new_open.append(len(segs) - 1)
            else:
                segs[best].append((x, float(y)))
                taken.add(best)
                new_open.append(best)
        open_, prev_x = new_open, x
    return [Segment(np.array([p[0] for p in s]), np.array([p[1] for p in s])) for s in segs]


def vertical_cover(mask_cs: np.ndarray, cols: np.ndarray, r0: np.ndarray, r1: np.ndarray) -> np.ndarray:
    """Fraction of rows ``[r0, r1)`` that are line pixels, per pair and column (max over columns).

    ``mask_cs`` is the column-wise cumulative sum of the line mask with a leading zero row;
    ``cols`` is (n, k), ``r0``/``r1`` are (n,).
    """
    h1, w = mask_cs.shape
    c = np.clip(cols, 0, w - 1)
    a = np.clip(r0, 0, h1 - 1).astype(int)[:, None]
    b = np.clip(r1, 0, h1 - 1).astype(int)[:, None]
    frac = (mask_cs[b, c] - mask_cs[a, c]) / np.maximum(b - a, 1)
    frac = np.where((cols >= 0) & (cols < w), frac, 0.0)
    return frac.max(axis=1)


def label_segments(segs: list[Segment], components: np.ndarray) -> None:
    """Record the connected component (of the line mask) at each segment's two ends."""
    h = components.shape[0]
    for s in segs:
        ends = []
        for x, y in ((s.x[0], s.y[0]), (s.x[-1], s.y[-1])):
            rows = np.clip(np.round(y + np.array([0, -1, 1])).astype(int), 0, h - 1)
            lab = components[rows, x]
            ends.append(int(lab[lab > 0][0]) if (lab > 0).any() else 0)
        s.comp = (ends[0], ends[1])


def best_chain(segs: list[Segment], width: float, mask_cs: np.ndarray, *,
               gap_cost: float = 0.3, drop_cost: float = 0.5, link_cost: float = 1.5) -> list[int]:
    """Indices of the segment chain (left to right, never rising) that covers the most columns.

    Gaps cost ``gap_cost`` per column beyond a stroke width (a hidden or dashed stretch is
    bridged when the line goes on); a drop with no vertical stroke under it costs
    ``drop_cost`` per pixel, so a chain prefers real drops to jumps onto other lines; segments
    joined by ink (same connected component) cost a fifth of that, gaps included. Each link
    costs ``link_cost`` columns, so specks (the outer corner of a thick line's join) are not
    worth chaining.
    """
    n = len(segs)
    if n == 0:
        return []
    order = sorted(range(n), key=lambda i: (segs[i].x0, segs[i].x1))
    x0 = np.array([segs[i].x0 for i in order])
    x1 = np.array([segs[i].x1 for i in order])
    y0 = np.array([np.median(segs[i].y[:3]) for i in order])
    y1 = np.array([np.median(segs[i].y[-3:]) for i in order])
    ln = np.array([len(segs[i].x) for i in order], float)
    c0 = np.array([segs[i].comp[0] for i in order])
    c1 = np.array([segs[i].comp[1] for i in order])
    overlap = int(np.ceil(width)) + 1
    stroke = 2 * width + 2
    win = int(np.ceil(2 * width)) + 4
    offs = np.arange(win)
    score = ln.copy()
    prev = np.full(n, -1)
    for j in range(n):
        ok = (x1 < x0[j]) | ((x1 < x0[j] + overlap) & (x0 < x0[j]))
        ok[j:] = False
        ok &= y0[j] >= y1 - 1.0
        ok &= (y0[j] - y1) >= -1.0
        idx = np.flatnonzero(ok)
        if len(idx) == 0:
            continue
        gap = np.maximum(0, x0[j] - x1[idx] - 1 - stroke)
        dy = y0[j] - y1[idx]
        joined = (c1[idx] == c0[j]) & (c0[j] > 0)
        cost = gap_cost * gap * np.where(joined, 0.2, 1.0) + link_cost
        big = (dy > 2 * width) & ~joined
        if big.any():
            bi = idx[big]
            cols = np.concatenate([x1[bi][:, None] + 1 + offs[None, :],
                                   np.broadcast_to(x0[j] - 1 - offs, (len(bi), win))], axis=1)
            cols = np.where((cols > x1[bi][:, None]) & (cols < x0[j]), cols, -1)
            r0 = y1[bi] + width / 2 + 1
            r1 = np.full(len(bi), y0[j] - width / 2 - 1)
            sup = vertical_cover(mask_cs, cols, np.round(r0), np.round(r1))
            cost[big] += np.where(sup < 0.6, drop_cost * dy[big], 0.0)
        # an overlapping predecessor only counts for the columns it adds
        cand = score[idx] - cost - np.where(x1[idx] >= x0[j], x1[idx] - x0[j] + 1, 0)
        k = int(np.argmax(cand))
        if cand[k] > 0:
            score[j] = ln[j] + cand[k]
            prev[j] = idx[k]
    j = int(np.argmax(score))
    chain = []
    while j >= 0:
        chain.append(order[j])
        j = int(prev[j])
    return chain[::-1]


def chain_profile(segs: list[Segment], chain: list[int], width: float,
                  mask_cs: np.ndarray) -> tuple[int, np.ndarray]:
    """Per-column level (sub-pixel y) of a chain, from its first to its last column.

    Gaps between chained segments are filled: no drop (a censor tick, a dash gap) by a straight
    line; a drop with a vertical stroke in the gap steps at the stroke's centre (or follows a
    wide run of strokes: a staircase of many small drops); a drop with no stroke (the curve is
    hidden under another curve or text) is left NaN for the caller to fill.
    """
    if not chain:
        return 0, np.zeros(0)
    x_start, x_end = segs[chain[0]].x0, max(segs[i].x1 for i in chain)
    y = np.full(x_end - x_start + 1, np.nan)
    for i in chain:
        y[segs[i].x - x_start] = segs[i].y
    h1 = mask_cs.shape[0]
    for i, j in zip(chain[:-1], chain[1:]):
        a, b = segs[i].x1, segs[j].x0
        if b - a <= 1:
            continue
        y1, y2 = float(np.median(segs[i].y[-3:])), float(np.median(segs[j].y[:3]))
        cols = np.arange(a + 1, b)
        if y2 - y1 <= max(1.0, 0.5 * width):
            y[cols - x_start] = np.interp(cols, [a, b], [y1, y2])
            continue
        r0 = int(np.clip(round(y1 + width / 2 + 0.5), 0, h1 - 1))
        r1 = int(np.clip(round(y2 - width / 2 - 0.5), r0 + 1, h1 - 1))
        frac = (mask_cs[r1, cols] - mask_cs[r0, cols]) / max(r1 - r0, 1)
        stroke = frac >= 0.5
        if not stroke.any():
            continue
        sx = cols[stroke]
        if sx[-1] - sx[0] <= 2 * width + 3:
            xd = float(np.average(sx, weights=frac[stroke]))
            y[cols - x_start] = np.where(cols < xd - 0.5, y1, y2)
        else:
            # a staircase of drops closer than the line width: follow the ink's middle
            ys = np.arange(h1 - 1, dtype=float)
            col_mask = np.diff(mask_cs[:, cols], axis=0)
            rows = (ys >= y1) & (ys <= y2)
            wts = col_mask[rows]
            mid = (wts * ys[rows, None]).sum(0) / np.maximum(wts.sum(0), 1e-9)
            mid = np.where(wts.sum(0) > 0, mid, np.nan)
            mid = np.fmax.accumulate(np.where(np.isnan(mid), y1, np.clip(mid, y1, y2)))
            y[cols - x_start] = mid
    return x_start, y


def steps_from_profile(x_start: int, y: np.ndarray, eps: float = 0.02) -> np.ndarray:
    """(N, 2) step points of a monotone per-column profile: one point where the level changes.

    A right-continuous step function through the points (level of the last point at or left
    of x) reproduces the profile; the last column is repeated so the curve's end is kept.
    """
    if len(y) == 0:
        return np.zeros((0, 2))
    change = np.flatnonzero(np.abs(np.diff(y)) > eps) + 1
    idx = np.r_[0, change]
    pts = np.column_stack([x_start + idx.astype(float), y[idx]])
    if idx[-1] != len(y) - 1:
        pts = np.vstack([pts, [x_start + len(y) - 1.0, y[-1]]])
    return pts
