"""The charts' template: plotly_white's layout and the defaults of the trace types drawn."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.io as pio

from pivotlib.presentation import charts

PRESENTATION = Path(charts.__file__).parent


def test_house_template_is_plotly_white_for_the_traces_drawn():
    tpl = charts.house_template()
    white = pio.templates["plotly_white"]
    assert tpl.layout.to_plotly_json() == white.layout.to_plotly_json()
    for t in charts.HOUSE_TRACES:
        assert tpl.data[t] == white.data[t], t


def test_the_presentation_draws_only_the_house_trace_types():
    used = set()
    for f in [*PRESENTATION.glob("*.py"), Path(charts.__file__).parents[1] / "explorer.py"]:
        used |= {m.lower() for m in re.findall(r"\bgo\.([A-Z][A-Za-z]+)\(", f.read_text())}
    used -= {"figure"}
    assert used and used <= set(charts.HOUSE_TRACES), (
        f"add {sorted(used - set(charts.HOUSE_TRACES))} to charts.HOUSE_TRACES")
