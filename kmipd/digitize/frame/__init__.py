"""The plot's frame: plot box and tick marks (:mod:`.axes`, the ticks found by :mod:`.ticks`),
panels of a multi-panel figure (:mod:`.panels`), the tick labels (:mod:`.tick_labels`) and the
pixel -> data calibration of both axes (:mod:`.calibrate`; labels misread as eights in
:mod:`.label_digits`, axes through two labels checked by round steps in :mod:`.nice_ticks`)."""

from kmipd.digitize.frame.axes import find_plot_box, find_plot_boxes, find_ticks, pick_panel
from kmipd.digitize.frame.calibrate import Calibration, calibrate
from kmipd.digitize.frame.panels import panel_words, shared_words
from kmipd.digitize.frame.tick_labels import parse_number

__all__ = [
    "Calibration", "calibrate", "find_plot_box", "find_plot_boxes", "find_ticks", "panel_words",
    "parse_number", "pick_panel", "shared_words",
]
