"""Presentation layer: narrative text, plotly charts, the views of each study and escaping."""
