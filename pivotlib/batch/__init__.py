"""Batch layer: the briefing set, event sweeps and the executors that run many reports."""
