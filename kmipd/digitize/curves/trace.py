"""Trace a step curve through the pixels of one colour.

A column of a step curve crosses the line either once (a horizontal stretch: a short run of
about the line width) or along a vertical stroke (a drop, or a censor tick: a long run). Short
runs are chained from column to column into *segments*; a dynamic programme then picks the
chain of segments that covers the most columns while never going back up (survival does not
rise), which skips legend keys, text, gridlines and other curves of the same colour. Levels are
the coverage-weighted centroid of each column's run (sub-pixel); :mod:`kmipd.digitize.curves.profile`
turns a chain into per-column levels and step points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmipd.digitize.curves.tall_runs import CROSSING_SLACK, mark_bands, slanted_runs

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
    peak: np.ndarray  # highest coverage in the run: how dark the ink is (black vs grey arms)


@dataclass
class Segment:
    """Short runs linked across neighbouring columns: a horizontal piece of some line."""

    x: np.ndarray  # consecutive columns
    y: np.ndarray  # centroid per column
    comp: tuple[int, int] = (0, 0)  # connected component of the first and last pixel
    tone: float = 1.0  # median peak coverage of its runs
    dash: bool = False  # part of a short piece of ink (a dash or dot, :mod:`.dashes`)

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
    a = np.nan_to_num(np.asarray(alpha, np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    if a.ndim != 2 or a.size == 0:
        e = np.zeros(0, int)
        return Runs(e, e, e, np.zeros(0), np.zeros(0), np.zeros(0))
    h, w = a.shape
    at = np.ascontiguousarray(a.T)  # column-major: runs of one column are contiguous
    m = at >= thr
    pad = np.zeros((w, 1), bool)
    d = np.diff(np.concatenate([pad, m, pad], axis=1).astype(np.int8), axis=1)
    xs, ts = np.nonzero(d == 1)
    _, es = np.nonzero(d == -1)
    bs = es - 1
    if len(xs) == 0:
        return Runs(xs, ts, bs, np.zeros(0), np.zeros(0), np.zeros(0))
    lo = xs * h + np.clip(ts - 1, 0, h)
    hi = xs * h + np.clip(bs + 2, 0, h)
    # a rim pixel between two runs of a column is counted once, by the upper run
    lo[1:] = np.maximum(lo[1:], hi[:-1])
    flat = at.ravel()
    ys = np.tile(np.arange(h, dtype=np.float32), w)
    # every index must lie inside the padded array (reduceat raises otherwise)
    bounds = np.clip(np.column_stack([lo, hi]).ravel(), 0, h * w)
    mass = np.add.reduceat(np.r_[flat, 0], bounds)[::2].astype(float)
    mom = np.add.reduceat(np.r_[flat * ys, 0], bounds)[::2].astype(float)
    mass = np.where(hi > lo, mass, 0.0)
    centre = mom / np.maximum(mass, 1e-9)
    peak = np.maximum.reduceat(np.r_[flat, 0], np.clip(np.column_stack([xs * h + ts, xs * h + bs + 1]).ravel(),
                                                        0, h * w))[::2]
    return Runs(xs, ts, bs, centre, mass, peak.astype(float))


def line_width(runs: Runs, shortest: float = 30) -> float:
    """Typical thickness of the line (px): the median coverage of its column crossings.

    Horizontal crossings are the shortest runs that are not specks (the ``shortest`` percent of
    them, and those up to a pixel longer); censor ticks and drops are longer, and on a heavily
    censored curve they can be most of the runs.
    """
    if len(runs.x) == 0:
        return 1.0
    length = runs.bottom - runs.top + 1
    solid = runs.mass >= 0.6
    if not solid.any():
        return 1.0
    cut = np.percentile(length[solid], shortest) + 1
    short = runs.mass[solid & (length <= cut)]
    return float(max(np.median(short), 0.8))


def width_modes(runs: Runs, height: int) -> list[float]:
    """Thicknesses of the horizontal lines in a colour: modes of the masses of runs that repeat
    (same top and bottom, +-1) in the next column. One colour can hold lines of different
    weights (a bold curve, thin table rules, dotted limits); the caller tries each.
    """
    key = runs.x.astype(np.int64) * (height + 2) + runs.top
    nxt = key + (height + 2)
    same = np.isin(nxt, key) | np.isin(nxt - 1, key) | np.isin(nxt + 1, key)
    length = (runs.bottom - runs.top + 1)[same]
    if len(length) == 0:
        return []
    counts = np.bincount(length)
    order = np.argsort(-counts)
    modes = [int(v) for v in order[:3] if counts[v] >= max(10, 0.15 * counts.max())]
    out = []
    for m in modes:
        sel = same.copy()
        sel[same] = length == m
        out.append(float(np.median(runs.mass[sel])))
    return out


def build_segments(runs: Runs, width: float, steep: bool = False) -> list[Segment]:
    """Link the short (horizontal-crossing) runs of neighbouring columns into segments; the
    runs of a band of crowded censor marks count as crossings
    (:func:`~kmipd.digitize.curves.tall_runs.mark_bands`), and so do those of a steep stretch
    (:func:`~kmipd.digitize.curves.tall_runs.slanted_runs`) when ``steep``. (Their chains read a
    steep stretch as a slide of tiny steps, so callers ask for that last; an ink shared by
    several arms, black or grey, never: where its curves cross, the crossings slide too.)"""
    length = runs.bottom - runs.top + 1
    in_band, centre = mark_bands(runs, width)
    short = (length <= width + CROSSING_SLACK) | in_band
    if steep:
        short |= slanted_runs(runs, width)
    xs, ys, pk = runs.x[short], centre[short], runs.peak[short]
    tol = max(1.0, 0.5 * width)
    segs: list[list[tuple[int, float, float]]] = []
    open_: list[int] = []  # indices into segs that ended in the previous column
    prev_x = -10
    order = np.argsort(xs, kind="stable")
    xs, ys, pk = xs[order], ys[order], pk[order]
    bounds = np.flatnonzero(np.diff(np.r_[-1, xs, -1]))
    for k in range(len(bounds) - 1):
        sl = slice(bounds[k], bounds[k + 1])
        if sl.start >= len(xs):
            break
        x = int(xs[sl.start])
        col = ys[sl]
        col_pk = pk[sl]
        new_open = []
        taken = set()
        cands = open_ if x == prev_x + 1 else []
        for y, p in zip(col, col_pk):
            best, bd = -1, tol
            for s in cands:
                if s in taken:
                    continue
                dy = abs(segs[s][-1][1] - y)
                if dy <= bd:
                    best, bd = s, dy
            if best < 0:
                segs.append([(x, float(y), float(p))])
                new_open.append(len(segs) - 1)
            else:
                segs[best].append((x, float(y), float(p)))
                taken.add(best)
                new_open.append(best)
        open_, prev_x = new_open, x
    return [Segment(np.array([p[0] for p in s]), np.array([p[1] for p in s]),
                    tone=float(np.median([p[2] for p in s]))) for s in segs]


def _vertical_cover(mask_cs: np.ndarray, cols: np.ndarray, r0: np.ndarray, r1: np.ndarray) -> np.ndarray:
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
               free_cs: np.ndarray | None = None, support_cs: np.ndarray | None = None,
               gap_cost: float = 0.3, drop_cost: float = 0.5,
               link_cost: float = 0.3, tone_cost: float = 40.0,
               kind_cost: float = 0.0) -> list[int]:
    """Indices of the segment chain (left to right, never rising) that covers the most columns.

    Gaps cost ``gap_cost`` per column beyond a stroke width (a hidden or dashed stretch is
    bridged when the line goes on); a drop with no vertical stroke under it costs
    ``drop_cost`` per pixel, so a chain prefers real drops to jumps onto other lines; segments
    joined by ink (same connected component) cost a fifth of that, gaps included. Each link
    costs ``link_cost`` columns, so specks (the outer corner of a thick line's join) are not
    worth chaining. Joining segments of clearly different darkness costs ``tone_cost`` per unit
    of difference beyond 0.2 (a black and a grey arm cross but do not merge), and a dash to an
    unbroken line ``kind_cost`` (a solid and a dashed arm of one ink cross but do not merge). ``free_cs`` (cumulative count of columns not blanked by a text box, with a
    leading 0) makes gaps through blanked columns nearly free: nothing can be seen there.
    ``support_cs`` (like ``mask_cs``, of the ink of every curve) lets another curve's stroke
    carry a drop: where arms drop at the same time, the one drawn on top hides the others'.
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
    tone = np.array([segs[i].tone for i in order])
    dash = np.array([segs[i].dash for i in order])
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
        gap = x0[j] - x1[idx] - 1
        blind = np.zeros(len(idx), bool)
        if free_cs is not None:
            a = np.clip(x1[idx] + 1, 0, len(free_cs) - 1)
            free = free_cs[np.clip(x0[j], a, len(free_cs) - 1)] - free_cs[a]
            blind = free < gap
            gap = free
        gap = np.maximum(0, gap - stroke)
        dy = y0[j] - y1[idx]
        joined = (c1[idx] == c0[j]) & (c0[j] > 0)
        cost = gap_cost * gap * np.where(joined, 0.2, 1.0) + link_cost
        cost += tone_cost * np.maximum(np.abs(tone[idx] - tone[j]) - 0.2, 0.0)
        cost += kind_cost * (dash[idx] != dash[j])
        big = (dy > 2 * width) & ~joined & ~blind
        if big.any():
            bi = idx[big]
            # the stroke can sit on the segments' last columns (the run there is a corner)
            cols = np.concatenate([x1[bi][:, None] + 1 - overlap + offs[None, :],
                                   np.broadcast_to(x0[j] - 1 + overlap - offs, (len(bi), win))], axis=1)
            cols = np.where((cols > x1[bi][:, None] - overlap) & (cols < x0[j] + overlap), cols, -1)
            r0 = y1[bi] + width / 2 + 1
            r1 = np.full(len(bi), y0[j] - width / 2 - 1)
            sup = _vertical_cover(mask_cs if support_cs is None else support_cs, cols,
                                 np.round(r0), np.round(r1))
            cost[big] += np.where(sup < 0.6, drop_cost * dy[big], 0.0)
        # an overlapping predecessor only counts for the columns it adds; across a drop the
        # overlap counts against the link (a step's lower level cannot start before the upper
        # one ends: such a piece is a censor mark's arm at the foot of the drop)
        back = np.where(x1[idx] >= x0[j], x1[idx] - x0[j] + 1, 0)
        cand = score[idx] - cost - np.where(dy > 2 * width, 2, 1) * back
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
