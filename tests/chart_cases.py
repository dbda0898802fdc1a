"""Small deterministic inputs for every chart builder (shared by the chart serialisation tests
and by the script that wrote their golden file, ``tests/fixtures/chart_figures.json``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _curve() -> Any:
    from pivotlib.analytics.robustness.core import SpecCurve, curve_frame

    rng = np.random.default_rng(7)
    rows = []
    for model in ("factors", "market", "market_adjusted"):
        for window in ((-1, 1), (0, 0), (0, 5)):
            for est in ((-250, -11), (-120, -11)):
                e = float(rng.normal(0.04, 0.03))
                rows.append({"model": model, "window": window, "estimation": est,
                             "estimate": e, "ci_low": e - 0.05, "ci_high": e + 0.05,
                             "p": float(rng.uniform(0, 0.2)), "n": 3})
    frame = pd.DataFrame(rows)
    frame.loc[4, "estimate"] = np.nan  # one specification that did not run
    head = {"model": "factors", "window": (-1, 1), "estimation": (-250, -11)}
    return SpecCurve.build(curve_frame(frame, ["model", "window", "estimation"], head),
                           ["model", "window", "estimation"], estimand="CAR[-1,+1]",
                           percent=True)


def cases() -> dict[str, Any]:
    """Builder name -> a zero-argument callable returning its :class:`Chart`."""
    from pivotlib.presentation import charts, robustness_charts

    days = pd.bdate_range("2023-01-02", periods=160)
    px = pd.Series(50 + 10 * np.sin(np.arange(160) / 25.0) + np.arange(160) * 0.05, index=days,
                   name="APLD")
    px.iloc[30] = np.nan
    syn = px.copy()
    syn.attrs["synthetic"] = True
    rel = list(range(-5, 6))
    ar = pd.Series([0.001 * (k - 2) ** 2 - 0.004 for k in rel], index=rel)
    car = ar.cumsum()
    wide = pd.DataFrame({"APLD": px.to_numpy(), "IREN": px.to_numpy()[::-1] / 3,
                         "BTC-USD": 3 * px.to_numpy()}, index=days)
    forest = pd.DataFrame({"event_id": ["a", "b", "c"], "car": [0.05, -0.02, 0.11],
                           "lower": [0.0, -0.07, 0.03], "upper": [0.1, 0.03, 0.19]})
    curve = _curve()
    return {
        "price_with_event": lambda: charts.price_with_event(
            syn, days[120], window=(-1, 1), label="EV-1", title="APLD close around day 0"),
        "price_with_event_plain": lambda: charts.price_with_event(px, days[100], label="x"),
        "ar_bars": lambda: charts.ar_bars(ar, window=(-1, 1), synthetic=True,
                                          title="Abnormal returns of APLD by event day"),
        "car_path": lambda: charts.car_path(car, car - 0.02, car + 0.02, synthetic=True,
                                            title="APLD: cumulative abnormal return"),
        "car_path_no_band": lambda: charts.car_path(car, synthetic=False),
        "caar_path": lambda: charts.caar_path(car, car - 0.01, car + 0.01),
        "normalised_prices": lambda: charts.normalised_prices(wide, synthetic=True),
        "car_forest": lambda: charts.car_forest(forest, synthetic=True),
        "bar": lambda: charts.bar(ar, title="bars", percent=True),
        "correlation_heatmap": lambda: charts.correlation_heatmap(
            pd.DataFrame([[0.1, np.nan], [-0.4, 0.9]], index=["q1", "q2"],
                         columns=["APLD", "IREN"])),
        "rolling_betas": lambda: charts.rolling_betas(
            pd.DataFrame({"beta_SPY": np.linspace(0.5, 1.5, 160), "beta_BTC-USD": 0.7},
                         index=days),
            events=pd.DataFrame({"event_date": [days[50], days[140]]}), synthetic=True),
        "beta_arrows": lambda: charts.beta_arrows(pd.DataFrame({
            "symbol": ["APLD", "IREN"], "btc_beta_before": [1.2, 0.9],
            "ai_beta_before": [0.1, 0.2], "btc_beta_after": [0.6, 0.8],
            "ai_beta_after": [0.7, 0.3]}), synthetic=True),
        "spec_curve": lambda: robustness_charts.spec_curve(curve, synthetic=True),
        "spec_curve_small": lambda: robustness_charts.spec_curve(curve, small=True),
    }


def serialised(chart: Any) -> dict[str, Any]:
    """What the browser gets: the plotly MIME payload without its config."""
    fig = dict(chart._repr_mimebundle_()["application/vnd.plotly.v1+json"])
    fig.pop("config", None)
    return fig
