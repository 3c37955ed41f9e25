"""Line ink of an arm's colour that goes on past where its traces end: a curve traced in part.

A faint or thin line (a pale colour, one pixel wide, in a JPEG) can break the tracing; the
chain then ends early and the rest of the curve is lost, and without a number-at-risk table
nothing else tells. The ink that remains is still there: flat line pieces, one thin run per
column, at or below the level where the trace ended. Text in the arm's colour (a label at the
curve's end) has no long flat piece, so it does not count.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kmipd.digitize.curves.linestyle import Candidate, level_at

#: Ink past the traces' end counts when it spans this share of the plot's width ...
MIN_TAIL_SHARE = 0.08
#: ... and holds one flat piece at least this long (share of the width; a letter's stroke is
#: shorter) ...
MIN_FLAT_SHARE = 0.04
MIN_FLAT_PX = 12
#: ... whose neighbouring columns' centres differ by at most this (px).
FLAT_STEP_PX = 1.0


def untraced_tails(chosen: Sequence[Candidate], plot_width: int) -> list[str]:
    """Warnings (``unsure:``) for the colours whose line ink goes on past their traces' end.

    Parameters
    ----------
    chosen : sequence of Candidate
        The arms' traces (plot-region columns).
    plot_width : int
        The plot region's width (px).

    Returns
    -------
    list of str
    """
    out = []
    for cid in sorted({c.colour_id for c in chosen}):
        same = [c for c in chosen if c.colour_id == cid]
        end = max(c.x_start + len(c.y) for c in same)
        width = max(c.width for c in same)
        last = [float(c.y[np.flatnonzero(np.isfinite(c.y))[-1]]) for c in same
                if np.isfinite(c.y).any()]
        if not last or plot_width - end < MIN_TAIL_SHARE * plot_width:
            continue
        cols = _line_columns(same[0].runs, end + int(2 * width + 2), min(last) - width - 2, width)
        if len(cols) >= MIN_TAIL_SHARE * plot_width and \
                _longest_flat(cols) >= max(MIN_FLAT_PX, MIN_FLAT_SHARE * plot_width):
            rgb = tuple(int(v) for v in same[0].rgb)
            out.append(f"unsure: the line of colour {rgb} goes on past where its curve was traced "
                       f"to ({len(cols)} px of it): part of a curve was not traced.")
    return out


def _line_columns(runs, x_from: int, y_from: float, width: float) -> dict[int, float]:
    """Column -> centre of its one thin run, right of ``x_from`` and below ``y_from``."""
    past = (runs.x >= x_from) & (runs.centre >= y_from)
    thin = past & (runs.bottom - runs.top + 1 <= 2 * width + 2)
    xs, counts = np.unique(runs.x[past], return_counts=True)
    single = set(xs[counts == 1].tolist())
    return {int(x): float(c) for x, c in zip(runs.x[thin], runs.centre[thin]) if int(x) in single}


def _longest_flat(cols: dict[int, float]) -> int:
    """The longest stretch of neighbouring columns whose centres stay level."""
    best = run = 0
    prev_x, prev_c = None, None
    for x in sorted(cols):
        c = cols[x]
        run = run + 1 if prev_x == x - 1 and abs(c - prev_c) <= FLAT_STEP_PX else 1
        best = max(best, run)
        prev_x, prev_c = x, c
    return best


def drop_below_text(runs, x_last: int, y_last: float, width: float, valid: np.ndarray) -> float | None:
    """Where a curve's last drop ends when text it runs into hides part of it.

    A drop to 0 at the end of a curve often runs behind an annotation at the foot of the plot
    ("Log-rank p = ..."). Text is blanked before tracing, so the trace stops at the text's upper
    edge. When the arm's own ink comes out of the text's lower edge in the same columns, the
    drop goes on to the bottom of that ink. Where none comes out and the text begins at the drop
    (a label at the curve's end, whose box takes in the drop), the drop ends at the label's
    middle: such labels are centred on their curve's end.

    Parameters
    ----------
    runs : Runs
        The arm's vertical runs (region pixels).
    x_last : int
        The last column of the trace (the drop's column).
    y_last : float
        The trace's level there (px, the drop's lowest point seen).
    width : float
        The line's thickness (px).
    valid : ndarray of bool
        The region's pixels not covered by text.

    Returns
    -------
    float or None
        The drop's lowest point below the text, or None where no text cuts it short.
    """
    h, w = valid.shape
    reach = int(np.ceil(width)) + 1
    below = int(np.floor(y_last)) + 1
    rows = np.arange(below, min(below + reach + 2, h))
    if rows.size == 0:
        return None
    best = None
    for x in range(max(x_last - reach, 0), min(x_last + reach + 1, w)):
        if valid[rows, x].all():
            continue  # no text right under the trace's end here
        top = y = int(rows[~valid[rows, x]][0])
        while y < h and not valid[y, x]:
            y += 1
        out = (runs.x == x) & (runs.top >= y - 1) & (runs.top <= y + 2)
        if out.any():
            end = float(runs.bottom[out].max())
        elif _text_starts_at(valid, x_last, (top + y) // 2, reach):
            end = 0.5 * (top + y - 1)  # a label at the curve's end is centred on its end
        else:
            continue
        best = end if best is None else max(best, end)
    return best


def _text_starts_at(valid: np.ndarray, x: int, y: int, reach: int) -> bool:
    """Does the text covering row ``y`` at column ``x`` begin within ``reach`` px of ``x`` (a
    label printed at a curve's end, whose drop its box takes in), not well left of it (an
    annotation the curve runs behind)?"""
    row = valid[y, :x + 1]
    if row.size == 0 or row[-1]:
        return False
    free = np.flatnonzero(row)
    first = int(free[-1]) + 1 if free.size else 0
    return x - first <= 2 * reach


#: A leap onto another line near a curve's end: a fall of at least this many line widths (and
#: this share of the plot's height) ...
LEAP_WIDTHS = 4.0
LEAP_SHARE = 0.04
#: ... with no riser under it, after which the curve runs on for at most this share of the
#: plot's width ...
TAIL_SHARE = 0.15
#: ... while the line's ink goes on at the level it fell from, with gaps (a dash pattern's)
#: of at most this many line widths, over at least this share of the columns the curve ran on.
INK_GAP_WIDTHS = 5.0
TAIL_INK_SHARE = 0.6


def reclaim_tail(c: Candidate, others: Sequence[Candidate], plot_width: int, plot_height: int
                 ) -> None:
    """Give back to curve ``c`` its own end, where its trace leapt onto another line, in place.

    Crowded censor marks at a curve's end (administrative censoring) make its last stretch a
    thick band, and a dashed line breaks it further: the chain may leave it and leap, across
    empty paper, onto the end of a curve below. Where the trace falls near its end by a leap
    with no riser under it (:data:`LEAP_WIDTHS`, :data:`TAIL_SHARE`) while the line's ink goes
    on at the level it fell from and no other curve runs there, the end is that ink's. Where
    all that follows such a leap is a speck (a JPEG block, a tick's tip), the curve ends before it.

    Parameters
    ----------
    c : Candidate
        The curve, changed in place.
    others : sequence of Candidate
        The other arms' curves.
    plot_width, plot_height : int
        The plot region's size (px).
    """
    ok = np.flatnonzero(np.isfinite(c.y))
    if len(ok) < 3:
        return
    n = len(c.y)
    min_leap = max(LEAP_WIDTHS * c.width, LEAP_SHARE * plot_height)
    reach = int(np.ceil(LEAP_WIDTHS * c.width)) + 6  # a fall placed over a few columns
    for k, a in enumerate(ok[:-1]):
        if n - a > TAIL_SHARE * plot_width + reach:
            continue
        upper = float(c.y[a])
        b = ok[k + 1]
        if c.y[b] - upper >= min_leap and c.visible[b:].sum() <= max(2.0, c.width) and \
                _riser(c.runs, c.x_start + a, c.x_start + b, upper, float(c.y[b]), c.width) < 0.1:
            # all that follows is a speck below the end (a JPEG block, a tick's tip), nothing
            # of a line: the curve ends where it was last seen
            c.y, c.visible = c.y[:a + 1].copy(), c.visible[:a + 1].copy()
            c.notes.append(f"a speck at column {c.x_start + b}, below its end, was left out")
            return
        foot = [b for b in ok[k + 1:] if b - a <= reach and c.y[b] - upper >= min_leap]
        if not foot:
            continue
        b = foot[0]
        x_a, x_b = c.x_start + a, c.x_start + b
        if _riser(c.runs, x_a, x_b, upper, float(c.y[b]), c.width) >= 0.6:
            continue
        cols, level = _ink_near_level(c.runs, x_a + 1, upper, float(c.y[b]), c.width)
        if len(cols) < TAIL_INK_SHARE * (c.x_start + n - x_a - 1) or cols[-1] < x_b + c.width:
            continue
        xs = np.arange(x_a + 1, int(cols[-1]) + 1)
        if any(np.nanmin(np.abs(level_at(o, xs) - level), initial=np.inf) <= 2 * c.width + 2
               for o in others):
            continue  # another curve runs there: the ink is its
        c.y = np.r_[c.y[:a + 1], np.full(len(xs), max(level, upper))]
        c.visible = np.r_[c.visible[:a + 1], np.isin(xs, cols)]
        c.notes.append(f"its end, traced onto a lower line at column {x_b}, was moved back to "
                       "its own ink")
        return


def _riser(runs, x_a: int, x_b: int, upper: float, lower: float, width: float) -> float:
    """The share of the fall between columns ``x_a`` and ``x_b`` that a vertical stroke
    covers (the best column's)."""
    reach = int(np.ceil(width)) + 1
    top, bottom = upper + width, lower - width
    sel = (runs.x >= x_a - reach) & (runs.x <= x_b + reach)
    cover = np.clip(np.minimum(runs.bottom[sel], bottom) - np.maximum(runs.top[sel], top) + 1, 0, None)
    if not cover.size:
        return 0.0
    per_col = np.bincount(runs.x[sel] - (x_a - reach), weights=cover)
    return float(per_col.max() / max(bottom - top, 1.0))


def _ink_near_level(runs, x_from: int, upper: float, lower: float, width: float
                   ) -> tuple[np.ndarray, float]:
    """Columns from ``x_from`` on with ink (line, marks or a band of marks) at the line's level
    just under ``upper`` (well above ``lower``), up to the first gap longer than
    :data:`INK_GAP_WIDTHS` line widths; and that level (the median centre of the thin runs)."""
    top, bottom = upper - width, min(upper + 3 * width + 3, (upper + lower) / 2)
    # (a riser, reaching halfway down to the foot, is not ink at the level)
    sel = (runs.x >= x_from) & (runs.top <= bottom) & (runs.bottom >= top) & \
        (runs.bottom <= (upper + lower) / 2)
    xs = np.unique(runs.x[sel])
    if not len(xs) or xs[0] - x_from > INK_GAP_WIDTHS * width + 2:
        return np.zeros(0, int), upper
    gaps = np.flatnonzero(np.diff(xs) > INK_GAP_WIDTHS * width + 2)
    xs = xs[:gaps[0] + 1] if len(gaps) else xs
    thin = sel & (runs.x <= xs[-1]) & (runs.bottom - runs.top + 1 <= 2 * width + 2)
    level = float(np.median(runs.centre[thin])) if thin.any() else upper
    return xs, level
