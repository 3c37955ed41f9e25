"""`kmipd reconstruct`: (being built)."""
