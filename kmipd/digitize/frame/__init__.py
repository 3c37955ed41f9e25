"""The plot's frame: plot box and tick marks (:mod:`.axes`), panels of a multi-panel figure
(:mod:`.panels`), and the pixel -> data calibration of both axes (:mod:`.calibrate`)."""
