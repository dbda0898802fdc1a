"""Plotly charts of the lifeboat analysis (notebook 06): figures only, no analytics.

Every builder takes a :mod:`pivotlib.analytics.lifeboat` result and returns a
:class:`pivotlib.charts.Chart` (offline-friendly display, SYNTHETIC label when asked).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pivotlib.presentation.charts import HEIGHT, Chart, event_day_axis
from pivotlib.presentation.figspec import house_style as _house_style
from pivotlib.presentation.narrative import Prose

__all__ = ["COHORT_COLORS", "capture_table", "cohort_arrows", "downside_arrows", "persistence_paths",
           "spillover_heatmap"]

COHORT_COLORS = {"pivoter": "#1f77b4", "loyalist": "#f7931a", "": "#7f7f7f"}


def _finish(fig: Any, synthetic: bool, height: int = HEIGHT) -> Chart:
    return _house_style(fig, synthetic, height, left=70)


def _f(v: Any) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def downside_arrows(betas: Any, cohorts: pd.DataFrame, *, synthetic: bool = False,
                    title: str = "Downside BTC beta before -> after the split") -> Chart:
    """One horizontal arrow per miner from its downside beta before to after, with the after
    interval as a whisker; coloured by cohort, pivoters on top. ``betas`` None (no bitcoin
    series): one boxed line instead."""
    if betas is None:
        return _no_bitcoin("downside BTC betas")
    t = betas.table.dropna(subset=["down_change"]).copy()
    t["cohort"] = cohorts["cohort"].reindex(t["symbol"]).fillna("").to_numpy()
    t["label"] = [f"{r.symbol} ({pd.Timestamp(r.split_date).date()})" for r in t.itertuples()]
    return cohort_arrows(t, prefix="down", colors=COHORT_COLORS, synthetic=synthetic,
                         title=title, xtitle="BTC beta on BTC down days (hollow = before; band = "
                                             "after 95% CI)")


def cohort_arrows(t: pd.DataFrame, *, prefix: str, colors: dict[str, str], title: str,
                  xtitle: str, synthetic: bool = False) -> Chart:
    """Before -> after arrows, one row per firm, coloured by ``cohort``, whisker = after CI.

    ``t`` has ``symbol, label, cohort`` and ``<prefix>_before``, ``_after``, ``_after_low``,
    ``_after_high``, ``_change``, ``_low``, ``_high``, ``_p`` (the layout of
    :class:`~pivotlib.analytics.lifeboat.DownsideBetas` and the Merge's ether betas). Rows are
    sorted by cohort (descending) then change (descending).
    """
    import plotly.graph_objects as go

    c = {k: f"{prefix}_{k}" for k in ("before", "after", "after_low", "after_high", "change",
                                      "low", "high", "p")}
    t = t.sort_values(["cohort", c["change"]], ascending=[False, False])
    fig = go.Figure()
    shown: set[str] = set()
    for _, r in t.iterrows():
        col = colors.get(r["cohort"], "#7f7f7f")
        lab = r["label"]
        fig.add_trace(go.Scatter(x=[_f(r[c["after_low"]]), _f(r[c["after_high"]])],
                                 y=[lab, lab], mode="lines", line={"color": col, "width": 6},
                                 opacity=0.25, showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(
            x=[_f(r[c["before"]])], y=[lab], mode="markers", showlegend=False,
            marker={"color": col, "size": 10, "symbol": "circle-open"},
            hovertemplate=f"{r['symbol']} before: %{{x:.2f}}<extra></extra>"))
        fig.add_trace(go.Scatter(
            x=[_f(r[c["after"]])], y=[lab], mode="markers", name=r["cohort"] or "other",
            legendgroup=r["cohort"], showlegend=r["cohort"] not in shown,
            marker={"color": col, "size": 12},
            hovertemplate=(f"{r['symbol']} after: %{{x:.2f}}<br>change {r[c['change']]:+.2f} "
                           f"[{r[c['low']]:+.2f}, {r[c['high']]:+.2f}], p={r[c['p']]:.3f}"
                           "<extra></extra>")))
        shown.add(r["cohort"])
        fig.add_annotation(x=_f(r[c["after"]]), y=lab, ax=_f(r[c["before"]]), ay=lab, xref="x",
                           yref="y", axref="x", ayref="y", showarrow=True, arrowhead=3,
                           arrowwidth=2, arrowcolor=col, text="")
    fig.add_vline(x=0, line={"color": "#999", "dash": "dot"})
    fig.update_layout(title={"text": title}, xaxis={"title": xtitle},
                      yaxis={"autorange": "reversed"})
    return _finish(fig, synthetic, height=max(HEIGHT, 40 * len(t) + 150))


def capture_table(capture: Any, *, synthetic: bool = False,
                  title: str = "Each miner's move over each BTC crash") -> Chart:
    """Heat-table of episodes x miners: the miner's move over the BTC peak-to-trough window,
    cells outlined by phase (before/after the miner's split); blank = not listed. ``capture``
    None (no bitcoin series): one boxed line instead."""
    import plotly.graph_objects as go

    if capture is None:
        return _no_bitcoin("BTC crash episodes")
    w = capture.wide("miner_move")
    ph = capture.wide("phase")
    syms = [c for c in w.columns if c not in ("start", "trough", "btc_drawdown")]
    rows = [f"{pd.Timestamp(s).date()} -> {pd.Timestamp(t).date()} (BTC {d:+.0%})"
            for s, t, d in zip(w["start"], w["trough"], w["btc_drawdown"])]
    z = w[syms].to_numpy(float) * 100
    txt = [[("" if not np.isfinite(v) else f"{v:+.0f}%" + (" *" if p == "after" else ""))
            for v, p in zip(zr, pr)] for zr, pr in zip(z, ph[syms].to_numpy())]
    fig = go.Figure(go.Heatmap(z=z, x=syms, y=rows, text=txt, texttemplate="%{text}",
                               colorscale="RdBu", zmid=0, zmin=-100, zmax=100,
                               colorbar={"title": "move %"},
                               hovertemplate="%{x}, %{y}: %{z:.1f}%<extra></extra>"))
    # miner labels on both axes: with many episodes (about 40 on real data since 2014) the top
    # rows are read without scrolling down to the bottom axis (an invisible twin axis on top)
    fig.add_trace(go.Scatter(x=syms, y=[rows[0]] * len(syms) if rows else [], xaxis="x2",
                             mode="markers", marker={"opacity": 0}, showlegend=False,
                             hoverinfo="skip"))
    fig.update_layout(title={"text": title + " (* = after the miner's split)"},
                      yaxis={"autorange": "reversed", "automargin": True},
                      xaxis={"side": "bottom", "categoryorder": "array", "categoryarray": syms},
                      xaxis2={"overlaying": "x", "side": "top", "matches": "x",
                              "categoryorder": "array", "categoryarray": syms,
                              "showgrid": False})
    # a taller top margin: room for the top labels under the title
    return _house_style(fig, synthetic, max(HEIGHT, 26 * len(rows) + 200), left=70, top=110)


def persistence_paths(persistence: Any, *, measure: str = "CAR", synthetic: bool = False,
                      title: str | None = None) -> Chart:
    """Mean CAR (or BHAR) path from day 0 to the last horizon with its 95% band, against the
    factor model and the loyal-miner control portfolio; the mean day-0 move is marked."""
    import plotly.graph_objects as go

    p = persistence.paths
    fig = go.Figure()
    colors = {"model": "#1f77b4", "control": "#f7931a"}
    names = {"model": "vs market + BTC model", "control": "vs loyal-miner portfolio"}
    for bench in ("model", "control"):
        d = p[(p.benchmark == bench) & (p.measure == measure) & (p.n >= 2)]
        if d.empty:
            continue
        col = colors[bench]
        x = d["tau"].tolist()
        fig.add_trace(go.Scatter(x=x + x[::-1], y=list(d["high"] * 100) + list(d["low"][::-1] * 100),
                                 fill="toself", fillcolor=col, opacity=0.15, line={"width": 0},
                                 hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=x, y=d["mean"] * 100, mode="lines", line={"color": col},
                                 name=names[bench], customdata=d["n"],
                                 hovertemplate="day %{x}: %{y:.1f}% (n=%{customdata})"
                                               "<extra></extra>"))
    for h in persistence.horizons:
        fig.add_vline(x=h, line={"color": "#bbb", "dash": "dot"})
    fig.add_hline(y=0, line={"color": "#999"})
    fig.update_layout(title={"text": title or f"Mean {measure} after AI deals, day 0 to "
                             f"+{max(persistence.horizons)} (95% band; n falls as horizons run "
                             "past the data)"},
                      xaxis=event_day_axis([0, *persistence.horizons], "sessions after day 0"),
                      yaxis={"title": f"{measure} %"})
    return _finish(fig, synthetic)


def spillover_heatmap(spillover: Any, cohorts: pd.DataFrame, *, window: str = "day 0",
                      synthetic: bool = False, title: str | None = None) -> Chart:
    """Announcer x peer mean abnormal return (day 0 or [0,+1]); peers ordered pivoters first."""
    import plotly.graph_objects as go

    m = spillover.matrix if window == "day 0" else spillover.matrix01
    co = cohorts["cohort"]
    order = sorted(m.columns, key=lambda s: (co.get(s, "") != "pivoter", s))
    rows = sorted(m.index, key=lambda s: (co.get(s, "") != "pivoter", s))
    m = m.reindex(index=rows, columns=order)
    z = m.to_numpy(float) * 100
    lim = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    fig = go.Figure(go.Heatmap(
        z=z, x=[f"{s} ({co.get(s, '')[:3]})" for s in order],
        y=[f"{s} ({co.get(s, '')[:3]})" for s in rows], colorscale="RdBu", zmid=0,
        zmin=-lim, zmax=lim, text=[[("" if not np.isfinite(v) else f"{v:+.1f}") for v in r]
                                   for r in z], texttemplate="%{text}",
        colorbar={"title": "AR %"},
        hovertemplate="announcer %{y}, peer %{x}: %{z:.2f}%<extra></extra>"))
    fig.update_layout(title={"text": title or f"Peers' abnormal return on announcers' AI-deal "
                             f"days ({window}; red = fall, blue = rise)"},
                      xaxis={"title": "peer"}, yaxis={"title": "announcer", "autorange": "reversed"})
    return _finish(fig, synthetic, height=max(HEIGHT, 35 * len(rows) + 200))


def _pct(v: float) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:+.0%}"


def _no_bitcoin(what: str) -> Any:
    return Prose(paragraphs=[f"**No {what}: this dataset has no bitcoin series** (BTC-USD, nor "
                             "a spot ETF standing in); see the notes for how to get it."],
                 kind="caveat")


def headline(a: Any, *, synthetic: bool = False) -> Prose:
    """The three answers in plain words, numbers from the analysis ``a`` (LifeboatAnalysis)."""
    if a.did is None:  # no bitcoin series: persistence and spillover only
        did = pd.DataFrame([{"estimate": "actual", "n_pivoters": 0, "n_loyalists": 0}])
    else:
        did = a.did.table
    did = did.set_index("estimate")
    act = did.iloc[0]
    plc = did.iloc[-1] if len(did) > 2 else None
    fell: list[str] = []
    if a.betas is not None:
        b = a.betas.table.dropna(subset=["down_change"])
        piv = b[b["symbol"].map(a.cohorts["cohort"]) == "pivoter"]
        fell = piv[piv["down_high"] < 0]["symbol"].tolist()
    pt = a.persistence.table
    model_car = pt[(pt.benchmark == "model") & (pt.measure == "CAR")].set_index("horizon")
    sp = a.spillover.table
    sp0 = sp[(sp.announcer_group == "all") & (sp.window == "day 0")].set_index("peer_group")
    if a.did is None:
        life = ("**Lifeboat**: not tested, this dataset has no bitcoin series (the notes say "
                "how to get it); persistence and spillover below use the market model.")
    elif "perm_p" not in did.columns or not np.isfinite(float(act.get("did", np.nan))):
        life = (f"**Lifeboat**: no pivoters-vs-loyalists DiD on this dataset "
                f"({int(act.get('n_pivoters', 0))} pivoter(s), "
                f"{int(act.get('n_loyalists', 0))} loyalist(s) with data; both cohorts are "
                "needed; the notes say which miners are missing and how to get them).")
    else:
        life = (
            f"**Lifeboat**: pivoters' downside BTC beta changed by {act['mean_change_pivoters']:+.2f} "
            f"on average, loyalists' by {act['mean_change_loyalists']:+.2f}: DiD "
            f"{act['did']:+.2f} (95% CI {act['low']:+.2f} to {act['high']:+.2f}), permutation "
            f"p = {act['perm_p']:.3f} over {int(act['n_labelings'])} cohort labelings"
            + (f"; placebo DiD {plc['did']:+.2f} (p = {plc['perm_p']:.2f})" if plc is not None
               and np.isfinite(plc.get("did", np.nan)) else "") + ". "
            + (f"Individually significant falls: {', '.join(fell)}." if fell
               else "No single pivoter's fall is significant on its own."))
    bullets = [
        life,
        f"**Hype or substance**: mean CAR against {a.params.get('market', 'SPY')}"
        + (f" + {a.params['btc']} " if a.params.get("btc") else " (market model) ")
        + ", ".join(f"+{h}: {_pct(r['mean'])} [{_pct(r['low'])}, {_pct(r['high'])}] "
                    f"(n={int(r['n'])}, kept {r['pooled_kept']:.0%} of day 0)"
                    for h, r in model_car.iterrows())
        + ("." if len(model_car) else "no AI-deal event with data."),
        "**Spillover**: on an announcer's day 0, pivoter peers moved "
        + (f"{_pct(sp0.loc['pivoter', 'mean'])} (p = {sp0.loc['pivoter', 'p']:.2f})"
           if "pivoter" in sp0.index and "p" in sp0.columns else "n/a")
        + ", loyalist peers "
        + (f"{_pct(sp0.loc['loyalist', 'mean'])} (p = {sp0.loc['loyalist', 'p']:.2f})"
           if "loyalist" in sp0.index and "p" in sp0.columns else "n/a")
        + " (abnormal, per-event means).",
    ]
    paras = []
    if synthetic:
        paras.append("SYNTHETIC demo data: these numbers show that the method finds the planted "
                     "lifeboat (see data/synthetic/MODEL.md), not how the stocks traded.")
    return Prose(title="Lifeboat, hype, spillover: the answers", paragraphs=paras,
                 bullets=bullets, kind="verdict")
