"""The reported-statistics file: what the paper says, in a small TOML schema, and its loader.

A reported file holds the numbers a paper prints next to its Kaplan-Meier figure (medians with
their confidence intervals, landmark survival, hazard ratio, p-values, ...), exactly as printed.
:func:`load_reported` turns it into a :class:`Reported` object and rejects anything it does not
understand with a one-line :class:`~kmipd.errors.KmipdError`, so that a typo in a key never
silently drops a check. The schema is documented in the README ("Reported statistics file").

Values are numbers, or the strings ``"NA"`` / ``"NR"`` / ``"not reached"`` / ``"NE"`` for a
median or CI bound that was not reached (held as ``math.inf``). A p-value may be written as
``"<0.001"`` (an upper bound).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from kmipd.errors import KmipdError
from kmipd.validate.toml_values import NOT_REACHED, read_toml  # noqa: F401  (NOT_REACHED: re-exported)
from kmipd.validate.toml_values import check_keys as _check_keys
from kmipd.validate.toml_values import number as _number
from kmipd.validate.toml_values import optional as _optional
from kmipd.validate.toml_values import pair as _pair
from kmipd.validate.toml_values import survival_values as _survival_values
from kmipd.validate.toml_values import table_of as _table
from kmipd.validate.toml_values import time_table as _time_table


@dataclass(frozen=True)
class Tolerances:
    """How far a statistic of the IPD may be from the reported value and still pass.

    Every tolerance is on the scale the statistic is compared on (see ``checks.py``).

    Attributes
    ----------
    n : float
        Absolute difference in the number of patients (an arm's N is known exactly from the
        at-risk table or the paper, so the default is 0).
    events_frac : float
        Events pass when ``|diff| <= max(1, events_frac * reported)``.
    landmark : float
        Absolute difference of survival fractions at a landmark time (0.025 = 2.5 points).
    landmark_ci : float
        The same for landmark confidence bounds; looser because papers use the "log" or "plain"
        Greenwood interval while lifelines uses the log(-log) one, which can differ by 2-4 points.
    median_frac : float
        Medians, their CI bounds and the median follow-up pass when ``|diff| <= median_frac *
        follow-up``, follow-up being the largest time in the IPD (a fixed fraction of the time
        axis, because a reconstruction is off by a few pixels of that axis, not by a fraction
        of the median).
    log_hr : float
        Absolute difference of log hazard ratios (0.1 is about 10% on the HR).
    log_hr_ci : float
        The same for the HR's confidence bounds.
    p_z : float
        p-values are compared as two-sided normal deviates ``z = Phi^-1(1 - p/2)``: the test
        statistic is what a reconstruction error moves, and it is on this scale that a small
        shift is small for p = 0.4 and p = 1e-6 alike. 0.25 lets p = 0.404 range over 0.28-0.56
        and p = 0.001 over 0.0005-0.002.
    """

    n: float = 0.0
    events_frac: float = 0.05
    landmark: float = 0.025
    landmark_ci: float = 0.05
    median_frac: float = 0.05
    log_hr: float = 0.1
    log_hr_ci: float = 0.1
    p_z: float = 0.25


DEFAULT_TOLERANCES = Tolerances()


@dataclass(frozen=True)
class ArmReport:
    """What the paper reports for one arm (``None`` = not reported, ``inf`` = not reached)."""

    name: str
    ipd_arm: str | None = None
    n: float | None = None
    events: float | None = None
    median: float | None = None
    median_ci: tuple[float, float] | None = None
    landmarks: dict[float, float] = field(default_factory=dict)  # time -> survival fraction
    landmark_ci: dict[float, tuple[float, float]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The name of this arm in the IPD."""
        return self.ipd_arm or self.name


@dataclass(frozen=True)
class PValue:
    """A reported p-value; ``upper_bound`` when printed as ``"<value"``."""

    value: float
    upper_bound: bool = False

    def __str__(self) -> str:
        return f"<{self.value:g}" if self.upper_bound else f"{self.value:g}"


@dataclass(frozen=True)
class ComparisonReport:
    """A reported two-arm comparison: ``arm`` against ``reference`` (HR = hazard of arm / reference)."""

    arm: str | None = None
    reference: str | None = None
    hr: float | None = None
    hr_ci: tuple[float, float] | None = None
    logrank_p: PValue | None = None
    cox_p: PValue | None = None
    p: PValue | None = None
    p_test: str = "logrank"


@dataclass(frozen=True)
class Reported:
    """A parsed reported-statistics file."""

    arms: dict[str, ArmReport]
    comparisons: list[ComparisonReport] = field(default_factory=list)
    time_unit: str = ""
    reference_arm: str | None = None
    confidence_level: float = 0.95
    n: float | None = None
    median_follow_up: float | None = None
    tolerance: Tolerances = DEFAULT_TOLERANCES
    source: dict[str, Any] = field(default_factory=dict)
    path: str = ""


_TOP_KEYS = {"source", "study", "arms", "comparison", "tolerance"}
_STUDY_KEYS = {"time_unit", "reference_arm", "survival_scale", "confidence_level", "n",
               "median_follow_up"}
_ARM_KEYS = {"ipd_arm", "n", "events", "median", "median_ci", "landmarks", "landmark_ci"}
_COMPARISON_KEYS = {"arm", "reference", "hr", "hr_ci", "logrank_p", "cox_p", "p", "p_test"}


def load_reported(reported: str | Path | dict | Reported) -> Reported:
    """Read a reported-statistics file (or an already parsed dict / :class:`Reported`).

    Parameters
    ----------
    reported : str, Path, dict or Reported
        Path to a TOML file, the dict such a file parses into, or a :class:`Reported` (returned
        as is).

    Returns
    -------
    Reported
        Survival fractions in [0, 1] (percent input detected and rescaled), ``inf`` for values
        not reached.

    Raises
    ------
    KmipdError
        When the file is missing, is not valid TOML, or does not follow the schema.
    """
    if isinstance(reported, Reported):
        return reported
    where = ""
    if isinstance(reported, dict):
        data = reported
    else:
        path = Path(reported)
        where = str(path)
        if not path.is_file():
            raise KmipdError(f"reported file {path} does not exist; check the path.")
        data = read_toml(path, "reported file")
    return _parse(data, where)


def _parse(data: dict, where: str) -> Reported:
    ctx = f"reported file {where}" if where else "reported statistics"
    _check_keys(data, _TOP_KEYS, ctx, "top level")
    study = _table(data.get("study", {}), ctx, "[study]")
    _check_keys(study, _STUDY_KEYS, ctx, "[study]")
    arms_raw = _table(data.get("arms", {}), ctx, "[arms]")

    scale = str(study.get("survival_scale", "")).lower()
    if scale not in ("", "percent", "fraction"):
        raise KmipdError(f'{ctx}: [study] survival_scale must be "percent" or "fraction", got {scale!r}.')
    if not scale:  # percent when any printed survival is above 1: fractions never are
        values = [v for arm in arms_raw.values() if isinstance(arm, dict)
                  for v in _survival_values(arm)]
        scale = "percent" if values and max(values) > 1.0 else "fraction"
    divisor = 100.0 if scale == "percent" else 1.0

    arms = {}
    for name, raw in arms_raw.items():
        arm_ctx = f'[arms."{name}"]'
        raw = _table(raw, ctx, arm_ctx)
        _check_keys(raw, _ARM_KEYS, ctx, arm_ctx)
        arms[str(name)] = _parse_arm(str(name), raw, divisor, ctx, arm_ctx)

    comp_raw = data.get("comparison", [])
    comp_list = comp_raw if isinstance(comp_raw, list) else [comp_raw]
    comparisons = []
    for i, raw in enumerate(comp_list):
        label = "[comparison]" if not isinstance(comp_raw, list) else f"[[comparison]] #{i + 1}"
        raw = _table(raw, ctx, label)
        _check_keys(raw, _COMPARISON_KEYS, ctx, label)
        comparisons.append(_parse_comparison(raw, ctx, label))

    tol_raw = _table(data.get("tolerance", {}), ctx, "[tolerance]")
    names = {f.name for f in fields(Tolerances)}
    _check_keys(tol_raw, names, ctx, "[tolerance]")
    tol = {}
    for key, value in tol_raw.items():
        number = _number(value, ctx, f"[tolerance] {key}")
        if not math.isfinite(number) or number < 0:
            raise KmipdError(f"{ctx}: [tolerance] {key} must be a number >= 0, got {value!r}.")
        tol[key] = number

    for key in ("n", "median_follow_up"):
        value = _optional(study, key, ctx, "[study]")
        if value is not None and not (math.isfinite(value) and value >= 0
                                      and (key == "n" or value > 0)):
            what = "a count >= 0" if key == "n" else "a time > 0"
            raise KmipdError(f"{ctx}: [study] {key} must be {what}, got {study[key]!r}.")
    level = _number(study.get("confidence_level", 0.95), ctx, "[study] confidence_level")
    if level > 1:  # written as 95
        level /= 100.0
    if not 0 < level < 1:
        raise KmipdError(f"{ctx}: [study] confidence_level must be in (0, 1), e.g. 0.95; got {level:g}.")
    return Reported(
        arms=arms,
        comparisons=comparisons,
        time_unit=str(study.get("time_unit", "")),
        reference_arm=str(study["reference_arm"]) if "reference_arm" in study else None,
        confidence_level=level,
        n=_optional(study, "n", ctx, "[study]"),
        median_follow_up=_optional(study, "median_follow_up", ctx, "[study]"),
        tolerance=replace(DEFAULT_TOLERANCES, **tol),
        source=dict(_table(data.get("source", {}), ctx, "[source]")),
        path=where,
    )


def _parse_arm(name: str, raw: dict, divisor: float, ctx: str, arm_ctx: str) -> ArmReport:
    landmarks = {t: v / divisor for t, v in _time_table(raw.get("landmarks", {}), ctx,
                                                         f"{arm_ctx} landmarks").items()}
    landmark_ci = {}
    for t, pair in _time_table(raw.get("landmark_ci", {}), ctx, f"{arm_ctx} landmark_ci",
                               pairs=True).items():
        landmark_ci[t] = (pair[0] / divisor, pair[1] / divisor)
    bounds = [(t, v, "survival") for t, v in landmarks.items()]
    bounds += [(t, v, "survival CI bound") for t, pair in landmark_ci.items() for v in pair]
    for t, v, what in bounds:
        if not 0.0 <= v <= 1.0:
            raise KmipdError(f"{ctx}: {arm_ctx} landmark {what} at {t:g} is {v * divisor:g}, "
                             "outside 0-1 (fraction) or 0-100 (percent).")
    counts = {key: _optional(raw, key, ctx, arm_ctx) for key in ("n", "events")}
    for key, value in counts.items():
        if value is not None and (not math.isfinite(value) or value < 0):
            raise KmipdError(f"{ctx}: {arm_ctx} {key} must be a count >= 0, got {raw[key]!r}.")
    if None not in counts.values() and counts["events"] > counts["n"]:
        raise KmipdError(f"{ctx}: {arm_ctx} events ({counts['events']:g}) exceed n "
                         f"({counts['n']:g}); check both numbers.")
    median = _optional(raw, "median", ctx, arm_ctx)
    median_ci = _pair(raw["median_ci"], ctx, f"{arm_ctx} median_ci") if "median_ci" in raw else None
    for value in [median, *(median_ci or ())]:
        if value is not None and value < 0:
            raise KmipdError(f'{ctx}: {arm_ctx} median and median_ci must be times >= 0 or "NA" '
                             f"(not reached), got {value:g}.")
    return ArmReport(
        name=name,
        ipd_arm=str(raw["ipd_arm"]) if "ipd_arm" in raw else None,
        n=counts["n"],
        events=counts["events"],
        median=median,
        median_ci=median_ci,
        landmarks=landmarks,
        landmark_ci=landmark_ci,
    )


def _parse_comparison(raw: dict, ctx: str, label: str) -> ComparisonReport:
    p_test = str(raw.get("p_test", "logrank")).lower().replace("-", "")
    if p_test not in ("logrank", "cox"):
        raise KmipdError(f'{ctx}: {label} p_test must be "logrank" or "cox", got {raw["p_test"]!r}.')
    hr = _optional(raw, "hr", ctx, label)
    bounds = raw["hr_ci"] if isinstance(raw.get("hr_ci"), list) else []
    for key, value in (("hr", hr), *(("hr_ci", _number(v, ctx, f"{label} hr_ci")) for v in bounds)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise KmipdError(f"{ctx}: {label} {key} must be a hazard ratio > 0 (a number; "
                             f'"NA" is not allowed here), got {raw[key]!r}.')
    hr_ci = _pair(raw["hr_ci"], ctx, f"{label} hr_ci") if "hr_ci" in raw else None
    return ComparisonReport(
        arm=str(raw["arm"]) if "arm" in raw else None,
        reference=str(raw["reference"]) if "reference" in raw else None,
        hr=hr,
        hr_ci=hr_ci,
        logrank_p=_p_value(raw, "logrank_p", ctx, label),
        cox_p=_p_value(raw, "cox_p", ctx, label),
        p=_p_value(raw, "p", ctx, label),
        p_test=p_test,
    )


def _p_value(table: dict, key: str, ctx: str, where: str) -> PValue | None:
    if key not in table:
        return None
    raw = table[key]
    bound = isinstance(raw, str) and raw.strip().startswith("<")
    value = _number(raw.strip().lstrip("<=").strip() if isinstance(raw, str) else raw, ctx, f"{where} {key}")
    if not 0.0 < value <= 1.0:
        raise KmipdError(f"{ctx}: {where} {key} must be a p-value in (0, 1], got {raw!r}.")
    return PValue(value, bound)
