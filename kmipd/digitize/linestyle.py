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
    label_segments,
    line_width,
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
                     max_chains: int | None = None) -> list[Candidate]:
    """Up to ``max_chains`` curves traced in one colour's coverage image, best first."""
    if max_chains is None:
        max_chains = 2 if colour.chromatic else 3
    runs = column_runs(alpha)
    if len(runs.x) == 0:
        return []
    width = line_width(runs)
    segs = build_segments(runs, width)
    mask = alpha >= ALPHA_MIN
    label_segments(segs, cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)[1])
    cs = np.zeros((mask.shape[0] + 1, mask.shape[1]), np.int32)
    cs[1:] = np.cumsum(mask, axis=0)
    used: set[int] = set()
    out = []
    for rank in range(max_chains):
        avail = [i for i in range(len(segs)) if i not in used]
        chain = [avail[k] for k in best_chain([segs[i] for i in avail], width, cs)]
        if not chain:
            break
        x0, y = chain_profile(segs, chain, width, cs)
        vis = np.zeros(len(y), bool)
        for i in chain:
            vis[segs[i].x - x0] = True
        cover = vis.sum() / mask.shape[1]
        if cover < 0.03:
            break
        used.update(chain)
        rgb = colour.rgb if colour.chromatic else _sample_colour(region, x0, y, vis)
        cand = Candidate(colour_id, rank, tuple(float(v) for v in rgb), colour.chromatic, x0, y,
                         vis, width, runs, coverage=float(cover))
        cand.style = line_style(cand, cs)
        cand.confidence = float(np.clip(vis.sum() / max(len(vis), 1), 0.0, 1.0))
        out.append(cand)
    return out


def _sample_colour(region: np.ndarray, x0: int, y: np.ndarray, vis: np.ndarray) -> np.ndarray:
    """Median colour of the darkest pixel of each visible column (grey or black arm)."""
    xs = x0 + np.flatnonzero(vis)
    ys = np.clip(np.round(y[vis]).astype(int), 0, region.shape[0] - 1)
    stack = np.stack([region[np.clip(ys + d, 0, region.shape[0] - 1), xs] for d in (-1, 0, 1)])
    darkest = stack[stack.sum(axis=2).argmin(axis=0), np.arange(len(xs))]
    return np.median(darkest, axis=0)


def line_style(c: Candidate, mask_cs: np.ndarray) -> str:
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
    r0 = np.clip(np.round(lvl - c.width), 0, mask_cs.shape[0] - 1).astype(int)
    r1 = np.clip(np.round(lvl + c.width) + 1, 0, mask_cs.shape[0] - 1).astype(int)
    mid = np.clip(c.x_start + (g0 + g1) // 2, 0, mask_cs.shape[1] - 1)
    empty = (mask_cs[r1, mid] - mask_cs[r0, mid]) == 0
    real = empty & (glen >= 2) & (glen <= 8 * c.width + 8)
    span = len(vis)
    if real.sum() < 5 or glen[real].sum() / span < 0.12:
        return "solid"
    return "dotted" if np.median(dashes) <= 2.5 * c.width + 1 else "dashed"


def _level_at(c: Candidate, xs: np.ndarray) -> np.ndarray:
    k = xs - c.x_start
    out = np.full(len(xs), np.nan)
    ok = (k >= 0) & (k < len(c.y))
    out[ok] = c.y[k[ok]]
    return out


def _duplicate(c: Candidate, a: Candidate) -> bool:
    """``c`` runs along ``a`` over most of its visible length (a shade or alias of ``a``)."""
    xs = c.x_start + np.flatnonzero(c.visible)
    ya = _level_at(a, xs)
    yc = c.y[c.visible]
    close = np.abs(ya - yc) <= max(a.width, c.width) + 1.5
    return close.sum() >= 0.7 * len(xs)


def _branches(c: Candidate, accepted: list[Candidate], start: int, top: float) -> bool:
    """``c`` starts with the others at time 0, or comes out of another arm (it was hidden)."""
    first = int(np.flatnonzero(c.visible)[0]) + c.x_start
    y_first = float(c.y[first - c.x_start])
    tol = 4 * c.width + 3
    if first - start <= max(0.04 * len(c.visible), 2 * c.width + 4) and abs(y_first - top) <= tol:
        return True
    cols = np.arange(max(first - int(3 * c.width) - 6, 0), first + 1)
    for a in accepted:
        ya = _level_at(a, cols)
        if np.any(np.abs(ya - y_first) <= tol):
            return True
        # a drop out of the other arm: a stroke of this colour joins the two levels
        r = c.runs
        sel = (r.x >= cols[0]) & (r.x <= cols[-1])
        for x, t, b in zip(r.x[sel], r.top[sel], r.bottom[sel]):
            yx = _level_at(a, np.array([x]))[0]
            if np.isfinite(yx) and t <= yx + c.width + 1 and b >= y_first - c.width - 1:
                return True
    return False


def choose_arms(options: list[Candidate], width_px: int, n_arms: int | None
                ) -> tuple[list[Candidate], list[str]]:
    """Pick the arms among traced candidates; warnings say what was doubtful."""
    warnings: list[str] = []
    opts = sorted(options, key=lambda c: -c.coverage)
    distinct: list[Candidate] = []
    for c in opts:
        if not any(_duplicate(c, a) for a in distinct):
            distinct.append(c)
    ci = _confidence_pairs(distinct)
    if ci:
        warnings.append(f"ignored {len(ci)} dotted/dashed line(s) paired around a curve "
                        "(confidence limits)")
    pool = [c for c in distinct if id(c) not in ci]
    if not pool:
        return [], ["no curve found in the plot area"]
    first = pool[0]
    start = first.x_start
    top = float(first.y[np.flatnonzero(first.visible)[0]])
    accepted = [first]
    doubtful = []
    for c in pool[1:]:
        ok = c.coverage >= MIN_COVER and _branches(c, accepted, start, top)
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
        near = [c for c in doubtful if c.coverage >= 0.5 * MIN_COVER]
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
            if s.style == "solid" and p.style != "solid":
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
