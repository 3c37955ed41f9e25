"""The studies to pool: IPD files or a TOML manifest, each study's two arms found and checked.

Manifest (TOML) -- paths are relative to the manifest's folder; top-level ``treatment`` /
``control`` are defaults for studies that do not set their own::

    treatment = "Drug"
    control = "Placebo"

    [[study]]
    name = "TRIAL-1"
    ipd = "trial1/ipd.csv"

    [[study]]
    name = "TRIAL-2"
    ipd = "trial2/ipd.csv"
    treatment = "Drug 10 mg"

Every value's type is checked (``ipd = 5`` is a one-line error naming the study and the key), a
byte-order mark is accepted, and arm names are matched ignoring case and spacing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kmipd.errors import KmipdError
from kmipd.io import check_ipd, read_ipd
from kmipd.validate.arms import check_follow_up, find_arm, quoted, shown
from kmipd.validate.toml_values import read_toml

STUDY_KEYS = {"name", "ipd", "treatment", "control"}
MANIFEST_KEYS = {"treatment", "control", "study"}

@dataclass
class Study:
    """One study to pool: its name, IPD (``arm, time, event``) and the two arms compared."""

    name: str
    ipd: pd.DataFrame
    treatment: str
    control: str


StudiesLike = str | Path | Sequence[Study | tuple[str, pd.DataFrame, str, str]]
"""A manifest path, or studies as :class:`Study` / ``(name, ipd, treatment, control)``."""


def read_manifest(path: str | Path, treatment: str | None = None, control: str | None = None) -> list[Study]:
    """Read a TOML manifest of studies (format in the module docstring).

    Parameters
    ----------
    path : str or pathlib.Path
        The manifest file (UTF-8; a byte-order mark is accepted).
    treatment, control : str, optional
        Arms used by studies that set none, when the manifest has no top-level default either.

    Returns
    -------
    list of Study

    Raises
    ------
    KmipdError
        One line naming the file, the study and the key: a missing file, invalid TOML, an unknown
        key, a value of the wrong type (``ipd = 5``), a missing ``ipd`` or arm.
    """
    path = Path(path)
    if not path.is_file():
        raise KmipdError(f"manifest {path} does not exist; check the path.")
    data = read_toml(path, "manifest")
    unknown = sorted(set(data) - MANIFEST_KEYS)
    if unknown:
        raise KmipdError(f"manifest {path}: unknown top-level key(s) {', '.join(map(repr, unknown))}; "
                         f"allowed: {', '.join(sorted(MANIFEST_KEYS))} (studies go in [[study]] tables).")
    entries = data.get("study", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries) or not entries:
        raise KmipdError(f"manifest {path} has no [[study]] tables; each study needs name, ipd, treatment, control.")
    defaults = {"treatment": _text(data, "treatment", f"manifest {path}", treatment),
                "control": _text(data, "control", f"manifest {path}", control)}
    return [_manifest_study(i, entry, path, defaults) for i, entry in enumerate(entries, start=1)]


def _manifest_study(i: int, entry: dict, path: Path, defaults: dict[str, str | None]) -> Study:
    """The ``i``-th ``[[study]]`` table of the manifest at ``path``, its types checked."""
    name = _text(entry, "name", f"study #{i} in {path}", f"study {i}")
    where = f"study {name!r} in {path}"
    unknown = sorted(set(entry) - STUDY_KEYS)
    if unknown:
        raise KmipdError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(STUDY_KEYS))}.")
    ipd = _text(entry, "ipd", where, None)
    if ipd is None:
        raise KmipdError(f"{where} has no ipd = \"path/to/ipd.csv\".")
    ipd_path = Path(ipd)
    ipd_path = ipd_path if ipd_path.is_absolute() else path.parent / ipd_path
    arms = {}
    for key, default in defaults.items():
        arms[key] = _text(entry, key, where, default)
        if arms[key] is None:
            raise KmipdError(f"{where} has no {key} arm; set {key} = \"ARM\" in the manifest (for "
                             f"every study, at its top), or give it (--{key} on the command line, "
                             f"{key}= in Python).")
    return Study(name, _read_study_ipd(name, ipd_path), arms["treatment"], arms["control"])


def _text(table: dict, key: str, where: str, default: str | None) -> str | None:
    """``table[key]`` as a non-empty string, else ``default`` when absent; a number or list is an error."""
    if key not in table:
        return default
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise KmipdError(f"{where}: {key} must be a non-empty text in quotes "
                         f"({key} = \"...\"), got {value!r}.")
    return value


def _read_study_ipd(name: str, path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise KmipdError(f"study {name!r}: IPD file {path} does not exist.")
    try:
        return read_ipd(path)
    except KmipdError as exc:
        raise KmipdError(f"study {name!r}: {exc}") from None


def studies_from_paths(paths: Sequence[str | Path], treatment: str, control: str) -> list[Study]:
    """Studies from IPD files sharing the same two arms, each named after its folder.

    The name is the folder holding the file (``STUDY1/ipd.csv`` -> ``STUDY1``); when folder names
    repeat, the file name without extension (``trials/a.csv`` -> ``a``); failing that, the path.
    """
    paths = [Path(p) for p in paths]
    for names in ([p.parent.name for p in paths], [p.stem for p in paths], [str(p) for p in paths]):
        if all(names) and len(set(names)) == len(names):
            break
    return [Study(n, _read_study_ipd(n, p), treatment, control) for n, p in zip(names, paths, strict=True)]


def as_studies(studies: StudiesLike) -> list[Study]:
    """A manifest path or a list of :class:`Study` / ``(name, ipd, treatment, control)`` as studies."""
    if isinstance(studies, (str, Path)):
        return read_manifest(studies)
    out = []
    for s in studies:
        if not isinstance(s, Study):
            if not isinstance(s, (tuple, list)) or len(s) != 4:
                raise KmipdError("each study must be a Study or a (name, ipd, treatment, control) "
                                 f"tuple, got {type(s).__name__} {str(s)[:60]!r}.")
            s = Study(str(s[0]), s[1], str(s[2]), str(s[3]))
        if not isinstance(s.ipd, pd.DataFrame):
            raise KmipdError(f"study {s.name!r}: its IPD must be a pandas DataFrame (arm, time, "
                             f"event), got {type(s.ipd).__name__}; read a CSV with kmipd.io.read_ipd.")
        out.append(s)
    return out


def two_arm(study: Study) -> pd.DataFrame:
    """The study's treatment and control patients with ``treat`` 1/0, after checking the arms.

    Arm names are matched ignoring case and spacing (:func:`kmipd.validate.arms.find_arm`).
    """
    try:
        ipd = check_ipd(study.ipd)
    except KmipdError as exc:
        raise KmipdError(f"study {study.name!r}: {exc}") from None
    arms = sorted(ipd["arm"].unique())
    found = {}
    for role, arm in (("treatment", study.treatment), ("control", study.control)):
        found[role] = find_arm(arm, arms)
        if found[role] is None:
            raise KmipdError(f"study {study.name!r}: {role} arm {shown(arm)} is not in its IPD; its arms are "
                             f"{quoted(arms)} (names are matched ignoring case and spacing).")
    if found["treatment"] == found["control"]:
        raise KmipdError(f"study {study.name!r}: treatment and control are the same arm {found['treatment']!r}.")
    for role, arm in found.items():
        if ipd.loc[ipd["arm"] == arm, "event"].sum() == 0:
            raise KmipdError(f"study {study.name!r}: {role} arm {arm!r} has no events, so its hazard ratio is not estimable.")
    check_follow_up(ipd, found.values(), where=f"study {study.name!r}: IPD")
    rows = ipd[ipd["arm"].isin(list(found.values()))]
    return pd.DataFrame({"study": study.name, "time": rows["time"].to_numpy(), "event": rows["event"].to_numpy(),
                         "treat": (rows["arm"] == found["treatment"]).astype(int).to_numpy()})
