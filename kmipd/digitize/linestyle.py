"""Several curves of one colour: trace them one after another, tell them apart by line style,
and choose which traced curves are arms.

Black-and-white figures draw every arm in black (solid, dashed, dotted) or in black and grey; a
colour figure may add dotted confidence limits in each arm's colour. Each colour is traced
repeatedly (the best chain, then the best chain of what is left), and the candidates are judged
on how much of the plot they cover, whether they start where the other arms start (time 0) or
branch off one of them, and whether they pair up above and below another curve (confidence
limits).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from kmipd.digitize.colours import InkColour
from kmipd.digitize.trace import (
    ALPHA_MIN,
    Runs,
    best_chain,
    build_segments,
    chain_profile,
    column_runs,
    final_drop,
    label_segments,
    line_width,
    width_modes,
)

#: Share of the plot width an arm's visible pixels must cover to count without being asked for.
MIN_COVER = 0.10


@dataclass
class Candidate:
    """One traced curve that may be an arm."""

    colour_id: int
    rank: int  # 0 = best chain of its colour
    rgb: tuple[float, float, float]
    chromatic: bool
    x_start: int
    y: np.ndarray  # level per column from x_start (NaN: not seen)
    visible: np.ndarray  # bool per column from x_start: the curve's own pixels are there
    width: float
    runs: Runs
    style: str = "solid"
    coverage: float = 0.0
    confidence: float = 1.0
    notes: list[str] = field(default_factory=list)


def chains_of_colour(alpha: np.ndarray, colour: InkColour, region: np.ndarray, colour_id: int = 0,
                     max_chains: int | None = None, blind_cols: np.ndarray | None = None,
                     ink: np.ndarray | None = None) -> list[Candidate]:
    """Up to ``max_chains`` curves traced in one colour's coverage image, best first.

    ``blind_cols`` flags columns partly hidden by text boxes (gaps there cost little); ``ink``
    (bool, the region's line pixels of every colour) lets a drop hidden under another arm's
    stroke count as a drop.
    """
    if max_chains is None:
        max_chains = 2 if colour.chromatic else 3
    runs = column_runs(alpha)
    if len(runs.x) == 0:
        return []
    mask = alpha >= ALPHA_MIN
    comps = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)[1]
    cs = np.zeros((mask.shape[0] + 1, mask.shape[1]), np.int32)
    cs[1:] = np.cumsum(mask, axis=0)
    free_cs = support_cs = None
    if ink is not None:
        support_cs = np.zeros_like(cs)
        support_cs[1:] = np.cumsum(ink | mask, axis=0)
    if blind_cols is not None:
        free_cs = np.r_[0, np.cumsum(~blind_cols)]
    # the width decides which runs are line crossings; when the colour holds lines of several
    # weights (a bold curve among thin table rules and dots) and the overall width finds no
    # long curve, try the other weights (a wider one also swallows censor ticks: last resort)
    best = None
    for width in _widths(runs, mask.shape[0]):
        segs = build_segments(runs, width)
        label_segments(segs, comps)
        chain = best_chain(segs, width, cs, free_cs=free_cs, support_cs=support_cs)
        cover = len(np.unique(np.concatenate([segs[i].x for i in chain]))) if chain else 0
        if best is None or cover > 2 * best[0]:
            best = (cover, width, segs)
        if best[0] >= 0.4 * mask.shape[1]:
            break
    _, width, segs = best
    used: set[int] = set()
    out = []
    for rank in range(max_chains):
        avail = [i for i in range(len(segs)) if i not in used]
        chain = [avail[k] for k in best_chain([segs[i] for i in avail], width, cs,
                                                   free_cs=free_cs, support_cs=support_cs)]
        if not chain:
            break
        x0, y = chain_profile(segs, chain, width, alpha)
        vis = np.zeros(len(y), bool)
        for i in chain:
            vis[segs[i].x - x0] = True
        y, vis = _with_final_drop(alpha, x0, y, vis, width)
        cover = vis.sum() / mask.shape[1]
        if cover < 0.03:
            break
        used.update(chain)
        rgb = colour.rgb if colour.chromatic else _sample_colour(region, x0, y, vis)
        cand = Candidate(colour_id, rank, tuple(float(v) for v in rgb), colour.chromatic, x0, y,
                         vis, width, runs, coverage=float(cover))
        cand.confidence = float(np.clip(vis.sum() / max(len(vis), 1), 0.0, 1.0))
        out.append(cand)
    from kmipd.digitize.untangle import untangle

    untangle(out, alpha)
    for c in out:
        # where another curve of this colour runs along, its ink fills this one's dash gaps
        xs = c.x_start + np.arange(len(c.y))
        busy = np.zeros(len(c.y), bool) if blind_cols is None else blind_cols[xs].copy()
        for o in out:
            if o is not c:
                busy |= np.abs(_level_at(o, xs) - c.y) <= 2 * c.width + 2
        c.style = line_style(c, cs, busy)
    return out


def _with_final_drop(alpha: np.ndarray, x0: int, y: np.ndarray, vis: np.ndarray, width: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Append the curve's last drop (to 0 when the last patient has an event) to its levels."""
    last = np.flatnonzero(np.isfinite(y))
    if len(last) == 0:
        return y, vis
    x_end = x0 + int(last[-1])
    drop = final_drop(alpha, x_end, float(y[last[-1]]), width)
    if drop is None:
        return y, vis
    # a level holds from the left edge of its column: the drop at sub-pixel xd starts the
    # column whose left edge is nearest
    k = int(np.floor(drop[0] + 0.5)) - x0
    if k <= 0 or k < last[-1] - int(np.ceil(width)) - 2:
        return y, vis
    n = max(k + 1, len(y))
    yy = np.full(n, np.nan)
    yy[:len(y)] = y
    yy[last[-1]:k] = np.where(np.isfinite(yy[last[-1]:k]), yy[last[-1]:k], y[last[-1]])
    yy[k] = max(drop[1], float(np.nanmax(y[:k + 1])) if k < len(y) else drop[1])
    vv = np.zeros(k + 1, bool)
    vv[:min(len(vis), k + 1)] = vis[:k + 1]
    return yy[:k + 1], vv


def _widths(runs: Runs, height: int) -> list[float]:
    """The overall line width, then other plausible widths (distinct by more than a pixel)."""
    out = [line_width(runs)]
    for w in width_modes(runs, height):
        if all(abs(w - o) > 1.0 for o in out):
            out.append(w)
    return out[:3]


def _sample_colour(region: np.ndarray, x0: int, y: np.ndarray, vis: np.ndarray) -> np.ndarray:
    """Median colour of the darkest pixel of each visible column (grey or black arm)."""
    xs = x0 + np.flatnonzero(vis)
    ys = np.clip(np.round(y[vis]).astype(int), 0, region.shape[0] - 1)
    stack = np.stack([region[np.clip(ys + d, 0, region.shape[0] - 1), xs] for d in (-1, 0, 1)])
    darkest = stack[stack.sum(axis=2).argmin(axis=0), np.arange(len(xs))]
    return np.median(darkest, axis=0)


def line_style(c: Candidate, mask_cs: np.ndarray, busy: np.ndarray | None = None) -> str:
    """'solid', 'dashed' or 'dotted' from the pattern of short empty gaps along the curve.

    Gaps with ink at the curve's level (censor ticks, drops) and long gaps (hidden under
    another curve) say nothing about the style and are skipped.
    """
    vis = c.visible
    if vis.sum() < 10:
        return "solid"
    d = np.diff(np.r_[0, vis.astype(np.int8), 0])
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    dashes = ends - starts
    g0, g1 = ends[:-1], starts[1:]
    if len(g0) == 0:
        return "solid"
    glen = g1 - g0
    lvl = np.interp((g0 + g1) / 2.0, np.flatnonzero(vis), c.y[vis])
    r0 = np.clip(np.round(lvl - c.width / 2), 0, mask_cs.shape[0] - 1).astype(int)
    r1 = np.clip(np.round(lvl + c.width / 2) + 1, 0, mask_cs.shape[0] - 1).astype(int)
    mid = np.clip(c.x_start + (g0 + g1) // 2, 0, mask_cs.shape[1] - 1)
    empty = (mask_cs[r1, mid] - mask_cs[r0, mid]) == 0
    real = empty & (glen >= 2) & (glen <= 8 * c.width + 8)
    span = len(vis)
    if busy is not None:
        real &= ~busy[(g0 + g1) // 2]
        span = max(int((~busy).sum()), 1)
    # colour figures rarely dash their arms: ask for more evidence there
    need, share = (8, 0.12) if c.chromatic else (3, 0.06)
    if real.sum() < need or glen[real].sum() / span < share:
        return "solid"
    # dashes cut by censor ticks are short, but some stay whole: look at the longer ones
    return "dotted" if np.percentile(dashes, 75) <= 2 * c.width + 1 else "dashed"


def _level_at(c: Candidate, xs: np.ndarray) -> np.ndarray:
    k = xs - c.x_start
    out = np.full(len(xs), np.nan)
    ok = (k >= 0) & (k < len(c.y))
    out[ok] = c.y[k[ok]]
    return out


def _close_columns(c: Candidate, a: Candidate) -> np.ndarray:
    """Per visible column of ``c``: does it run along ``a`` there?"""
    xs = c.x_start + np.flatnonzero(c.visible)
    ya = _level_at(a, xs)
    yc = c.y[c.visible]
    close = np.abs(ya - yc) <= max(a.width, c.width) + 1.5
    if c.colour_id == a.colour_id:
        # one colour traced twice through a thick band of its own ink (dense censor marks):
        # nothing but that ink between the two traces
        r = c.runs
        lo, hi = np.minimum(ya, yc), np.maximum(ya, yc)
        first = np.searchsorted(r.x, xs, side="left")
        last = np.searchsorted(r.x, xs, side="right")
        for k in np.flatnonzero(~close & np.isfinite(ya)):
            sl = slice(first[k], last[k])
            close[k] = np.any((r.top[sl] <= lo[k] + 1) & (r.bottom[sl] >= hi[k] - 1))
    return close


def _duplicate(c: Candidate, others: list[Candidate]) -> bool:
    """``c`` runs along the other curves over most of its visible length: a shade or alias of
    one of them, or the mixed rim between two of them (JPEG), hopping from one to the other."""
    # a different colour can only be a rim of a similar colour or of a mix of two others:
    # arms of unlike colours may run close together (large trials) without being one curve
    # (black and grey run along coloured curves as censor ticks, outlines and JPEG seams)
    others = [a for a in others if a.colour_id == c.colour_id or _alike(c.rgb, a.rgb)
              or not c.chromatic
              or any(_mix_of(c.rgb, a.rgb, b.rgb) for b in others if b is not a)]
    if not others:
        return False
    close = np.zeros(int(c.visible.sum()), bool)
    for a in others:
        close |= _close_columns(c, a)
    return close.sum() >= 0.7 * len(close)


def _alike(p, q, max_dist: float = 90.0) -> bool:
    return float(np.linalg.norm(np.subtract(p, q))) < max_dist


def _mix_of(x, p, q, max_resid: float = 40.0) -> bool:
    """``x`` lies between colours ``p`` and ``q`` (the blurred seam where two curves touch)."""
    x, p, q = (np.asarray(v, float) for v in (x, p, q))
    d = q - p
    t = float(np.clip((x - p) @ d / max(d @ d, 1e-6), 0.0, 1.0))
    return float(np.linalg.norm(x - p - t * d)) < max_resid


def _same_look(c: Candidate, a: Candidate) -> bool:
    """Two solid curves of one colour and tone: figures tell arms apart by colour or style, so
    the second is more likely a thick band of censor marks or a stray line traced twice."""
    if c.colour_id != a.colour_id or c.style != "solid" or a.style != "solid":
        return False
    if float(np.abs(np.mean(c.rgb) - np.mean(a.rgb))) >= 40:
        return False  # black and grey
    xs = c.x_start + np.flatnonzero(c.visible)
    near = np.abs(_level_at(a, xs) - c.y[c.visible]) <= 3 * max(a.width, c.width) + 3
    return bool(near.mean() >= 0.85)


def _first(c: Candidate) -> tuple[int, float]:
    """Column and level of the first visible pixel of a curve."""
    k = int(np.flatnonzero(c.visible)[0])
    return c.x_start + k, float(c.y[k])


def _branches(c: Candidate, accepted: list[Candidate], start: int, top: float) -> bool:
    """``c`` starts with the others at time 0, or shows up later below another arm.

    An arm hidden at the start (under a curve drawn on top) first shows up right of the common
    start, at or below some other arm. What is rejected is a line that begins at the left but
    well below the others (a median guide line, a tick stub), or left of every arm.
    """
    first = int(np.flatnonzero(c.visible)[0]) + c.x_start
    y_first = float(c.y[first - c.x_start])
    tol = 4 * c.width + 3
    slack = max(0.04 * len(c.visible), 2 * c.width + 4)
    cols = np.arange(max(first - int(3 * c.width) - 6, 0), first + 1)
    slack = int(slack)
    if first <= start + slack:
        if abs(y_first - top) <= tol:
            return True
        # hidden at the start: its own drop from the top shows, or another arm drops from
        # above down to this level right here
        r = c.runs
        # (a censor mark's bar may stick out left of the drop it sits on: look a bit right too)
        sel = (r.x >= cols[0] - slack) & (r.x <= cols[-1] + 3 * c.width + 6)
        lo, hi = int(top + tol), int(y_first - c.width - 1)
        near = np.arange(cols[0], cols[-1] + int(3 * c.width) + 7)
        if hi > lo:
            rows = np.zeros(hi - lo, bool)
            for t, b in zip(r.top[sel], r.bottom[sel]):
                rows[max(t - lo, 0):max(b + 1 - lo, 0)] = True
            # the upper part of its drop may lie under another arm's drop drawn on top
            for a in accepted:
                ya = _level_at(a, near)
                ya = ya[np.isfinite(ya)]
                if len(ya):
                    rows[max(int(ya.min()) - lo, 0):max(int(np.ceil(ya.max())) + 1 - lo, 0)] = True
            if rows.mean() >= 0.8:  # a staircase of its own ink from the top down to here
                return True
        for a in accepted:
            ya = _level_at(a, near)
            ya = ya[np.isfinite(ya)]
            if len(ya) and ya.min() < y_first - tol and ya.max() >= y_first - tol:
                return True
        # it does not begin at the axis but a little right of it, just under another arm: it
        # ran hidden under that arm from the top (guide lines and stubs begin at the axis)
        if first > start + 2 * c.width + 4:
            for a in accepted:
                ya = _level_at(a, near)
                ya = ya[np.isfinite(ya)]
                if len(ya) and ((ya <= y_first + tol) & (ya >= y_first - 3 * tol)).any():
                    return True
        return False
    return any(np.nanmin(np.r_[_level_at(a, cols), np.inf]) <= y_first + tol for a in accepted)


def choose_arms(options: list[Candidate], width_px: int, n_arms: int | None
                ) -> tuple[list[Candidate], list[str]]:
    """Pick the arms among traced candidates; warnings say what was doubtful."""
    warnings: list[str] = []
    opts = sorted(options, key=lambda c: -c.coverage)
    distinct: list[Candidate] = []
    for c in opts:
        if not _duplicate(c, distinct):
            distinct.append(c)
    ci = _confidence_pairs(distinct)
    if ci:
        warnings.append(f"ignored {len(ci)} dotted/dashed line(s) paired around a curve "
                        "(confidence limits)")
    pool = [c for c in distinct if id(c) not in ci]
    if not pool:
        return [], ["no curve found in the plot area"]
    # the reference start is the top-left one: an arm hidden at the start shows up lower
    strong = [c for c in pool if c.coverage >= MIN_COVER] or pool[:1]
    left = min(_first(c)[0] for c in strong)
    first = min((c for c in strong if _first(c)[0] <= left + 0.1 * width_px),
                key=lambda c: _first(c)[1])
    pool.remove(first)
    pool.insert(0, first)
    start, top = _first(first)
    accepted = [first]
    doubtful = []
    colour_figure = any(c.chromatic for c in pool if c.rank == 0 and c.coverage >= MIN_COVER)
    for c in pool[1:]:
        ok = c.coverage >= MIN_COVER and _branches(c, accepted, start, top)
        ok = ok and not any(_same_look(c, a) for a in accepted)
        # a second curve in one colour is an arm in black-and-white figures; in colour figures
        # it is a confidence limit, a table rule or a legend key unless asked for
        ok = ok and (c.rank == 0 or not colour_figure)
        (accepted if ok else doubtful).append(c)
        if ok:
            start = min(start, c.x_start)
    if n_arms is not None:
        if len(accepted) > n_arms:
            accepted = sorted(accepted, key=lambda c: -c.coverage)[:n_arms]
        while len(accepted) < n_arms and doubtful:
            extra = doubtful.pop(0)
            extra.confidence *= 0.5
            accepted.append(extra)
        if len(accepted) < n_arms:
            warnings.append(f"asked for {n_arms} arms, found {len(accepted)}")
    else:
        near = [c for c in doubtful if c.coverage >= MIN_COVER]
        if near:
            warnings.append(f"{len(near)} more curve-like line(s) not taken as arms; "
                            "pass n_arms if the figure has more arms")
        if len(accepted) > 6:
            accepted = accepted[:6]
            warnings.append("more than 6 curves found; kept the 6 longest")
    return accepted, warnings


def _confidence_pairs(cands: list[Candidate]) -> set[int]:
    """Ids of non-solid secondary curves lying one above and one below a curve of their colour."""
    out: set[int] = set()
    for p in cands:
        if p.rank != 0:
            continue
        sides: dict[int, list[Candidate]] = {-1: [], 1: []}
        for s in cands:
            if s is p or s.colour_id != p.colour_id or s.chromatic != p.chromatic:
                continue
            if s.style == "solid":  # confidence limits are drawn dotted or dashed
                continue
            xs = s.x_start + np.flatnonzero(s.visible)
            d = s.y[s.visible] - _level_at(p, xs)
            d = d[np.isfinite(d)]
            if len(d) < 10:
                continue
            side = int(np.sign(np.median(d)))
            if side and np.mean(np.sign(d) == side) > 0.8:
                sides[side].append(s)
        if sides[-1] and sides[1]:
            out.update(id(s) for s in sides[-1] + sides[1])
    return out
