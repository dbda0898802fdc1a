"""The specification-curve chart (Simonsohn, Simmons and Nelson 2020, fig. 2): figures only.

Top panel: every specification's estimate, sorted, with its 95% interval; filled markers are
significant at 5%, the headline's own specification is a red diamond. Bottom panel: the
choices of each specification as a dot matrix (one row per choice value), so a reader sees
which choices push the estimate up or down. A ``small`` version (top panel only, shorter) goes
into the briefing. Builders take a :class:`pivotlib.analytics.robustness.SpecCurve` and return a
:class:`pivotlib.presentation.charts.Chart` (SYNTHETIC label when asked).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pivotlib.defaults import ALPHA
from pivotlib.presentation.charts import COLORS
from pivotlib.presentation.figspec import HEIGHT, Chart, _hline, _t
from pivotlib.presentation.figspec import house_style as _house_style
from pivotlib.presentation.narrative import Prose

__all__ = ["curve_line", "curve_table", "curve_view", "robustness_lines", "spec_curve",
           "two_panel_axes"]

HEADLINE_COLOR = "#d62728"


def _label(v: Any) -> str:
    if isinstance(v, tuple | list):
        return "[" + ", ".join(f"{x:+d}" if isinstance(x, int | np.integer) else str(x)
                               for x in v) + "]"
    return str(v)


def _num(v: Any) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


SPACING = 0.03
"""Vertical gap between the two panels (a fraction of the plot height)."""


def _clip01(v: float) -> float:
    return 0.0 if -0.01 < v < 0.0 else 1.0 if 1.0 < v < 1.01 else v


def two_panel_axes(top_px: float, bottom_px: float) -> dict[str, Any]:
    """The axes of ``make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.03,
    row_heights=[top_px, bottom_px])`` as plotly serialises them, computed the way plotly
    does (a test compares them with ``make_subplots``), without building a figure."""
    cum = float(top_px + bottom_px)
    h_top, h_bottom = ((1.0 - SPACING) * (h / cum) for h in (top_px, bottom_px))
    start = h_bottom + SPACING  # plotly: the rows' heights from the bottom, plus the gap
    return {
        "xaxis": {"anchor": "y", "domain": [0.0, 1.0], "matches": "x2", "showticklabels": False},
        "yaxis": {"anchor": "x", "domain": [_clip01(start), _clip01(start + h_top)]},
        "xaxis2": {"anchor": "y2", "domain": [0.0, 1.0]},
        "yaxis2": {"anchor": "x2", "domain": [0.0, _clip01(h_bottom)]},
    }


def spec_curve(curve: Any, *, synthetic: bool = False, small: bool = False,
               title: str | None = None, percent: bool | None = None) -> Chart:
    """The two-panel specification-curve chart (or its small briefing version).

    Parameters
    ----------
    curve : SpecCurve
        The curve (frame, choices, summary).
    synthetic : bool
        Label the chart SYNTHETIC.
    small : bool
        Top panel only, short (for the briefing).
    title : str, optional
        Default: the estimand and the verdict.
    percent : bool, optional
        Estimates are returns (percent axis); default the summary's ``percent``.

    Notes
    -----
    The figure is made as the dict plotly serialises (see :class:`Chart`): the same JSON as
    ``make_subplots`` plus ``add_trace``/``add_hline``/``update_*axes``, without validating it.
    """
    s = curve.summary()
    pct = bool(getattr(s, "percent", False)) if percent is None else percent
    f = curve.frame.reset_index(drop=True)
    flab = {c: f[c].map(_label).to_numpy(object) for c in curve.choices}  # labelled once
    kept = f[f["estimate"].notna()].sort_values("estimate", kind="mergesort")
    labs = {c: flab[c][kept.index.to_numpy()] for c in curve.choices}
    run = kept.reset_index(drop=True)
    x = list(range(1, len(run) + 1))
    choices = [c for c in curve.choices if len(set(flab[c])) > 1] or list(curve.choices)
    rows: list[tuple[str, str]] = []
    for c in choices:
        for v in dict.fromkeys(flab[c]):
            rows.append((c, v))
    title = title or f"Specification curve: {s.estimand} ({s.verdict})"
    top: dict[str, str] = {} if small else {"xaxis": "x", "yaxis": "y"}
    est = run["estimate"].to_numpy(float)
    sig = (run["p"] < ALPHA).to_numpy()
    err_hi = (run["ci_high"] - run["estimate"]).to_numpy(float)
    err_lo = (run["estimate"] - run["ci_low"]).to_numpy(float)
    hover = ["<br>".join(f"{c}: {labs[c][i]}" for c in curve.choices)
             + f"<br>p = {pv:.3f}" for i, pv in enumerate(run["p"].to_numpy(float))]
    data: list[dict[str, Any]] = []
    for flag, name, color in ((True, f"significant (p < {ALPHA:g})", COLORS[0]),
                              (False, "not significant", "#9e9e9e")):
        m = sig == flag
        if not m.any():
            continue
        on = np.flatnonzero(m)
        data.append({
            "error_y": {"array": err_hi[m].tolist(), "arrayminus": err_lo[m].tolist(),
                        "color": color, "symmetric": False, "thickness": 1, "type": "data",
                        "width": 0},
            "hovertemplate": "%{y}<br>%{text}<extra></extra>",
            "marker": {"color": color, "size": 5 if len(run) > 100 else 7,
                       "symbol": "circle" if flag else "circle-open"},
            "mode": "markers", "name": name, "text": [hover[i] for i in on], "type": "scatter",
            "x": [x[i] for i in on], "y": est[m].tolist(), **top})
    head = np.flatnonzero(run["is_headline"].to_numpy())
    if len(head):
        i = int(head[0])
        data.append({"hovertemplate": "headline: %{y}<extra></extra>",
                     "marker": {"color": HEADLINE_COLOR, "line": {"color": "white", "width": 1},
                                "size": 13, "symbol": "diamond"},
                     "mode": "markers", "name": "headline", "type": "scatter", "x": [x[i]],
                     "y": [float(est[i])], **top})
    shapes = [_hline(0, {"color": "#444", "width": 1})]
    annotations = []
    med = _num(s.median)
    if med is not None:
        shapes.append(_hline(med, {"color": COLORS[1], "dash": "dot", "width": 1}))
        annotations.append({"showarrow": False, "text": "median", "x": 0, "xanchor": "left",
                            "xref": "x domain", "y": med, "yanchor": "bottom", "yref": "y"})
    yfmt = {"tickformat": ".0%"} if pct else {}
    layout: dict[str, Any] = {"shapes": shapes, "showlegend": True, "title": _t(title)}
    if annotations:
        layout["annotations"] = annotations
    if small:
        layout["yaxis"] = {"title": _t("estimate"), **yfmt}
        layout["xaxis"] = {"title": _t(f"specification (sorted by estimate; {len(run)} ran)")}
    else:
        layout.update(two_panel_axes(330, 22 * len(rows)))
        layout["yaxis"].update({"title": _t("estimate (95% interval)"), **yfmt})
        labels = [f"{c}: {v}" for c, v in rows]
        # the dot matrix: one trace for every row's squares, one for the headline's diamonds
        dot_x: list[int] = []
        dot_y: list[str] = []
        head_x: list[int] = []
        head_y: list[str] = []
        for k, (c, v) in enumerate(rows):
            on = [x[i] for i in np.flatnonzero(labs[c] == v)]
            dot_x += on
            dot_y += [labels[k]] * len(on)
            if len(head) and labs[c][int(head[0])] == v:
                head_x.append(x[int(head[0])])
                head_y.append(labels[k])
        bottom = {"xaxis": "x2", "yaxis": "y2"}
        data.append({"hoverinfo": "skip", "marker": {"color": COLORS[0], "size": 4,
                                                     "symbol": "square"},
                     "mode": "markers", "showlegend": False, "type": "scatter", "x": dot_x,
                     "y": dot_y, **bottom})
        if head_x:
            data.append({"hoverinfo": "skip", "marker": {"color": HEADLINE_COLOR, "size": 7,
                                                         "symbol": "diamond"},
                         "mode": "markers", "showlegend": False, "type": "scatter",
                         "x": head_x, "y": head_y, **bottom})
        layout["yaxis2"].update({"categoryarray": labels[::-1], "categoryorder": "array",
                                 "range": [-0.5, len(labels) - 0.5], "showgrid": True,
                                 "tickfont": {"size": 10}, "tickmode": "array",
                                 "tickvals": labels})
        layout["xaxis2"]["title"] = _t(f"specification (sorted by estimate; {len(run)} of "
                                       f"{len(f)} ran)")
    height = 340 if small else max(HEIGHT + 120, 330 + 22 * len(rows) + 190)
    # legend above the panels (below, it would sit on the axis title or the dot matrix)
    return _house_style({"data": data, "layout": layout}, synthetic, height,
                        left=150 if not small else 60, legend={"y": 1.0})


def curve_line(curve: Any | None, *, label: str = "Robustness",
               why_missing: str = "") -> Prose:
    """The curve's one-line verdict as a briefing block (or why there is none)."""
    if curve is None:
        return Prose(title=label, paragraphs=[why_missing or "not assessed"], kind="note")
    s = curve.summary()
    return Prose(title=f"{label}: {s.verdict}", paragraphs=[s.line()],
                 kind="verdict" if s.verdict == "robust" else "caveat")


def curve_table(curve: Any) -> pd.DataFrame:
    """The curve frame with readable choice labels (for a table or a download)."""
    f = curve.frame.copy()
    for c in curve.choices:
        f[c] = f[c].map(_label)
    return f


def curve_view(curve: Any | None, *, synthetic: bool = False, small: bool = False,
               why_missing: str = "No specification curve: run with robustness = True.") -> Any:
    """:func:`spec_curve` when there is a curve, else a note saying why not."""
    if curve is None:
        return Prose(title="Specification curve", paragraphs=[why_missing], kind="note")
    return spec_curve(curve, synthetic=synthetic, small=small)


def robustness_lines(lines: Any, *, title: str = "Robust or fragile?") -> Prose:
    """One bullet per headline: ``label: line`` (``lines``: label -> (verdict, line))."""
    bullets = [f"**{label}**: {line}" for label, (_verdict, line) in dict(lines).items()]
    return Prose(title=title, paragraphs=[
        "Each headline number re-estimated under every reasonable change of method (a "
        "specification curve); the joint p tests the whole curve against curves computed "
        "where there is no effect."], bullets=bullets, kind="note")
