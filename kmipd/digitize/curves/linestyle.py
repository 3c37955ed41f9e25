"""Several curves of one colour: trace them one after another and tell them apart by line style
(:mod:`kmipd.digitize.curves.arm_choice` then chooses which traced curves are arms).

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

from kmipd.digitize.curves.colours import InkColour
from kmipd.digitize.curves.dash_pattern import DashPattern, dash_pattern, path_steps
from kmipd.digitize.curves.dashes import dash_pieces, on_dashes
from kmipd.digitize.curves.profile import chain_profile, final_drop
from kmipd.digitize.curves.trace import (
    ALPHA_MIN,
    Runs,
    best_chain,
    build_segments,
    column_runs,
    label_segments,
    line_width,
    width_modes,
)

#: A wider line width (one that also swallows censor ticks) is taken when its chain covers this
#: many times the columns of the overall width's chain.
WIDER_GAIN = 1.5
#: ... and is at most this many times the overall width.
MAX_WIDER = 4.0
#: A wider width is also taken when its chain covers more columns and starts earlier by this
#: share of the plot's width.
EARLIER_START = 0.1
#: Share of the plot width an arm's visible pixels must cover to count without being asked for.
MIN_COVER = 0.10

#: Curves traced per colour. Colour figures give each arm its own colour (a second curve is a
#: confidence limit or a table rule); black-and-white figures draw up to four arms in one ink
#: (solid, dashed, dotted, dash-dot), plus one to spare for a stray line that is not an arm.
#: A chain pays this many line widths (in columns) to switch between dashes and unbroken lines.
KIND_WIDTHS = 10.0

CHAINS_CHROMATIC = 2
CHAINS_ACHROMATIC = 5


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
    gap_share: float = 0.0  # share of its clear stretches left blank by its dash pattern
    coverage: float = 0.0
    confidence: float = 1.0
    notes: list[str] = field(default_factory=list)


def chains_of_colour(alpha: np.ndarray, colour: InkColour, region: np.ndarray, colour_id: int = 0,
                     max_chains: int | None = None, blind_cols: np.ndarray | None = None,
                     ink: np.ndarray | None = None, line_ink: np.ndarray | None = None,
                     drop_alpha: np.ndarray | None = None) -> list[Candidate]:
    """Up to ``max_chains`` curves traced in one colour's coverage image, best first.

    ``blind_cols`` flags columns partly hidden by text boxes (gaps there cost little); ``ink``
    (bool, the region's line pixels of every colour) lets a drop hidden under another arm's
    stroke count as a drop; ``line_ink`` (bool, like ``ink`` without shaded bands)
    places such a drop by the stroke that hides it; ``drop_alpha`` (like ``alpha``, each pixel's
    coverage of this very colour) places drops to a fraction of a pixel.
    """
    if max_chains is None:
        max_chains = CHAINS_CHROMATIC if colour.chromatic else CHAINS_ACHROMATIC
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
    # (or when its chain starts far earlier and covers more: a steep staircase, blurred, has
    # runs taller than the overall width, so that width finds no curve until it flattens).
    # Last, a coloured line's steep stretches taken as line: they read as a slide of tiny
    # steps, not as the drops the profile places, so only when that gains as much
    best = None
    ink_cols = len(np.unique(runs.x))
    widths = _widths(runs, mask.shape[0])
    options = [(w, False) for w in widths] + ([(widths[0], True)] if colour.chromatic else [])
    for width, steep in options:
        segs = build_segments(runs, width, steep=steep)
        label_segments(segs, comps)
        chain = best_chain(segs, width, cs, free_cs=free_cs, support_cs=support_cs)
        xs = np.unique(np.concatenate([segs[i].x for i in chain])) if chain else np.zeros(0, int)
        cover, first = len(xs), int(xs[0]) if len(xs) else mask.shape[1]
        if best is None or cover > WIDER_GAIN * best[0] or (
                cover > best[0] and first < best[1] - EARLIER_START * mask.shape[1]):
            best = (cover, first, width, segs)
        if WIDER_GAIN * best[0] >= ink_cols:
            break  # no other width can gain enough
    _, _, width, segs = best
    # (by the overall width: a wider one chosen to swallow censor marks is no dash's thickness)
    thin = min(width, line_width(runs))
    dashes = None if colour.chromatic else dash_pieces(alpha, thin)
    kind_cost = 0.0 if dashes is None else _mark_dashes(segs, dashes, thin)
    used: set[int] = set()
    out = []
    for rank in range(max_chains):
        avail = [i for i in range(len(segs)) if i not in used]
        chain = [avail[k] for k in best_chain([segs[i] for i in avail], width, cs,
                                                   free_cs=free_cs, support_cs=support_cs,
                                                   kind_cost=kind_cost)]
        if not chain:
            break
        x0, y = chain_profile(segs, chain, width, alpha if drop_alpha is None else drop_alpha,
                                  line_ink)
        vis = np.zeros(len(y), bool)
        for i in chain:
            vis[segs[i].x - x0] = True
        y, vis = _with_final_drop(alpha, x0, *_without_stray_end(alpha, x0, y, vis, width), width)
        cover = vis.sum() / mask.shape[1]
        if cover < 0.03:
            break
        used.update(chain)
        rgb = colour.rgb if colour.chromatic else _sample_colour(region, x0, y, vis)
        cand = Candidate(colour_id, rank, tuple(float(v) for v in rgb), colour.chromatic, x0, y,
                         vis, width, runs, coverage=float(cover))
        cand.confidence = float(np.clip(vis.sum() / max(len(vis), 1), 0.0, 1.0))
        out.append(cand)
    from kmipd.digitize.curves.untangle import untangle

    untangle(out, alpha, blind_cols=blind_cols, dashes=dashes)
    for c in out:
        # where another curve of this colour runs along, its ink fills this one's dash gaps
        xs = c.x_start + np.arange(len(c.y))
        busy = np.zeros(len(c.y), bool) if blind_cols is None else blind_cols[xs].copy()
        for o in out:
            if o is not c:
                busy |= np.abs(level_at(o, xs) - c.y) <= 2 * c.width + 2
        gaps = _pattern_gaps(c, cs, busy)
        c.style, c.gap_share = _style_of(c, gaps, along_path(mask, c, busy)), _share_of(gaps)
        if c.style == "solid" and dashes is not None and _dash_share(c, dashes) >= 0.5:
            c.style = "dashed"  # its gaps filled by dense censor marks or a blur
    return out


def _dash_share(c: Candidate, dashes: np.ndarray) -> float:
    """Share of the curve's visible columns that lie on dashes (:func:`dash_pieces`)."""
    k = np.flatnonzero(c.visible & np.isfinite(c.y))
    return float(on_dashes(dashes, c.x_start + k, c.y[k]).mean()) if len(k) else 0.0


def _mark_dashes(segs: list, dashes: np.ndarray, width: float) -> float:
    """Flag the segments that lie on dashes (:func:`dash_pieces`) and return the cost of a
    chain's switch between dashes and unbroken lines."""
    for s in segs:
        s.dash = bool(on_dashes(dashes, s.x, s.y).mean() > 0.5)
    return KIND_WIDTHS * width


#: A chain's last piece is a stray speck, not its end, when it is at most this many line widths
#: long (2 px at least) and comes after at least this many line widths (12 px at least) where
#: the chain's own ink does not show.
STRAY_END_WIDTHS = 1.0
STRAY_GAP_WIDTHS = 6.0


def _without_stray_end(alpha: np.ndarray, x0: int, y: np.ndarray, vis: np.ndarray, width: float
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The chain without a stray speck at its end.

    A chain bridges stretches hidden under other curves; past an arm's real end (its final drop
    crossing another curve) it may bridge on to a speck of its colour (a censor mark's
    anti-aliased rim, a JPEG block) and run along the other curve's tail. The speck is cut off
    when the chain's own ink drops away where it stops showing (:func:`final_drop` finds that
    stroke): the chain then ends with that drop.
    """
    d = np.diff(np.r_[0, vis.astype(np.int8), 0])
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    if len(starts) < 2:
        return y, vis
    piece, gap = ends[-1] - starts[-1], starts[-1] - ends[-2]
    if piece > max(2.0, STRAY_END_WIDTHS * width) or gap < max(12.0, STRAY_GAP_WIDTHS * width):
        return y, vis
    last = int(ends[-2]) - 1
    if not np.isfinite(y[last]) or final_drop(alpha, x0 + last, float(y[last]), width) is None:
        return y, vis
    return y[:last + 1], vis[:last + 1]


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
        # a few times the line's width swallows censor marks; far more swallows other curves
        if all(abs(w - o) > 1.0 for o in out) and w <= MAX_WIDER * out[0]:
            out.append(w)
    return out[:3]


def _sample_colour(region: np.ndarray, x0: int, y: np.ndarray, vis: np.ndarray) -> np.ndarray:
    """Median colour of the darkest pixel of each visible column (grey or black arm)."""
    xs = x0 + np.flatnonzero(vis)
    ys = np.clip(np.round(y[vis]).astype(int), 0, region.shape[0] - 1)
    stack = np.stack([region[np.clip(ys + d, 0, region.shape[0] - 1), xs] for d in (-1, 0, 1)])
    darkest = stack[stack.sum(axis=2).argmin(axis=0), np.arange(len(xs))]
    return np.median(darkest, axis=0)


def _pattern_gaps(c: Candidate, mask_cs: np.ndarray, busy: np.ndarray | None
                  ) -> tuple[np.ndarray, np.ndarray, int] | None:
    """The curve's dash lengths, the lengths of its real dash gaps, and the clear span they lie
    in; None when the curve is too short to tell.

    Gaps with ink at the curve's level (censor ticks, drops) and long gaps (hidden under
    another curve) say nothing about the style and are skipped.
    """
    vis = c.visible
    if vis.sum() < 10:
        return None
    d = np.diff(np.r_[0, vis.astype(np.int8), 0])
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    dashes = ends - starts
    g0, g1 = ends[:-1], starts[1:]
    if len(g0) == 0:
        return dashes, np.zeros(0, int), len(vis)
    glen = g1 - g0
    # (untangling may leave a visible column without a level: interpolate over the known ones)
    known = vis & np.isfinite(c.y)
    if known.sum() < 2 or not np.isfinite(c.width):
        return None
    lvl = np.interp((g0 + g1) / 2.0, np.flatnonzero(known), c.y[known])
    r0 = np.clip(np.round(lvl - c.width / 2), 0, mask_cs.shape[0] - 1).astype(int)
    r1 = np.clip(np.round(lvl + c.width / 2) + 1, 0, mask_cs.shape[0] - 1).astype(int)
    mid = np.clip(c.x_start + (g0 + g1) // 2, 0, mask_cs.shape[1] - 1)
    empty = (mask_cs[r1, mid] - mask_cs[r0, mid]) == 0
    real = empty & (glen >= 2) & (glen <= 8 * c.width + 8)
    span = len(vis)
    if busy is not None:
        real &= ~busy[(g0 + g1) // 2]
        span = max(int((~busy).sum()), 1)
    return dashes, glen[real], span


def line_style(c: Candidate, mask_cs: np.ndarray, busy: np.ndarray | None = None) -> str:
    """'solid', 'dashed' or 'dotted' from the pattern of short empty gaps along the curve."""
    mask = np.diff(mask_cs, axis=0) > 0
    return _style_of(c, _pattern_gaps(c, mask_cs, busy), along_path(mask, c, busy))


def along_path(mask: np.ndarray, c: Candidate, busy: np.ndarray | None = None) -> DashPattern | None:
    """The dashes and gaps along the curve's path (:mod:`.dash_pattern`), or None when its
    width is not known."""
    if not np.isfinite(c.width):
        return None
    return dash_pattern(path_steps(mask, c.x_start, c.y, c.width, busy))


def _share_of(gaps: tuple[np.ndarray, np.ndarray, int] | None) -> float:
    """Share of the curve's clear stretches left blank by its dash pattern: 0 for a solid line,
    more for dashes, most for dots (the style without thresholds, to rank curves)."""
    return 0.0 if gaps is None else float(gaps[1].sum() / gaps[2])


#: Along the path a dot is about one line width long (plus anti-aliasing), a dash 3.7
#: (matplotlib) to 4-7 (R) widths. Measured on random figures (bench_random, seed 2026): dashes
#: 2.4-4.9 widths (10th-90th percentile), dots 1.2-2.2.
DOT_WIDTHS = 2.2
#: Whole dashes along the path needed to judge their length.
MIN_DASHES = 3


def _style_of(c: Candidate, gaps: tuple[np.ndarray, np.ndarray, int] | None,
              path: DashPattern | None = None) -> str:
    """'solid' unless the curve shows a pattern of short gaps, along its columns or along its
    path; then 'dotted' or 'dashed' by the length of its dashes along the path (``path``), else
    along its columns."""
    if gaps is None:
        return "solid"
    dashes, blanks, span = gaps
    # colour figures rarely dash their arms: ask for more evidence there
    need, share = (8, 0.12) if c.chromatic else (3, 0.06)
    patterned = len(blanks) >= need and blanks.sum() / span >= share
    # a staircase of tall drops dashes its drops, which its columns do not show
    patterned = patterned or (not c.chromatic and path is not None and _regular(path))
    if not patterned:
        return "solid"
    if path is not None and len(path.dashes) >= MIN_DASHES:
        # a steep stretch breaks a dash's columns into pieces, not its length along the path
        return "dotted" if np.median(path.dashes) < DOT_WIDTHS * c.width else "dashed"
    # dashes cut by censor ticks are short, but some stay whole: look at the longer ones
    return "dotted" if np.percentile(dashes, 75) <= 2 * c.width + 1 else "dashed"


#: A path is dashed all along when its gaps, each a typical dash and gap apart, would span this
#: share of it (random figures: solid lines 0-0.3 at the 90th percentile, dashed and dotted
#: 0.4-0.9), with at least this many gaps.
REGULAR_SHARE = 0.5
MIN_GAPS = 5


def _regular(path: DashPattern) -> bool:
    """Gaps recur along the path as a dash pattern does: the share of the path their number
    of typical periods (median dash plus median gap) spans."""
    if len(path.gaps) < MIN_GAPS or len(path.dashes) < 2 or not path.known:
        return False
    period = float(np.median(path.dashes) + np.median(path.gaps))
    return len(path.gaps) * period / path.known >= REGULAR_SHARE


def level_at(c: Candidate, xs: np.ndarray) -> np.ndarray:
    """Level (pixel y) of candidate ``c`` at columns ``xs``; NaN outside its span."""
    k = xs - c.x_start
    out = np.full(len(xs), np.nan)
    ok = (k >= 0) & (k < len(c.y))
    out[ok] = c.y[k[ok]]
    return out
