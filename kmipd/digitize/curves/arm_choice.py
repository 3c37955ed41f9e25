"""Which traced curves are arms.

Candidates (:class:`kmipd.digitize.curves.linestyle.Candidate`) are judged on how much of the plot they
cover, whether they start where the other arms start (time 0) or show up later below one of
them, whether they repeat an arm already taken, and whether they pair up above and below
another curve (confidence limits).
"""

from __future__ import annotations

import numpy as np

from kmipd.digitize.curves.linestyle import MIN_COVER, Candidate, level_at

#: What the warning about curve-like lines left out says (after their count).
MORE_LINES = "more curve-like line(s) not taken as arms"
#: What the warning about black or grey lines taken for confidence limits says: in a figure of
#: one ink these may be dashed arms, taken back when the table or legend asks for more arms.
BLACK_LIMITS = "black or grey line(s) paired around a curve"
#: A curve of another colour is an arm's rim rather than an arm of its own when it runs along
#: the arm on this share of its visible columns, covering less than this share of what the arm
#: covers.
_RIM_CLOSE, _RIM_COVER = 0.8, 0.6
#: A rim lies within the thinner line's width plus this many pixels of its arm.
_RIM_SLACK_PX = 2.0


def _gap_to(c: Candidate, a: Candidate) -> np.ndarray:
    """Per visible column of ``c``: how far (px) ``a`` runs from it there (NaN outside ``a``)."""
    xs = c.x_start + np.flatnonzero(c.visible)
    return np.abs(level_at(a, xs) - c.y[c.visible])


def _close_columns(c: Candidate, a: Candidate) -> np.ndarray:
    """Per visible column of ``c``: does it run along ``a`` there?"""
    xs = c.x_start + np.flatnonzero(c.visible)
    ya = level_at(a, xs)
    yc = c.y[c.visible]
    tol = max(a.width, c.width) + 1.5
    close = np.abs(ya - yc) <= tol
    if c.colour_id == a.colour_id:
        # on a steep staircase the scraps of a curve (its corners, traced again) sit a step
        # left or right of it: within the band its levels sweep over a few columns around
        reach = int(np.ceil(2 * max(a.width, c.width))) + 2
        around = np.stack([level_at(a, xs + d) for d in range(-reach, reach + 1)])
        seen = np.isfinite(around).any(axis=0)
        lo = np.where(seen, np.nanmin(np.where(np.isfinite(around), around, np.inf), axis=0), np.nan)
        hi = np.where(seen, np.nanmax(np.where(np.isfinite(around), around, -np.inf), axis=0), np.nan)
        close |= (yc >= lo - tol) & (yc <= hi + tol)
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
    alike = [a for a in others if a.colour_id == c.colour_id or _alike(c.rgb, a.rgb)
             or not c.chromatic
             or any(_mix_of(c.rgb, a.rgb, b.rgb) for b in others if b is not a)]
    close = np.zeros(int(c.visible.sum()), bool)
    for a in alike:
        close |= _close_columns(c, a)
    if close.sum() >= 0.7 * len(close):
        return True
    # any colour: a real arm hidden under another one shows where it departs from that curve,
    # and one running close beside it shows whole; a line seen in part, and only along another
    # curve, is that curve's rim (JPEG colour fringes) or outline
    for a in others:
        if a not in alike and c.coverage < _RIM_COVER * a.coverage and _rim_of(c, a):
            return True
    return False


def _rim_of(c: Candidate, a: Candidate) -> bool:
    """``c`` runs within a thin line's width of ``a`` on most of its visible columns (the
    thinner width: a wide one may have been chosen to swallow censor marks)."""
    near = _gap_to(c, a) <= min(a.width, c.width) + _RIM_SLACK_PX
    return bool(near.mean() >= _RIM_CLOSE)


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
    near = _gap_to(c, a) <= 3 * max(a.width, c.width) + 3
    return bool(near.mean() >= 0.85)


def _first(c: Candidate) -> tuple[int, float]:
    """Column and level of the first visible pixel of a curve."""
    k = int(np.flatnonzero(c.visible)[0])
    return c.x_start + k, float(c.y[k])


#: A line that begins at the arms' start this far below them (share of the plot's width, as
#: plots are about as high as wide) is a median guide from the y axis, not an arm.
GUIDE_DEPTH = 0.15


def _start_slack(c: Candidate) -> int:
    """How far right of the arms' common start (px) a curve may begin and still start with them."""
    return int(max(0.04 * len(c.visible), 2 * c.width + 4))


def _starts_low_at_left(c: Candidate, start: int, top: float, width_px: int) -> bool:
    """``c`` begins where the arms begin (or left of them) but far below their start: a median
    guide from the y axis at 0.5, never an arm (an arm hidden at the start shows up right of it,
    and one drawn under another at the start begins a few pixels lower at most)."""
    first, y_first = _first(c)
    return first <= start + _start_slack(c) and y_first - top > GUIDE_DEPTH * width_px


def _branches(c: Candidate, accepted: list[Candidate], start: int, top: float) -> bool:
    """``c`` starts with the others at time 0, or shows up later below another arm.

    An arm hidden at the start (under a curve drawn on top) first shows up right of the common
    start, at or below some other arm. What is rejected is a line that begins at the left but
    well below the others (a median guide line, a tick stub), or left of every arm.
    """
    first, y_first = _first(c)
    tol = 4 * c.width + 3
    slack = _start_slack(c)
    cols = np.arange(max(first - int(3 * c.width) - 6, 0), first + 1)
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
        # the other arms' levels around here (only where they are seen)
        levels = [ya[np.isfinite(ya)] for ya in (level_at(a, near) for a in accepted)]
        levels = [ya for ya in levels if len(ya)]
        if hi > lo:
            rows = np.zeros(hi - lo, bool)
            for t, b in zip(r.top[sel], r.bottom[sel]):
                rows[max(t - lo, 0):max(b + 1 - lo, 0)] = True
            # the upper part of its drop may lie under another arm's drop drawn on top
            for ya in levels:
                rows[max(int(ya.min()) - lo, 0):max(int(np.ceil(ya.max())) + 1 - lo, 0)] = True
            if rows.mean() >= 0.8:  # a staircase of its own ink from the top down to here
                return True
        if any(ya.min() < y_first - tol and ya.max() >= y_first - tol for ya in levels):
            return True
        # it does not begin at the axis but a little right of it, just under another arm: it
        # ran hidden under that arm from the top (guide lines and stubs begin at the axis)
        return first > start + 2 * c.width + 4 and any(
            ((ya <= y_first + tol) & (ya >= y_first - 3 * tol)).any() for ya in levels)
    return any(np.nanmin(np.r_[level_at(a, cols), np.inf]) <= y_first + tol for a in accepted)


#: RGB chroma (max - min) of the darkest pixels along a black or grey line above which they
#: are coloured ink, not the line's (:func:`_coloured_grey`; black and grey arms sample at 0-4
#: on random figures, the grey mixes of coloured bands at 30-48).
MIX_CHROMA = 25.0


def _coloured_grey(c: Candidate) -> bool:
    """A black or grey line whose darkest pixels are coloured: most often the grey that
    translucent coloured bands and lines make over one another; sometimes a pale coloured arm
    (blurred, or over its own band) whose colour was not told apart. An arm only when asked for."""
    return not c.chromatic and float(np.ptp(c.rgb)) >= MIX_CHROMA


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
    limits = [c for c in distinct if id(c) in ci]
    if any(c.chromatic for c in limits):
        warnings.append(f"ignored {len(ci)} dotted/dashed line(s) paired around a curve "
                        "(confidence limits)")
    elif limits:
        warnings.append(f"ignored {len(ci)} dotted/dashed {BLACK_LIMITS} (confidence limits)")
    pool = [c for c in distinct if id(c) not in ci]
    if not pool:
        return [], ["no curve found in the plot area"]
    colour_figure = any(c.chromatic for c in pool if c.rank == 0 and c.coverage >= MIN_COVER)
    # the reference start is the top-left one: an arm hidden at the start shows up lower. It
    # is taken without the checks below, so in a colour figure it is a colour's first curve
    # (a second one, along a band's edge, may start higher)
    strong = ([c for c in pool if c.coverage >= MIN_COVER and (c.rank == 0 or not colour_figure)
               and not _coloured_grey(c)] or pool[:1])
    left = min(_first(c)[0] for c in strong)
    first = min((c for c in strong if _first(c)[0] <= left + 0.1 * width_px),
                key=lambda c: _first(c)[1])
    pool.remove(first)
    pool.insert(0, first)
    start, top = _first(first)
    accepted = [first]
    doubtful = []
    for c in pool[1:]:
        ok = c.coverage >= MIN_COVER and _branches(c, accepted, start, top)
        ok = ok and not any(_same_look(c, a) for a in accepted)
        # a second curve in one colour is an arm in black-and-white figures; in colour figures
        # it is a confidence limit, a table rule or a legend key unless asked for
        ok = ok and (c.rank == 0 or not colour_figure) and not _coloured_grey(c)
        (accepted if ok else doubtful).append(c)
        if ok:
            start = min(start, c.x_start)
    doubtful = [c for c in doubtful if not _joined_as_tail(c, accepted, width_px)]
    if n_arms is not None:
        if len(accepted) > n_arms:
            accepted = sorted(accepted, key=lambda c: -c.coverage)[:n_arms]
        # asked for more: first the lines that start with the arms (a second curve of a colour,
        # a grey arm among coloured ones), not a median guide from the y axis at 0.5; then black
        # or grey "limits", which may be dashed arms (colour ones stay limits)
        doubtful.sort(key=lambda c: _starts_low_at_left(c, start, top, width_px))
        doubtful += sorted((c for c in limits if not c.chromatic), key=lambda c: -c.coverage)
        while len(accepted) < n_arms and doubtful:
            extra = doubtful.pop(0)
            extra.confidence *= 0.5
            accepted.append(extra)
        if len(accepted) < n_arms:
            warnings.append(f"asked for {n_arms} arms, found {len(accepted)}")
    else:
        near = [c for c in doubtful if c.coverage >= MIN_COVER]
        if near:
            warnings.append(f"{len(near)} {MORE_LINES}; "
                            "give the number of arms (--arms N, n_arms= in Python) if the figure has more")
        if len(accepted) > 6:
            accepted = accepted[:6]
            warnings.append("more than 6 curves found; kept the 6 longest")
    return accepted, warnings


#: A broken-off tail begins at most this many line widths (12 px at least) right of where its
#: arm's line stops, and at most this share of the plot's width below it (a drop in between).
TAIL_GAP_WIDTHS = 4.0
TAIL_DROP = 0.1


def _joined_as_tail(c: Candidate, accepted: list[Candidate], width_px: int) -> bool:
    """Join ``c`` to the arm whose line it continues, if any (True when joined).

    A chain of one ink pays to switch between dashes and unbroken ink; where dense censor marks
    merge a dashed arm's tail into one unbroken piece, the chain stops at the last dash and the
    tail is traced on its own, too short to count as an arm. It continues the arm that stops
    just left of where it begins, at or a little above its first level, when it runs along no
    other arm.
    """
    k = np.flatnonzero(np.isfinite(c.y) & c.visible)
    if len(k) == 0:
        return False
    x_first, y_first = c.x_start + int(k[0]), float(c.y[k[0]])
    best, best_gap, keep = None, np.inf, 0
    for a in accepted:
        seen = np.flatnonzero(np.isfinite(a.y))
        if a.colour_id != c.colour_id or len(seen) == 0:
            continue
        x_last, y_last = a.x_start + int(seen[-1]), float(a.y[seen[-1]])
        gap, drop = x_first - x_last, y_first - y_last
        if 0 < gap <= max(TAIL_GAP_WIDTHS * a.width, 12) and \
                -max(a.width, 2.0) <= drop <= TAIL_DROP * width_px and gap < best_gap:
            best, best_gap, keep = a, gap, int(seen[-1]) + 1  # keep it up to its last level
    if best is None:
        return False
    xs = c.x_start + k
    for o in accepted:
        if o is not best and np.mean(np.abs(level_at(o, xs) - c.y[k]) <= 2 * o.width + 2) > 0.5:
            return False  # it runs along another arm: that arm's ink, not a tail
    pad = best_gap - 1  # the columns between its last level and the tail's first
    best.y = np.r_[best.y[:keep], np.full(pad, np.nan), c.y[k[0]:]]
    best.visible = np.r_[best.visible[:keep], np.zeros(pad, bool), c.visible[k[0]:]]
    best.coverage += c.coverage
    return True


def _confidence_pairs(cands: list[Candidate]) -> set[int]:
    """Ids of dashed or dotted curves lying one above and one below a solid curve of their
    colour and dropping where it drops (confidence limits).

    Confidence limits step at the curve's event times; the arms of a black-and-white figure
    (solid, dashed and dotted, one above another) drop at their own times.
    """
    out: set[int] = set()
    for p in cands:
        if p.rank != 0 or p.style != "solid":
            continue
        sides: dict[int, list[Candidate]] = {-1: [], 1: []}
        for s in cands:
            if s is p or s.colour_id != p.colour_id or s.chromatic != p.chromatic:
                continue
            if s.style == "solid":  # confidence limits are drawn dotted or dashed
                continue
            xs = s.x_start + np.flatnonzero(s.visible)
            d = s.y[s.visible] - level_at(p, xs)
            d = d[np.isfinite(d)]
            if len(d) < 10:
                continue
            side = int(np.sign(np.median(d)))
            if side and np.mean(np.sign(d) == side) > 0.8 and _drops_with(s, p):
                sides[side].append(s)
        if sides[-1] and sides[1]:
            out.update(id(s) for s in sides[-1] + sides[1])
    return out


#: A drop of a curve's level (px) that counts as a step when comparing drop times.
_DROP_PX = 1.0
#: Columns by which two curves' drops may differ and still be one event time.
_DROP_SLACK = 2
#: Share of a curve's drops that must fall on another curve's drops for it to be that curve's
#: confidence limit.
_DROP_SHARED = 0.75
#: Fewest drops a curve must show for its drop times to be compared.
_DROP_MIN = 3


def _drop_columns(c: Candidate) -> np.ndarray:
    """Columns where a curve's level drops by more than ``_DROP_PX`` (hidden stretches skipped)."""
    y = np.where(c.visible, c.y, np.nan)
    k = np.flatnonzero(np.isfinite(y))
    if len(k) < 2:
        return np.zeros(0, int)
    step = np.diff(y[k]) > _DROP_PX
    near = np.diff(k) <= _DROP_SLACK + 1  # a drop across a long hidden stretch has no time
    return c.x_start + k[1:][step & near]


def _drops_with(s: Candidate, p: Candidate) -> bool:
    """Whether ``s`` drops where ``p`` drops (a confidence limit of ``p``), or shows too few
    drops to tell."""
    ds, dp = _drop_columns(s), _drop_columns(p)
    if len(ds) < _DROP_MIN or len(dp) < _DROP_MIN:
        return True
    gap = np.abs(ds[:, None] - dp[None, :]).min(axis=1)
    return bool(np.mean(gap <= _DROP_SLACK) >= _DROP_SHARED)
