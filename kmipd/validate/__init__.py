"""Validate: check IPD against the statistics the paper reports.

:func:`validate` reads a reported-statistics TOML file (schema in :mod:`kmipd.validate.reported`
and the README), recomputes each statistic from the IPD with lifelines and compares them within
documented tolerances; :func:`write_report` renders a self-contained HTML report of a run.
:func:`emulate_data_cut` (``validate(..., emulate_cut=True)``) takes IPD back to the shorter
follow-up of an earlier report (see :mod:`kmipd.validate.data_cut`).
"""

from __future__ import annotations

from kmipd.validate.checks import ValidationResult, format_table, validate
from kmipd.validate.data_cut import DataCut, emulate_data_cut
from kmipd.validate.report import write_report
from kmipd.validate.reported import (
    DEFAULT_TOLERANCES,
    ArmReport,
    ComparisonReport,
    PValue,
    Reported,
    Tolerances,
    load_reported,
)

__all__ = [
    "DEFAULT_TOLERANCES",
    "ArmReport",
    "ComparisonReport",
    "DataCut",
    "PValue",
    "Reported",
    "Tolerances",
    "ValidationResult",
    "emulate_data_cut",
    "format_table",
    "load_reported",
    "validate",
    "write_report",
]
