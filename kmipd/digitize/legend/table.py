"""Name arms from the row labels of the number-at-risk table when the legend does not.

Journals often label the curves in the plot (no key) or print no legend at all; the risk table's
row labels then carry the names. A label is given to an arm only when that is unambiguous: the
table has one row per arm, each arm the legend named finds its own label among the rows (the most
similar one), and the rest go by elimination (one left) or by their colour (coloured labels,
coloured arms).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from kmipd.digitize.legend.text import capital_i
from kmipd.digitize.match.pairing import clean_name, ink_colour, match_to_arms, name_similarity
from kmipd.digitize.result import ArmTrace


def names_from_table(names: list[str], arms: list[ArmTrace],
                     labels: list[tuple[str, tuple[float, ...]]], image: np.ndarray) -> list[str]:
    """Fill the arms the legend left unnamed from the table's row labels.

    Parameters
    ----------
    names : list of str
        Names from the legend, one per arm (``''`` where unknown).
    arms : list of ArmTrace
    labels : list of (str, box)
        The table's row labels and their boxes (:func:`kmipd.digitize.table.layout.table_row_labels`).
    image : ndarray
        RGB figure (for the labels' colours).

    Returns
    -------
    list of str
        ``names`` with the unnamed arms filled where the labels tell which is which.
    """
    names = list(names)
    unnamed = [i for i, n in enumerate(names) if not n]
    if not unnamed or len(labels) != len(arms):
        return names
    # the rows of the named arms: each named arm takes its most similar label, one each
    known = [n for n in names if n]
    sim = np.array([[name_similarity(text, n) for n in known] for text, _ in labels])
    rows, cols = linear_sum_assignment(-sim)
    if any(sim[r, c] < 0.75 for r, c in zip(rows, cols)):
        return names  # a legend name that no row label repeats: the table tells nothing sure
    rest = [(capital_i(clean_name(text)), b) for i, (text, b) in enumerate(labels)
            if i not in set(rows.tolist())]
    rest = [(t, b) for t, b in rest if t]
    if len(rest) != len(unnamed):
        return names
    if len(rest) == 1:
        names[unnamed[0]] = rest[0][0]
        return names
    colours = [ink_colour(image, *b) for _, b in rest]
    assign, basis = match_to_arms([t for t, _ in rest], colours, [arms[i] for i in unnamed],
                                  [""] * len(unnamed))
    if basis == "colour":
        for (text, _), a in zip(rest, assign):
            if a is not None:
                names[unnamed[a]] = text
    return names
