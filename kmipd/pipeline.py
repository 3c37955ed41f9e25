"""The whole chain in one call: figure -> digitize -> reconstruct -> validate -> report.

:func:`run` writes every intermediate file, so that each stage can be checked or re-entered on
its own with the stage commands, and a self-contained ``report.html`` that shows them together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kmipd.errors import KmipdError
from kmipd.io import write_table
from kmipd.outputs import check_output_folder, refuse_overwriting_inputs, remove_outputs
from kmipd.validate import ValidationResult, load_reported, validate, write_report
from kmipd.validate.checks import match_arm_names
from kmipd.validate.reported import Reported
from kmipd.validate.result import VALIDATION_OUTPUTS

STEPS = ("digitize", "reconstruct", "validate", "report")

UNSURE = "UNSURE: the digitized figure may be misread"
"""Heading of :attr:`RunResult.warnings` (and of the report's banner) for the digitizer's doubts."""

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
    digitization : Digitization
        The digitize stage's result (curves, at-risk table, overlay, warnings).
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
    """

    figure: Path
    outdir: Path
    digitization: object
    ipd: pd.DataFrame
    validation: ValidationResult | None = None
    warnings: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

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
        Output folder: curves.csv, censor_marks.csv, at_risk.csv (when the figure has a table),
        digitization.json, overlay.png, ipd.csv, validation.csv/json (when validated),
        report.html. Once the reported file has been read, every one of these files
        (:data:`RUN_OUTPUTS`) left by an earlier run is removed, so the folder never mixes two
        runs: after a failure it holds only what this run wrote before failing. Other files
        in the folder are not touched. Each file is replaced in one step.
    progress : callable, optional
        Called with one line of text at the start and end of every step.
    n, events : mapping of arm -> int, optional
        Per-arm N and total events passed to the reconstruction. Without them, N comes from the
        reported file only for a figure without an at-risk table; reported events are never
        used, so that the events check stays an independent check.
    median_follow_up : float, optional
        The paper's median follow-up in the figure's time units, for a figure without an
        at-risk table (it steers the censoring); by default the reported file's
        ``[study] median_follow_up``.
    digitize_options : mapping, optional
        Keyword arguments for :func:`kmipd.digitize.digitize` (``x_range``, ``y_range``,
        ``n_arms``, ``page``, ``panel``).

    Returns
    -------
    RunResult

    Raises
    ------
    KmipdError
        Bad input at any stage (unreadable figure or reported file, unknown arm, ...); an
        input that is one of the output files; an output folder that is a file.
    """
    from kmipd.digitize import digitize
    from kmipd.reconstruct import reconstruct

    say = progress or (lambda message: None)
    figure = Path(figure)
    outdir = Path(outdir)
    # Read the reported file first: a typo in it should fail in a second, not after digitizing.
    rep = load_reported(reported) if reported is not None else None
    _clear_outputs(outdir, [figure, rep.path if rep is not None else None])
    warnings: dict[str, list[str]] = {UNSURE: [], **{step: [] for step in STEPS[:3]}}
    files: dict[str, Path] = {}

    with _step(say, 1, "digitize", f"reading {figure.name}") as done:
        dig = digitize(figure, **dict(digitize_options or {}))
        files.update(dig.to_folder(outdir))
        warnings["digitize"].extend(dig.warnings)
        warnings[UNSURE].extend(d.message for d in getattr(dig, "doubts", ()))
        table = "at-risk table read" if dig.at_risk is not None else "no at-risk table"
        done(f"{dig.curves['arm'].nunique()} arm(s) ({', '.join(map(str, dig.curves['arm'].unique()))}), "
             f"{len(dig.curves)} curve points, {len(dig.censor_marks)} censor marks, {table}")

    with _step(say, 2, "reconstruct", "rebuilding patients (Guyot)") as done:
        arms = list(dict.fromkeys(dig.curves["arm"].astype(str)))
        n_arm = dict(n or {})
        if not n_arm and dig.at_risk is None and rep is not None:
            n_arm = _reported_counts(rep, arms, "n")
            if n_arm:
                warnings["reconstruct"].append(
                    "no at-risk table in the figure: N of each arm taken from the reported file, "
                    "so the n check is not independent.")
        marks = dig.censor_marks if len(dig.censor_marks) else None
        follow_up = median_follow_up
        if follow_up is None and dig.at_risk is None and rep is not None and rep.median_follow_up:
            follow_up = rep.median_follow_up
            warnings["reconstruct"].append(
                f"no at-risk table in the figure: the reported median follow-up ({follow_up:g}) "
                "steered the censoring.")
        rebuilt = reconstruct(dig.curves, at_risk=dig.at_risk, n=n_arm or None, events=events,
                              censor_marks=marks, median_follow_up=follow_up)
        warnings["reconstruct"].extend(rebuilt.notes)
        warnings[UNSURE].extend(rebuilt.unsure)
        ipd = rebuilt.ipd
        curves, at_risk, renames = dig.curves, dig.at_risk, {}
        if rep is not None:
            sizes = ipd.groupby("arm", sort=False).size().to_dict()
            renames, why = pair_arms(rep, arms, sizes)
            if renames:
                warnings["reconstruct"].extend(why)
                ipd, curves = _renamed(ipd, renames), _renamed(curves, renames)
                at_risk = _renamed(at_risk, renames) if at_risk is not None else None
        files["ipd"] = write_table(ipd, outdir / "ipd.csv")
        done(", ".join(f"{arm}: {len(g)} patients, {int(g['event'].sum())} events"
                       for arm, g in ipd.groupby("arm", sort=False)))

    validation = None
    if rep is not None:
        with _step(say, 3, "validate", f"against {Path(rep.path).name if rep.path else 'reported'}") as done:
            validation = validate(ipd, rep)
            paths = validation.to_folder(outdir)
            files["validation_csv"], files["validation_json"] = paths["csv"], paths["json"]
            warnings["validate"].extend(validation.warnings)
            n_fail, n_ne = len(validation.failures), len(validation.not_estimable)
            n_checked = len(validation.table) - n_ne
            extra = f", {n_ne} not estimable at this follow-up" if n_ne else ""
            done(f"{n_checked - n_fail}/{n_checked} checks passed{extra}")
    else:
        say("[3/4] validate: skipped (no reported file)")

    with _step(say, 4, "report", "writing report.html") as done:
        files["report"] = outdir / "report.html"
        write_report(
            files["report"],
            title=f"kmipd: {figure.name}",
            figure=_input_image(figure, digitize_options),
            overlay=dig.overlay,
            curves=curves,
            ipd=ipd,
            at_risk=at_risk,
            validation=validation,
            warnings=warnings,
            files={**{k: v for k, v in files.items() if k != "report"}, "input figure": figure,
                   **({"reported (input)": Path(rep.path)} if rep is not None and rep.path else {})},
            time_unit=rep.time_unit if rep is not None else "",
            colours=_arm_colours(dig, renames),
            unsure=warnings[UNSURE],
            reading=dig.content,
        )
        done(str(files["report"]))
    if not warnings[UNSURE]:
        del warnings[UNSURE]
    return RunResult(figure=figure, outdir=outdir, digitization=dig, ipd=ipd,
                     validation=validation, warnings=warnings, files=files)


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


class _step:
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


def pair_arms(rep: Reported, arms: list[str], sizes: Mapping[str, int] | None = None
              ) -> tuple[dict[str, str], list[str]]:
    """Name the figure's arms after the reported ones when the legend could not be read.

    Arms whose names match (ignoring case and spacing) are left alone. Of the rest, a single
    reported arm and a single figure arm are paired; several are paired by their number of
    patients when every reported N is different and found exactly once among ``sizes``.

    Returns
    -------
    renames : dict
        Figure arm name -> reported arm label.
    notes : list of str
        One line per pairing, saying why.
    """
    labels = [arm.label for arm in rep.arms.values()]
    matched = {}
    for label in labels:
        try:
            matched.update(match_arm_names([label], arms))
        except KmipdError:
            continue
    left_rep = [lab for lab in labels if lab not in matched]
    left_fig = [a for a in arms if a not in matched.values()]
    if not left_rep or not left_fig:
        return {}, []
    if len(left_rep) == 1 and len(left_fig) == 1:
        return ({left_fig[0]: left_rep[0]},
                [f"figure arm {left_fig[0]!r} taken to be reported arm {left_rep[0]!r}: the only "
                 "arm left unnamed on both sides (legend not read?)."])
    counts = {arm.label: arm.n for arm in rep.arms.values() if arm.label in left_rep}
    if sizes is None or any(v is None for v in counts.values()) or len(set(counts.values())) < len(counts):
        return {}, []
    renames, notes = {}, []
    for label, n_rep in counts.items():
        same = [a for a in left_fig if sizes.get(a) == int(n_rep)]
        if len(same) == 1:
            renames[same[0]] = label
            notes.append(f"figure arm {same[0]!r} taken to be reported arm {label!r}: both have "
                         f"N = {int(n_rep)} (legend not read?).")
    return renames, notes


def _arm_colours(dig, renames: Mapping[str, str]) -> dict[str, tuple]:
    """Each arm's colour as found in the figure (matplotlib RGB in 0-1), under its final name."""
    out = {}
    for arm in getattr(dig, "arms", []):
        colour = tuple(float(c) / 255.0 for c in arm.colour)
        if max(colour) - min(colour) > 0.15:  # grey or black arms: the report's palette is clearer
            out[renames.get(arm.name, arm.name)] = colour
    return out


def _renamed(frame: pd.DataFrame, renames: Mapping[str, str]) -> pd.DataFrame:
    return frame.assign(arm=frame["arm"].astype(str).map(lambda a: renames.get(a, a)))


def _reported_counts(rep: Reported, arms: list[str], key: str) -> dict[str, int]:
    """Per-arm counts from the reported file, keyed by the digitized arm names."""
    wanted = {name: arm.label for name, arm in rep.arms.items() if getattr(arm, key) is not None}
    if not wanted:
        return {}
    renames, _ = pair_arms(rep, arms)
    back = {label: fig for fig, label in renames.items()}
    mapping = match_arm_names([w for w in wanted.values() if w not in back], arms,
                              what="digitized curves")
    mapping.update({label: back[label] for label in wanted.values() if label in back})
    return {mapping[wanted[name]]: int(getattr(rep.arms[name], key)) for name in wanted}


def _input_image(figure: Path, options: Mapping | None):
    """The input as an image for the report: the file itself when PNG, else rendered (PDF...)."""
    if figure.suffix.lower() == ".png":
        return figure
    try:
        from kmipd.digitize.image.load import load_image

        return load_image(figure, page=int(dict(options or {}).get("page", 0)))
    except KmipdError:  # already digitized, so this should not happen; the report can do without
        return None
