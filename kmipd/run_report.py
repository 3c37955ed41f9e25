"""The report of a :func:`kmipd.pipeline.run`, drawn from what the run has read so far.

A run that stops at a stage still writes its report: the figure, the overlay and whatever the
stages before it produced, with the stage, the reason and what to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kmipd.errors import KmipdError
from kmipd.validate import ValidationResult, write_report
from kmipd.validate.arms import find_arm
from kmipd.validate.reported import Reported

STEPS = ("digitize", "reconstruct", "validate", "report")

UNSURE = "UNSURE: the digitized figure may be misread"
"""Heading of :attr:`RunResult.warnings` (and of the report's banner) for the digitizer's doubts."""


@dataclass
class RunProgress:
    """What a run has read and rebuilt so far; the report is drawn from it, after a failure too."""

    figure: Path
    outdir: Path
    rep: Reported | None
    options: dict
    overrides: list[str]
    warnings: dict[str, list[str]] = field(
        default_factory=lambda: {UNSURE: [], **{step: [] for step in STEPS[:3]}})
    assumptions: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    stage: str = "digitize"
    dig: object = None
    curves: pd.DataFrame | None = None
    at_risk: pd.DataFrame | None = None
    marks: pd.DataFrame | None = None
    ipd: pd.DataFrame | None = None
    validation: ValidationResult | None = None
    names: dict[str, str] = field(default_factory=dict)  # digitizer's arm name -> final name
    at_risk_source: str = "read from figure"


def write_run_report(state: RunProgress, failure: Mapping | None = None) -> Path:
    """Write ``report.html`` of ``state`` into its output folder.

    Parameters
    ----------
    state : RunProgress
        What the run has so far.
    failure : mapping, optional
        ``stage``, ``message`` and ``advice`` (list of str) of a run that stopped.

    Returns
    -------
    Path
        The report.
    """
    rep, dig = state.rep, state.dig
    path = state.outdir / "report.html"
    curves = state.curves if state.curves is not None else getattr(dig, "curves", None)
    at_risk = state.at_risk if state.curves is not None else getattr(dig, "at_risk", None)
    inputs = {"input figure": state.figure,
              **({"reported (input)": Path(rep.path)} if rep is not None and rep.path else {})}
    return write_report(
        path,
        title=f"kmipd: {state.figure.name}",
        figure=_input_image(state.figure, state.options),
        overlay=getattr(dig, "overlay", None),
        curves=curves,
        ipd=state.ipd,
        at_risk=at_risk,
        validation=state.validation,
        warnings=state.warnings,
        files={**{k: v for k, v in state.files.items() if k != "report" and Path(v).exists()}, **inputs},
        time_unit=rep.time_unit if rep is not None else "",
        colours=_arm_colours(dig, state.names),
        unsure=state.warnings.get(UNSURE, []),
        reading=getattr(dig, "content", ""),
        overrides=state.overrides,
        assumptions=state.assumptions,
        arm_reading=arm_reading(dig, state.names),
        reference=reference_arm(rep, state.ipd),
        failure=failure,
        at_risk_source=state.at_risk_source,
    )


def arm_reading(dig, names: Mapping[str, str] | None = None) -> pd.DataFrame | None:
    """Each arm as the digitizer read it: ``arm, line, confidence, unsure, flags``.

    ``confidence`` is :attr:`~kmipd.digitize.result.Digitization.arm_confidence`; ``flags`` the
    doubts about that arm or about the whole reading, joined by ``"; "``. Arms are under their
    final names (``names``: read name -> final name). None without a reading.
    """
    if dig is None or not getattr(dig, "arms", ()):
        return None
    names = names or {}
    summary = dig.summary
    rows = []
    for row in summary.itertuples():
        flags = [d.message for d in dig.doubts if d.arm is None or d.arm == row.arm]
        rows.append({"arm": names.get(row.arm, row.arm), "line": f"{row.line_style}, RGB {row.colour}",
                     "confidence": float(row.confidence), "unsure": bool(flags), "flags": "; ".join(flags)})
    return pd.DataFrame(rows, columns=["arm", "line", "confidence", "unsure", "flags"])


def reference_arm(rep: Reported | None, ipd: pd.DataFrame | None) -> str | None:
    """The arm hazard ratios are taken against: the reported file's reference (``[study]
    reference_arm``, else its first comparison's ``reference``) when it names an IPD arm, else
    the first arm of the IPD (the figure's order)."""
    if ipd is None or ipd.empty:
        return None
    arms = list(dict.fromkeys(ipd["arm"].astype(str)))
    if rep is not None:
        named = [rep.reference_arm, *(c.reference for c in rep.comparisons)]
        for name in (n for n in named if n):
            label = rep.arms[name].label if name in rep.arms else name
            match = find_arm(label, arms)
            if match is not None:
                return match
    return arms[0]


def renamed(frame: pd.DataFrame, renames: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with its arms renamed (``renames``: old -> new; others kept)."""
    return frame.assign(arm=frame["arm"].astype(str).map(lambda a: renames.get(a, a)))


def _arm_colours(dig, names: Mapping[str, str]) -> dict[str, tuple]:
    """Each arm's colour as found in the figure (matplotlib RGB in 0-1), under its final name."""
    out = {}
    for arm in getattr(dig, "arms", []):
        colour = tuple(float(c) / 255.0 for c in arm.colour)
        if max(colour) - min(colour) > 0.15:  # grey or black arms: the report's palette is clearer
            out[names.get(arm.name, arm.name)] = colour
    return out


def _input_image(figure: Path, options: Mapping | None):
    """The input as an image for the report: the file itself when PNG, else rendered (PDF...)."""
    if figure.suffix.lower() == ".png":
        return figure
    try:
        from kmipd.digitize.image.load import load_image

        return load_image(figure, page=int(dict(options or {}).get("page", 0)))
    except KmipdError:  # e.g. the figure that stopped the run: the report can do without it
        return None


class step:
    """Context manager that reports ``[i/4] name: message`` and, on success, the outcome and time."""

    def __init__(self, say: Callable[[str], None], index: int, name: str, message: str) -> None:
        self.say, self.index, self.name, self.message = say, index, name, message

    def __enter__(self):
        self.start = time.perf_counter()
        self.say(f"[{self.index}/{len(STEPS)}] {self.name}: {self.message}")
        return self.done

    def done(self, outcome: str) -> None:
        self.say(f"      {outcome} ({time.perf_counter() - self.start:.1f} s)")

    def __exit__(self, *exc) -> bool:
        return False
