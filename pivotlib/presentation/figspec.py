"""Figures as the dicts plotly serialises, and their display: :class:`Chart`, the house style.

The builders (:mod:`.charts`, :mod:`.robustness_charts`, ...) make each figure as the plain dict
``plotly.graph_objects.Figure.to_dict()`` would give (``{"data": [...], "layout": {...}}``, the
house template included): nothing is validated or deep-copied, and no plotly object is built
unless someone asks for ``chart.figure``. A :class:`Chart` writes that dict to JSON once per
display (sorted keys), and the div id, the HTML snippet (the bytes ``plotly.io.to_html``
writes) and the plotly MIME payload all come from that text. Tests compare every builder's
figure with the one the plotly-object builders made, and with plotly's own validation and HTML
(``tests/test_chart_serialisation.py``).

The helpers here (:func:`_figure`, :func:`_hline`, ...) write a piece of a figure exactly as
the plotly method it stands for would serialise it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["Chart", "HEIGHT", "HOUSE_TRACES", "PLOTLY_CONFIG", "SYNTHETIC_TAG", "figure_json",
           "house_style", "house_template", "house_template_dict", "label_synthetic",
           "plotly_div"]

SYNTHETIC_TAG = "SYNTHETIC DATA"
HEIGHT = 420
"""Default figure height (px)."""
PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}
"""The plotly.js config of every chart, in JupyterLab (plotly MIME bundle), the HTML export and
the explorer: no plotly logo in the mode bar, resize with the page."""


# ---------------------------------------------------------------------------------------------
# display wrappers
# ---------------------------------------------------------------------------------------------

class Chart:
    """A plotly figure with deterministic, offline-friendly rich display.

    The builders of this package make the figure as the plain dict plotly would serialise it
    (``{"data": [...], "layout": {...}}``, the house template included), so a chart shown
    once costs one JSON dump: no plotly object is built or validated. :attr:`figure` builds the
    ``plotly.graph_objects.Figure`` from that dict on first use; from then on the figure is
    what is shown (an analyst may change it). A chart may also wrap a ``Figure`` directly.

    Attributes
    ----------
    figure : plotly.graph_objects.Figure
    synthetic : bool
        Whether the figure was made from SYNTHETIC data (then it is labelled).
    """

    def __init__(self, figure: Any, synthetic: bool = False) -> None:
        self._spec: dict[str, Any] | None = figure if isinstance(figure, dict) else None
        self._figure: Any = None if isinstance(figure, dict) else figure
        self.synthetic = bool(synthetic)

    @property
    def figure(self) -> Any:
        """The ``plotly.graph_objects.Figure`` (built from the chart's dict on first use)."""
        if self._figure is None:
            import plotly.graph_objects as go

            self._figure = go.Figure(json.loads(figure_json(self.to_dict())[0]))
            self._spec = None  # the figure is the truth from now on
        return self._figure

    @figure.setter
    def figure(self, fig: Any) -> None:
        self._figure, self._spec = fig, None

    @property
    def title(self) -> str:
        """The figure title text ("" when none)."""
        if self._spec is not None:
            t = (self._spec.get("layout", {}).get("title") or {}).get("text")
        else:
            t = self.figure.layout.title.text
        return str(t) if t else ""

    def to_dict(self) -> dict[str, Any]:
        """The serialised figure (``data``, ``layout``) as plotly.js gets it (trace uids
        dropped, as ``Figure.to_json`` does). Do not change it: it may be the chart's own."""
        return self._spec if self._spec is not None else _serialised(self._figure)

    @staticmethod
    def _id(text: str) -> str:
        return "fig-" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def div_id(self) -> str:
        """Deterministic div id: a hash of the figure JSON (sorted keys: the same whether the
        figure is a builder's dict or a ``Figure``)."""
        return self._id(figure_json(self.to_dict())[0])

    def to_html(self) -> str:
        """The ``<div>`` + ``<script>`` snippet (plotly.js NOT included)."""
        fig = self.to_dict()
        parts = figure_json(fig)
        return plotly_div(fig, parts, div_id=self._id(parts[0]))

    @staticmethod
    def _mime(text: str) -> dict[str, Any]:
        fig = json.loads(text)
        fig["config"] = dict(PLOTLY_CONFIG)
        return fig

    def mime_json(self) -> dict[str, Any]:
        """The ``application/vnd.plotly.v1+json`` payload: data, layout and :data:`PLOTLY_CONFIG`
        (JupyterLab's plotly renderer reads ``config`` from it)."""
        return self._mime(figure_json(self.to_dict())[0])

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        fig = self.to_dict()
        parts = figure_json(fig)  # serialised once: div id, HTML and MIME payload
        return {
            "application/vnd.plotly.v1+json": self._mime(parts[0]),
            "text/html": plotly_div(fig, parts, div_id=self._id(parts[0])),
            "text/plain": f"<Chart: {self.title}>",
        }

    def __repr__(self) -> str:
        return f"<Chart: {self.title}>"


def _dumps(obj: Any) -> str:
    """Compact JSON with sorted keys, as plotly writes it (NaN and infinities as ``null``;
    numpy, pandas and dates through plotly's encoder, imported only then: the builders' dicts
    hold plain Python values, and importing the encoder costs a fresh kernel ~0.05 s)."""
    try:
        text = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    except TypeError:
        text = "NaN"
    if "NaN" in text or "Infinity" in text:  # maybe a number plotly.js cannot read
        from plotly.utils import PlotlyJSONEncoder

        text = json.dumps(obj, cls=PlotlyJSONEncoder, sort_keys=True, separators=(",", ":"))
    return text


_UNSAFE = (("<", "\\u003c"), (">", "\\u003e"), ("/", "\\u002f"))
"""What plotly escapes in the JSON it puts into a ``<script>`` (``plotly.io.to_html``)."""


def _safe(text: str) -> str:
    for ch, esc in _UNSAFE:
        if ch in text:
            text = text.replace(ch, esc)
    return text


def figure_json(fig: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """The JSON of a figure dict, written once: ``(whole, data, layout)``, the whole being
    ``{"data":<data>,"layout":<layout>}`` (sorted keys); ``data`` and ``layout`` are None for a
    figure with other keys (frames), whose whole text is :func:`_dumps`'s."""
    if set(fig) <= {"data", "layout"}:
        jdata, jlayout = _dumps(fig.get("data", [])), _dumps(fig.get("layout", {}))
        return f'{{"data":{jdata},"layout":{jlayout}}}', jdata, jlayout
    return _dumps(fig), None, None


def plotly_div(fig: Mapping[str, Any], parts: tuple[str, str | None, str | None], *,
               div_id: str) -> str:
    """``plotly.io.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id,
    default_width="100%", config=PLOTLY_CONFIG)``, the same bytes (tested), from the JSON
    :func:`figure_json` already wrote (not serialised again, and plotly's JSON machinery is not
    imported: ~0.08 s of a fresh kernel's first chart)."""
    text, jdata, jlayout = parts
    layout = fig.get("layout", {})
    if jdata is None or jlayout is None:  # frames or anything else: plotly's own writer
        import plotly.io as pio

        return pio.to_html(json.loads(text), validate=False, include_plotlyjs=False,
                           full_html=False, div_id=div_id, default_width="100%",
                           default_height=f"{int(layout.get('height') or HEIGHT)}px",
                           config=dict(PLOTLY_CONFIG))
    height = layout.get("height", (layout.get("template") or {}).get("layout", {}).get(
        "height", f"{HEIGHT}px"))
    if isinstance(height, int | float) and not isinstance(height, bool):
        height = f"{height}px"
    config = json.dumps(dict(PLOTLY_CONFIG))
    script = (f'                if (document.getElementById("{div_id}")) {{'
              f"                    Plotly.newPlot("
              f'                        "{div_id}",'
              f"                        {_safe(jdata)},"
              f"                        {_safe(jlayout)},"
              f"                        {config}"
              f"                    )"
              f"                }}")
    return (f'<div style="height:{height}; width:100%;">'
            f"                "
            f'            <div id="{div_id}" class="plotly-graph-div" '
            f'style="height:100%; width:100%;"></div>'
            f"            <script>"
            f"                window.PLOTLYENV=window.PLOTLYENV || {{}};"
            f"                {script};"
            f"            </script>"
            f"        </div>")


SYNTHETIC_NOTE: dict[str, Any] = {
    "bgcolor": "#b00020", "borderpad": 3, "font": {"color": "white", "size": 12},
    "showarrow": False, "text": "SYNTHETIC", "x": 1.0, "xanchor": "right", "xref": "paper",
    "y": 1.0, "yanchor": "bottom", "yref": "paper"}
"""The red corner annotation of a SYNTHETIC figure (as plotly serialises it)."""


def label_synthetic(fig: Any, synthetic: bool) -> Any:
    """Prefix the title with ``SYNTHETIC DATA -`` and add a red corner annotation.

    ``fig`` is a ``plotly.graph_objects.Figure`` or a serialised figure dict (changed in place
    and returned)."""
    if not synthetic:
        return fig
    if isinstance(fig, dict):
        lay = fig.setdefault("layout", {})
        title = (lay.get("title") or {}).get("text") or ""
        if not title.startswith(SYNTHETIC_TAG):
            lay["title"] = {**(lay.get("title") or {}),
                            "text": f"{SYNTHETIC_TAG} - {title}" if title else SYNTHETIC_TAG}
        lay["annotations"] = [*lay.get("annotations", []), copy.deepcopy(SYNTHETIC_NOTE)]
        return fig
    title = fig.layout.title.text or ""
    if not title.startswith(SYNTHETIC_TAG):
        fig.update_layout(title={"text": f"{SYNTHETIC_TAG} - {title}" if title else SYNTHETIC_TAG})
    fig.add_annotation(**SYNTHETIC_NOTE)
    return fig


HOUSE_TRACES = ("bar", "heatmap", "histogram", "scatter")
"""The trace types the suite draws (a test checks the presentation code uses no other)."""


@functools.lru_cache(maxsize=1)
def _house_template_text() -> str:
    """:func:`house_template` as JSON text (parsed afresh for every figure: no figure shares
    its template with another, and nothing is validated again)."""
    import pkgutil

    try:
        raw = json.loads(pkgutil.get_data("plotly", "package_data/templates/plotly_white.json")
                         or b"")
    except (OSError, ValueError, TypeError):
        import plotly.io as pio
        from plotly.io.json import to_json_plotly

        return to_json_plotly(pio.templates["plotly_white"].to_plotly_json())
    raw["data"] = {k: v for k, v in (raw.get("data") or {}).items() if k in HOUSE_TRACES}
    return json.dumps(raw)


def house_template_dict() -> dict[str, Any]:
    """A fresh copy of the house template (:func:`house_template`) as a serialised figure
    carries it in ``layout.template`` (a test checks it equals the validated template)."""
    return json.loads(_house_template_text())


@functools.lru_cache(maxsize=1)
def house_template() -> Any:
    """plotly's ``plotly_white`` template, with the trace defaults of :data:`HOUSE_TRACES` only.

    The named template carries defaults for every plotly trace type (about 50); validating it
    imports their ~260 modules, 0.15 s of every fresh kernel's first chart, and every figure
    embeds it. The same layout and the same defaults for the traces drawn here look the same
    and cost a fraction. Falls back to the named template if plotly's file moves. The
    builders put :func:`house_template_dict` into their figure dicts (no validation at all);
    this object is for figures an analyst builds (``template=charts.house_template()``).
    """
    import plotly.graph_objects as go

    return go.layout.Template(house_template_dict())


def _merge(dst: dict[str, Any], src: Mapping[str, Any]) -> dict[str, Any]:
    """``dst`` updated with ``src`` the way ``Figure.update_layout`` does: nested dicts merge,
    anything else replaces."""
    for k, v in src.items():
        if isinstance(v, Mapping) and isinstance(dst.get(k), dict):
            _merge(dst[k], v)
        else:
            dst[k] = copy.deepcopy(v) if isinstance(v, dict | list) else v
    return dst


def _serialised(fig: Any) -> dict[str, Any]:
    """A ``Figure`` as plotly.js gets it (``Figure.to_json``'s dict: trace uids dropped)."""
    d = fig.to_dict()
    for trace in d.get("data", []):
        trace.pop("uid", None)
    return d


def house_style(fig: Any, synthetic: bool, height: int = HEIGHT, left: int = 60, top: int = 70,
            legend: Mapping[str, Any] | None = None) -> Chart:
    """The house style (template, height, margins, legend below) and the SYNTHETIC label.

    ``fig`` is a figure dict as plotly serialises it (``{"data": [...], "layout": {...}}``,
    what the builders here make: shown without building a plotly object) or a ``Figure``
    (serialised once here). ``legend`` changes the default legend (below the plot)."""
    spec = fig if isinstance(fig, dict) else _serialised(fig)
    spec.setdefault("data", [])
    lay = spec.setdefault("layout", {})
    lay["template"] = house_template_dict()
    _merge(lay, {"height": height, "margin": {"l": left, "r": 30, "t": top, "b": 50},
                 "legend": {"orientation": "h", "yanchor": "bottom", "y": -0.3, "x": 0,
                            **(legend or {})}})
    label_synthetic(spec, synthetic)
    return Chart(spec, synthetic)


def _figure(data: list[dict[str, Any]], **layout: Any) -> dict[str, Any]:
    """A figure dict: traces (each with its ``type``) and layout, as plotly serialises them."""
    return {"data": data, "layout": layout}


def _t(text: Any) -> dict[str, Any]:
    """A title as plotly serialises it."""
    return {"text": text}


def _axis(ax: Mapping[str, Any]) -> dict[str, Any]:
    """An axis dict with its ``title`` string as plotly serialises it (``{"text": ...}``)."""
    out = dict(ax)
    if isinstance(out.get("title"), str):
        out["title"] = _t(out["title"])
    return out


def _hline(y: Any, line: Mapping[str, Any]) -> dict[str, Any]:
    """``Figure.add_hline(y, line=line)``'s shape (one plot, no subplots)."""
    return {"line": dict(line), "type": "line", "x0": 0, "x1": 1, "xref": "x domain",
            "y0": y, "y1": y, "yref": "y"}


def _vline(x: Any, line: Mapping[str, Any]) -> dict[str, Any]:
    """``Figure.add_vline(x, line=line)``'s shape (one plot, no subplots)."""
    return {"line": dict(line), "type": "line", "x0": x, "x1": x, "xref": "x",
            "y0": 0, "y1": 1, "yref": "y domain"}
