"""The number-at-risk table under the plot: its rows and the time of each cell (:mod:`.layout`,
:mod:`.transposed` for a table printed one column per arm), the rules its counts obey and the
repair of a row that breaks them (:mod:`.rules`), printed arm sizes (:mod:`.sizes`); :mod:`.read`
reads the table."""
