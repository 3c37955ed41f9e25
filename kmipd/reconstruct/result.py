"""The result of :func:`kmipd.reconstruct.reconstruct`: the rebuilt IPD and how it was rebuilt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: How an arm's numbers at risk were obtained (:attr:`Reconstruction.at_risk_from`).
FROM_TABLE, FROM_N, FROM_CENSOR_MARKS = "table", "estimated from N", "censor marks"

SUMMARY_COLUMNS = ["arm", "n", "events", "censored", "at_risk_from"]

#: Marks a note whose arm cannot be trusted as rebuilt (:attr:`Reconstruction.unsure`).
UNSURE_NOTE = " - unsure: "


@dataclass(frozen=True)
class Reconstruction:
    """Individual patient data rebuilt from KM curves (frozen: built once by ``reconstruct``).

    Attributes
    ----------
    ipd : DataFrame
        ``arm, time, event`` (event 1 = event, 0 = censored), one row per patient, sorted by arm
        (in the curves' order), time, and event first.
    notes : tuple of str
        What was changed or could not be matched, one line each, prefixed with the arm
        (``"A: added the start point (0, 1)"``): cleaning of the curves, adjustments, mismatches.
    at_risk_from : mapping of str -> str
        Per arm, how its numbers at risk were obtained: ``"table"`` (the published table),
        ``"estimated from N"`` (from the curve's steps and N) or ``"censor marks"`` (the same,
        with the censor marks as a lower bound on the censored).
    unsure : tuple of str
        The notes that say an arm cannot be trusted as rebuilt (its censoring guessed by a
        prior, for one); they belong in a run's unsure list.
    summary : DataFrame
        One row per arm: ``arm, n, events, censored, at_risk_from``.

    :meth:`format` (also ``str()``) is the per-arm text ``kmipd reconstruct`` prints,
    :meth:`to_csv` writes the IPD file.
    """

    ipd: pd.DataFrame
    notes: tuple[str, ...] = ()
    at_risk_from: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "at_risk_from", dict(self.at_risk_from))

    @property
    def unsure(self) -> tuple[str, ...]:
        return tuple(note for note in self.notes if UNSURE_NOTE in note)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per arm (in the IPD's order): ``arm, n, events, censored, at_risk_from``."""
        rows = [{"arm": arm, "n": int(len(g)), "events": int(g["event"].sum()),
                 "censored": int(len(g) - g["event"].sum()), "at_risk_from": self.at_risk_from.get(arm, "")}
                for arm, g in self.ipd.groupby("arm", sort=False)]
        return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)

    def format(self) -> str:
        """One line per arm: ``"A: 20 patients, 5 events"``."""
        return "\n".join(f"{r.arm}: {r.n} patients, {r.events} events" for r in self.summary.itertuples())

    def __str__(self) -> str:
        return self.format()

    def to_csv(self, path: str | Path) -> Path:
        """Write the IPD (``arm,time,event``) to ``path``, replaced in one step."""
        from kmipd.io import write_table

        return write_table(self.ipd, path)
