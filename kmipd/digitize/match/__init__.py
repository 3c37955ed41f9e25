"""Pairing things with arms: a legend entry or a risk-table row goes to an arm by its name, its
colour, or its order (:mod:`.pairing`); the line sample keying it, its colour and line style
(:mod:`.keys`)."""

from kmipd.digitize.match.pairing import (
    arms_distinct_by_colour,
    assign_items,
    by_line_style,
    by_look,
    chroma,
    clean_name,
    colour_distance,
    ink_colour,
    match_to_arms,
    name_similarity,
    normalise_label,
    table_arm_name,
)

__all__ = [
    "arms_distinct_by_colour", "assign_items", "by_line_style", "by_look", "chroma", "clean_name", "colour_distance",
    "ink_colour", "match_to_arms", "name_similarity", "normalise_label", "table_arm_name",
]
