"""Correct a digitization by hand: ``kmipd review OUTDIR`` serves a page that shows the reading
over its figure, takes edits (axes, arms, points, censor marks, masks, names, the at-risk table,
N and events), rebuilds and validates after each, and saves the chain's files.

The page is served by :class:`ReviewServer` (local, offline); :class:`ReviewSession` does the
work and can be used from Python without a browser.
"""

from kmipd.review.server import ReviewServer, make_app
from kmipd.review.session import REVIEW_OUTPUTS, ReviewSession

__all__ = ["REVIEW_OUTPUTS", "ReviewServer", "ReviewSession", "make_app"]
