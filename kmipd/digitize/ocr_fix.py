"""Former home of the cell reader and the risk-table rules, kept so that old imports work.

The cell reader now lives in :mod:`kmipd.digitize.text.cells` and the rules a risk table obeys
(with the repair of a row that breaks them) in :mod:`kmipd.digitize.table.rules`.
"""

from __future__ import annotations

from kmipd.digitize.table.rules import (
    CONFUSIONS,
    COST_CONFUSION,
    COST_DIGIT,
    MAX_REPAIR_COST,
    MIN_MARGIN,
    SURVIVAL_TOL,
    Feasible,
    confusion_variants,
    counts_fit,
    max_at_risk,
    min_events,
    repair_row,
    step_at,
)
from kmipd.digitize.text.cells import (
    CellReading,
    find_missed_cells,
    parse_count,
    read_cells,
    read_text,
    reading_from_texts,
)

__all__ = [
    "CONFUSIONS", "COST_CONFUSION", "COST_DIGIT", "MAX_REPAIR_COST", "MIN_MARGIN", "SURVIVAL_TOL",
    "CellReading", "Feasible", "confusion_variants", "counts_fit", "find_missed_cells",
    "max_at_risk", "min_events", "parse_count", "read_cells", "read_text", "reading_from_texts",
    "repair_row", "step_at",
]
