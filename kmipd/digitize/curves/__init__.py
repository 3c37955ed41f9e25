"""The curves inside the plot box: ink over paper (:mod:`.ink`), ink colours (:mod:`.colours`),
step segments and their chains (:mod:`.trace`, :mod:`.profile`), arms of one colour told apart
by line style (:mod:`.linestyle`, :mod:`.untangle`), which traced curves are arms
(:mod:`.arm_choice`), censor marks (:mod:`.censor`); :mod:`.arms` puts them together into the
arms."""

from kmipd.digitize.curves.arms import extract_arms
from kmipd.digitize.curves.censor import find_censor_marks

__all__ = ["extract_arms", "find_censor_marks"]
