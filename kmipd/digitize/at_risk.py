"""Read the number-at-risk table printed under a Kaplan-Meier plot.

The table is found from the OCR words below the x axis: the first block of lines of whole
numbers under the tick labels (a line whose numbers are the times at their own positions is an
axis, not a row). Each cell's column is the x tick it is centred (or left- or right-aligned) on,
or the time in a header ("0 year  1 year ..."); "(censored)" counts, SE and percentage rows are
not counts at risk. Cells the OCR missed are found from the ink on their column. Each row goes
to an arm by its label, its colour, the curve its counts can follow, or its order. Every cell is
read again with :func:`kmipd.digitize.ocr_fix.read_cells`, and a row that breaks the rules of a
risk table is repaired or flagged by :func:`kmipd.digitize.ocr_fix.repair_row`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmipd.digitize.legend import (
    ink_colour,
    match_by_curves,
    match_to_arms,
    read_legend,
    table_arm_name,
)
from kmipd.digitize.ocr import OcrWord
from kmipd.digitize.ocr_fix import (
    CellReading,
    counts_fit,
    find_missed_cells,
    max_at_risk,
    min_events,
    parse_count,
    read_cells,
    repair_row,
    step_at,
)
from kmipd.digitize.result import ArmTrace, AxisMapping, PlotBox

_SPLIT = re.compile(r"\(?\d[\d,.]*\)?%?|[^\d\s(]+|\(")
_UNIT = re.compile(r"^(years?|yrs?|months?|mos?|days?|weeks?|wks?|[ymdw])\.?$", re.I)
_NOT_AT_RISK = re.compile(r"censor|event|death|died|\bse\b|^se$|%|cumulative", re.I)


@dataclass
class AtRiskReading:
    """What was read from the number-at-risk table.

    ``table`` has columns ``arm, time, n_at_risk`` (None when no table was found); flagged cells
    are left out of it. ``flags`` has one dict per repaired or suspicious cell: ``arm, time, read,
    value, action`` (``"repaired"`` or ``"flagged"``), ``reason``.
    """

    table: pd.DataFrame | None
    flags: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    row_labels: list[str] = field(default_factory=list)
    cells_read: int = 0


@dataclass(frozen=True)
class _Token(OcrWord):
    """A piece of an OCR word: ``kind`` is "count", "paren" (a censored count), "decimal" or
    "text"."""

    kind: str = "text"


@dataclass
class _Row:
    label: str
    cells: list[_Token]  # count tokens, left to right
    anchors: list[tuple[float, float]]  # (x0, x1) of each cell including a "(censored)" part
    y0: float
    y1: float
    label_box: tuple[float, float, float, float] | None = None


def split_tokens(words: list[OcrWord]) -> list[_Token]:
    """Cut OCR words into counts, "(censored)" parts, decimals and text (``"256(0)"``)."""
    out = []
    for w in words:
        if re.search(r"[A-Za-z]", w.text) and not w.text.startswith("("):
            # "miR-137", "Stage 2a": a number glued to letters belongs to the label
            out.append(_Token(w.text, w.score, w.x0, w.y0, w.x1, w.y1, "text"))
            continue
        parts = [m for m in _SPLIT.finditer(w.text)]
        n = max(len(w.text), 1)
        for m in parts:
            t = m.group()
            x0 = w.x0 + (w.x1 - w.x0) * m.start() / n
            x1 = w.x0 + (w.x1 - w.x0) * m.end() / n
            if (t.startswith("(") or t.endswith(")")) and any(c.isdigit() for c in t):
                kind = "paren"
            elif t[0].isdigit():
                kind = "decimal" if parse_count(t) is None else "count"
            else:
                kind = "text"
            out.append(_Token(t, w.score, x0, w.y0, x1, w.y1, kind))
    return out


def group_lines(tokens: list[_Token]) -> list[list[_Token]]:
    """Tokens grouped into text lines (top to bottom), each sorted left to right."""
    lines: list[list[_Token]] = []
    for t in sorted(tokens, key=lambda t: t.cy):
        if lines:
            ref = np.median([u.cy for u in lines[-1]])
            hh = np.median([u.height for u in lines[-1]])
            if abs(t.cy - ref) < 0.45 * max(min(hh, t.height), 4.0):
                lines[-1].append(t)
                continue
        lines.append([t])
    return [sorted(line, key=lambda t: t.x0) for line in lines]


def tick_values(mapping: AxisMapping, lines: list[list[_Token]], box: PlotBox) -> np.ndarray:
    """The x tick values: from the calibration, else from the tick-label line; an even run of
    ticks is carried on to the ends of the axis (a "0" shared with the y axis, or unread)."""
    ticks = np.unique([t.value for t in mapping.x.ticks if t.value is not None and t.used])
    if ticks.size < 2:
        line = next((ln for ln in lines if min(t.y0 for t in ln) > box.bottom - 2
                     and is_axis_line(ln, mapping, box)), [])
        vals = [parse_count(t.text) for t in line if t.kind == "count"]
        ticks = np.unique([v for v in vals if v is not None]).astype(float)
    if ticks.size >= 3 and np.ptp(np.diff(ticks)) < 0.1 * np.median(np.diff(ticks)):
        step = float(np.median(np.diff(ticks)))
        lo, hi = sorted(float(v) for v in mapping.time([box.left, box.right]))
        while ticks[0] - step >= lo - 0.1 * step:
            ticks = np.r_[ticks[0] - step, ticks]
        while ticks[-1] + step <= hi + 0.1 * step:
            ticks = np.r_[ticks, ticks[-1] + step]
    return ticks


def is_axis_line(line: list[_Token], mapping: AxisMapping, box: PlotBox) -> bool:
    """True when the numbers of ``line`` are the time values at their own positions."""
    nums = [t for t in line if t.kind in ("count", "decimal")]
    if len(nums) < 2:
        return False
    span = abs(float(mapping.time(box.right) - mapping.time(box.left))) or 1.0
    hits = sum(abs(float(t.text.replace(",", "")) - float(mapping.time(t.cx))) < 0.04 * span
               for t in nums if t.text.replace(",", "").replace(".", "", 1).isdigit())
    return hits >= 2 and hits >= 0.6 * len(nums)


def _snap(times: np.ndarray, ticks: np.ndarray) -> np.ndarray:
    """Snap column times to the tick values, or to an even fraction of the tick step."""
    if ticks.size < 2:
        return times
    step = float(np.median(np.diff(ticks)))
    near = np.abs(times[:, None] - ticks[None, :])
    j = near.argmin(axis=1)
    close = near[np.arange(len(times)), j] < 0.3 * step
    # the usual table has one column under each tick (an uneven last tick included); columns
    # between ticks go to the coarsest even fraction of the tick step that fits them all
    out = np.where(close, ticks[j], times)
    for k in (2, 3, 4, 5, 6, 10, 12):
        grid = np.round(times[~close] / (step / k)) * (step / k)
        if np.all(np.abs(grid - times[~close]) < 0.2 * step / k):
            out[~close] = grid
            break
    return out


def _alignment(anchors: list[tuple[float, float]], mapping: AxisMapping, ticks: np.ndarray) -> int:
    """Whether cells are centred (0), left- (1) or right-aligned (2) on their ticks."""
    if ticks.size < 2 or not anchors:
        return 0
    step = float(np.median(np.diff(ticks)))
    err = []
    for mode in range(3):
        xs = np.array([_ref(a, mode) for a in anchors])
        t = mapping.time(xs)
        err.append(np.median(np.min(np.abs(t[:, None] - ticks[None, :]), axis=1)) / step)
    # centring is by far the most common: take another mode only when clearly better
    return 0 if err[0] <= 1.5 * min(err) + 0.02 else int(np.argmin(err))


def header_times(line: list[_Token]) -> list[tuple[float, float]] | None:
    """``(x centre, time)`` of each column of a header line like "0 year  1 year  2 year"."""
    cols = []
    for a, b in zip(line, line[1:]):
        if a.kind == "count" and b.kind == "text" and _UNIT.match(b.text) and \
                b.x0 - a.x1 < 1.0 * a.height:
            cols.append((0.5 * (a.x0 + b.x1), float(parse_count(a.text) or 0)))
    n_counts = sum(t.kind == "count" for t in line)
    return cols if len(cols) >= 2 and len(cols) == n_counts else None


def find_rows(lines: list[list[_Token]], box: PlotBox, mapping: AxisMapping,
              ticks: np.ndarray) -> tuple[list[_Row], list[tuple[float, float]] | None]:
    """The count rows of the table under the x axis (top to bottom), and its header if any.

    A boxed table may head its columns with their times ("0 year", "1 year", ...) instead of
    placing them under the x ticks; the header is returned as ``(x centre, time)`` pairs.
    """
    step = float(np.median(np.diff(ticks))) if ticks.size >= 2 else \
        abs(float(mapping.time(box.right) - mapping.time(box.left))) / 6
    ends = [float(mapping.time(box.left)), float(mapping.time(box.right))] + list(ticks)
    t_lo, t_hi = min(ends) - 0.35 * step, max(ends) + 0.35 * step
    numeric = []
    lines = [_unglue(line, mapping, ticks, step) for line in lines]
    below = [line for line in lines if min(t.y0 for t in line) >= box.bottom - 2]
    axis = next((line for line in below if is_axis_line(line, mapping, box)), None)
    # the table starts under the tick labels (a stray "0" of the y axis may sit beside them)
    top = np.median([t.cy for t in axis]) if axis else box.bottom
    for line in below:
        if np.median([t.cy for t in line]) <= top or is_axis_line(line, mapping, box):
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
        if block and gap > max(3.2 * h, 2.2 * _pitch(block) if len(block) > 1 else 0) and not (
                len(block) == 1 and gap < max(12 * h, 0.2 * box.height)
                and _same_columns(block[0][1], inside, mapping, step)):
            break
        block.append((line, inside, y))
    header = None
    for line, inside, _ in block:
        if header is None and (cols := header_times(line)) is not None:
            header = cols
            continue
        counts = [t for t in inside if t.kind == "count"]
        others = [t for t in inside if t.kind == "decimal"]
        if not counts or len(others) > len(counts):
            continue  # standard errors, percentages
        x_first = min(t.x0 for t in counts)
        label_toks = [t for t in line if t.x1 <= x_first + 1]
        label = " ".join(t.text for t in label_toks)
        if _NOT_AT_RISK.search(label):
            continue
        anchors = []
        for t in counts:
            nxt = [u for u in inside if u.kind == "paren" and 0 <= u.x0 - t.x1 < 1.2 * t.height]
            anchors.append((t.x0, max([t.x1] + [u.x1 for u in nxt[:1]])))
        lb = (min(t.x0 for t in label_toks), min(t.y0 for t in label_toks),
              max(t.x1 for t in label_toks), max(t.y1 for t in label_toks)) if label_toks else None
        rows.append(_Row(label, counts, anchors, min(t.y0 for t in line),
                         max(t.y1 for t in line), lb))
    _add_wrapped_labels(rows, lines)
    return rows, header


def _unglue(line: list[_Token], mapping: AxisMapping, ticks: np.ndarray,
            step: float) -> list[_Token]:
    """Split "A197" (label "Arm A" printed tight against its first count) when the digits sit
    on a tick that has no count of its own in this line."""
    out = []
    for t in line:
        m = re.match(r"^(.*[A-Za-z][^\d]*?)(\d+)$", t.text) if t.kind == "text" else None
        if m and ticks.size:
            cut = t.x0 + (t.x1 - t.x0) * len(m.group(1)) / len(t.text)
            time = float(mapping.time(0.5 * (cut + t.x1)))
            k = int(np.argmin(np.abs(ticks - time)))
            taken = any(u.kind == "count" and abs(float(mapping.time(u.cx)) - ticks[k]) < 0.3 * step
                        for u in line)
            if abs(ticks[k] - time) < 0.15 * step and not taken:
                out += [_Token(m.group(1), t.score, t.x0, t.y0, cut, t.y1, "text"),
                        _Token(m.group(2), t.score, cut, t.y0, t.x1, t.y1, "count")]
                continue
        out.append(t)
    return out


def _add_wrapped_labels(rows: list[_Row], lines: list[list[_Token]]) -> None:
    """Append a label's second line ("Radiotherapy / plus cetuximab") to its row's label."""
    for k, row in enumerate(rows):
        h = row.y1 - row.y0
        limit = rows[k + 1].y0 if k + 1 < len(rows) else row.y1 + 1.2 * h
        for line in lines:
            y = np.median([t.cy for t in line])
            first = row.cells[0]
            if row.y1 < y < limit and all(t.kind == "text" for t in line) and \
                    line[0].x0 < first.x0 - first.height and line[-1].x1 < first.cx:
                row.label = f"{row.label} {' '.join(t.text for t in line)}".strip()
                break


def _same_columns(a: list[_Token], b: list[_Token], mapping: AxisMapping, step: float) -> bool:
    """Most numbers of ``b`` sit at the time of a number of ``a``."""
    ta = np.array([float(mapping.time(t.cx)) for t in a if t.kind == "count"])
    tb = [float(mapping.time(t.cx)) for t in b if t.kind == "count"]
    if ta.size == 0 or not tb:
        return False
    return np.mean([np.abs(ta - t).min() < 0.35 * step for t in tb]) >= 0.6


def _pitch(block) -> float:
    return float(np.min(np.diff([b[2] for b in block])))


def _curve_survival(arm: ArmTrace, mapping: AxisMapping, times: np.ndarray) -> np.ndarray:
    """Survival of a traced arm at ``times`` (NaN outside its trace)."""
    pts = np.asarray(arm.steps_px, float).reshape(-1, 2)
    t = np.asarray(mapping.time(pts[:, 0]), float)
    order = np.argsort(t, kind="stable")
    eps = 2.0 * abs(mapping.x.scale)  # two pixels
    return step_at(t[order], np.asarray(mapping.survival(pts[order, 1]), float), times, eps)


def _cell_reads(image: np.ndarray, cells: list[_Token], again: bool = False) -> list[CellReading]:
    """The cells' readings. A confident whole-image OCR word is taken as read; a cell found from
    ink, an unsure word, or (``again``) a row that breaks the rules is read again with the
    recogniser alone, which also gives the second-best readings a repair needs. The OCR word
    then stays a costly option."""
    values = [parse_count(t.text) if t.text != "?" else None for t in cells]
    redo = [k for k, (t, v) in enumerate(zip(cells, values)) if again or v is None or t.score < 0.95]
    readings = read_cells(image, [(cells[k].x0, cells[k].y0, cells[k].x1, cells[k].y1)
                                  for k in redo]) if redo else []
    fresh = dict(zip(redo, readings or []))
    out = []
    for k, (tok, v) in enumerate(zip(cells, values)):
        r = fresh.get(k)
        if r is None:
            out.append(CellReading(tok.text, tok.score, ((v, 0.0),) if v is not None else ()))
        elif v is not None and v not in dict(r.candidates):
            out.append(CellReading(r.text, r.prob, r.candidates + ((v, 4.0),)))
        else:
            out.append(r)
    return out


def read_at_risk_table(image: np.ndarray, box: PlotBox, mapping: AxisMapping,
                       arms: list[ArmTrace], words: list[OcrWord]) -> AtRiskReading:
    """Find and read the number-at-risk table under the plot.

    Parameters
    ----------
    image : ndarray
        RGB figure.
    box : PlotBox
        The plot area (the table is looked for below ``box.bottom``).
    mapping : AxisMapping
        Pixel -> data calibration; cell positions become times through ``mapping.time``.
    arms : list of ArmTrace
        The arms found, in legend/curve order; their names (when set), colours and traces are used
        to assign rows and to check the counts against the curves.
    words : list of OcrWord
        OCR words of the whole image.

    Returns
    -------
    AtRiskReading
        ``table`` (``arm, time, n_at_risk``; arm names are the arms' names, else the legend's,
        else the row labels, else ``"arm 1"``, ...), the repaired or flagged cells, and warnings.
    """
    lines = group_lines(split_tokens(words))
    ticks = tick_values(mapping, lines, box)
    rows, header = find_rows(lines, box, mapping, ticks)
    if not rows:
        return AtRiskReading(None, warnings=["no number-at-risk table found under the plot"])
    warnings: list[str] = []
    mode = _alignment([a for r in rows for a in r.anchors], mapping, ticks)
    names = [a.name for a in arms]
    if arms and not any(names):
        names = read_legend(image, box, arms, words)
    colours = []
    for r in rows:
        lb = r.label_box or (max(0.0, r.cells[0].x0 - 6 * (r.y1 - r.y0)), r.y0,
                             r.cells[0].x0 - 0.3 * (r.y1 - r.y0), r.y1)
        colours.append(ink_colour(image, *lb) or ink_colour(image, r.cells[0].x0, r.y0, r.cells[-1].x1, r.y1))
    for r in rows if not header else []:
        _fill_gaps(image, r, rows, mapping, ticks, mode)
    flat = _cell_reads(image, [t for r in rows for t in r.cells])
    assign, basis = match_to_arms([r.label for r in rows], colours, arms, names)
    if basis == "order" and len(arms) > 1:
        it = iter(flat)
        counts = [[next(it).value for _ in r.cells] for r in rows]
        times = [_row_times(r, header, mapping, ticks, mode) for r in rows]
        surv = [[_curve_survival(arm, mapping, t) for arm in arms] for t in times]
        assign, basis = match_by_curves(counts, surv, assign)
    if len(rows) > len(arms) and arms:
        warnings.append(f"{len(rows)} table rows for {len(arms)} arms; extra rows ignored")
    records, flags, first_times = [], [], []
    for i, row in enumerate(rows):
        reads, flat = flat[:len(row.cells)], flat[len(row.cells):]
        a = assign[i] if i < len(assign) else None
        if arms and a is None:
            continue
        arm_name = table_arm_name(arms[a].name if a is not None else "",
                                  names[a] if a is not None and a < len(names) else "",
                                  row.label, (a if a is not None else i) + 1)
        times = _row_times(row, header, mapping, ticks, mode)
        first_times.append(times.min())
        surv = _curve_survival(arms[a], mapping, times) if a is not None else times * np.nan

        def ok(p: int, q: int, u: int, v: int, surv=surv) -> bool:
            return counts_fit(surv[p], surv[q], u, v)

        values, status = repair_row(reads, ok)
        if any(s != "ok" for s in status):
            reads = _cell_reads(image, row.cells, again=True)  # n-best readings for the repair
            values, status = repair_row(reads, ok)
        for k, rd in enumerate(reads):
            if values[k] is None:
                continue
            if status[k] != "ok":
                why = (f"read {rd.text!r}; only {values[k]} keeps the row consistent"
                       if status[k] == "repaired" else "count rises along the row or drops less "
                       "than the curve's events; no single reading explains it")
                flags.append({"arm": arm_name, "time": float(times[k]), "read": rd.text,
                              "value": int(values[k]), "action": status[k], "reason": why})
            if status[k] != "flagged":
                records.append((arm_name, float(times[k]), int(values[k])))
    if basis == "order" and len(arms) > 1:
        warnings.append("table rows assigned to arms by order (no labels, colours or curves tell)")
    if ticks.size and first_times and min(first_times) > ticks.min() + 1e-9:
        warnings.append("the table has no column at the first x tick (no count at time 0)")
    table = pd.DataFrame(records, columns=["arm", "time", "n_at_risk"])
    table = table.drop_duplicates(["arm", "time"]).reset_index(drop=True) if records else None
    if table is None:
        warnings.append("the table under the plot has no counts")
    return AtRiskReading(table, flags, warnings, [r.label for r in rows],
                         sum(len(r.cells) for r in rows))


def _row_times(row: _Row, header, mapping: AxisMapping, ticks: np.ndarray,
               mode: int) -> np.ndarray:
    """The time of each cell: its header's, else its position snapped to the ticks."""
    if header:  # columns headed by their times: each cell takes its nearest header's
        hx = np.array([c[0] for c in header])
        return np.array([header[int(np.argmin(np.abs(hx - _ref(an, 0))))][1] for an in row.anchors])
    xs = np.array([_ref(an, mode) for an in row.anchors])
    return _snap(np.asarray(mapping.time(xs), float), ticks)


def _fill_gaps(image: np.ndarray, row: _Row, rows: list[_Row], mapping: AxisMapping,
               ticks: np.ndarray, mode: int) -> None:
    """Add the cells of ``row`` that the OCR did not detect but ink shows (a lone "0", say)."""
    if ticks.size < 2 or not row.cells:
        return
    step_px = abs(float(mapping.x.to_pixel(ticks[1]) - mapping.x.to_pixel(ticks[0])))
    cols = [_ref(a, mode) for r in rows for a in r.anchors]
    cols += [float(mapping.x.to_pixel(t)) for t in ticks]
    for b in find_missed_cells(image, row.y0, row.y1, [_ref(a, mode) for a in row.anchors],
                               cols, step_px, mode):
        k = int(np.searchsorted([c.x0 for c in row.cells], b[0]))
        row.cells.insert(k, _Token("?", 0.0, *b, "count"))
        row.anchors.insert(k, (b[0], b[2]))


def _ref(anchor: tuple[float, float], mode: int) -> float:
    """The x a cell is aligned on: its centre (mode 0), left (1) or right edge (2)."""
    return (anchor[0] + anchor[1]) / 2 if mode == 0 else anchor[mode - 1]


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
        n = rows["n_at_risk"].to_numpy(int)
        t = rows["time"].to_numpy(float)
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
            elif n[k] > (m := max_at_risk(s[k - 1], s[k], int(n[k - 1]))):
                reason = (f"more at risk than the curve allows after {n[k - 1]} at time "
                          f"{t[k - 1]:g} (at most {int(m)})")
            if reason:
                out.append({"arm": arm, "time": float(t[k]), "read": str(n[k]), "value": int(n[k]),
                            "action": "flagged", "reason": reason})
    return out
