"""Arm names from a vector PDF page's legend: each key drawn in exactly its arm's stroke.

A legend key is a short horizontal line drawn with the arm's own colour, width and dash
pattern, its name the text right of it. On a vector page these are exact, so a key pairs with
its arm by equality, not by what the pixels suggest: grey shades and dash patterns that the
rendered page blurs (a dash-dot read as dashed, two greys a shade apart) pair without doubt.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.spatial import cKDTree

from kmipd.digitize.curves.vector import samples_along, staircase
from kmipd.digitize.image.vector import VectorPath
from kmipd.digitize.legend.entries import NUMBER
from kmipd.digitize.match.pairing import colour_distance
from kmipd.digitize.result import ArmTrace
from kmipd.digitize.text.ocr import OcrWord

#: Same colour: RGB distance at most this.
_SAME_COLOUR = 12.0
#: Same dash pattern: each on/off length within this many pixels.
_SAME_DASH_PX = 0.5
#: A key ends at most this many text heights left of its name's first word ...
_KEY_GAP_H = 2.5
#: ... and is between these many text heights long.
_KEY_LENGTH_H = (0.3, 8.0)
#: Words of one name are at most this many text heights apart.
_WORD_GAP_H = 1.2


def names_by_drawn_keys(arms: list[ArmTrace], paths: list[VectorPath], words: Sequence[OcrWord]
                        ) -> list[str] | None:
    """Each arm's name: the text right of the legend key drawn in its stroke.

    Parameters
    ----------
    arms : list of ArmTrace
        The arms, with their exact steps (from the drawing).
    paths : list of VectorPath
        The page's stroked paths.
    words : sequence of OcrWord
        The page's words (the figure's part of it).

    Returns
    -------
    list of str or None
        A name per arm, in the arms' order; None unless every arm (two or more) has exactly
        one key of its stroke with a name, and the names differ.
    """
    if len(arms) < 2:
        return None
    strokes = [arm_stroke(a, paths) for a in arms]
    if any(s is None for s in strokes):
        return None
    keys = [(k, name) for k in paths if (name := _name_right_of(k, words))]
    names = []
    for stroke in strokes:
        own = [(key, name) for key, name in keys if _same_stroke(key, stroke)]
        if len(own) > 1:  # a key of another width too (a table row's): the legend's is the line's width
            own = [(key, name) for key, name in own if abs(key.width - stroke.width) <= 0.3]
        own = [name for _, name in own]
        if len(own) != 1:
            return None
        names.append(own[0])
    return names if len(set(names)) == len(names) else None


def arm_stroke(arm: ArmTrace, paths: list[VectorPath]) -> VectorPath | None:
    """The path that draws ``arm``'s curve (nine tenths of it on the arm's steps), or None."""
    if len(arm.steps_px) < 2:
        return None
    tree = cKDTree(samples_along(staircase(arm.steps_px)))
    best, best_share = None, 0.0
    for path in paths:
        if len(path.points) < 3:
            continue
        share = float(np.mean(tree.query(samples_along(path.points))[0] <= 1.0))
        if share > best_share:
            best, best_share = path, share
    return best if best_share >= 0.9 else None


def _same_stroke(key: VectorPath, stroke: VectorPath) -> bool:
    if colour_distance(key.colour, stroke.colour) > _SAME_COLOUR or len(key.dash) != len(stroke.dash):
        return False
    return all(abs(a - b) <= _SAME_DASH_PX for a, b in zip(key.dash, stroke.dash))


def _name_right_of(key: VectorPath, words: Sequence[OcrWord]) -> str:
    """The text right of a short horizontal line, when the line is a legend key ("" if not)."""
    p = key.points
    if not 2 <= len(p) <= 3 or np.ptp(p[:, 1]) > 0.5:
        return ""
    right, y, length = float(p[:, 0].max()), float(p[:, 1].mean()), float(np.ptp(p[:, 0]))
    line = sorted((w for w in words if abs(w.cy - y) <= 0.6 * w.height and w.x0 >= right - 1.0),
                  key=lambda w: w.x0)
    if not line:
        return ""
    first = line[0]
    h = first.height
    if first.x0 - right > _KEY_GAP_H * h or not _KEY_LENGTH_H[0] * h <= length <= _KEY_LENGTH_H[1] * h \
            or NUMBER.match(first.text):
        return ""  # not beside text, or a table row's key (counts follow)
    name = [first]
    for w in line[1:]:
        if w.x0 - name[-1].x1 > _WORD_GAP_H * h:
            break
        name.append(w)
    return " ".join(w.text for w in name)

