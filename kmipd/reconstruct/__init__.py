"""Curves (+ numbers at risk) -> IPD with the Guyot et al. (2012) algorithm."""
