"""The arms' names: legend entries with their keys (:mod:`.keys`) or coloured text
(:mod:`.text`), else the risk table's row labels (:mod:`.table`); :mod:`.read` names the arms."""

from kmipd.digitize.legend.read import read_legend

__all__ = ["read_legend"]
