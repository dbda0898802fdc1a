"""Analytics layer: statistics on return frames (event studies, regimes). Frames in, result
objects out; no file paths, no notebooks, no presentation."""
