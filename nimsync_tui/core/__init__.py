"""The measurement core: histograms, the probe, log formats and the runner's wire protocol.

Plain Python and numpy: nothing here imports Trio or a UI toolkit, so the
recorder, the exports and the app all share one implementation of the maths
and the formats.
"""
