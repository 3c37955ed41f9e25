"""The whole chain in one call: figure -> digitize -> reconstruct -> validate -> report.

:func:`run` writes every intermediate file, so that each stage can be checked or re-entered on
its own with the stage commands, and a self-contained ``report.html`` that shows them together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kmipd.errors import KmipdError
from kmipd.io import write_table
from kmipd.outputs import check_output_folder, refuse_overwriting_inputs, remove_outputs
from kmipd.run_inputs import (
    align_arms,
    at_risk_assumptions,
    failure_advice,
    name_arms,
    override_lines,
    pair_arms,
    parse_names,
    read_at_risk_input,
    read_curves_input,
    reported_counts,
    same_arms,
)
from kmipd.run_report import STEPS, UNSURE, RunProgress, renamed, step, write_run_report
from kmipd.validate import ValidationResult, load_reported, validate
from kmipd.validate.arms import find_arm
from kmipd.validate.reported import Reported
from kmipd.validate.result import VALIDATION_OUTPUTS

__all__ = ["RUN_OUTPUTS", "STEPS", "UNSURE", "RunResult", "RunStopped", "pair_arms", "run"]

_LOG = logging.getLogger("kmipd")

RUN_OUTPUTS = (
    # kmipd.digitize.result.DIGITIZE_OUTPUTS, spelled out: importing kmipd.digitize costs ~1 s
    "curves.csv", "censor_marks.csv", "at_risk.csv", "digitization.json", "overlay.png",
    "ipd.csv", *VALIDATION_OUTPUTS, "report.html",
)
"""Every file :func:`run` owns in its output folder; all are removed when a run starts."""


@dataclass
class RunResult:
    """What :func:`run` produced.

    Attributes
    ----------
    figure : Path
        The input figure.
    outdir : Path
        Folder holding every file written.
    digitization : Digitization or None
        The digitize stage's result (curves, at-risk table, overlay, warnings); None when curves
        were given and the figure could not be read.
    ipd : DataFrame
        Reconstructed ``arm, time, event``.
    validation : ValidationResult or None
        None when no reported file was given.
    warnings : dict of str -> list of str
        Warnings and notes of each stage; the digitizer's doubts (when it is unsure) first, under
        the heading :data:`UNSURE`.
    files : dict of str -> Path
        Every file written, by name (``curves``, ``at_risk``, ``ipd``, ``validation_csv``,
        ``report``, ...).
    overrides : list of str
        One line per value the user gave in place of the figure's reading (typed table, names,
        N, events, curves file, axis ranges, ...).
    assumptions : list of str
        One line per value assumed for want of one (numbers at risk estimated from the curve,
        censoring from the reported median follow-up, arms paired with the reported ones, ...).
    """

    figure: Path
    outdir: Path
    digitization: object
    ipd: pd.DataFrame
    validation: ValidationResult | None = None
    warnings: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    overrides: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool | None:
        """True / False when validated (every statistic within tolerance or not), else None."""
        return None if self.validation is None else self.validation.passed

    @property
    def exit_code(self) -> int:
        """0 when every check passed or nothing was checked, 1 when a check failed."""
        return 1 if self.passed is False else 0

    @property
    def report(self) -> Path:
        """Path of ``report.html``."""
        return self.files["report"]


class RunStopped(KmipdError):
    """A stage of :func:`run` stopped on bad input; ``report.html`` shows what was read before it.

    The message is the stage's own one-line message, followed by where the report is.

    Attributes
    ----------
    stage : str
        The stage that stopped (``"digitize"``, ``"reconstruct"`` or ``"validate"``).
    reason : str
        The stage's message.
    report : Path or None
        The report written (None when even that failed).
    warnings : dict of str -> list of str
        The warnings of the stages run so far, as in :attr:`RunResult.warnings`.
    overrides, assumptions : list of str
        As in :class:`RunResult`.
    """

    def __init__(self, stage: str, reason: str, report: Path | None, warnings: dict[str, list[str]],
                 overrides: list[str], assumptions: list[str]) -> None:
        where = f"; {report} shows what was read and what to do" if report is not None else ""
        super().__init__(f"{reason} (run stopped at {stage}{where})")
        self.stage, self.reason, self.report = stage, reason, report
        self.warnings, self.overrides, self.assumptions = warnings, overrides, assumptions


def run(
    figure: str | Path,
    reported: str | Path | dict | Reported | None = None,
    outdir: str | Path = "kmipd-out",
    *,
    progress: Callable[[str], None] | None = None,
    n: Mapping[str, int] | None = None,
    events: Mapping[str, int] | None = None,
    median_follow_up: float | None = None,
    digitize_options: Mapping | None = None,
    at_risk: str | Path | pd.DataFrame | None = None,
    names: str | Sequence[str] | None = None,
    curves: str | Path | pd.DataFrame | None = None,
) -> RunResult:
    """Digitize a KM figure, rebuild its IPD, check it against the paper, and report.

    Parameters
    ----------
    figure : str or Path
        The Kaplan-Meier figure (PNG, JPEG, ..., or PDF).
    reported : path, dict or Reported, optional
        The paper's statistics (see :func:`kmipd.validate.load_reported`); without it nothing is
        validated.
    outdir : str or Path
        Output folder: curves.csv, censor_marks.csv, at_risk.csv (the curves, marks and table
        used), digitization.json, overlay.png, ipd.csv, validation.csv/json (when validated),
        report.html. Once the inputs have been read, every one of these files
        (:data:`RUN_OUTPUTS`) left by an earlier run is removed, so the folder never mixes two
        runs: after a failure it holds only what this run wrote before failing. Other files
        in the folder are not touched. Each file is replaced in one step.
    progress : callable, optional
        Called with one line of text at the start and end of every step.
    n, events : mapping of arm -> int, optional
        Per-arm N and total events passed to the reconstruction. Without them, N comes from the
        reported file only when there is no at-risk table; reported events are never used, so
        that the events check stays an independent check.
    median_follow_up : float, optional
        The paper's median follow-up in the figure's time units, for a figure without an
        at-risk table (it steers the censoring); by default the reported file's
        ``[study] median_follow_up``.
    digitize_options : mapping, optional
        Keyword arguments for :func:`kmipd.digitize.digitize` (``x_range``, ``y_range``,
        ``n_arms``, ``page``, ``panel``).
    at_risk : path or DataFrame, optional
        The numbers at risk typed from the paper (``arm,time,n_at_risk``), used instead of the
        table read from the figure.
    names : str or sequence of str, optional
        The arms' names in the order of the curves (the figure's arm order, or the curves
        file's), replacing the legend's names; ``"A,B"`` or ``["A", "B"]``.
    curves : path or DataFrame, optional
        Curves traced with another tool, used instead of the digitized ones: kmipd's curves CSV
        (``arm,time,survival``) or a WebPlotDigitizer CSV export. The figure is still read for
        the report (and for its at-risk table and censor marks when its arms are the curves'
        arms); when it cannot be read, the run goes on without it.

    Returns
    -------
    RunResult
        Every value the user gave in place of the figure's reading is in ``overrides``, every
        value assumed for want of one in ``assumptions``.

    Raises
    ------
    KmipdError
        Bad input found before any work (unreadable reported, curves or at-risk file, a bad
        name list, a missing figure); an input that is one of the output files; an output folder
        that is a file.
    RunStopped
        A stage stopped on bad input (a figure without axes, arms that do not match, ...):
        ``report.html`` is written first, showing what was read, where and why it stopped and
        what to do.
    """
    say = progress or (lambda message: None)
    figure, outdir, options = Path(figure), Path(outdir), dict(digitize_options or {})
    # Read the user's files first: a typo in them should fail in a second, not after digitizing.
    rep = load_reported(reported) if reported is not None else None
    name_list = parse_names(names)
    read_notes: list[str] = []
    given = read_curves_input(curves, read_notes) if curves is not None else None
    typed = read_at_risk_input(at_risk) if at_risk is not None else None
    if not figure.is_file():
        raise KmipdError(f"figure file {figure} does not exist; check the path.")
    _clear_outputs(outdir, [figure, rep.path if rep is not None else None,
                            *(p for p in (curves, at_risk) if isinstance(p, (str, Path)))])
    state = RunProgress(figure, outdir, rep, options, override_lines(
        curves_source=given[1] if given else "", at_risk_source=typed[1] if typed else "",
        n=n, events=events, median_follow_up=median_follow_up, digitize_options=options))
    state.warnings["digitize"].extend(read_notes)
    try:
        _digitize_stage(state, say, curves_given=given is not None)
        with step(say, 2, "reconstruct", "rebuilding patients (Guyot)") as done:
            state.stage = "reconstruct"
            _use_inputs(state, given, typed, name_list)
            _reconstruct_stage(state, n, events, median_follow_up)
            done(", ".join(f"{arm}: {len(g)} patients, {int(g['event'].sum())} events"
                           for arm, g in state.ipd.groupby("arm", sort=False)))
        _validate_stage(state, say)
    except KmipdError as exc:
        raise _stopped(state, say, exc) from exc
    with step(say, 4, "report", "writing report.html") as done:
        state.files["report"] = write_run_report(state)
        done(str(state.files["report"]))
    warnings = {k: v for k, v in state.warnings.items() if v or k != UNSURE}
    return RunResult(figure=figure, outdir=outdir, digitization=state.dig, ipd=state.ipd,
                     validation=state.validation, warnings=warnings, files=state.files,
                     overrides=state.overrides, assumptions=state.assumptions)


def _digitize_stage(state: RunProgress, say: Callable[[str], None], curves_given: bool) -> None:
    """Read the figure; with curves given, a figure that cannot be read is a warning only."""
    from kmipd.digitize import digitize

    with step(say, 1, "digitize", f"reading {state.figure.name}") as done:
        try:
            dig = digitize(state.figure, **state.options)
        except KmipdError as exc:
            if not curves_given:
                raise
            state.warnings["digitize"].append(f"the figure could not be read ({exc}); the curves given "
                                              "are used without its reading")
            done("figure not read: the curves given are used")
            return
        state.dig = dig
        state.files.update(dig.to_folder(state.outdir))
        state.warnings["digitize"].extend(dig.warnings)
        doubts = [d.message for d in getattr(dig, "doubts", ())]
        if curves_given:  # the doubts are about curves that are not used
            state.warnings["digitize"].extend(f"digitizer's reading (curves not used): {d}" for d in doubts)
        else:
            state.warnings[UNSURE].extend(doubts)
        table = "at-risk table read" if dig.at_risk is not None else "no at-risk table"
        done(f"{dig.curves['arm'].nunique()} arm(s) ({', '.join(map(str, dig.curves['arm'].unique()))}), "
             f"{len(dig.curves)} curve points, {len(dig.censor_marks)} censor marks, {table}")


def _use_inputs(state: RunProgress, given, typed, names: list[str] | None) -> None:
    """Decide the curves, table and censor marks the reconstruction uses, name their arms, and
    write them to the output folder (so that ``kmipd reconstruct`` can redo this stage)."""
    dig = state.dig
    curves = given[0] if given is not None else dig.curves
    arms = list(dict.fromkeys(curves["arm"].astype(str)))
    renames = name_arms(arms, names)
    if renames:
        state.overrides.append("arm names given by the user (--names): "
                               + ", ".join(f"{old} -> {new}" for old, new in renames.items()))
    curves, arms = renamed(curves, renames), [renames.get(a, a) for a in arms]
    table, marks = _figure_table_and_marks(state, given is not None, arms, renames)
    if typed is not None:
        table = align_arms(typed[0], arms, f"the at-risk table {typed[1]}")
        state.at_risk_source = "typed by the user"
    state.curves, state.at_risk, state.marks = curves, table, marks
    state.files["curves"] = write_table(curves, state.outdir / "curves.csv")
    if marks is not None:
        state.files["censor_marks"] = write_table(marks, state.outdir / "censor_marks.csv")
    elif given is not None:  # the figure's marks, when read, are not used with these curves
        state.files.pop("censor_marks", None)
        remove_outputs(state.outdir, ["censor_marks.csv"])
    if table is not None:
        state.files["at_risk"] = write_table(table, state.outdir / "at_risk.csv")
    else:
        state.files.pop("at_risk", None)
        remove_outputs(state.outdir, ["at_risk.csv"])


def _figure_table_and_marks(state: RunProgress, curves_given: bool, arms: list[str],
                            renames: Mapping[str, str]) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The figure's at-risk table and censor marks under the final arm names, when usable."""
    dig = state.dig
    if dig is None:
        return None, None
    table = dig.at_risk
    marks = dig.censor_marks if len(dig.censor_marks) else None
    read_arms = [str(a) for a in dict.fromkeys(dig.curves["arm"].astype(str))]
    if not curves_given:
        state.names = {a: renames.get(a, a) for a in read_arms}
        return (renamed(table, renames) if table is not None else None,
                renamed(marks, renames) if marks is not None else None)
    if not same_arms(read_arms, arms):
        if table is not None or marks is not None:
            state.assumptions.append(
                f"the figure's at-risk table and censor marks were not used: its arms ({', '.join(read_arms)}) "
                f"are not the curves' arms ({', '.join(arms)})")
        return None, None
    state.names = {a: find_arm(a, arms) for a in read_arms}
    return (align_arms(table, arms, "the figure's at-risk table") if table is not None else None,
            align_arms(marks, arms, "the figure's censor marks") if marks is not None else None)


def _reconstruct_stage(state: RunProgress, n, events, median_follow_up) -> None:
    """Rebuild the IPD from what :func:`_use_inputs` chose; name the arms after the reported ones."""
    from kmipd.reconstruct import reconstruct

    rep, arms = state.rep, list(dict.fromkeys(state.curves["arm"].astype(str)))
    n_arm = dict(n or {})
    if not n_arm and state.at_risk is None and rep is not None:
        n_arm = reported_counts(rep, arms, "n")
        if n_arm:
            state.assumptions.append("no at-risk table: N of each arm taken from the reported file, so "
                                     "the n check is not independent")
    follow_up = median_follow_up
    if follow_up is None and state.at_risk is None and rep is not None and rep.median_follow_up:
        follow_up = rep.median_follow_up
        state.assumptions.append(f"censoring from the reported median follow-up ({follow_up:g})")
    rebuilt = reconstruct(state.curves, at_risk=state.at_risk, n=n_arm or None, events=events,
                          censor_marks=state.marks, median_follow_up=follow_up)
    state.warnings["reconstruct"].extend(rebuilt.notes)
    state.warnings[UNSURE].extend(rebuilt.unsure)
    state.assumptions.extend(at_risk_assumptions(rebuilt.at_risk_from, state.marks))
    ipd = rebuilt.ipd
    if rep is not None:
        renames, why = pair_arms(rep, arms, ipd.groupby("arm", sort=False).size().to_dict())
        if renames:
            state.assumptions.extend(why)
            ipd, state.curves = renamed(ipd, renames), renamed(state.curves, renames)
            state.at_risk = renamed(state.at_risk, renames) if state.at_risk is not None else None
            state.names = {a: renames.get(b, b) for a, b in state.names.items()}
    state.ipd = ipd
    state.files["ipd"] = write_table(ipd, state.outdir / "ipd.csv")


def _validate_stage(state: RunProgress, say: Callable[[str], None]) -> None:
    rep = state.rep
    if rep is None:
        say("[3/4] validate: skipped (no reported file)")
        return
    with step(say, 3, "validate", f"against {Path(rep.path).name if rep.path else 'reported'}") as done:
        state.stage = "validate"
        validation = state.validation = validate(state.ipd, rep)
        paths = validation.to_folder(state.outdir)
        state.files["validation_csv"], state.files["validation_json"] = paths["csv"], paths["json"]
        state.warnings["validate"].extend(validation.warnings)
        n_fail, n_ne = len(validation.failures), len(validation.not_estimable)
        n_checked = len(validation.table) - n_ne
        extra = f", {n_ne} not estimable at this follow-up" if n_ne else ""
        done(f"{n_checked - n_fail}/{n_checked} checks passed{extra}")


def _stopped(state: RunProgress, say: Callable[[str], None], exc: KmipdError) -> RunStopped:
    """Write the report of a run that stopped at ``state.stage`` and the exception to raise."""
    reason = str(exc)
    failure = {"stage": state.stage, "message": reason,
               "advice": failure_advice(state.stage, reason, state.outdir)}
    try:
        report = write_run_report(state, failure)
        state.files["report"] = report
        say(f"[4/4] report: what was read before {state.stage} stopped: {report}")
    except Exception:  # noqa: BLE001 - the user's error matters more than a report that failed
        _LOG.debug("report of a stopped run not written", exc_info=True)
        report = None
    warnings = {k: v for k, v in state.warnings.items() if v or k != UNSURE}
    return RunStopped(state.stage, reason, report, warnings, state.overrides, state.assumptions)


def _clear_outputs(outdir: Path, inputs: list[str | Path | None]) -> None:
    """Remove the files an earlier run left in ``outdir`` (:data:`RUN_OUTPUTS`), after checking
    that none of them is an input and that ``outdir`` can be a folder.

    Raises
    ------
    KmipdError
        ``outdir`` is (under) a file, or an input is one of the run's output files.
    """
    check_output_folder(outdir)
    refuse_overwriting_inputs(inputs, [outdir / name for name in RUN_OUTPUTS])
    if outdir.is_dir():
        remove_outputs(outdir, RUN_OUTPUTS)
