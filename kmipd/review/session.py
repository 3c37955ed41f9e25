"""One review of a digitization folder: load it, rebuild the IPD from an edited state, save.

:class:`ReviewSession` is what the review page's server calls; it holds no browser logic, so
the same steps run from Python::

    session = ReviewSession("out/resort", reported="figures/resort/reported.toml")
    state = session.state                     # edit it (rename arms, fix a cell, ...)
    result = session.rebuild(state)           # the rebuilt KM and the validation table
    session.save(state)                       # curves.csv, at_risk.csv, ..., digitization.json
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from kmipd.errors import KmipdError
from kmipd.review.edits import describe_edits
from kmipd.review.state import arm_counts, axis_map, load_state, pixel_map, state_tables

REVIEW_OUTPUTS = ("curves.csv", "censor_marks.csv", "at_risk.csv", "digitization.json", "ipd.csv",
                  "validation.csv", "validation.json", "report.html")
"""Files :meth:`ReviewSession.save` writes (``at_risk.csv`` is removed when the table is)."""


class ReviewSession:
    """A digitization folder opened for correction.

    Parameters
    ----------
    outdir : str or Path
        Output folder of ``kmipd digitize`` or ``kmipd run``.
    reported : str, Path or None
        The paper's statistics (TOML); by default the file the folder's ``validation.json``
        names, when it can be found.
    figure : str, Path or None
        The figure; by default the ``source`` of ``digitization.json`` (as given, or beside the
        folder), else the folder's ``overlay.png``.

    Attributes
    ----------
    state : dict
        The reading as loaded (see :mod:`kmipd.review.state`).
    reported : Reported or None
    figure_png : bytes
        The figure as PNG, in the pixels the state's points refer to.
    edits : list of str
        Edits recorded by earlier reviews of this folder.
    """

    def __init__(self, outdir: str | Path, reported: str | Path | None = None,
                 figure: str | Path | None = None) -> None:
        from kmipd.validate import load_reported

        self.outdir = Path(outdir)
        self.state = load_state(self.outdir)
        self.meta = json.loads((self.outdir / "digitization.json").read_text(encoding="utf-8"))
        self.edits: list[str] = list(self.meta.get("review", {}).get("edits", []))
        path = Path(reported) if reported is not None else self._recorded_reported()
        self.reported = load_reported(path) if path is not None else None
        self.figure_png = self._figure_png(figure)
        self.figure_rgb = _decode_png(self.figure_png)

    def _recorded_reported(self) -> Path | None:
        record = self.outdir / "validation.json"
        if not record.is_file():
            return None
        name = json.loads(record.read_text(encoding="utf-8")).get("reported_file")
        return _find(name, self.outdir) if name else None

    def _figure_png(self, figure: str | Path | None) -> bytes:
        from kmipd.digitize.image.load import load_image
        from kmipd.digitize.result import _png_bytes

        shape = (self.state["image"]["height"], self.state["image"]["width"])
        path = Path(figure) if figure is not None else _find(self.meta.get("source"), self.outdir)
        if path is not None:
            image = _as_read(load_image(path, page=int(self.meta.get("page", 0))), shape)
            if image is not None:
                return _png_bytes(image)
            if figure is not None:
                raise KmipdError(f"{path} does not have the shape of the image that was "
                                 f"digitized ({shape[1]}x{shape[0]} px): give that figure.")
        overlay = self.outdir / "overlay.png"
        if overlay.is_file():
            return overlay.read_bytes()
        raise KmipdError(f"the figure of {self.outdir} ({self.meta.get('source')}) was not found: "
                         "give it with --figure PATH.")

    def rebuild(self, state: Mapping) -> dict:
        """Reconstruct (and validate) from ``state``; what the page draws and lists.

        Returns
        -------
        dict
            ``km``: per arm name, the rebuilt KM as a pixel polyline; ``arms``: per arm N,
            events, censored; ``validation``: rows of the comparison table (empty without a
            reported file); ``passed``: True/False/None; ``notes``: the reconstruction's notes;
            ``error``: None, or the one-line reason nothing could be rebuilt.
        """
        try:
            ipd, validation, notes = self._chain(state)
        except KmipdError as exc:
            return {"error": str(exc), "km": {}, "arms": [], "validation": [], "passed": None,
                    "notes": []}
        rows = [] if validation is None else _rows(validation.table)
        return {"error": None, "km": _km_pixels(ipd, state), "arms": _arm_rows(ipd),
                "validation": rows, "passed": None if validation is None else validation.passed,
                "notes": notes}

    def _chain(self, state: Mapping):
        from kmipd.pipeline import pair_arms
        from kmipd.reconstruct import reconstruct
        from kmipd.validate import validate

        tables = state_tables(state)
        marks = tables["censor_marks"] if len(tables["censor_marks"]) else None
        rebuilt = reconstruct(tables["curves"], at_risk=tables["at_risk"],
                              n=arm_counts(state, "n"), events=arm_counts(state, "events"),
                              censor_marks=marks)
        ipd, notes = rebuilt.ipd, list(rebuilt.notes)
        if self.reported is None:
            return ipd, None, notes
        arms = list(dict.fromkeys(ipd["arm"].astype(str)))
        renames, why = pair_arms(self.reported, arms, ipd.groupby("arm").size().to_dict())
        if renames:
            ipd = ipd.assign(arm=ipd["arm"].astype(str).replace(renames))
            notes += why
        return ipd, validate(ipd, self.reported), notes

    def save(self, state: Mapping) -> dict[str, Path]:
        """Write the corrected reading and its IPD as ``digitize`` and ``run`` would.

        ``digitization.json`` keeps what was read and records the review: the calibration and
        arms as corrected, and every edit in words (``review.edits``, earlier reviews'
        included).

        Returns
        -------
        dict of str -> Path
            The files written.

        Raises
        ------
        KmipdError
            When the state cannot be rebuilt (same reasons as :meth:`rebuild` gives).
        """
        from kmipd.io import write_table
        from kmipd.outputs import remove_outputs, write_text_atomic

        tables = state_tables(state)
        ipd, validation, notes = self._chain(state)
        new_edits = describe_edits(self.state, state)
        files = {"curves": write_table(tables["curves"], self.outdir / "curves.csv"),
                 "censor_marks": write_table(tables["censor_marks"], self.outdir / "censor_marks.csv")}
        if tables["at_risk"] is not None:
            files["at_risk"] = write_table(tables["at_risk"], self.outdir / "at_risk.csv")
        else:
            remove_outputs(self.outdir, ["at_risk.csv"])
        files["ipd"] = write_table(ipd, self.outdir / "ipd.csv")
        if validation is not None:
            paths = validation.to_folder(self.outdir)
            files["validation_csv"], files["validation_json"] = paths["csv"], paths["json"]
        meta = self._reviewed_meta(state, new_edits)
        files["json"] = write_text_atomic(self.outdir / "digitization.json",
                                          json.dumps(meta, indent=2))
        files["report"] = self._report(state, tables, ipd, validation, notes, meta, files)
        self.meta, self.edits, self.state = meta, meta["review"]["edits"], copy.deepcopy(dict(state))
        return files

    def _report(self, state, tables, ipd, validation, notes, meta, files) -> Path:
        """``report.html`` as ``run`` writes it, the review's edits listed as overrides."""
        from kmipd.run_report import reference_arm
        from kmipd.validate import write_report

        rep = self.reported
        overlay = self.outdir / "overlay.png"
        edits = meta["review"]["edits"]
        table_edited = any(e.startswith("at-risk") for e in edits)
        return write_report(
            self.outdir / "report.html", title=f"kmipd: {Path(str(meta.get('source'))).name} (reviewed)",
            figure=self.figure_rgb, overlay=overlay if overlay.is_file() else None,
            curves=tables["curves"], ipd=ipd, at_risk=tables["at_risk"], validation=validation,
            warnings={"reconstruct": notes}, files={k: v for k, v in files.items()},
            time_unit=rep.time_unit if rep is not None else "",
            colours={a["name"]: tuple(int(a["colour"][i:i + 2], 16) / 255 for i in (1, 3, 5))
                     for a in state["arms"]},
            reading=f"{meta.get('content', '')}; corrected by hand in kmipd review",
            overrides=[f"review: {e}" for e in edits],
            assumptions=[], reference=reference_arm(rep, ipd),
            at_risk_source="read from figure, corrected in review" if table_edited else "read from figure",
        )

    def _reviewed_meta(self, state: Mapping, new_edits: list[str]) -> dict:
        meta = copy.deepcopy(self.meta)
        for key, axis in (("x_axis", state["x_axis"]), ("y_axis", state["y_axis"])):
            to_value = axis_map(axis)
            offset = float(to_value(0.0))
            meta[key].update(scale=float(to_value(1.0)) - offset, offset=offset,
                             source=meta[key]["source"] if not _moved(self.state[key], axis)
                             else "review")
        meta["percent_axis"] = bool(state.get("percent"))
        old = {a["name"]: a for a in meta.get("arms", [])}
        meta["arms"] = [{**old.get(a["name"], {}), "name": a["name"],
                         "colour": [int(a["colour"][i:i + 2], 16) for i in (1, 3, 5)],
                         "points": len(a["points"]), "censor_marks": len(a.get("censor") or [])}
                        for a in state["arms"]]
        meta["at_risk_found"] = state.get("at_risk") is not None
        meta["review"] = {"edits": self.edits + new_edits, "masks": list(state.get("masks") or [])}
        return meta


def _as_read(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray | None:
    """``image`` in the pixels the digitizer worked in: as is, or shrunk as a large figure is
    (same aspect); None when it cannot be the image that was read."""
    import cv2

    if tuple(image.shape[:2]) == tuple(shape):
        return image
    ratio = image.shape[0] / image.shape[1], shape[0] / shape[1]
    if image.shape[1] > shape[1] and abs(ratio[0] - ratio[1]) < 0.01 * ratio[1]:
        return cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return None


def _decode_png(data: bytes) -> np.ndarray:
    import cv2

    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1].copy()


def _moved(old: Mapping, new: Mapping) -> bool:
    return not (np.allclose(old["pixels"], new["pixels"]) and np.allclose(old["values"], new["values"]))


def _find(name: str | None, outdir: Path) -> Path | None:
    """A file recorded by name: as given (absolute or from the working folder), else beside
    or inside ``outdir``."""
    if not name:
        return None
    for path in (Path(name), outdir / name, outdir.parent / name, outdir / Path(name).name):
        if path.is_file():
            return path
    return None


def _km_pixels(ipd: pd.DataFrame, state: Mapping) -> dict[str, list[list[float]]]:
    """Each arm's KM of the rebuilt IPD as a step polyline in the figure's pixels."""
    from lifelines import KaplanMeierFitter

    to_x, to_y = pixel_map(state["x_axis"]), pixel_map(state["y_axis"])
    y_unit = 100.0 if state.get("percent") else 1.0
    out = {}
    for arm, group in ipd.groupby("arm", sort=False):
        sf = KaplanMeierFitter().fit(group["time"], group["event"]).survival_function_.iloc[:, 0]
        t, s = sf.index.to_numpy(float), sf.to_numpy(float)
        xs = np.repeat(t, 2)[1:]
        ys = np.repeat(s, 2)[:-1]
        px, py = to_x(xs), to_y(ys * y_unit)
        out[str(arm)] = [[round(float(x), 1), round(float(y), 1)] for x, y in zip(px, py)]
    return out


def _arm_rows(ipd: pd.DataFrame) -> list[dict]:
    return [{"arm": str(arm), "n": int(len(g)), "events": int(g["event"].sum()),
             "censored": int(len(g) - g["event"].sum())} for arm, g in ipd.groupby("arm", sort=False)]


def _rows(table: pd.DataFrame) -> list[dict]:
    def plain(v):
        if isinstance(v, (float, np.floating)):
            return "NA" if np.isinf(v) else (None if np.isnan(v) else round(float(v), 4))
        return v.item() if isinstance(v, np.generic) else v

    cols = ["statistic", "arm", "reported", "reconstructed", "tolerance", "status"]
    return [{c: plain(row[c]) for c in cols} for _, row in table.iterrows()]
