"""Plain data that the digitize stage produces, and how it is written to an output folder.

Pixel coordinates are image coordinates: x to the right, y downwards, origin at the top-left
pixel of the (rendered) input image.
"""

from __future__ import annotations

import json
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


@dataclass
class ArmTrace:
    """One arm's curve as found in pixels.

    ``steps_px`` is an (N, 2) array of (x, y) pixel points along the step curve, ordered by x,
    including the start of the curve at the left; ``censor_px`` the (M, 2) centres of censor marks.
    """

    colour: tuple[int, int, int]
    line_style: str  # "solid", "dashed", "dotted"
    steps_px: np.ndarray
    censor_px: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    confidence: float = 1.0
    name: str = ""


@dataclass
class Digitization:
    """Everything read from one figure."""

    source: str
    image_shape: tuple[int, int]
    box: PlotBox
    mapping: AxisMapping
    arms: list[ArmTrace]
    curves: pd.DataFrame  # arm,time,survival  (survival fraction)
    censor_marks: pd.DataFrame  # arm,time,survival
    at_risk: pd.DataFrame | None = None  # arm,time,n_at_risk
    at_risk_flags: list[dict] = field(default_factory=list)
    legend: list[str] = field(default_factory=list)
    confidence: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    overlay: np.ndarray | None = None  # RGB image

    def summary(self) -> dict:
        """JSON-ready description (the content of ``digitization.json``)."""

        def axis(cal: AxisCalibration) -> dict:
            return {
                "scale": cal.scale, "offset": cal.offset, "source": cal.source,
                "residual_px": cal.residual, "ticks": [asdict(t) for t in cal.ticks],
            }

        return {
            "source": self.source,
            "image_shape": list(self.image_shape),
            "plot_box_px": asdict(self.box),
            "x_axis": axis(self.mapping.x),
            "y_axis": axis(self.mapping.y),
            "percent_axis": self.mapping.percent,
            "arms": [
                {"name": a.name, "colour": list(map(int, a.colour)), "line_style": a.line_style,
                 "points": int(len(a.steps_px)), "censor_marks": int(len(a.censor_px)),
                 "confidence": a.confidence}
                for a in self.arms
            ],
            "legend": self.legend,
            "at_risk_found": self.at_risk is not None,
            "at_risk_flags": self.at_risk_flags,
            "confidence": self.confidence,
            "warnings": self.warnings,
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
            outdir / "digitization.json", json.dumps(self.summary(), indent=2, default=_json_default))
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
