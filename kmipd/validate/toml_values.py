"""Reading TOML files and the typed values inside them, with one-line errors.

Shared by the reported-statistics file (:mod:`kmipd.validate.reported`) and the pooling
manifest: every helper names the file (``ctx``) and the key (``where``) in its message.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

from kmipd.errors import KmipdError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

NOT_REACHED = ("na", "nr", "ne", "n/a", "not reached", "not estimable", "not available", "inf")


def read_toml(path: Path, what: str) -> dict:
    """Parse a UTF-8 TOML file (a byte-order mark, as Windows editors write, is accepted).

    Raises
    ------
    KmipdError
        One line naming ``what`` and ``path`` when the file is not UTF-8 or not valid TOML.
    """
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise KmipdError(f"{what} {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
                         f"offset {exc.start}); save it as UTF-8.") from None
    except tomllib.TOMLDecodeError as exc:
        raise KmipdError(f"{what} {path} is not valid TOML ({exc}).") from None


def check_keys(table: dict, allowed: set[str], ctx: str, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise KmipdError(f"{ctx}: unknown key {unknown[0]!r} in {where}; "
                         f"allowed keys are {', '.join(sorted(allowed))}.")


def table_of(value: Any, ctx: str, where: str) -> dict:
    if not isinstance(value, dict):
        raise KmipdError(f"{ctx}: {where} must be a table, got {type(value).__name__} {value!r}.")
    return value


def number(value: Any, ctx: str, where: str) -> float:
    """A number, or inf for a not-reached marker such as "NA"."""
    if isinstance(value, bool):
        raise KmipdError(f"{ctx}: {where} must be a number, got {value!r}.")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in NOT_REACHED:
            return math.inf
        try:
            return float(text.rstrip("%"))
        except ValueError:
            pass
    raise KmipdError(f'{ctx}: {where} must be a number or "NA" (not reached), got {value!r}.')


def optional(table: dict, key: str, ctx: str, where: str) -> float | None:
    return number(table[key], ctx, f"{where} {key}") if key in table else None


def pair(value: Any, ctx: str, where: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise KmipdError(f'{ctx}: {where} must be a [lower, upper] pair such as [20, "NA"], got {value!r}.')
    lower, upper = (number(v, ctx, where) for v in value)
    if lower > upper:
        raise KmipdError(f"{ctx}: {where} lower bound {lower:g} is above the upper bound {upper:g}.")
    return lower, upper


def time_table(value: Any, ctx: str, where: str, pairs: bool = False) -> dict[float, Any]:
    """``{12 = 0.74, "12.5" = 0.7}`` -> ``{12.0: 0.74, 12.5: 0.7}``.

    An unquoted ``12.5 = ...`` is a dotted key in TOML and arrives as ``{"12": {"5": ...}}``;
    it is put back together rather than rejected, as that is plainly what was meant.
    """
    value = table_of(value, ctx, where)
    out = {}
    for key, item in value.items():
        if isinstance(item, dict) and len(item) == 1:
            (frac, item), = item.items()
            key = f"{key}.{frac}"
        try:
            t = float(key)
        except ValueError:
            raise KmipdError(f"{ctx}: {where} key {key!r} is not a time; write e.g. {{12 = 0.74}}.") from None
        if not math.isfinite(t) or t < 0:
            raise KmipdError(f"{ctx}: {where} time {key!r} must be a finite time >= 0.")
        if pairs:
            out[t] = pair(item, ctx, f"{where} {key}")
        else:
            out[t] = number(item, ctx, f"{where} {key}")
            if not math.isfinite(out[t]):
                raise KmipdError(f"{ctx}: {where} {key} must be a number, got {item!r}.")
    return dict(sorted(out.items()))


def survival_values(arm: dict) -> list[float]:
    """The raw landmark numbers of one arm table, for percent detection (bad values skipped)."""
    out = []

    def walk(item):
        if isinstance(item, dict):
            for v in item.values():
                walk(v)
        elif isinstance(item, list):
            for v in item:
                walk(v)
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            out.append(float(item))

    walk(arm.get("landmarks", {}))
    walk(arm.get("landmark_ci", {}))
    return out
