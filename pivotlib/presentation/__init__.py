"""Presentation layer: narrative text (:mod:`.narrative`) and plotly charts (:mod:`.charts`)."""
