"""Read the number-at-risk table printed under a Kaplan-Meier plot.

The table's rows and the time of each cell are found by :mod:`kmipd.digitize.table.layout`
(or, for a table printed one column per arm, :mod:`kmipd.digitize.table.transposed`). Each row
goes to an arm by its label, its colour, the curve its counts can follow, or its order; a row
placed by order alone keeps its counts, each marked ``"unsure"`` with the reason. Every cell is
read again with :func:`kmipd.digitize.text.cells.read_cells`, and a row that breaks the rules of a
risk table is repaired or flagged by :func:`kmipd.digitize.table.rules.repair_row`. A first
count that differs from the arm size printed beside its name ("n = 120") is marked unsure too
(:mod:`kmipd.digitize.table.sizes`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from kmipd.digitize.match.keys import find_key
from kmipd.digitize.match.pairing import (
    arms_distinct_by_colour,
    assign_items,
    by_line_style,
    by_look,
    clean_name,
    ink_colour,
    runner_up,
    table_arm_name,
)
from kmipd.digitize.result import ArmTrace, AxisMapping, PlotBox
from kmipd.digitize.table.by_curves import MARGIN, fit_costs, match_by_curves
from kmipd.digitize.table.labels import fill_labels
from kmipd.digitize.table.layout import (
    TableRow,
    column_alignment,
    fill_gaps,
    find_rows,
    row_times,
    tick_values,
)
from kmipd.digitize.table.rules import (
    counts_fit,
    repair_row,
    step_at,
)
from kmipd.digitize.table.sizes import check_first_counts, printed_sizes
from kmipd.digitize.table.tokens import Token, group_lines, split_tokens
from kmipd.digitize.table.transposed import find_transposed_table
from kmipd.digitize.text.cells import (
    MAX_COUNT,
    CellReading,
    bounded,
    parse_count,
    read_cells,
    too_large,
)
from kmipd.digitize.text.ocr import OcrWord

__all__ = ["AtRiskReading", "read_at_risk_table"]

#: A cell read with at least this probability is taken as read when only the curve disputes it.
SURE_CELL = 0.9
#: Why a clearly read count that the curve disputes is kept, unsure.
DISPUTED_REASON = ("read clearly, in a row that never rises, but the curve disagrees (its events "
                   "before this column outnumber the drop in the counts, or censoring cannot "
                   "explain the drop): the curve or the count is misread")


@dataclass
class AtRiskReading:
    """What was read from the number-at-risk table.

    ``table`` has columns ``arm, time, n_at_risk`` (None when no table was found); flagged cells
    are left out of it. ``flags`` has one dict per repaired or suspicious cell: ``arm, time, read,
    value, action``, ``reason``. ``action`` is ``"repaired"`` (the table holds ``value``),
    ``"flagged"`` (left out of the table: no single reading makes the row consistent) or
    ``"unsure"`` (kept as read, but something else is in doubt, e.g. the row went to its arm by
    order alone). A cell read as more than :data:`~kmipd.digitize.ocr_cells.MAX_COUNT` patients
    is a misread: it is flagged with ``value`` None and left out.

    ``arm_names`` are the arms' names as the table leaves them, in the arms' order (None when it
    changes none): names paired again with the curves by the table (:func:`_names_by_curves`),
    and arms the legend does not name (``names`` ``''``) named by their rows' labels.
    """

    table: pd.DataFrame | None
    flags: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    row_labels: list[str] = field(default_factory=list)
    cells_read: int = 0
    arm_names: list[str] | None = None


def _curve_survival(arm: ArmTrace, mapping: AxisMapping, times: np.ndarray) -> np.ndarray:
    """Survival of a traced arm just before ``times`` (NaN outside its trace; 1 at time 0).

    A trace often starts a few pixels right of time 0, where the arms run together along the top
    or the axis hides them; survival just before time 0 is 1 all the same.
    """
    pts = np.asarray(arm.steps_px, float).reshape(-1, 2)
    t = np.asarray(mapping.time(pts[:, 0]), float)
    order = np.argsort(t, kind="stable")
    eps = 2.0 * abs(mapping.x.scale)  # two pixels
    surv = step_at(t[order], np.asarray(mapping.survival(pts[order, 1]), float), times, eps)
    return np.where(np.abs(np.asarray(times, float)) <= eps, 1.0, surv)


def _cell_reads(image: np.ndarray, cells: list[Token], again: bool = False) -> list[CellReading]:
    """The cells' readings. A confident whole-image OCR word is taken as read; a cell found from
    ink, an unsure word, or (``again``) a row that breaks the rules is read again with the
    recogniser alone, which also gives the second-best readings a repair needs. The OCR word
    then stays a costly option, or, when both read the same count, lends it its confidence."""
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
        elif v is not None and v == r.value:
            # two readers that agree: as sure as the surer (the recogniser alone, on a tight
            # crop, is often less sure of a count the whole-image OCR read with certainty)
            out.append(CellReading(r.text, max(r.prob, tok.score), r.candidates))
        else:
            out.append(r)
    return [bounded(r) for r in out]


def read_at_risk_table(image: np.ndarray, box: PlotBox, mapping: AxisMapping,
                       arms: list[ArmTrace], words: list[OcrWord],
                       names: list[str] | None = None) -> AtRiskReading:
    """Find and read the number-at-risk table under the plot.

    Parameters
    ----------
    image : ndarray
        RGB figure.
    box : PlotBox
        The plot area (the table is looked for below ``box.bottom``; a table printed one column
        per arm may also stand inside the plot).
    mapping : AxisMapping
        Pixel -> data calibration; cell positions become times through ``mapping.time``.
    arms : list of ArmTrace
        The arms found, in legend/curve order; their names (when set), colours and traces are used
        to assign rows and to check the counts against the curves.
    words : list of OcrWord
        OCR words of the whole image.
    names : list of str, optional
        The arms' names, in ``arms``' order (``''`` where unknown), as the legend gave them
        (:func:`kmipd.digitize.legend.read.read_legend`); default: the arms' own names. Rows are
        matched to arms by these names first.

    Returns
    -------
    AtRiskReading
        ``table`` (``arm, time, n_at_risk``; arm names are the arms' names, else the legend's,
        else the row labels, else ``"arm 1"``, ...), the repaired, flagged or unsure cells, and
        warnings.
    """
    lines = group_lines(split_tokens(words))
    ticks = tick_values(mapping, lines, box)
    rows, header = find_rows(lines, box, mapping, ticks)
    if not rows:
        rows, header = find_transposed_table(lines, mapping, box), None
    if not rows:
        return AtRiskReading(None, warnings=["no number-at-risk table found under the plot"])
    warnings: list[str] = []
    mode = column_alignment([a for r in rows for a in r.anchors], mapping, ticks)
    names = [a.name for a in arms] if names is None else list(names)
    given = [a.name for a in arms]
    for r in rows if not header else []:
        if r.times is None:
            fill_gaps(image, r, rows, mapping, ticks, mode)
    fill_labels(image, rows)
    flat = _cell_reads(image, [t for r in rows for t in r.cells])
    times = [row_times(r, header, mapping, ticks, mode) for r in rows]
    assign, bases = _assign_rows(image, rows, flat, times, arms, names, mapping)
    moves = _names_by_curves(rows, flat, times, arms, names, assign, bases, mapping)
    if moves:
        arms = [replace(a, name=arms[moves.get(j, j)].name) for j, a in enumerate(arms)]
        names = [names[moves.get(j, j)] for j in range(len(names))]
        assign, bases = _assign_rows(image, rows, flat, times, arms, names, mapping)
        warnings.append("the names read for the arms were paired with curves their table rows "
                        "cannot follow; they were paired again by the table's counts")
    if len(rows) > len(arms) and arms:
        warnings.append(f"{len(rows)} table rows for {len(arms)} arms; extra rows ignored")
    records, flags, row_arm = [], [], [""] * len(arms)
    for i, row in enumerate(rows):
        reads, flat = flat[:len(row.cells)], flat[len(row.cells):]
        a = assign[i] if i < len(assign) else None
        if arms and a is None:
            continue
        if a is None:
            arm_name = table_arm_name("", "", row.label, i + 1)
        elif not names[a] and (own := _label_as_name(row.label)) and own not in given + row_arm:
            arm_name = own  # an arm the legend does not name is named by its row's label
        else:
            arm_name = table_arm_name(arms[a].name, names[a], row.label, a + 1)
        surv = _curve_survival(arms[a], mapping, times[i]) if a is not None else times[i] * np.nan
        if a is not None:
            row_arm[a] = arm_name
        got, got_flags = _read_row(image, row, reads, times[i], surv, arm_name)
        if bases[i] in ("order", "censoring") and len(arms) > 1:
            got_flags += [_unsure(row.label, arm_name, t, n) for _, t, n in got]
        records += got
        flags += got_flags
    sizes = {row_arm[a]: n for a, n in printed_sizes(words, row_arm).items()}
    more_flags, more_warnings = check_first_counts(records, sizes, *_time_zero(mapping, box, ticks))
    flags += more_flags
    warnings += more_warnings
    if "order" in bases and len(arms) > 1:
        warnings.append("table rows assigned to arms by order (no labels, colours or curves tell)")
    elif "censoring" in bases and len(arms) > 1:
        warnings.append("table rows assigned to arms by how alike the arms' censoring then looks "
                        "(no labels, colours or curves tell)")
    first_times = [float(t.min()) for t, a in zip(times, assign) if a is not None or not arms]
    if ticks.size and first_times and min(first_times) > ticks.min() + 1e-9:
        warnings.append("the table has no column at the first x tick (no count at time 0)")
    table = pd.DataFrame(records, columns=["arm", "time", "n_at_risk"])
    table = table.drop_duplicates(["arm", "time"]).reset_index(drop=True) if records else None
    if table is None:
        warnings.append("the table under the plot has no counts")
    final = [n or a.name for n, a in zip(row_arm, arms)]
    return AtRiskReading(table, flags, warnings, [r.label for r in rows],
                         sum(len(r.cells) for r in rows), final if final != given else None)


def _time_zero(mapping: AxisMapping, box: PlotBox, ticks: np.ndarray) -> tuple[float, float]:
    """Where the curves start (0, or the first tick of an axis that starts later) and how near
    a column must be to count as that time."""
    left, right = float(mapping.time(box.left)), float(mapping.time(box.right))
    t0 = 0.0 if left <= 0.02 * (right - left) or not ticks.size else float(ticks.min())
    return t0, 0.02 * abs(right - left)


def _assign_rows(image: np.ndarray, rows: list[TableRow], reads: list[CellReading],
                 times: list[np.ndarray], arms: list[ArmTrace], names: list[str],
                 mapping: AxisMapping) -> tuple[list[int | None], list[str]]:
    """Each row's arm and what told it: ``"name"``, ``"colour"``, ``"style"`` (its key's line
    style), ``"curves"``, ``"censoring"`` or ``"order"``.

    Rows that neither label nor colour place go to the curve their counts can follow among the
    arms left; where that does not tell either, to the curves that leave the arms' censoring most
    alike (``"censoring"``, a guess), else they keep their order (``"order"``).
    """
    colours = [_row_colour(image, r) for r in rows]
    assign, bases = assign_items([r.label for r in rows], colours, arms, names)
    _assign_by_key_style(image, rows, arms, assign, bases)
    order, free = _unplaced(assign, bases, len(arms))
    if order and len(free) > 1:
        counts = _row_counts(rows, reads)
        surv = [[_curve_survival(arms[j], mapping, times[i]) for j in free] for i in order]
        given = [free.index(assign[i]) if assign[i] in free else None for i in order]
        sub, basis = match_by_curves([counts[i] for i in order], surv, given)
        if basis in ("curves", "censoring"):
            for i, j in zip(order, sub):
                assign[i], bases[i] = (free[j] if j is not None else None), basis
    return assign, bases


def _unplaced(assign: list[int | None], bases: list[str], n_arms: int) -> tuple[list[int], list[int]]:
    """The rows placed by order alone, and the arms no other row took."""
    order = [i for i, b in enumerate(bases) if b == "order"]
    taken = {a for a, b in zip(assign, bases) if b != "order"}
    return order, [j for j in range(n_arms) if j not in taken]


def _row_counts(rows: list[TableRow], reads: list[CellReading]) -> list[list[int | None]]:
    """Each row's counts, from the readings of all rows' cells in order."""
    it = iter(reads)
    return [[next(it).value for _ in r.cells] for r in rows]


def _names_by_curves(rows: list[TableRow], reads: list[CellReading], times: list[np.ndarray],
                     arms: list[ArmTrace], names: list[str], assign: list[int | None],
                     bases: list[str], mapping: AxisMapping) -> dict[int, int]:
    """The arms' names paired again with the curves, when the table shows them mispaired: arm
    index -> the arm whose name it takes (empty when the pairing stands).

    Black and grey arms are named from legend keys that differ only by dash pattern, or from
    labels at the curves' ends: the pairing of name and curve can be wrong. Rows placed by their
    labels whose counts cannot follow their arm's curve, where another pairing of the same rows
    and arms fits clearly better (by :data:`~kmipd.digitize.table.by_curves.MARGIN`, and better
    than every other pairing), tell the right one. Coloured arms are paired by colour: left alone.
    """
    named = [i for i, b in enumerate(bases) if b == "name" and assign[i] is not None]
    if len(named) < 2 or arms_distinct_by_colour(arms):
        return {}
    counts = _row_counts(rows, reads)
    own = [assign[i] for i in named]
    cost = fit_costs([counts[i] for i in named],
                     [[_curve_survival(arms[j], mapping, times[i]) for j in own] for i in named])
    r, c = linear_sum_assignment(cost)
    best = float(cost[r, c].sum())
    if float(np.trace(cost)) - best < MARGIN or runner_up(cost, r, c) - best < MARGIN:
        return {}
    # the row named for arm own[k] follows arm own[j]'s curve: that arm takes arm own[k]'s name
    return {own[j]: own[k] for k, j in zip(r, c) if j != k}


def _label_as_name(label: str) -> str:
    """A row label fit to name an arm ("" for none): some letters or digits, and no more than a
    name's punctuation (a line-sample key read as text gives "2±8", "—")."""
    name = clean_name(label)
    ok = re.fullmatch(r"[\w\s+\-<>≤≥=%.,()/&:']+", name) and any(c.isalnum() for c in name)
    return name if ok else ""


def _assign_by_key_style(image: np.ndarray, rows: list[TableRow], arms: list[ArmTrace],
                         assign: list[int | None], bases: list[str]) -> None:
    """Rows keyed by line samples go to the arm of their key's line style (in place).

    Black and grey arms differ by dash pattern; a table whose row labels are line samples repeats
    those patterns. Only the rows nothing else placed: by style name when the keys and the arms
    left have one style each, all different, else by how open the patterns are
    (:func:`~kmipd.digitize.match.pairing.by_look`).
    """
    rest, free = _unplaced(assign, bases, len(arms))
    if len(rest) < 2 or len(rest) != len(free):
        return
    keys = []
    for i in rest:
        first, box = rows[i].cells[0], rows[i].label_box
        if box is None:
            end = first.x0 - 0.3 * first.height
        elif _label_as_name(rows[i].label):
            # a key beside a text label stands before it: the letters' strokes are no key
            end = box[0] - 0.2 * first.height
        else:  # a key the OCR read as text ("—", "2±8"): its box is the key's
            end = box[2] + 0.2 * first.height
        keys.append(find_key(image, end, first.cy, first.height))
    if any(k is None for k in keys):
        # no keys: counts printed in their arm's grey (black labels) are ranked by shade alone
        counts = [_counts_colour(image, rows[i]) for i in rest]
        if any(c is None for c in counts):
            return
        placed = by_look(None, [float(np.mean(c)) for c in counts], [arms[j] for j in free])
    else:
        placed = by_line_style([k.style for k in keys], [k.fill for k in keys],
                               [arms[j] for j in free], [float(np.mean(k.colour)) for k in keys])
    for i, j in zip(rest, placed or []):
        assign[i], bases[i] = free[j], "style"


def _row_colour(image: np.ndarray, row: TableRow) -> tuple | None:
    """The colour of a row's label, else of its counts."""
    h = row.cells[0].height
    lb = row.label_box or (max(0.0, row.cells[0].x0 - 6 * h), row.y0, row.cells[0].x0 - 0.3 * h,
                           row.y1)
    return ink_colour(image, *lb) or _counts_colour(image, row)


def _counts_colour(image: np.ndarray, row: TableRow) -> tuple | None:
    """The colour of a row's counts."""
    return ink_colour(image, row.cells[0].x0, row.y0, row.cells[-1].x1, row.y1)


def _read_row(image: np.ndarray, row: TableRow, reads: list[CellReading], times: np.ndarray,
              surv: np.ndarray, arm_name: str) -> tuple[list[tuple], list[dict]]:
    """One row's ``(arm, time, count)`` records and its repaired or flagged cells.

    A row that breaks the rules of a risk table is read again for the recogniser's n-best
    readings and repaired by :func:`kmipd.digitize.table.rules.repair_row`; flagged cells
    are left out of the records.
    """
    def ok(p: int, q: int, u: int, v: int) -> bool:
        return counts_fit(surv[p], surv[q], u, v)

    values, status = repair_row(reads, ok)
    if any(s != "ok" for s in status):
        reads = _cell_reads(image, row.cells, again=True)  # n-best readings for the repair
        values, status = repair_row(reads, ok)
    if _only_the_curve_disputes(reads, status):
        values = [r.value for r in reads]
        status = ["disputed" if s != "ok" else s for s in status]
    records, flags = [], []
    for k, rd in enumerate(reads):
        if values[k] is None:
            if (big := too_large(rd.text)) is not None:  # a misread, left out of the table
                flags.append({"arm": arm_name, "time": float(times[k]), "read": rd.text, "value": None,
                              "action": "flagged", "reason": f"read {big}, more than {MAX_COUNT:,} "
                              "patients: cells or labels run together; left out"})
            continue
        if status[k] == "disputed":
            flags.append({"arm": arm_name, "time": float(times[k]), "read": rd.text,
                          "value": int(values[k]), "action": "unsure", "disputes_curve": True,
                          "reason": DISPUTED_REASON})
        elif status[k] != "ok":
            why = (f"read {rd.text!r}; only {values[k]} keeps the row consistent"
                   if status[k] == "repaired" else _why_flagged(values, k))
            flags.append({"arm": arm_name, "time": float(times[k]), "read": rd.text,
                          "value": int(values[k]), "action": status[k], "reason": why})
        if status[k] != "flagged":
            records.append((arm_name, float(times[k]), int(values[k])))
    return records, flags


def _only_the_curve_disputes(reads: list[CellReading], status: list[str]) -> bool:
    """Whether the cells a repair changed or flagged were read clearly in a row that never rises.

    Such a row breaks only the rule that ties it to the curve (it drops less than the curve's
    events, or more than censoring allows). The curve is as likely to be the misread part (an
    arm traced onto its neighbour), so the counts are kept as read, marked unsure.
    """
    values = [r.value for r in reads if r.value is not None]
    flagged = [r for r, s in zip(reads, status) if s != "ok"]
    return bool(flagged) and all(a >= b for a, b in zip(values, values[1:])) \
        and all(r.prob >= SURE_CELL for r in flagged)


def _why_flagged(values: list[int | None], k: int) -> str:
    """Why cell ``k`` of a row was left out: the row rises there, or drops too little."""
    seq = [(i, v) for i, v in enumerate(values) if v is not None]
    pos = next(j for j, (i, _) in enumerate(seq) if i == k)
    rises = (pos > 0 and seq[pos - 1][1] < seq[pos][1]) or \
        (pos + 1 < len(seq) and seq[pos][1] < seq[pos + 1][1])
    if rises:
        return ("the count rises along the row (a misreading, or patients entering late); no "
                "single reading explains it")
    return ("the count drops less than the events the curve shows (or more than censoring "
            "allows); no single reading explains it")


def _unsure(label: str, arm_name: str, time: float, value: int) -> dict:
    """The flag of a cell kept as read whose row went to its arm by order alone."""
    row = f"row {label!r}" if label else "an unlabelled row"
    return {"arm": arm_name, "time": float(time), "read": str(value), "value": int(value),
            "action": "unsure", "by_order": True,
            "reason": f"{row} was given to arm {arm_name!r} by its order "
            "only: no label, colour or curve tells which arm it belongs to"}
