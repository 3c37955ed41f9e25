"""Where the benchmarks find figures drawn by others, and their truth.

``../shared/r-figures`` (R: survminer, base graphics; ``index.json`` lists the folders, each
with ``truth.json``, ``curves.csv``, ``ipd.csv``, ``at_risk.csv``) and
``../shared/real-figures`` (``manifest.json``: published and tool-made figures with what is
known of each). Both are read in place, never copied into the project, and are simply absent
on machines that do not have them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

SHARED = Path(__file__).resolve().parents[2] / "shared"


def r_figures() -> list[tuple[str, Path, dict]]:
    """``(name, folder, truth)`` of every R-drawn figure."""
    base = SHARED / "r-figures"
    if not (base / "index.json").is_file():
        return []
    return [(name, base / name, json.loads((base / name / "truth.json").read_text()))
            for name in json.loads((base / "index.json").read_text())]


def real_entries() -> tuple[Path, list[dict]]:
    """The real-figures folder and its manifest entries (empty when absent)."""
    base = SHARED / "real-figures"
    if not (base / "manifest.json").is_file():
        return base, []
    return base, json.loads((base / "manifest.json").read_text())["entries"]


def real_ipd(base: Path, entry: dict) -> pd.DataFrame | None:
    """The entry's true IPD as ``arm,time,event`` (arms named as in the manifest), or None."""
    spec = entry["truth"].get("ipd")
    if not spec:
        return None
    raw = pd.read_csv(base / spec["path"])
    c = spec["columns"]
    arm = (raw[c["arm"]].astype(str).map({str(k): v for k, v in spec["arm_values"].items()})
           if c.get("arm") else entry["arms"][0])
    return pd.DataFrame({"arm": arm, "time": raw[c["time"]].astype(float),
                         "event": (raw[c["event"]] > 0).astype(int)}).dropna()


def panel_index(panel) -> int:
    """Manifest panel letter ("A", "B", ...) -> the digitizer's panel index (reading order)."""
    if panel is None:
        return 0
    return ord(str(panel).strip().upper()[0]) - ord("A") if str(panel).strip()[:1].isalpha() else int(panel)
