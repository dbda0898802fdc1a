"""Plotly charts and plain-words headline of the Merge analysis (notebook 07): figures only.

Every builder takes a :mod:`pivotlib.analytics.merge` result (or the study report) and returns a
:class:`pivotlib.presentation.charts.Chart` (offline-friendly, SYNTHETIC label when asked), or a
:class:`~pivotlib.presentation.narrative.Prose` saying why there is no chart.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pivotlib.presentation.charts import COLORS, HEIGHT, Chart
from pivotlib.presentation.figspec import house_style as _house_style
from pivotlib.presentation.lifeboat_charts import cohort_arrows
from pivotlib.presentation.narrative import Prose

__all__ = ["MERGE_COLORS", "briefing_line", "car_paths", "ether_panel", "ether_arrows", "headline", "permutation_histogram",
           "rolling_cohort_betas"]

MERGE_COLORS = {"gpu": "#2ca02c", "bitcoin_only": "#f7931a", "": "#7f7f7f"}
_LABEL = {"gpu": "GPU / ether miners", "bitcoin_only": "bitcoin-only miners"}


def _missing(what: str, why: str) -> Prose:
    return Prose(paragraphs=[f"No {what}: {why}"], kind="note")


def ether_arrows(report: Any, *, title: str = "Ether beta (orthogonal to BTC) before -> after "
                 "the Merge") -> Chart | Prose:
    """One arrow per miner from its ether beta before the Merge to after; band = after 95 % CI."""
    a = report.analysis
    if a.ether is None:
        return _missing("ether-beta chart", "this dataset has no ETH-USD (see the notes)")
    t = a.ether.table.dropna(subset=["eth_change"]).copy()
    t["cohort"] = t["symbol"].map(a.cohorts).fillna("").to_numpy()
    t["label"] = t["symbol"]
    return cohort_arrows(t, prefix="eth", colors=MERGE_COLORS, synthetic=report.synthetic,
                         title=title, xtitle="ETH beta, BTC and market held fixed (hollow = "
                                             "before; band = after 95% CI)")


def _mark_dates(fig: Any, dates: dict[str, pd.Timestamp]) -> None:
    for key, lab in (("merge", "Merge"), ("chatgpt", "ChatGPT")):
        if key in dates:
            d = pd.Timestamp(dates[key]).strftime("%Y-%m-%d")
            fig.add_shape(type="line", x0=d, x1=d, y0=0, y1=1, yref="paper",
                          line={"color": "#444", "dash": "dot", "width": 1})
            fig.add_annotation(x=d, y=1, yref="paper", text=lab, showarrow=False,
                               yanchor="bottom", font={"size": 11})


def rolling_cohort_betas(report: Any, factor: str = "ETH", *, start: Any = "2021-06-01",
                         end: Any = "2024-06-30") -> Chart | Prose:
    """Rolling ``factor`` (``ETH`` or ``AI``) beta of each miner (thin) and the cohort means
    (thick), with the Merge and ChatGPT marked."""
    import plotly.graph_objects as go

    a = report.analysis
    r = a.rolling
    r = r[(r["factor"] == factor) & (r["date"] >= pd.Timestamp(start))
          & (r["date"] <= pd.Timestamp(end))]
    if r.empty:
        why = ("this dataset has no ETH-USD" if factor == "ETH" and a.ether is None
               else "too little history in the window")
        return _missing(f"rolling {factor} beta", why)
    fig = go.Figure()
    for s, g in r.groupby("symbol", sort=False):
        co = a.cohorts.get(s, "")
        fig.add_trace(go.Scatter(x=g["date"].dt.strftime("%Y-%m-%d").tolist(),
                                 y=g["beta"].round(4).tolist(), mode="lines", name=str(s),
                                 line={"color": MERGE_COLORS.get(co, "#7f7f7f"), "width": 1},
                                 opacity=0.35, legendgroup=co, showlegend=False))
    for co, g in r.groupby("cohort", sort=False):
        m = g.groupby("date")["beta"].mean()
        fig.add_trace(go.Scatter(x=m.index.strftime("%Y-%m-%d").tolist(),
                                 y=m.round(4).tolist(), mode="lines",
                                 name=f"{_LABEL.get(co, co)} (mean)",
                                 line={"color": MERGE_COLORS.get(co, "#7f7f7f"), "width": 3}))
    _mark_dates(fig, a.dates)
    fig.add_hline(y=0, line={"color": "#444", "width": 1})
    win = r.attrs.get("window", a.rolling.attrs.get("window", ""))
    what = "ETH (orthogonal to BTC)" if factor == "ETH" else f"AI ({report.ai}, orthogonal to SPY)"
    fig.update_layout(title={"text": f"Rolling {win}-session {what} beta"},
                      yaxis={"title": "beta"})
    return _house_style(fig, report.synthetic, HEIGHT, left=70)


def car_paths(report: Any, event: str = "merge") -> Chart | Prose:
    """CAR path of each GPU miner around ``event`` and the mean path of each cohort."""
    import plotly.graph_objects as go

    a = report.analysis
    p = a.cars.paths
    p = p[p["event"] == event]
    if p.empty:
        return _missing(f"{event} CAR chart", "no miner could be studied (see the notes)")
    fig = go.Figure()
    gpu = p[p["cohort"] == "gpu"]
    for i, (s, g) in enumerate(gpu.groupby("symbol", sort=False)):
        fig.add_trace(go.Scatter(x=g["rel_day"].tolist(), y=(g["car"] * 100).round(3).tolist(),
                                 mode="lines+markers", name=str(s),
                                 line={"color": COLORS[(i + 2) % len(COLORS)], "width": 1.5}))
    for co, g in p.groupby("cohort", sort=False):
        m = g.groupby("rel_day")["car"].mean()
        fig.add_trace(go.Scatter(x=m.index.tolist(), y=(m * 100).round(3).tolist(),
                                 mode="lines", name=f"{_LABEL.get(co, co)} CAAR",
                                 line={"color": MERGE_COLORS.get(co, "#7f7f7f"), "width": 4,
                                       "dash": "dash" if co == "bitcoin_only" else "solid"}))
    fig.add_hline(y=0, line={"color": "#444", "width": 1})
    day = pd.Timestamp(a.dates.get(event)).date() if event in a.dates else event
    fig.update_layout(title={"text": f"Cumulative abnormal return around {event} ({day}), "
                                     "market + BTC model"},
                      xaxis={"title": "event day", "dtick": 1}, yaxis={"title": "CAR (%)"})
    return _house_style(fig, report.synthetic, HEIGHT, left=70)


def permutation_histogram(contrast: Any, *, synthetic: bool = False) -> Chart | Prose:
    """The DiD of every cohort labeling (the exact randomisation distribution) with the
    observed DiD marked, its p and the floor."""
    import plotly.graph_objects as go

    if contrast is None or not len(contrast.null):
        return _missing("permutation distribution", "a cohort is empty or ether is missing")
    row = contrast.row
    fig = go.Figure(go.Histogram(x=np.round(contrast.null, 6).tolist(), nbinsx=40,
                                 marker={"color": "#9ecae1"}, name="all labelings"))
    fig.add_vline(x=float(contrast.observed), line={"color": "#d62728", "width": 3})
    fig.add_annotation(x=float(contrast.observed), y=1, yref="paper", showarrow=False,
                       yanchor="bottom", text=(f"observed {contrast.observed:+.2f}: p = "
                                               f"{row['perm_p']:.3f} (floor {row['p_floor']:.3f},"
                                               f" {int(row['n_labelings'])} labelings)"))
    fig.update_layout(title={"text": f"Randomisation distribution: {row['measure']}"},
                      xaxis={"title": "DiD (GPU mean - bitcoin-only mean)"},
                      yaxis={"title": "labelings"}, showlegend=False)
    return _house_style(fig, synthetic, HEIGHT, left=70)


def _fmt(v: Any, f: str = "+.2f") -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return "n/a"
    return format(v, f) if np.isfinite(v) else "n/a"


def headline(report: Any) -> Prose:
    """The answers in plain words, numbers from the report."""
    a = report.analysis
    bullets = []
    if a.ether is not None:
        t = a.ether.table.set_index("symbol")
        gpu = [s for s in t.index if a.cohorts.get(s) == "gpu" and np.isfinite(t.loc[s, "eth_change"])]
        per = "; ".join(f"{s} {_fmt(t.loc[s, 'eth_before'])} -> {_fmt(t.loc[s, 'eth_after'])} "
                        f"(change 95% CI {_fmt(t.loc[s, 'eth_low'])} to "
                        f"{_fmt(t.loc[s, 'eth_high'])})" for s in gpu)
        e = a.ether_did.row
        bullets.append(f"**Ether beta at the Merge**: {per or 'no GPU miner has both sides'}. "
                       f"DiD vs bitcoin-only miners {_fmt(e.get('did'))} (Welch 95% CI "
                       f"{_fmt(e.get('low'))} to {_fmt(e.get('high'))}), exact permutation p = "
                       f"{_fmt(e.get('perm_p'), '.3f')} over {_fmt(e.get('n_labelings'), '.0f')} "
                       f"labelings; the smallest p these cohort sizes allow is "
                       f"{_fmt(e.get('p_floor'), '.3f')}.")
    else:
        bullets.append("**Ether beta**: not measured - this dataset has no ETH-USD.")
    ct = a.cars.table
    for ev, lab in (("merge", "the Merge"), ("merge_fixed", "the day the date was fixed")):
        g = ct[(ct["event"] == ev) & (ct["cohort"] == "gpu")]
        b = ct[(ct["event"] == ev) & (ct["cohort"] == "bitcoin_only")]
        if len(g):
            gr = g.iloc[0]
            bullets.append(
                f"**CAR around {lab}** ({pd.Timestamp(gr['date']).date()}): GPU miners' CAAR "
                f"{_fmt(100 * gr['caar'], '+.1f')}% (n={int(gr['n'])}, KP-BMP p = "
                f"{_fmt(gr['p_kp_bmp_t'], '.2f')}, cross-sectional t p = "
                f"{_fmt(gr['p_cross_sectional_t'], '.2f')})"
                + (f", bitcoin-only {_fmt(100 * b.iloc[0]['caar'], '+.1f')}% (n="
                   f"{int(b.iloc[0]['n'])})" if len(b) else "") + ".")
    h = a.ai_did.row
    ht = a.handover.table.set_index("symbol")
    gpu_h = [s for s in ht.index if a.cohorts.get(s) == "gpu" and np.isfinite(ht.loc[s, "ai_change"])]
    bullets.append(
        f"**Hand-over to AI** ({report.ai}): "
        + "; ".join(f"{s} {_fmt(ht.loc[s, 'ai_pre_merge'])} before the Merge, "
                    f"{_fmt(ht.loc[s, 'ai_merge_to_chatgpt'])} Merge-to-ChatGPT, "
                    f"{_fmt(ht.loc[s, 'ai_post_chatgpt'])} after ChatGPT" for s in gpu_h)
        + f". DiD of the change vs bitcoin-only miners {_fmt(h.get('did'))} (95% CI "
          f"{_fmt(h.get('low'))} to {_fmt(h.get('high'))}), permutation p = "
          f"{_fmt(h.get('perm_p'), '.3f')}.")
    paras = []
    if report.synthetic:
        paras.append("SYNTHETIC demo data: these numbers show that the method finds the planted "
                     "Merge (see data/synthetic/MODEL.md), not how the stocks traded.")
    return Prose(title="The Merge: the answers", paragraphs=paras, bullets=bullets,
                 kind="verdict")


def briefing_line(report: Any) -> Prose | None:
    """The briefing's one Merge line (None - nothing shown - when the study could not run)."""
    if report is None:
        return None
    text = report.headline()
    if report.synthetic:
        text += " (SYNTHETIC demo: the planted Merge, not market history.)"
    return Prose(paragraphs=[f"**The Merge** (2022-09-15; notebook 07): {text}"], kind="verdict")


def ether_panel(prices: pd.DataFrame, *, eth: str = "ETH-USD", btc: str = "BTC-USD",
                window: int = 120) -> Chart | Prose:
    """Notebook 01's ether check: rolling correlation of session-aligned ETH and BTC returns
    (the Merge study's ether factor is ETH net of BTC), or a note when ether is missing."""
    import plotly.graph_objects as go

    from pivotlib.analytics.merge import rolling_correlation
    from pivotlib.presentation.charts import is_synthetic

    if eth not in prices.columns or btc not in prices.columns:
        return _missing("ether panel", f"{eth} or {btc} is not in this dataset (notebook 07 "
                        f"needs ether: `pivot data fetch {eth}` or a {eth}.csv file)")
    rets = prices[[eth, btc]].pct_change(fill_method=None)
    c = rolling_correlation(rets, eth, btc, window)
    full = rets.dropna().corr().iloc[0, 1]
    fig = go.Figure(go.Scatter(x=c.index.strftime("%Y-%m-%d").tolist(), y=c.round(4).tolist(),
                               mode="lines", line={"color": "#627eea", "width": 2},
                               name=f"{window}-session correlation"))
    fig.add_hline(y=float(full), line={"color": "#444", "dash": "dot"})
    fig.update_layout(title={"text": f"Ether vs bitcoin on NYSE sessions: rolling {window}-session "
                                     f"correlation (whole sample {full:.2f})"},
                      yaxis={"title": "correlation", "range": [-0.2, 1.0]}, showlegend=False)
    return _house_style(fig, is_synthetic(prices), HEIGHT, left=70)
