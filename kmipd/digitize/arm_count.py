"""How many arms: the tracing's count checked against the legend and the at-risk table.

The tracing takes the curves that look like arms; lines it doubts (a second curve of one ink, a
short or faint one) are left out with a warning. The legend and the table count the arms too:
a complete keyed legend that lists fewer lines than were traced leaves the unlisted ones out
(:func:`unlisted_arms_dropped`); a table with fewer rows than arms has the extra lines
dropped, one with more rows, where the tracing left curve-like lines out, asks for them back
(:func:`arms_the_table_asks_for`); so does a keyed legend with more entries than lines
traced (:func:`arms_the_legend_asks_for`). Where the legend and the table agree on fewer arms
than were traced, the legend's choice of lines is weighed against the tracing's
(:func:`legend_choice_stands`).
"""

from __future__ import annotations

from kmipd.digitize.curves.arm_choice import BLACK_LIMITS, MORE_LINES
from kmipd.digitize.legend.read import LegendReading
from kmipd.digitize.result import ArmTrace

#: The most arms a table's rows or a legend's entries may ask for.
MAX_ASKED_ARMS = 6
#: What the warning about lines a keyed legend does not list says (after their count).
NOT_LISTED = "traced line(s) the legend does not list were left out"


def arms_the_table_asks_for(n_found: int, table_rows: int | None, warnings: list[str]) -> int | None:
    """The number of arms to trace again with, or None to keep the reading.

    The at-risk table counts the arms: each row is an arm's counts.

    - Fewer rows than arms: a line taken for an arm is not one (a confidence limit, a median
      line, a piece of another arm); traced again, the longest lines are kept.
    - More rows, when the tracing or the legend left curve-like lines out: a row left over is
      an arm the tracing doubted (a dashed black curve taken for a confidence limit, a pale one
      for a shade) or the legend did not list (its key missed). Without such lines left out, a
      row left over is more likely a misread row than a missed arm.
    """
    if not table_rows or table_rows == n_found or table_rows > MAX_ASKED_ARMS:
        return None
    if table_rows > n_found and not any(MORE_LINES in w or NOT_LISTED in w or BLACK_LIMITS in w
                                        for w in warnings):
        return None
    return int(table_rows)


def arms_the_legend_asks_for(n_found: int, keyed_entries: int, table_rows: int | None = None
                             ) -> int | None:
    """The number of arms to trace again with when a legend of keys lists more entries than
    lines were traced (a pale or dotted arm the tracing took for a guide line), or None.

    With an at-risk table, only when its rows count the same arms: two counts that agree
    outweigh the tracing's doubts about a pale line (a table alone asks only for lines the
    tracing left out, :func:`arms_the_table_asks_for`).
    """
    if n_found < 1 or not n_found < keyed_entries <= MAX_ASKED_ARMS or \
            (table_rows and table_rows != keyed_entries):
        return None
    return int(keyed_entries)


def unlisted_arms_dropped(arms: list[ArmTrace], legend: LegendReading, warnings: list[str]
                          ) -> tuple[list[ArmTrace], LegendReading, int]:
    """The arms without the traced lines a complete keyed legend does not list.

    When the legend's keyed entries all name traced arms and more lines were traced, the others
    are most likely not arms: a piece of a curve in a paler shade, a confidence limit, a rule.
    A legend of one entry is not taken as complete (more likely read in part).

    Returns
    -------
    arms, legend
        The arms kept and their legend reading.
    left_out : int
        The lines left out. Each stays a doubt
        (:func:`kmipd.digitize.plausibility.check_arm_count`): a legend entry whose key was
        missed too (a pale yellow key) leaves a real arm unlisted, and a line left out may be a
        piece of an arm kept.
    """
    named = [i for i, n in enumerate(legend.names) if n]
    if legend.keyed_entries < 2 or len(named) != legend.keyed_entries or len(named) >= len(arms):
        return arms, legend, 0
    warnings.append(f"{len(arms) - len(named)} {NOT_LISTED} "
                    f"(its {len(named)} entries name the other lines); give the number of arms "
                    "(--arms N, n_arms= in Python) if the figure has more")
    return ([arms[i] for i in named], LegendReading([legend.names[i] for i in named], legend.keyed_entries),
            len(arms) - len(named))


def legend_choice_stands(legend_doubts: list[str], tracing_doubts: list[str], coloured: bool) -> bool:
    """Whether the arms a legend named among more lines traced stand against the lines the
    tracing ranks first (as many as the legend and the at-risk table count).

    The reading that contradicts itself less wins (doubt codes besides ``arm_count``, which
    both carry). The legend pairs keys with curves by colour, and a pale trace of a line over
    its own band takes another colour than its key; black and grey keys are paired by their
    dash patterns, which tell less: ties keep the legend's choice in a coloured figure
    (``coloured``), the tracing's in a black one.
    """
    def contradictions(codes: list[str]) -> int:
        return sum(c != "arm_count" for c in codes)

    mine, theirs = contradictions(legend_doubts), contradictions(tracing_doubts)
    return mine < theirs or (mine == theirs and coloured)
