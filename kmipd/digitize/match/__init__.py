"""Pairing things with arms: a legend entry or a risk-table row goes to an arm by its name, its
colour, or its order (:mod:`.pairing`)."""
