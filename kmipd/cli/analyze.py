"""`kmipd analyze`: (being built; see the issue tracker)."""
