"""Charts are built as the dicts plotly serialises and shown with one JSON dump: the same
figure as the plotly-object builders made, a real ``Figure`` on demand, one serialisation per
display, and nothing leaking into the analyst's own figures."""

from __future__ import annotations

import json
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import pytest
from chart_cases import cases, serialised

from pivotlib.presentation import charts, figspec
from pivotlib.presentation.robustness_charts import two_panel_axes

GOLDEN = json.loads((Path(__file__).parent / "fixtures" / "chart_figures.json").read_text())
CASES = cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_builder_serialises_the_figure_it_made_before(name):
    """The JSON plotly.js gets equals the one the builders made with plotly objects
    (``update_layout``, ``add_hline``, ``make_subplots``; written to the golden file before the
    change), the template aside: that one is the house template."""
    fig = serialised(CASES[name]())
    template = fig["layout"].pop("template")
    assert template == charts.house_template_dict()
    assert fig == GOLDEN["figures"][name]
    assert {t["type"] for t in fig["data"]} <= set(charts.HOUSE_TRACES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_figure_dict_is_what_plotly_serialises(name):
    """Validating the chart's dict as a plotly ``Figure`` changes nothing: ``chart.figure`` is
    a real Figure showing the same chart."""
    chart = CASES[name]()
    before = serialised(chart)
    assert isinstance(chart.figure, go.Figure)
    after = serialised(chart)  # now from the Figure
    assert after == before
    assert chart.title == chart.figure.layout.title.text


def test_house_template_dict_is_the_validated_template():
    from plotly.io.json import to_json_plotly

    tpl = charts.house_template()
    assert json.loads(to_json_plotly(tpl.to_plotly_json())) == charts.house_template_dict()
    a, b = charts.house_template_dict(), charts.house_template_dict()
    a["layout"]["font"] = {"size": 99}
    assert b != a  # every figure gets its own copy


def test_one_serialisation_per_display(monkeypatch):
    """The figure is written to JSON once per display (its data, its layout): the div id, the
    HTML and the MIME payload all come from that text."""
    chart = CASES["car_path"]()
    calls = []
    real = figspec._dumps

    def counting(obj):
        calls.append(type(obj).__name__)
        return real(obj)

    monkeypatch.setattr(figspec, "_dumps", counting)
    bundle = chart._repr_mimebundle_()
    assert calls == ["list", "dict"]
    mime = bundle["application/vnd.plotly.v1+json"]
    assert mime["config"] == charts.PLOTLY_CONFIG
    html = bundle["text/html"]
    assert f'id="{chart.div_id()}"' in html and '"displaylogo": false' in html
    assert html == chart.to_html() and mime == chart.mime_json()
    assert bundle == CASES["car_path"]()._repr_mimebundle_()  # same inputs, same bytes


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_html_is_plotlys_own(name):
    """The snippet is byte for byte what ``plotly.io.to_html`` writes for the same figure."""
    chart = CASES[name]()
    bundle = chart._repr_mimebundle_()
    fig = dict(bundle["application/vnd.plotly.v1+json"])
    fig.pop("config")
    h = fig["layout"].get("height") or charts.HEIGHT
    assert bundle["text/html"] == pio.to_html(
        fig, validate=False, include_plotlyjs=False, full_html=False, div_id=chart.div_id(),
        default_width="100%", default_height=f"{int(h)}px", config=dict(charts.PLOTLY_CONFIG))


def test_odd_values_are_written_as_plotly_writes_them():
    import numpy as np

    fig = {"data": [{"type": "scatter", "x": np.arange(3), "y": [1.0, float("nan"), 2.0],
                     "text": ["</script>", "a/b", "NaN"]}], "layout": {"height": 300}}
    chart = charts.Chart(fig)
    bundle = chart._repr_mimebundle_()
    data = bundle["application/vnd.plotly.v1+json"]["data"][0]
    assert data["x"] == [0, 1, 2] and data["y"] == [1.0, None, 2.0]
    assert "</script>" not in bundle["text/html"].replace("</script>        </div>", "")
    assert bundle["text/html"] == pio.to_html(
        json.loads(figspec.figure_json(fig)[0]), validate=False, include_plotlyjs=False,
        full_html=False, div_id=chart.div_id(), default_width="100%",
        config=dict(charts.PLOTLY_CONFIG))


def test_a_figure_changed_by_the_analyst_is_what_is_shown():
    chart = CASES["ar_bars"]()
    chart.figure.update_layout(title={"text": "mine"})
    shown = chart._repr_mimebundle_()
    assert shown["application/vnd.plotly.v1+json"]["layout"]["title"]["text"] == "mine"
    assert chart.title == "mine" and "mine" in shown["text/plain"]


def test_a_chart_of_a_figure_still_works():
    fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]))
    chart = charts.Chart(fig)
    assert chart.figure is fig
    assert chart.mime_json()["data"][0]["type"] == "bar"
    assert chart.div_id() == charts.Chart(go.Figure(go.Bar(x=[1, 2], y=[3, 4]))).div_id()


def test_the_house_template_does_not_leak_into_the_analysts_figures():
    default = pio.templates.default
    for make in CASES.values():
        make()._repr_mimebundle_()
    assert pio.templates.default == default
    assert go.Figure().layout.template == pio.templates[default]


@pytest.mark.parametrize("bottom", [1, 3, 8, 13, 22, 40])
def test_two_panel_axes_are_make_subplots(bottom):
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.03,
                        row_heights=[330, 22 * bottom])
    lay = fig.to_dict()["layout"]
    assert {k: lay[k] for k in ("xaxis", "yaxis", "xaxis2", "yaxis2")} == \
        two_panel_axes(330, 22 * bottom)


@pytest.mark.parametrize("name", ["price_with_event", "spec_curve"])
def test_the_html_is_the_same_before_and_after_the_figure_is_built(name):
    """Key order differs between a builder's dict and ``Figure.to_dict``: the serialisation
    sorts keys, so the div id and the HTML do not depend on whether ``.figure`` was used."""
    a, b = CASES[name](), CASES[name]()
    b.figure  # noqa: B018 -- build the Figure
    assert a._repr_mimebundle_() == b._repr_mimebundle_()


@pytest.mark.parametrize("index", [True, False])
def test_a_table_formats_its_cells_once_for_html_and_text(monkeypatch, index):
    import pandas as pd

    from pivotlib.presentation import tables

    frame = pd.DataFrame({"car": [0.0123, -0.2], "p_value": [0.0001, 0.2], "note": ["a", "b"]})
    t = tables.table(frame, caption="CARs", index=index)
    html, text = t._repr_html_(), repr(t)
    calls = []
    real = tables.Table._formatted
    monkeypatch.setattr(tables.Table, "_formatted", lambda self: calls.append(1) or real(self))
    assert t._repr_mimebundle_() == {"text/html": html, "text/plain": text}
    assert calls == [1]
    empty = tables.table(frame.iloc[:0], caption="none", index=False)
    assert empty._repr_mimebundle_() == {"text/html": empty._repr_html_(),
                                         "text/plain": repr(empty)}
