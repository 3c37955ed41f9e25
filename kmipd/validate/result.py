"""The result of :func:`kmipd.validate.validate`: the comparison table and how to read it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kmipd.validate.data_cut import DataCut
from kmipd.validate.reported import Reported
from kmipd.validate.table import FAIL, NOT_ESTIMABLE, format_table, json_value, statuses


@dataclass
class ValidationResult:
    """The IPD's statistics next to the paper's, one row per reported number.

    Attributes
    ----------
    table : DataFrame
        Columns ``statistic, arm, reported, reconstructed, difference, tolerance, pass, scale,
        status``. ``difference`` is reconstructed - reported on the comparison ``scale``
        ("absolute", "log" for hazard ratios, "z" for p-values); ``tolerance`` is on the same
        scale. Not-reached values (medians, CI bounds) are ``inf``. ``status`` is "pass",
        "fail" or "not estimable" (a landmark or median beyond the IPD's follow-up: ``pass`` is
        False, but it is not counted as a failure).
    reported : Reported
        The parsed reported file.
    warnings : list of str
        Things that make a comparison less meaningful (e.g. a landmark beyond follow-up).
    notes : list of str
        How to read the table: the emulated data cut it was computed at, or a report at
        clearly shorter or longer follow-up than the IPD's.
    data_cut : DataCut or None
        The emulated data cut (``validate(..., emulate_cut=True)``), else None.
    summary : DataFrame
        The comparison table (``table``), as every kmipd result shows itself. :meth:`format`
        (also ``str()``) is the text ``kmipd validate`` prints, :meth:`to_dict` the content of
        ``validation.json``.
    """

    table: pd.DataFrame
    reported: Reported
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data_cut: DataCut | None = None

    @property
    def summary(self) -> pd.DataFrame:
        """The comparison table (lifelines-style alias of :attr:`table`)."""
        return self.table

    @property
    def passed(self) -> bool:
        """True when no reported statistic is outside its tolerance (N/E lines do not fail)."""
        return not bool((statuses(self.table) == FAIL).any())

    @property
    def failures(self) -> pd.DataFrame:
        """The rows that failed."""
        return self.table[statuses(self.table) == FAIL]

    @property
    def not_estimable(self) -> pd.DataFrame:
        """The rows the IPD cannot estimate (beyond its follow-up)."""
        return self.table[statuses(self.table) == NOT_ESTIMABLE]

    def format(self) -> str:
        """The notes, then the table as aligned plain text (``PASS``/``FAIL``/``N/E`` per line)
        and a summary line."""
        return "\n".join([*(f"note: {n}" for n in self.notes), format_table(self.table)])

    def __str__(self) -> str:
        return self.format()

    def to_dict(self) -> dict:
        """JSON-ready content of ``validation.json``."""
        rows = [{k: json_value(v) for k, v in row.items()}
                for row in self.table.to_dict(orient="records")]
        cut = None
        if self.data_cut is not None:
            cut = {k: json_value(v) for k, v in vars(self.data_cut).items() if k != "ipd"}
        return {
            "passed": self.passed,
            "n_checks": int(len(self.table)),
            "n_failed": int(len(self.failures)),
            "n_not_estimable": int(len(self.not_estimable)),
            "reported_file": self.reported.path,
            "source": self.reported.source,
            "time_unit": self.reported.time_unit,
            "data_cut": cut,
            "notes": self.notes,
            "rows": rows,
            "warnings": self.warnings,
        }

    def to_folder(self, outdir: str | Path) -> dict[str, Path]:
        """Write ``validation.csv`` and ``validation.json`` into ``outdir`` (and, at an
        emulated data cut, the cut IPD as ``ipd_at_report_cut.csv``).

        An ``ipd_at_report_cut.csv`` of an earlier validation is removed when there is no cut
        now (see :data:`VALIDATION_OUTPUTS`); each file is replaced in one step.
        """
        from kmipd.io import write_table
        from kmipd.outputs import make_folder, remove_outputs, write_text_atomic

        outdir = make_folder(outdir)
        if self.data_cut is None:
            remove_outputs(outdir, ["ipd_at_report_cut.csv"])
        paths = {"csv": write_table(self.table, outdir / "validation.csv")}
        paths["json"] = write_text_atomic(outdir / "validation.json",
                                          json.dumps(self.to_dict(), indent=2))
        if self.data_cut is not None:
            paths["cut_ipd"] = write_table(self.data_cut.ipd, outdir / "ipd_at_report_cut.csv")
        return paths


VALIDATION_OUTPUTS = ("validation.csv", "validation.json", "ipd_at_report_cut.csv")
"""Every file :meth:`ValidationResult.to_folder` writes (or removes as stale)."""
