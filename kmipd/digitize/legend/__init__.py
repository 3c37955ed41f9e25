"""The arms' names: legend entries (:mod:`.entries`) with their keys (:mod:`.keys`) or coloured
text (:mod:`.text`), the legend chosen among candidates (:mod:`.pick`), labels at the curves' ends
(:mod:`.ends`), else the risk table's row labels (:mod:`.table`); :mod:`.read` names the arms."""

from kmipd.digitize.legend.read import read_legend

__all__ = ["read_legend"]
