"""Plain data that the digitize stage produces, and how it is written to an output folder.

Pixel coordinates are image coordinates: x to the right, y downwards, origin at the top-left
pixel of the (rendered) input image.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PlotBox:
    """The plot area in pixels: the x axis line is at ``bottom``, the y axis line at ``left``."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class TickReading:
    """One axis tick: where it is (pixel along its axis), what OCR read, and the value used."""

    pixel: float
    text: str
    value: float | None
    used: bool = True


@dataclass
class AxisCalibration:
    """Linear pixel -> data mapping of one axis: ``value = offset + scale * pixel``."""

    scale: float
    offset: float
    ticks: list[TickReading] = field(default_factory=list)
    source: str = "ocr"  # "ocr", "override", or "assumed"
    residual: float = 0.0  # RMS of tick fit residuals, in pixels

    def to_data(self, pixel):
        return self.offset + self.scale * np.asarray(pixel, dtype=float)

    def to_pixel(self, value):
        return (np.asarray(value, dtype=float) - self.offset) / self.scale


@dataclass
class AxisMapping:
    """Both axes. ``y`` maps to survival as printed; ``percent`` says the axis is 0-100."""

    x: AxisCalibration
    y: AxisCalibration
    percent: bool = False

    def survival(self, y_pixel):
        """Survival as a fraction 0-1 at a y pixel."""
        s = self.y.to_data(y_pixel)
        return s / 100.0 if self.percent else s

    def time(self, x_pixel):
        return self.x.to_data(x_pixel)

    def y_pixel(self, survival_fraction):
        s = np.asarray(survival_fraction, dtype=float)
        return self.y.to_pixel(s * 100.0 if self.percent else s)


@dataclass(frozen=True)
class ArmTrace:
    """One arm's curve as found in pixels (frozen: a changed arm is a new one, made with
    :func:`dataclasses.replace`).

    ``steps_px`` is an (N, 2) array of (x, y) pixel points along the step curve, ordered by x,
    including the start of the curve at the left; ``censor_px`` the (M, 2) centres of censor marks.
    """

    colour: tuple[int, int, int]
    line_style: str  # "solid", "dashed", "dotted"
    steps_px: np.ndarray
    censor_px: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    confidence: float = 1.0
    name: str = ""
    #: Share of the line's clear stretches left blank by its dash pattern (0 solid, more for
    #: dashes, most for dots); NaN when not measured. Ranks black arms against their legend keys.
    gap_share: float = float("nan")
    #: Stretches where the line does not show, text covers it and its level falls across:
    #: ``(x_first, x_end, y_before, y_after)`` image pixels. Where it falls there was guessed.
    under_text: tuple[tuple[float, float, float, float], ...] = ()
    #: Share of the plot's width between the curves' common start and the first column where
    #: this arm's own line shows (0: from the start); the stretch before was taken to run
    #: under another curve.
    hidden_start: float = 0.0
    #: How far (0-255) the shade of a black or grey line changes between thirds of its trace
    #: (:func:`kmipd.digitize.curves.shade.shade_change`); NaN for coloured lines.
    shade_change: float = float("nan")
    #: The brightness (0 black - 255 white) of a black or grey line's own ink along its trace
    #: (:func:`kmipd.digitize.curves.shade.line_shade`); NaN for coloured lines. Ranks grey arms
    #: against their legend keys and table rows.
    shade: float = float("nan")


@dataclass(frozen=True)
class Doubt:
    """One reason to think a reading is wrong (:mod:`kmipd.digitize.plausibility` finds them).

    Attributes
    ----------
    arm : str or None
        The arm it is about, None for the whole reading.
    code : str
        What kind of doubt (``"ends_early"``, ``"drop_to_zero"``, ``"rises"``, ``"jump"``,
        ``"hops"``, ``"arm_count"``, ``"name"``, ``"calibration"``, ``"start"``, ``"stage"``,
        ``"table_curve"``, ``"table_unread"``, ``"table_order"``, ``"under_text"``, ``"shade"``,
        ``"band_overlap"``).
    message : str
        One line for the user.
    """

    arm: str | None
    code: str
    message: str

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        """``{"arm", "code", "message"}`` (as in ``digitization.json``)."""
        return {"arm": self.arm, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class Digitization:
    """Everything read from one figure, built once by :func:`kmipd.digitize.digitize` (frozen).

    Attributes
    ----------
    source : str
        The file read (``"<array>"`` for an image array).
    image_shape : (int, int)
        Height and width of the working image; pixel coordinates refer to it.
    box : PlotBox
        The plot area in pixels.
    mapping : AxisMapping
        Pixel -> time / survival, with every tick reading.
    arms : tuple of ArmTrace
        The arms as traced, named (legend first, else ``arm1``, ``arm2``, ...).
    curves : DataFrame
        ``arm, time, survival`` (survival a fraction 0-1).
    censor_marks : DataFrame
        ``arm, time, survival``.
    at_risk : DataFrame or None
        ``arm, time, n_at_risk`` when a number-at-risk table was read.
    at_risk_flags : tuple of dict
        Table cells repaired or flagged, each with its reason.
    legend : tuple of str
        The names read from the legend (``""`` where none).
    confidence : dict of str -> float
        Per part (``x_axis``, ``y_axis``, ``plot_box``, ``curves``) and ``overall``.
    warnings : tuple of str
        What went wrong or is doubtful.
    page : int
        Page of a PDF (or frame of a TIFF) read, from 0.
    content : str
        What was read and how: a raster image, or a PDF page's vector drawing and text
        (:mod:`kmipd.digitize.image.vector`).
    overlay : ndarray or None
        The check picture (RGB), when drawn.
    doubts : tuple of Doubt
        Why the reading may be wrong (:mod:`kmipd.digitize.plausibility`): each one makes it
        :attr:`unsure`.
    unsure : bool
        Any doubt.
    arm_confidence : dict of str -> float
        Each arm's tracing confidence lowered by the doubts on it (or on the whole reading).
    summary : DataFrame
        One row per arm: ``arm, colour, line_style, points, censor_marks, confidence`` (the
        confidence of :attr:`arm_confidence`).

    :meth:`format` (also ``str()``) is the text ``kmipd digitize`` prints, :meth:`to_dict` the
    content of ``digitization.json``, :meth:`to_folder` writes every file.
    """

    source: str
    image_shape: tuple[int, int]
    box: PlotBox
    mapping: AxisMapping
    arms: tuple[ArmTrace, ...]
    curves: pd.DataFrame  # arm,time,survival  (survival fraction)
    censor_marks: pd.DataFrame  # arm,time,survival
    at_risk: pd.DataFrame | None = None  # arm,time,n_at_risk
    at_risk_flags: tuple[dict, ...] = ()
    legend: tuple[str, ...] = ()
    confidence: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    overlay: np.ndarray | None = None  # RGB image
    doubts: tuple = ()  # of Doubt
    content: str = "raster image: read from its pixels"
    page: int = 0

    def __post_init__(self) -> None:
        # sequences given as lists are kept as tuples, so that the reading cannot change later
        for name in ("arms", "at_risk_flags", "legend", "warnings", "doubts"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "image_shape", tuple(self.image_shape))

    @property
    def unsure(self) -> bool:
        """True when any plausibility check doubts the reading (:attr:`doubts`)."""
        return bool(self.doubts)

    @property
    def arm_confidence(self) -> dict[str, float]:
        """Arm name -> its tracing confidence, halved by every doubt on it or on the whole reading
        (:func:`kmipd.digitize.plausibility.arm_confidence`)."""
        from kmipd.digitize.plausibility import arm_confidence

        return arm_confidence(self.arms, self.doubts)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per arm: ``arm, colour, line_style, points, censor_marks, confidence``
        (points and censor marks as traced, in pixels; confidence as in :attr:`arm_confidence`)."""
        conf = self.arm_confidence
        return pd.DataFrame(
            [{"arm": a.name, "colour": tuple(map(int, a.colour)), "line_style": a.line_style,
              "points": int(len(a.steps_px)), "censor_marks": int(len(a.censor_px)),
              "confidence": conf.get(a.name, float(a.confidence))} for a in self.arms],
            columns=["arm", "colour", "line_style", "points", "censor_marks", "confidence"],
        )

    def format(self) -> str:
        """What was read as text (what ``kmipd digitize`` prints): the plot box and axis ranges,
        each arm's curve points (in the curves table) and censor marks, the at-risk table, and
        last one loud ``UNSURE: ...`` line per doubt."""
        m, box = self.mapping, self.box
        x0, x1 = float(m.time(box.left)), float(m.time(box.right))
        unit = "%" if m.percent else ""
        lines = [f"read: {self.content}"]
        lines += [f"plot box {box.width}x{box.height} px; x {x0:.3g} to {x1:.3g} ({m.x.source}), "
                  f"y {float(m.y.to_data(box.bottom)):.3g}{unit} to {float(m.y.to_data(box.top)):.3g}{unit} "
                  f"({m.y.source})"]
        counts = self.curves.groupby("arm", sort=False).size()
        marks = self.censor_marks.groupby("arm", sort=False).size() if len(self.censor_marks) else {}
        lines.append(f"{len(self.arms)} arm(s):")
        lines += [f"  {arm.name}: {int(counts.get(arm.name, 0))} points, {int(marks.get(arm.name, 0))} "
                  f"censor marks, {arm.line_style} line" for arm in self.arms]
        if self.at_risk is not None:
            actions = Counter(str(f.get("action", "flagged")) for f in self.at_risk_flags)
            said = (f" ({', '.join(f'{n} {a}' for a, n in sorted(actions.items()))}: reasons in "
                    "digitization.json)" if actions else ", none flagged")
            lines.append(f"numbers at risk: {len(self.at_risk)} cells read{said}")
        else:
            lines.append("numbers at risk: no table read")
        lines += [f"UNSURE: {d.message}" for d in self.doubts]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()

    def to_dict(self) -> dict:
        """JSON-ready description (the content of ``digitization.json``)."""

        def axis(cal: AxisCalibration) -> dict:
            return {
                "scale": cal.scale, "offset": cal.offset, "source": cal.source,
                "residual_px": cal.residual, "ticks": [asdict(t) for t in cal.ticks],
            }

        conf = self.arm_confidence
        return {
            "source": self.source,
            "content": self.content,
            "page": self.page,
            "unsure": self.unsure,
            "doubts": [d.to_dict() for d in self.doubts],
            "image_shape": list(self.image_shape),
            "plot_box_px": asdict(self.box),
            "x_axis": axis(self.mapping.x),
            "y_axis": axis(self.mapping.y),
            "percent_axis": self.mapping.percent,
            "arms": [
                {"name": a.name, "colour": list(map(int, a.colour)), "line_style": a.line_style,
                 "points": int(len(a.steps_px)), "censor_marks": int(len(a.censor_px)),
                 "confidence": conf.get(a.name, a.confidence), "trace_confidence": a.confidence}
                for a in self.arms
            ],
            "legend": list(self.legend),
            "at_risk_found": self.at_risk is not None,
            "at_risk_flags": list(self.at_risk_flags),
            "confidence": self.confidence,
            "warnings": list(self.warnings),
        }

    def to_folder(self, outdir: str | Path) -> dict[str, Path]:
        """Write curves.csv, censor_marks.csv, at_risk.csv (when read), digitization.json, overlay.png.

        The files of :data:`DIGITIZE_OUTPUTS` that this reading does not write (``at_risk.csv``
        of an earlier figure that had a table, ``overlay.png`` without an overlay) are removed
        first, so the folder never mixes two readings. Each file is replaced in one step
        (:func:`kmipd.outputs.atomic_write`).

        Returns
        -------
        dict of str -> Path
            The files written, by name (``curves``, ``censor_marks``, ``at_risk``, ``json``,
            ``overlay``).
        """
        from kmipd.io import write_table
        from kmipd.outputs import make_folder, remove_outputs, write_bytes_atomic, write_text_atomic

        outdir = make_folder(outdir)
        stale = [name for name, unread in (("at_risk.csv", self.at_risk is None),
                                           ("overlay.png", self.overlay is None)) if unread]
        remove_outputs(outdir, stale)
        paths = {
            "curves": write_table(self.curves, outdir / "curves.csv"),
            "censor_marks": write_table(self.censor_marks, outdir / "censor_marks.csv"),
        }
        if self.at_risk is not None:
            paths["at_risk"] = write_table(self.at_risk, outdir / "at_risk.csv")
        paths["json"] = write_text_atomic(
            outdir / "digitization.json", json.dumps(self.to_dict(), indent=2, default=_json_default))
        if self.overlay is not None:
            paths["overlay"] = write_bytes_atomic(outdir / "overlay.png", _png_bytes(self.overlay))
        return paths


DIGITIZE_OUTPUTS = ("curves.csv", "censor_marks.csv", "at_risk.csv", "digitization.json", "overlay.png")
"""Every file :meth:`Digitization.to_folder` writes (or removes as stale) in its folder."""


def _png_bytes(rgb: np.ndarray) -> bytes:
    """An RGB image encoded as PNG (what ``cv2.imwrite`` would write)."""
    import cv2

    ok, png = cv2.imencode(".png", np.ascontiguousarray(rgb[:, :, ::-1]))
    if not ok:
        raise OSError("could not encode the overlay as PNG")
    return png.tobytes()


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
