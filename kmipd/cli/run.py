"""`kmipd run`: (being built; see the issue tracker)."""
