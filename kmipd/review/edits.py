"""The edits of a review in words, for ``digitization.json`` and the report.

Edits are found by comparing the state as loaded with the state as saved, so that what is
recorded is what changed, however the user got there (undoing an edit leaves no trace).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from kmipd.review.state import axis_map


def describe_edits(old: Mapping, new: Mapping) -> list[str]:
    """One line per change from ``old`` to ``new`` (two states of :mod:`kmipd.review.state`)."""
    lines = []
    for key, label in (("x_axis", "x axis"), ("y_axis", "y axis")):
        lines += _axis_edit(old, new, key, label)
    if bool(old.get("percent")) != bool(new.get("percent")):
        lines.append(f"y axis values read as {'percent' if new.get('percent') else 'fractions'}")
    lines += _arm_edits(old["arms"], new["arms"])
    lines += _table_edits(old, new)
    for x0, y0, x1, y1 in new.get("masks") or []:
        lines.append(f"masked the region x {min(x0, x1):.0f}-{max(x0, x1):.0f} px, "
                     f"y {min(y0, y1):.0f}-{max(y0, y1):.0f} px")
    return lines


def _axis_edit(old: Mapping, new: Mapping, key: str, label: str) -> list[str]:
    a, b = old[key], new[key]
    if np.allclose(a["pixels"], b["pixels"]) and np.allclose(a["values"], b["values"]):
        return []
    box = new["box"]
    ends = (box["left"], box["right"]) if key == "x_axis" else (box["bottom"], box["top"])
    before, after = axis_map(a)(np.asarray(ends)), axis_map(b)(np.asarray(ends))
    return [f"{label} recalibrated: {before[0]:.4g}-{before[1]:.4g} -> {after[0]:.4g}-{after[1]:.4g} "
            f"across the plot box (values {b['values'][0]:g}, {b['values'][1]:g} at px "
            f"{b['pixels'][0]:.1f}, {b['pixels'][1]:.1f})"]


def _arm_edits(old_arms: list, new_arms: list) -> list[str]:
    lines = []
    old_by_id = {a["id"]: a for a in old_arms}
    new_ids = {a["id"] for a in new_arms}
    for arm in old_arms:
        if arm["id"] not in new_ids:
            lines.append(f"deleted arm {arm['name']!r} ({len(arm['points'])} points)")
    for arm in new_arms:
        before = old_by_id.get(arm["id"])
        if before is None:
            lines.append(f"added arm {arm['name']!r} ({len(arm['points'])} points)")
            continue
        if before["name"] != arm["name"]:
            lines.append(f"renamed arm {before['name']!r} to {arm['name']!r}")
        for key, what in (("points", "curve points"), ("censor", "censor marks")):
            gone, added = _point_changes(before.get(key) or [], arm.get(key) or [])
            if gone or added:
                lines.append(f"arm {arm['name']!r}: {what} {gone} removed or moved, {added} added "
                             "or moved")
        for key in ("n", "events"):
            if arm.get(key) is not None and arm.get(key) != before.get(key):
                lines.append(f"arm {arm['name']!r}: {'N' if key == 'n' else 'events'} = {arm[key]} typed")
    return lines


def _point_changes(before: list, after: list) -> tuple[int, int]:
    """Points of ``before`` not in ``after`` and the other way round (to 0.05 px)."""
    a = {(round(x * 20), round(y * 20)) for x, y in before}
    b = {(round(x * 20), round(y * 20)) for x, y in after}
    return len(a - b), len(b - a)


def _table_edits(old: Mapping, new: Mapping) -> list[str]:
    a, b = old.get("at_risk"), new.get("at_risk")
    if a is None and b is None:
        return []
    if b is None:
        return ["at-risk table removed (N typed or estimated instead)"]
    if a is None:
        return [f"at-risk table typed at times {', '.join(f'{t:g}' for t in b['times'])}"]
    lines = []
    if [float(t) for t in a["times"]] != [float(t) for t in b["times"]]:
        lines.append("at-risk times changed: " + ", ".join(f"{t:g}" for t in a["times"])
                     + " -> " + ", ".join(f"{t:g}" for t in b["times"]))
    old_cells = _cells(old)
    for (arm_id, t), count in _cells(new).items():
        was = old_cells.get((arm_id, t))
        if was != count:
            name = next(arm["name"] for arm in new["arms"] if arm["id"] == arm_id)
            lines.append(f"at-risk cell {name} at {t:g}: {_text(was)} -> {_text(count)}")
    return lines


def _cells(state: Mapping) -> dict:
    table = state["at_risk"]
    return {(arm["id"], float(t)): c for arm, row in zip(state["arms"], table["rows"])
            for t, c in zip(table["times"], row)}


def _text(count) -> str:
    return "blank" if count is None else str(count)
