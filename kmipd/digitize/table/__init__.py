"""The number-at-risk table under the plot: OCR words as tokens and lines (:mod:`.tokens`), its
rows and the time of each cell (:mod:`.layout`, :mod:`.transposed` for a table printed one
column per arm), the rules its counts obey and the repair of a row that breaks them
(:mod:`.rules`), printed arm sizes (:mod:`.sizes`); :mod:`.read` reads the table."""

from kmipd.digitize.table.by_curves import match_by_curves
from kmipd.digitize.table.layout import table_row_labels
from kmipd.digitize.table.read import AtRiskReading, read_at_risk_table
from kmipd.digitize.table.rules import check_at_risk_against_curves, repair_row

__all__ = [
    "AtRiskReading", "check_at_risk_against_curves", "match_by_curves", "read_at_risk_table",
    "repair_row", "table_row_labels",
]
