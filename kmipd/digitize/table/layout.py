"""Where the number-at-risk table is under the plot, and which time each of its cells stands for.

OCR words are cut into counts, "(censored)" parts, decimals and text and grouped into lines
(:mod:`kmipd.digitize.table.tokens`). The table is the first block of lines of whole numbers under the tick labels
(a line whose numbers are the times at their own positions is an axis, not a row). Each cell's
column is the x tick it is centred (or left- or right-aligned) on, or the time in a header
("0 year  1 year ..."); "(censored)" counts, SE and percentage rows are not counts at risk.
Cells the OCR missed are found from the ink on their column (:func:`fill_gaps`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from kmipd.digitize.result import AxisMapping, PlotBox
from kmipd.digitize.table.tokens import Token, group_lines, split_tokens
from kmipd.digitize.text.cells import find_missed_cells, parse_count
from kmipd.digitize.text.ocr import OcrWord

_UNIT = re.compile(r"^(years?|yrs?|months?|mos?|days?|weeks?|wks?|[ymdw])\.?$", re.I)
# a "%" after a digit belongs to an arm's name ("PD-L1 <1%"); alone it heads a row of percentages
_NOT_AT_RISK = re.compile(r"censor|event|death|died|\bse\b|^se$|(?<!\d)%|cumulative", re.I)

# Distances in text heights (``h``) of the line or token, or in tick steps (``step``).
#: A line is under the plot when its top is no more than this many pixels above the x axis.
_BELOW_AXIS_PX = 2
#: Ticks are an even run when their steps differ by less than this share of the median step;
#: the run is carried on to the axis ends while within this share of a step of them.
_EVEN_STEPS, _EXTEND_SLACK = 0.1, 0.1
#: A line is the axis labels when at least two and this share of its numbers are within this
#: share of the x span of the time at their own position.
_AXIS_HIT_SHARE, _AXIS_VALUE_TOL = 0.6, 0.04
#: A cell or count is at a tick within this many ``step`` of it.
_AT_TICK = 0.3
#: Columns between ticks snap to the coarsest of these fractions of the step that puts every
#: such column within this share of the fraction.
_STEP_FRACTIONS = (2, 3, 4, 5, 6, 10, 12)
_FRACTION_TOL = 0.2
#: Cells count as left- or right-aligned only when their error beats centring's by this factor
#: and margin (centring is by far the most common).
_CENTRED_FACTOR, _CENTRED_MARGIN = 1.5, 0.02
#: A unit ("year") follows its number within this many ``h``.
_UNIT_GAP_H = 1.0
#: Without tick values a column is taken as this share of the x span.
_DEFAULT_COLUMNS = 6
#: A cell belongs to the table's columns (or to another row's column) within this many ``step``.
_COLUMN_REACH = 0.35
#: A number this close (text heights) after a word, and nearer the next count than this share of
#: the columns' pitch, ends the row's label.
_LABEL_SPACE_H = 0.8
_LABEL_PITCH = 0.6
#: The table's block of lines ends at a gap over this many ``h`` or this many times its row
#: pitch; a second row further down (a tall survminer table) still belongs within this many
#: ``h`` or this share of the box height when its numbers stand in the first row's columns
#: (this share of them).
_ROW_GAP_H, _ROW_GAP_PITCH = 3.2, 2.2
_WIDE_ROW_GAP_H, _WIDE_ROW_GAP_BOX = 12, 0.2
_SAME_COLUMNS_SHARE = 0.6
#: A "(censored)" count follows its count within this many ``h``.
_PAREN_GAP_H = 1.2
#: "A197": digits glued to a label are a count when within this many ``step`` of a free tick.
_GLUED_AT_TICK = 0.15
#: A label's wrapped second line lies within this many row heights below the row.
_WRAP_REACH_H = 1.2
#: Row labels found without the calibration: counts from this many ``h`` left of the box; a
#: wrapped second line starts within this many ``h`` of the label and at most this many ``h``
#: below it.
_CELL_LEFT_H = 2
_WRAP_ALIGN_H, _WRAP_GAP_H = 3, 0.8


@dataclass
class TableRow:
    """One arm's counts in the table: its label, its cells in time order, and where they are.

    ``times`` is set when the table states each cell's time itself (a table printed one column
    per arm, :mod:`kmipd.digitize.table.transposed`); otherwise the times come from the cells'
    x positions or the table's header.
    """

    label: str
    cells: list[Token]  # count tokens, in time order
    anchors: list[tuple[float, float]]  # (x0, x1) of each cell including a "(censored)" part
    y0: float
    y1: float
    label_box: tuple[float, float, float, float] | None = None
    times: list[float] | None = None


def tick_values(mapping: AxisMapping, lines: list[list[Token]], box: PlotBox) -> np.ndarray:
    """The x tick values: from the calibration, else from the tick-label line; an even run of
    ticks is carried on to the ends of the axis (a "0" shared with the y axis, or unread)."""
    ticks = np.unique([t.value for t in mapping.x.ticks if t.value is not None and t.used])
    if ticks.size < 2:
        line = next((ln for ln in lines if min(t.y0 for t in ln) > box.bottom - _BELOW_AXIS_PX
                     and _is_axis_line(ln, mapping, box)), [])
        vals = [parse_count(t.text) for t in line if t.kind == "count"]
        ticks = np.unique([v for v in vals if v is not None]).astype(float)
    if ticks.size >= 3 and np.ptp(np.diff(ticks)) < _EVEN_STEPS * np.median(np.diff(ticks)):
        step = float(np.median(np.diff(ticks)))
        lo, hi = sorted(float(v) for v in mapping.time([box.left, box.right]))
        while ticks[0] - step >= lo - _EXTEND_SLACK * step:
            ticks = np.r_[ticks[0] - step, ticks]
        while ticks[-1] + step <= hi + _EXTEND_SLACK * step:
            ticks = np.r_[ticks, ticks[-1] + step]
    return ticks


def _is_axis_line(line: list[Token], mapping: AxisMapping, box: PlotBox) -> bool:
    """True when the numbers of ``line`` are the time values at their own positions."""
    nums = [t for t in line if t.kind in ("count", "decimal")]
    if len(nums) < 2:
        return False
    span = abs(float(mapping.time(box.right) - mapping.time(box.left))) or 1.0
    hits = sum(abs(float(t.text.replace(",", "")) - float(mapping.time(t.cx))) < _AXIS_VALUE_TOL * span
               for t in nums if t.text.replace(",", "").replace(".", "", 1).isdigit())
    return hits >= 2 and hits >= _AXIS_HIT_SHARE * len(nums)


def _snap(times: np.ndarray, ticks: np.ndarray) -> np.ndarray:
    """Snap column times to the tick values, or to an even fraction of the tick step."""
    if ticks.size < 2:
        return times
    step = float(np.median(np.diff(ticks)))
    near = np.abs(times[:, None] - ticks[None, :])
    j = near.argmin(axis=1)
    close = near[np.arange(len(times)), j] < _AT_TICK * step
    # the usual table has one column under each tick (an uneven last tick included); columns
    # between ticks go to the coarsest even fraction of the tick step that fits them all
    out = np.where(close, ticks[j], times)
    for k in _STEP_FRACTIONS:
        grid = np.round(times[~close] / (step / k)) * (step / k)
        if np.all(np.abs(grid - times[~close]) < _FRACTION_TOL * step / k):
            out[~close] = grid
            break
    return out


def column_alignment(anchors: list[tuple[float, float]], mapping: AxisMapping, ticks: np.ndarray) -> int:
    """Whether cells are centred (0), left- (1) or right-aligned (2) on their ticks."""
    if ticks.size < 2 or not anchors:
        return 0
    step = float(np.median(np.diff(ticks)))
    err = []
    for mode in range(3):
        xs = np.array([_aligned_x(a, mode) for a in anchors])
        t = mapping.time(xs)
        err.append(np.median(np.min(np.abs(t[:, None] - ticks[None, :]), axis=1)) / step)
    # centring is by far the most common: take another mode only when clearly better
    return 0 if err[0] <= _CENTRED_FACTOR * min(err) + _CENTRED_MARGIN else int(np.argmin(err))


def _header_times(line: list[Token]) -> list[tuple[float, float]] | None:
    """``(x centre, time)`` of each column of a header line like "0 year  1 year  2 year"."""
    cols = []
    for a, b in zip(line, line[1:]):
        if a.kind == "count" and b.kind == "text" and _UNIT.match(b.text) and \
                b.x0 - a.x1 < _UNIT_GAP_H * a.height:
            cols.append((0.5 * (a.x0 + b.x1), float(parse_count(a.text) or 0)))
    n_counts = sum(t.kind == "count" for t in line)
    return cols if len(cols) >= 2 and len(cols) == n_counts else None


def find_rows(lines: list[list[Token]], box: PlotBox, mapping: AxisMapping,
              ticks: np.ndarray) -> tuple[list[TableRow], list[tuple[float, float]] | None]:
    """The count rows of the table under the x axis (top to bottom), and its header if any.

    A boxed table may head its columns with their times ("0 year", "1 year", ...) instead of
    placing them under the x ticks; the header is returned as ``(x centre, time)`` pairs.
    """
    step = float(np.median(np.diff(ticks))) if ticks.size >= 2 else \
        abs(float(mapping.time(box.right) - mapping.time(box.left))) / _DEFAULT_COLUMNS
    ends = [float(mapping.time(box.left)), float(mapping.time(box.right))] + list(ticks)
    t_lo, t_hi = min(ends) - _COLUMN_REACH * step, max(ends) + _COLUMN_REACH * step
    numeric = []
    lines = [_unglue(line, mapping, ticks, step) for line in lines]
    below = [line for line in lines if min(t.y0 for t in line) >= box.bottom - _BELOW_AXIS_PX]
    axis = next((line for line in below if _is_axis_line(line, mapping, box)), None)
    # the table starts under the tick labels (a stray "0" of the y axis may sit beside them)
    top = np.median([t.cy for t in axis]) if axis else box.bottom
    for line in below:
        if np.median([t.cy for t in line]) <= top or _is_axis_line(line, mapping, box):
            continue
        inside = [t for t in line if t_lo <= float(mapping.time(t.cx)) <= t_hi]
        if any(t.kind in ("count", "decimal") for t in inside):
            numeric.append((line, inside))
    # the table is the first block of numeric lines below the axis; a second panel's axis or a
    # caption further down is separated from it by a wide gap
    block, rows = [], []
    for line, inside in numeric:
        y = np.median([t.cy for t in line])
        h = np.median([t.height for t in line])
        gap = y - block[-1][2] if block else 0.0
        # a tall survminer table spaces its rows widely: a second row far down still belongs
        # when its numbers stand in the first row's columns
        if block and gap > max(_ROW_GAP_H * h, _ROW_GAP_PITCH * _pitch(block) if len(block) > 1 else 0) and not (
                len(block) == 1 and gap < max(_WIDE_ROW_GAP_H * h, _WIDE_ROW_GAP_BOX * box.height)
                and _same_columns(block[0][1], inside, mapping, step)):
            break
        block.append((line, inside, y))
    header = None
    for line, inside, _ in block:
        if header is None and (cols := _header_times(line)) is not None:
            header = cols
            continue
        counts = _without_label_digits([t for t in inside if t.kind == "count"], line)
        others = [t for t in inside if t.kind == "decimal"]
        if not counts or len(others) > len(counts):
            continue  # standard errors, percentages
        x_first = min(t.x0 for t in counts)
        label_toks = _label_tokens(line, x_first)
        label = " ".join(t.text for t in label_toks)
        if _NOT_AT_RISK.search(label):
            continue
        anchors = []
        for t in counts:
            nxt = [u for u in inside if u.kind == "paren" and 0 <= u.x0 - t.x1 < _PAREN_GAP_H * t.height]
            anchors.append((t.x0, max([t.x1] + [u.x1 for u in nxt[:1]])))
        lb = (min(t.x0 for t in label_toks), min(t.y0 for t in label_toks),
              max(t.x1 for t in label_toks), max(t.y1 for t in label_toks)) if label_toks else None
        rows.append(TableRow(label, counts, anchors, min(t.y0 for t in line),
                         max(t.y1 for t in line), lb))
    _add_wrapped_labels(rows, lines)
    return rows, header


def _unglue(line: list[Token], mapping: AxisMapping, ticks: np.ndarray,
            step: float) -> list[Token]:
    """Split "A197" (label "Arm A" printed tight against its first count) when the digits sit
    on a tick that has no count of its own in this line."""
    out = []
    for t in line:
        m = re.match(r"^(.*[A-Za-z][^\d]*?)(\d+)$", t.text) if t.kind == "text" else None
        if m and ticks.size:
            cut = t.x0 + (t.x1 - t.x0) * len(m.group(1)) / len(t.text)
            time = float(mapping.time(0.5 * (cut + t.x1)))
            k = int(np.argmin(np.abs(ticks - time)))
            taken = any(u.kind == "count" and abs(float(mapping.time(u.cx)) - ticks[k]) < _AT_TICK * step
                        for u in line)
            if abs(ticks[k] - time) < _GLUED_AT_TICK * step and not taken:
                out += [Token(m.group(1), t.score, t.x0, t.y0, cut, t.y1, "text"),
                        Token(m.group(2), t.score, cut, t.y0, t.x1, t.y1, "count")]
                continue
        out.append(t)
    return out


def _without_label_digits(counts: list[Token], line: list[Token]) -> list[Token]:
    """The counts without the number that ends the row's label ("rx=Group 1  344 268 ...") or is
    the label ("1  324 262 ...", "Group 1" abbreviated).

    A label printed close to the first column can end in a number that falls within that
    column's reach. Such a number follows a word at a word's spacing, or is a digit or two
    alone, and the next count stands much nearer to it than the columns stand to each other.
    """
    if len(counts) < 3:
        return counts
    first = counts[0]
    pitch = float(np.median(np.diff([t.cx for t in counts[1:]])))
    glued = any(u.kind == "text" and -1 <= first.x0 - u.x1 < _LABEL_SPACE_H * first.height
                for u in line)
    short = len(first.text) <= 2  # an abbreviated label: "1", "2", "3" for "Group 1", ...
    return counts[1:] if (glued or short) and counts[1].cx - first.cx < _LABEL_PITCH * pitch else counts


def _label_tokens(line: list[Token], x_first: float) -> list[Token]:
    """The tokens of a table line left of its first count: the row's label.

    A token belongs by its centre, not its right edge: a label printed tight against the first
    count ("Arm B 110") can overlap that count's box by a few pixels, and how much depends on the
    font and the text renderer.
    """
    return [t for t in line if t.cx < x_first]


def _add_wrapped_labels(rows: list[TableRow], lines: list[list[Token]]) -> None:
    """Append a label's second line ("Radiotherapy / plus cetuximab") to its row's label."""
    for k, row in enumerate(rows):
        h = row.y1 - row.y0
        limit = rows[k + 1].y0 if k + 1 < len(rows) else row.y1 + _WRAP_REACH_H * h
        for line in lines:
            y = np.median([t.cy for t in line])
            first = row.cells[0]
            if row.y1 < y < limit and all(t.kind == "text" for t in line) and \
                    line[0].x0 < first.x0 - first.height and line[-1].x1 < first.cx:
                row.label = f"{row.label} {' '.join(t.text for t in line)}".strip()
                break


def _same_columns(a: list[Token], b: list[Token], mapping: AxisMapping, step: float) -> bool:
    """Most numbers of ``b`` sit at the time of a number of ``a``."""
    ta = np.array([float(mapping.time(t.cx)) for t in a if t.kind == "count"])
    tb = [float(mapping.time(t.cx)) for t in b if t.kind == "count"]
    if ta.size == 0 or not tb:
        return False
    return np.mean([np.abs(ta - t).min() < _COLUMN_REACH * step for t in tb]) >= _SAME_COLUMNS_SHARE


def _pitch(block) -> float:
    return float(np.min(np.diff([b[2] for b in block])))


def row_times(row: TableRow, header, mapping: AxisMapping, ticks: np.ndarray,
               mode: int) -> np.ndarray:
    """The time of each cell: as the table states it, its header's, else its position snapped
    to the ticks."""
    if row.times is not None:
        return np.asarray(row.times, float)
    if header:  # columns headed by their times: each cell takes its nearest header's
        hx = np.array([c[0] for c in header])
        return np.array([header[int(np.argmin(np.abs(hx - _aligned_x(an, 0))))][1] for an in row.anchors])
    xs = np.array([_aligned_x(an, mode) for an in row.anchors])
    return _snap(np.asarray(mapping.time(xs), float), ticks)


def fill_gaps(image: np.ndarray, row: TableRow, rows: list[TableRow], mapping: AxisMapping,
               ticks: np.ndarray, mode: int) -> None:
    """Add the cells of ``row`` that the OCR did not detect but ink shows (a lone "0", say)."""
    if ticks.size < 2 or not row.cells:
        return
    step_px = abs(float(mapping.x.to_pixel(ticks[1]) - mapping.x.to_pixel(ticks[0])))
    cols = [_aligned_x(a, mode) for r in rows for a in r.anchors]
    cols += [float(mapping.x.to_pixel(t)) for t in ticks]
    for b in find_missed_cells(image, row.y0, row.y1, [_aligned_x(a, mode) for a in row.anchors],
                               cols, step_px, mode):
        k = int(np.searchsorted([c.x0 for c in row.cells], b[0]))
        row.cells.insert(k, Token("?", 0.0, *b, "count"))
        row.anchors.insert(k, (b[0], b[2]))


def _aligned_x(anchor: tuple[float, float], mode: int) -> float:
    """The x a cell is aligned on: its centre (mode 0), left (1) or right edge (2)."""
    return (anchor[0] + anchor[1]) / 2 if mode == 0 else anchor[mode - 1]


def table_row_labels(words: list[OcrWord], box: PlotBox) -> list[tuple[str, tuple[float, ...]]]:
    """Row labels of a number-at-risk table under the plot, found without the axis calibration.

    A row is a line below the plot with two or more counts in the plot's width; its label is the
    text left of its first count, with a wrapped second line ("Radiotherapy / plus cetuximab")
    appended. Returns ``(label, (x0, y0, x1, y1))`` per labelled row, top to bottom;
    "(censored)", event and SE rows are left out.
    """
    lines = group_lines(split_tokens([w for w in words if w.y0 >= box.bottom - _BELOW_AXIS_PX]))
    out: list[tuple[str, tuple[float, ...]]] = []
    for k, line in enumerate(lines):
        h = float(np.median([t.height for t in line]))
        line = [u for t in line for u in _split_glued(t, box.left)]
        cells = [t for t in line if t.kind == "count" and t.cx >= box.left - _CELL_LEFT_H * h]
        # the number that ends a label printed close to the first column ("Group 1  377 ...")
        cells = _without_label_digits(sorted(cells, key=lambda t: t.x0), line)
        if len(cells) < 2:
            continue
        first = cells[0]
        x_first = first.x0
        label = _label_tokens(line, x_first)
        text = " ".join(t.text for t in label)
        if not label or not re.search(r"[A-Za-z]", text) or _NOT_AT_RISK.search(text):
            continue
        x0, y0 = min(t.x0 for t in label), min(t.y0 for t in label)
        x1, y1 = max(t.x1 for t in label), max(t.y1 for t in label)
        nxt = lines[k + 1] if k + 1 < len(lines) else []
        if nxt and all(t.kind == "text" for t in nxt) and nxt[-1].x1 < first.cx and \
                abs(nxt[0].x0 - x0) < _WRAP_ALIGN_H * h and min(t.y0 for t in nxt) - y1 < _WRAP_GAP_H * h:
            text = f"{text} {' '.join(t.text for t in nxt)}"
            x1, y1 = max(x1, nxt[-1].x1), max(y1, max(t.y1 for t in nxt))
        out.append((text, (x0, y0, x1, y1)))
    return out


def _split_glued(t: Token, x_left: float) -> list[Token]:
    """"A197" reaching into the plot's width: the label's end glued to the first count."""
    m = re.match(r"^(.*[A-Za-z][^\d]*?)(\d+)$", t.text) if t.kind == "text" else None
    if m is None:
        return [t]
    cut = t.x0 + (t.x1 - t.x0) * len(m.group(1)) / len(t.text)
    if t.x1 <= x_left or cut >= x_left:
        return [t]
    return [Token(m.group(1), t.score, t.x0, t.y0, cut, t.y1, "text"),
            Token(m.group(2), t.score, cut, t.y0, t.x1, t.y1, "count")]
