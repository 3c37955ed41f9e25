"""What the user gives :func:`kmipd.pipeline.run` in place of the figure's reading.

A digitization is corrected by giving ``run`` what was misread: the numbers at risk typed from
the paper (``--at-risk``), the arms' names (``--names``), curves traced with another tool
(``--curves``, kmipd's curves CSV or a WebPlotDigitizer export), N and events. This module reads
those inputs and words the record of them: every override, and every assumption the chain made
instead of a number it was not given, is one line in the run's result, console and report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from kmipd.errors import KmipdError
from kmipd.io import check_at_risk, check_curves, read_at_risk, read_curves
from kmipd.reconstruct.result import FROM_CENSOR_MARKS, FROM_N
from kmipd.validate.arms import find_arm
from kmipd.validate.checks import match_arm_names
from kmipd.validate.reported import Reported


def parse_names(names: str | Sequence[str] | None) -> list[str] | None:
    """The arm names of ``--names A,B`` (or ``names=["A", "B"]``) as a checked list.

    Raises
    ------
    KmipdError
        An empty name or a name given twice.
    """
    if names is None:
        return None
    items = names.split(",") if isinstance(names, str) else [str(n) for n in names]
    items = [" ".join(item.split()) for item in items]
    if not items or any(not item for item in items):
        raise KmipdError(f"--names needs one non-empty name per arm separated by commas (for example "
                         f"--names Sorafenib,Observation), got {','.join(items)!r}.")
    twice = [item for i, item in enumerate(items) if item in items[:i]]
    if twice:
        raise KmipdError(f"--names gives the name {twice[0]!r} twice; each arm needs its own name.")
    return items


def name_arms(arms: Sequence[str], names: Sequence[str] | None) -> dict[str, str]:
    """Old name -> new name of each arm, ``names`` given in the arms' order.

    Raises
    ------
    KmipdError
        When the number of names is not the number of arms.
    """
    if names is None:
        return {}
    if len(names) != len(arms):
        raise KmipdError(
            f"--names gives {len(names)} name(s) ({', '.join(names)}) but the curves have "
            f"{len(arms)} arm(s) ({', '.join(map(str, arms))}); give one name per arm, in that order "
            "(names= in Python).")
    return {str(old): new for old, new in zip(arms, names, strict=True) if str(old) != new}


def read_curves_input(curves: str | Path | pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, str]:
    """The curves the user gives instead of the digitized ones, and where they came from.

    Parameters
    ----------
    curves : path or DataFrame
        kmipd's curves CSV (``arm,time,survival``), a WebPlotDigitizer CSV export, or a table.
    notes : list of str
        Receives what was changed while reading (rescaled percent, clipped noise, ...).

    Returns
    -------
    curves : DataFrame
        ``arm, time, survival``.
    source : str
        One phrase for the record, e.g. ``"the WebPlotDigitizer export wpd.csv"``.
    """
    if isinstance(curves, pd.DataFrame):
        return check_curves(curves, "", notes), "a curves table given in Python"
    path = Path(curves)
    if not path.is_file():
        raise KmipdError(f"curves file {path} does not exist; check the path.")
    # imported here: the WebPlotDigitizer reader is needed only when a file is given
    from kmipd.wpd import looks_like_wpd, read_wpd_csv

    if looks_like_wpd(path):
        return read_wpd_csv(path, notes), f"the WebPlotDigitizer export {path}"
    return read_curves(path, notes), f"the curves file {path}"


def read_at_risk_input(at_risk: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The numbers at risk typed by the user (``arm,time,n_at_risk``) and where they came from."""
    if isinstance(at_risk, pd.DataFrame):
        return check_at_risk(at_risk), "a table given in Python"
    return read_at_risk(at_risk), str(at_risk)


def align_arms(frame: pd.DataFrame, arms: Sequence[str], what: str) -> pd.DataFrame:
    """``frame`` with its arm names spelled as in ``arms`` (matched ignoring case and spacing).

    Raises
    ------
    KmipdError
        An arm of ``frame`` that is none of ``arms``, naming both sides and the fix.
    """
    spelled = {}
    for name in dict.fromkeys(frame["arm"].astype(str)):
        match = find_arm(name, arms)
        if match is None:
            raise KmipdError(
                f"{what} names arm {name!r}, which is not an arm of the curves "
                f"({', '.join(map(repr, arms))}); rename it in the file, or name the curves' arms "
                "with --names (names= in Python).")
        spelled[name] = match
    return frame.assign(arm=frame["arm"].astype(str).map(spelled))


def same_arms(first: Sequence[str], second: Sequence[str]) -> bool:
    """Whether two lists name the same arms (ignoring case and spacing, in any order)."""
    return len(first) == len(second) and all(find_arm(a, second) is not None for a in first)


def override_lines(*, curves_source: str = "", at_risk_source: str = "", n: Mapping | None = None,
                   events: Mapping | None = None, median_follow_up: float | None = None,
                   digitize_options: Mapping | None = None) -> list[str]:
    """One line per value the user gave in place of the figure's reading (for the record).

    The arms' names (``--names``) are recorded once the arms they rename are known.
    """
    lines = []
    if curves_source:
        lines.append(f"curves from {curves_source}, used instead of the curves digitized from the figure")
    if at_risk_source:
        lines.append(f"numbers at risk typed by the user ({at_risk_source}), used instead of any table "
                     "read from the figure")
    for label, values in (("N", n), ("events", events)):
        if values:
            lines.append(f"{label} given by the user: " + ", ".join(f"{a} = {v}" for a, v in values.items()))
    if median_follow_up is not None:
        lines.append(f"median follow-up given by the user: {median_follow_up:g}")
    return lines + _axis_lines(digitize_options or {})


def _axis_lines(options: Mapping) -> list[str]:
    """The digitizer's readings the user overrode: axis ranges, number of arms, plot chosen."""
    lines = []
    for key, axis in (("x_range", "x"), ("y_range", "y")):
        if options.get(key) is not None:
            low, high = options[key]
            lines.append(f"{axis} axis range given by the user: {low:g} to {high:g} (--{axis}-range)")
    if options.get("n_arms") is not None:
        lines.append(f"number of arms given by the user: {options['n_arms']} (--arms)")
    if options.get("panel") is not None:
        lines.append(f"plot {options['panel']} of the figure chosen by the user (--figure)")
    return lines


def at_risk_assumptions(sources: Mapping[str, str], marks: pd.DataFrame | None) -> list[str]:
    """One line per arm whose numbers at risk were not printed but estimated from the curve.

    Parameters
    ----------
    sources : mapping of arm -> str
        Where each arm's numbers at risk came from (``Reconstruction.summary["at_risk_from"]``).
    marks : DataFrame or None
        The censor marks used as censoring times.
    """
    lines = []
    for arm, source in sources.items():
        if source == FROM_N:
            lines.append(f"{arm}: numbers at risk estimated from the curve, N only")
        elif source == FROM_CENSOR_MARKS:
            lines.append(f"{arm}: numbers at risk estimated from the curve and its censor marks, N only")
    if marks is not None and len(marks):
        counts = marks.groupby("arm", sort=False).size()
        lines.append("censor marks read from the figure used as censoring times ("
                     + ", ".join(f"{arm}: {k}" for arm, k in counts.items()) + ")")
    return lines


def failure_advice(stage: str, message: str, outdir: Path) -> list[str]:
    """What the user can do when ``stage`` stopped with ``message`` (shown in the report)."""
    text = message.lower()
    review = f"check the reading and correct it in the browser: kmipd review {outdir}"
    if stage == "digitize":
        advice = []
        if "axis" in text or "tick" in text:
            advice.append("give the axis ranges: --x-range A B (first and last x tick), --y-range 0 1 (or 0 100)")
        if "arm" in text or "curve" in text:
            advice.append("give the number of curves with --arms N")
        return advice + [
            "trace the curves with another tool (WebPlotDigitizer) and give its CSV export with --curves FILE",
            "type the numbers at risk with --at-risk FILE (arm,time,n_at_risk)"]
    if stage == "reconstruct":
        names = ["give one name per arm, in the order the message above lists the arms"] if "--names" in message else []
        return names + ["type the numbers at risk from the paper with --at-risk FILE (arm,time,n_at_risk), or give "
                "each arm's N with --n ARM=N",
                "name the arms in the figure's order with --names A,B when the legend was misread",
                review]
    return ["name the arms as the reported file does with --names A,B (in the figure's arm order), or map "
            "them in the reported file with ipd_arm = \"...\"", review]


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


def reported_counts(rep: Reported, arms: list[str], key: str) -> dict[str, int]:
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
