"""Plotly figure builders for the notebooks and HTML briefings.

Every builder returns a :class:`~pivotlib.presentation.figspec.Chart` (re-exported here), a
thin wrapper around a figure (``chart.figure``: a ``plotly.graph_objects.Figure``, built from
the figure dict on first use, see :mod:`.figspec`) whose rich display works in JupyterLab (plotly MIME type) *and* in the
offline HTML export (a ``<div>`` plus ``Plotly.newPlot`` call that expects plotly.js to be
loaded once per page by :func:`pivotlib.runner.export.export_html`). The ``div`` id is a hash of the
figure, so the same inputs give byte-identical HTML.

Every figure made from SYNTHETIC data says so: its title starts with ``SYNTHETIC DATA -`` and a
red ``SYNTHETIC`` annotation sits in the top-right corner. Builders read ``attrs["synthetic"]``
from the input frame, or take ``synthetic=`` explicitly.

The builders write figure dicts (:mod:`.figspec`); the few that still build plotly objects
import plotly inside, so ``import pivotlib.presentation.charts`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pivotlib.defaults import BITCOIN
from pivotlib.presentation.figspec import (
    HEIGHT,
    HOUSE_TRACES,
    PLOTLY_CONFIG,
    SYNTHETIC_TAG,
    Chart,
    _axis,
    _figure,
    _hline,
    _t,
    _vline,
    house_style,
    house_template,
    house_template_dict,
    label_synthetic,
)
from pivotlib.presentation.tables import Table, table  # the table style lives in .tables

__all__ = [
    "Chart",
    "HOUSE_TRACES",
    "PLOTLY_CONFIG",
    "SYNTHETIC_TAG",
    "house_template",
    "house_template_dict",
    "Table",
    "table",
    "is_synthetic",
    "event_day_axis",
    "label_synthetic",
    "normalised_prices",
    "price_with_event",
    "ar_bars",
    "car_path",
    "caar_path",
    "car_forest",
    "rolling_betas",
    "correlation_heatmap",
    "beta_arrows",
    "bar",
]

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
          "#17becf", "#7f7f7f", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39"]
BTC_COLOR = "#f7931a"
# ---------------------------------------------------------------------------------------------
# synthetic labelling
# ---------------------------------------------------------------------------------------------

def is_synthetic(*objs: Any) -> bool:
    """True if any of the given frames/results says it is SYNTHETIC (``attrs`` or attribute)."""
    for o in objs:
        if o is None:
            continue
        attrs = getattr(o, "attrs", None)
        if isinstance(attrs, Mapping) and attrs.get("synthetic"):
            return True
        if getattr(o, "synthetic", False) is True:
            return True
        meta = getattr(o, "meta", None)
        if isinstance(meta, Mapping) and meta.get("synthetic"):
            return True
    return False


def _syn(synthetic: bool | None, *objs: Any) -> bool:
    return bool(synthetic) if synthetic is not None else is_synthetic(*objs)


def _dates(idx: Any) -> list[str]:
    return list(pd.DatetimeIndex(idx).strftime("%Y-%m-%d"))


def event_day_axis(days: Sequence[Any], title: str = "event day") -> dict[str, Any]:
    """A plotly x axis of whole event days: ticks on integers only (a step of 1, 2, 5, 10, 20,
    ... chosen for about 5-20 ticks from ``tick0 = 0``), never at half days."""
    vals = [int(d) for d in days] or [0]
    span = max(vals) - min(vals)
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 10**9)
                if span / s <= 20)
    return {"title": title, "tickmode": "linear", "tick0": 0, "dtick": step,
            "tickformat": "d"}


def _vals(s: Any) -> list[float | None]:
    return [None if (v is None or not np.isfinite(v)) else float(v)
            for v in np.asarray(s, dtype=float)]


# ---------------------------------------------------------------------------------------------
# builders
# ---------------------------------------------------------------------------------------------

def normalised_prices(prices: pd.DataFrame, overlay: str | None = BITCOIN, *,
                      title: str = "Prices rebased to 100 at each symbol's first close",
                      synthetic: bool | None = None, log: bool = True) -> Chart:
    """Line chart of each column rebased to 100 at its first valid close, BTC highlighted.

    Parameters
    ----------
    prices : DataFrame
        Wide closes (index = sessions).
    overlay : str, optional
        Column drawn as a thick orange line on top (bitcoin by default).
    log : bool
        Log y axis (rebased prices of miners span orders of magnitude).
    """
    data = []
    cols = [c for c in prices.columns if c != overlay] + (
        [overlay] if overlay in prices.columns else [])
    for i, c in enumerate(cols):
        s = prices[c].dropna()
        if s.empty:
            continue
        reb = s / s.iloc[0] * 100.0
        is_ov = c == overlay
        data.append({"line": {"color": BTC_COLOR if is_ov else COLORS[i % len(COLORS)],
                              "width": 3.5 if is_ov else 1.4},
                     "mode": "lines", "name": str(c), "type": "scatter",
                     "x": _dates(reb.index), "y": _vals(reb)})
    fig = _figure(data, title=_t(title), yaxis={"title": _t("rebased (first = 100)"),
                                                 "type": "log" if log else "linear"})
    return house_style(fig, _syn(synthetic, prices), height=480)


AROUND_BEFORE = 365
AROUND_AFTER = 183
"""Calendar days the event price chart opens on, before and after the event."""


def price_with_event(prices: pd.Series, event_date: Any, *, window: Sequence[int] | None = None,
                     label: str = "event", title: str | None = None,
                     synthetic: bool | None = None) -> Chart:
    """Close price of one symbol with the event day marked (and the event window shaded)."""
    s = prices.dropna()
    ev = pd.Timestamp(event_date)
    evs = ev.strftime("%Y-%m-%d")
    shapes: list[dict[str, Any]] = [{"line": {"color": "#d62728", "dash": "dash"},
                                     "type": "line", "x0": evs, "x1": evs, "y0": 0, "y1": 1,
                                     "yref": "paper"}]
    if window is not None and len(s):
        pos = s.index.searchsorted(ev)
        lo = s.index[max(0, min(len(s) - 1, pos + int(window[0])))]
        hi = s.index[max(0, min(len(s) - 1, pos + int(window[1])))]
        shapes.append({"fillcolor": "#d62728", "line": {"width": 0}, "opacity": 0.12,
                       "type": "rect", "x0": lo.strftime("%Y-%m-%d"),
                       "x1": hi.strftime("%Y-%m-%d"), "xref": "x", "y0": 0, "y1": 1,
                       "yref": "y domain"})
    # open on the year before and the half year after the event (zoom out for the rest), with
    # the price axis fitted to what is shown
    lo_d, hi_d = ev - pd.Timedelta(days=AROUND_BEFORE), ev + pd.Timedelta(days=AROUND_AFTER)
    shown = s[(s.index >= lo_d) & (s.index <= hi_d)]
    xaxis: dict[str, Any] = {}
    yaxis: dict[str, Any] = {"title": _t("close")}
    if len(shown) > 1:
        xaxis["range"] = [max(lo_d, s.index[0]).strftime("%Y-%m-%d"),
                          min(hi_d, s.index[-1]).strftime("%Y-%m-%d")]
        pad = 0.05 * float(shown.max() - shown.min() or abs(shown.max()) or 1.0)
        yaxis["range"] = [float(shown.min()) - pad, float(shown.max()) + pad]
    fig = _figure(
        [{"line": {"color": COLORS[0]}, "mode": "lines", "name": str(prices.name),
          "type": "scatter", "x": _dates(s.index), "y": _vals(s)}],
        annotations=[{"bgcolor": "rgba(255,255,255,0.8)", "font": {"color": "#d62728"},
                      "showarrow": False, "text": label, "x": evs, "xanchor": "right",
                      "y": 0.98, "yanchor": "top", "yref": "paper"}],
        shapes=shapes, showlegend=False,
        title=_t(title or f"{prices.name} close with the event marked"), yaxis=yaxis)
    if xaxis:
        fig["layout"]["xaxis"] = xaxis
    return house_style(fig, _syn(synthetic, prices))


def ar_bars(ar: pd.Series, *, title: str = "Abnormal returns by event day",
            synthetic: bool | None = None, window: Sequence[int] | None = None) -> Chart:
    """Bars of abnormal returns indexed by event day (relative day on the x axis)."""
    x = [int(v) for v in ar.index]
    colors = ["#d62728" if (window is not None and window[0] <= d <= window[1]) else "#7f7f7f"
              for d in x]
    fig = _figure([{"marker": {"color": colors}, "name": "AR", "type": "bar", "x": x,
                    "y": _vals(ar * 100.0)}],
                  showlegend=False, title=_t(title), xaxis=_axis(event_day_axis(x)),
                  yaxis={"title": _t("abnormal return (%)")})
    return house_style(fig, _syn(synthetic, ar))


def car_path(car: pd.Series, lower: pd.Series | None = None, upper: pd.Series | None = None, *,
             title: str = "Cumulative abnormal return with 95% band",
             synthetic: bool | None = None, name: str = "CAR") -> Chart:
    """CAR (or CAAR) path by event day with an optional confidence band (fractions -> %)."""
    x = [int(v) for v in car.index]
    data = []
    if lower is not None and upper is not None:
        data.append({"fill": "toself", "fillcolor": "rgba(31,119,180,0.18)",
                     "hoverinfo": "skip", "line": {"width": 0}, "mode": "lines",
                     "name": "95% band", "type": "scatter", "x": x + x[::-1],
                     "y": _vals(upper * 100.0) + _vals(lower * 100.0)[::-1]})
    data.append({"line": {"color": COLORS[0], "width": 2.5}, "mode": "lines+markers",
                 "name": name, "type": "scatter", "x": x, "y": _vals(car * 100.0)})
    fig = _figure(data, shapes=[_hline(0, {"color": "#444", "width": 1}),
                                _vline(0, {"color": "#d62728", "dash": "dot", "width": 1})],
                  title=_t(title), xaxis=_axis(event_day_axis(x)),
                  yaxis={"title": _t(f"{name} (%)")})
    return house_style(fig, _syn(synthetic, car))


def caar_path(caar: pd.Series, lower: pd.Series | None = None, upper: pd.Series | None = None,
              *, title: str = "Average cumulative abnormal return (CAAR) with 95% band",
              synthetic: bool | None = None) -> Chart:
    """CAAR path across events (same drawing as :func:`car_path`)."""
    return car_path(caar, lower, upper, title=title, synthetic=synthetic, name="CAAR")


def car_forest(frame: pd.DataFrame, *, label: str = "event_id", car: str = "car",
               lower: str = "lower", upper: str = "upper",
               title: str = "CAR by event with 95% intervals",
               synthetic: bool | None = None) -> Chart:
    """Forest plot: one row per event, CAR point with its interval (fractions -> %)."""
    df = frame.sort_values(car)
    y = [str(v) for v in df[label]]
    c = df[car].to_numpy(dtype=float) * 100.0
    err_hi = df[upper].to_numpy(dtype=float) * 100.0 - c if upper in df else None
    err_lo = c - df[lower].to_numpy(dtype=float) * 100.0 if lower in df else None
    trace: dict[str, Any] = {"marker": {"color": COLORS[0], "size": 9}, "mode": "markers",
                             "name": "CAR", "type": "scatter", "x": _vals(c), "y": y}
    if err_hi is not None:
        trace["error_x"] = {"array": _vals(err_hi), "arrayminus": _vals(err_lo),
                            "symmetric": False, "type": "data"}
    fig = _figure([trace], shapes=[_vline(0, {"color": "#444", "width": 1})], showlegend=False,
                  title=_t(title), xaxis={"title": _t("CAR (%)")}, yaxis={"automargin": True})
    return house_style(fig, _syn(synthetic, frame), height=max(HEIGHT, 28 * len(df) + 140))


def rolling_betas(exposures: pd.DataFrame, *, columns: Sequence[str] | None = None,
                  events: pd.DataFrame | None = None, title: str = "Rolling betas",
                  synthetic: bool | None = None, names: Mapping[str, str] | None = None
                  ) -> Chart:
    """Rolling beta lines (columns ``beta_<factor>``) with event dates marked."""
    cols = list(columns or [c for c in exposures.columns if str(c).startswith("beta_")])
    data = []
    shapes = []
    for i, c in enumerate(cols):
        s = exposures[c].dropna()
        color = BTC_COLOR if "BTC" in str(c) else COLORS[i % len(COLORS)]
        data.append({"line": {"color": color, "width": 2}, "mode": "lines",
                     "name": (names or {}).get(c, str(c).replace("beta_", "beta ")),
                     "type": "scatter", "x": _dates(s.index), "y": _vals(s)})
    if events is not None and len(events):
        days = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in events["event_date"]]
        shapes = [{"line": {"color": "#888", "dash": "dot", "width": 1}, "type": "line",
                   "x0": d, "x1": d, "y0": 0, "y1": 1, "yref": "paper"} for d in days]
        data.append({"hoverinfo": "skip", "marker": {"color": "#888"}, "mode": "markers",
                     "name": "AI events (dotted)", "type": "scatter", "x": days,
                     "y": [None] * len(events)})
    fig = _figure(data, shapes=[*shapes, _hline(0, {"color": "#444", "width": 1})],
                  title=_t(title), yaxis={"title": _t("beta")})
    return house_style(fig, _syn(synthetic, exposures))


def correlation_heatmap(frame: pd.DataFrame, *, title: str = "Correlation by quarter",
                        synthetic: bool | None = None, zmin: float = -1.0,
                        zmax: float = 1.0) -> Chart:
    """Heatmap of a (rows x columns) table of correlations, annotated with values."""
    import plotly.graph_objects as go

    z = frame.to_numpy(dtype=float)
    text = [["" if not np.isfinite(v) else f"{v:.2f}" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=[[None if not np.isfinite(v) else float(v) for v in row] for row in z],
        x=[str(c) for c in frame.columns], y=[str(i) for i in frame.index], zmin=zmin,
        zmax=zmax, colorscale="RdBu", reversescale=True, text=text, texttemplate="%{text}",
        colorbar={"title": "corr"}))
    fig.update_layout(title={"text": title}, yaxis={"automargin": True})
    return house_style(fig, _syn(synthetic, frame), height=max(HEIGHT, 26 * len(frame) + 160))


def beta_arrows(frame: pd.DataFrame, *, label: str = "symbol", x0: str = "btc_beta_before",
                y0: str = "ai_beta_before", x1: str = "btc_beta_after",
                y1: str = "ai_beta_after", title: str = "Move from BTC beta to AI beta",
                xlabel: str = "BTC beta", ylabel: str = "AI beta",
                synthetic: bool | None = None) -> Chart:
    """Arrows from (BTC beta, AI beta) before to after, one per symbol."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (_, r) in enumerate(frame.iterrows()):
        col = COLORS[i % len(COLORS)]
        fig.add_trace(go.Scatter(x=[float(r[x0])], y=[float(r[y0])], mode="markers",
                                 marker={"color": col, "size": 8, "symbol": "circle-open"},
                                 name=f"{r[label]} before", showlegend=False))
        fig.add_trace(go.Scatter(x=[float(r[x1])], y=[float(r[y1])], mode="markers+text",
                                 marker={"color": col, "size": 10}, text=[str(r[label])],
                                 textposition="top center", name=str(r[label])))
        fig.add_annotation(x=float(r[x1]), y=float(r[y1]), ax=float(r[x0]), ay=float(r[y0]),
                           xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                           arrowhead=3, arrowsize=1.2, arrowwidth=2, arrowcolor=col, text="")
    fig.update_layout(title={"text": title}, xaxis={"title": xlabel + " (hollow = before)"},
                      yaxis={"title": ylabel})
    return house_style(fig, _syn(synthetic, frame), height=500)


def bar(series: pd.Series, *, title: str, ytitle: str = "", percent: bool = False,
        synthetic: bool | None = None, color: str | None = None) -> Chart:
    """Simple bar chart of a labelled series (``percent`` multiplies by 100)."""
    vals = series * 100.0 if percent else series
    fig = _figure([{"marker": {"color": color or COLORS[0]}, "type": "bar",
                    "x": [str(i) for i in series.index], "y": _vals(vals)}],
                  showlegend=False, title=_t(title), yaxis={"title": _t(ytitle)})
    return house_style(fig, _syn(synthetic, series))
