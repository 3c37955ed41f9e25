"""`kmipd validate`: (being built; see the issue tracker)."""
