"""Studies layer: one typed, keyword-only entry point per notebook family. Each loads its data
through :mod:`pivotlib.data`, picks events through :mod:`pivotlib.events`, runs
:mod:`pivotlib.analytics` and returns a result object with ``.summary()``."""
