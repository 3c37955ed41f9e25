"""`kmipd digitize`: (being built; see the issue tracker)."""
