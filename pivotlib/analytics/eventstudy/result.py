"""The result object of :func:`pivotlib.analytics.eventstudy.run_event_study`: tables and ``.summary()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

TEST_NAMES = (
    "cross_sectional_t", "patell_z", "kp_patell_z", "bmp_t", "kp_bmp_t", "generalized_sign_z",
    "corrado_rank_z", "modified_rank_z", "grank_t", "wilcoxon_z", "skewness_corrected_t",
)


_TEST_INFO = {
    "cross_sectional_t": ("t", "Brown-Warner (1985) cross-sectional t of CAR_i"),
    "patell_z": ("normal", "Patell (1976) standardized-residual Z"),
    "kp_patell_z": ("normal", "Patell Z x Kolari-Pynnonen (2010) correlation adjustment"),
    "bmp_t": ("t", "Boehmer-Musumeci-Poulsen (1991) standardized cross-sectional t"),
    "kp_bmp_t": ("t", "Kolari-Pynnonen (2010) adjusted BMP"),
    "generalized_sign_z": ("normal", "Cowan (1992) generalized sign Z"),
    "corrado_rank_z": ("normal", "Corrado (1989) rank test, Cowan (1992) CAR form"),
    "modified_rank_z": ("normal", "Corrado-Zivney (1992) / KP (2010) standardized rank"),
    "grank_t": ("t", "Kolari-Pynnonen (2011) generalized rank (GRANK) t"),
    "wilcoxon_z": ("normal", "Wilcoxon (1945) signed rank of CAR_i"),
    "skewness_corrected_t": ("t", "Hall (1992) / Lyon-Barber-Tsai (1999) skewness-corrected t"),
    "bootstrap_skew_t": ("bootstrap", "Hall (1992) skewness-adjusted bootstrap (seeded)"),
    "signflip_caar": ("permutation", "sign-flip randomisation test of CAAR (seeded)"),
    "placebo_caar": ("permutation", "common-offset placebo windows from the estimation period"),
}


@dataclass
class EventStudyResult:
    """Result of :func:`run_event_study`.

    Attributes
    ----------
    events : DataFrame
        Index ``event_id``; one row per input event: symbol, event_date (parsed, tz-naive), day0 (the
        session used), status ("ok" or why the event was dropped), n_est, alpha,
        beta_<column>..., sigma, r2, n_evt, car, car_t, car_df, car_p, car_se_corrected,
        scar, bhar, confounded, confounded_by, and abn_volume / abn_volume_t when volumes were
        passed.
    ar : DataFrame
        Long: event_id, symbol, rel_day, date, ret, normal, ar, car (cumulative from the window
        start), sar (AR / (sigma sqrt(C_t))), c_t. Only events with status "ok".
    tests : DataFrame
        Index = statistic name; columns statistic, p_value, df, distribution. For CAAR over the
        whole event window.
    daily : DataFrame
        Index rel_day: n, n_pos, aar, caar and daily / cumulative statistics.
    caar : float
        Cumulative average abnormal return over the window.
    options : dict
        Every option used (for reports and reproducibility).
    """

    events: pd.DataFrame
    ar: pd.DataFrame
    tests: pd.DataFrame
    daily: pd.DataFrame
    caar: float
    options: dict[str, Any] = field(default_factory=dict)
    kp_r: float = float("nan")

    @property
    def n_ok(self) -> int:
        """Number of events used in the statistics."""
        return int((self.events["status"] == "ok").sum())

    def to_frame(self) -> pd.DataFrame:
        """Tidy test table: one row per statistic with statistic, p_value, df, distribution,
        description, plus caar, n_events and the model (for stacking many runs)."""
        out = self.tests.copy()
        out["description"] = [_TEST_INFO.get(i, ("", ""))[1] for i in out.index]
        out["caar"] = self.caar
        out["n_events"] = self.n_ok
        out["model"] = self.options.get("model")
        out["window"] = str(tuple(self.options.get("window", ())))
        return out.rename_axis("test").reset_index()

    tidy = to_frame

    def summary(self) -> str:
        """A readable statsmodels-style text table of the CAAR tests."""
        o = self.options
        width = 78
        dropped = self.events[self.events["status"] != "ok"]
        lines = ["=" * width, "Event study".center(width), "=" * width]
        left = [
            ("Model:", _model_label(o)),
            ("Estimation (days):", str(tuple(o.get("estimation", ())))),
            ("Window (days):", str(tuple(o.get("window", ())))),
            ("Day-0 policy:", str(o.get("nontrading"))),
        ]
        right = [
            ("Events used:", str(self.n_ok)),
            ("Events dropped:", str(len(dropped))),
            ("CAAR:", f"{self.caar:.6f}"),
            ("KP mean corr r:", f"{self.kp_r:.4f}" if np.isfinite(self.kp_r) else "n/a"),
        ]
        for (a, b), (c, d) in zip(left, right):
            lines.append(f"{a:<19}{b:>21}   {c:<20}{d:>15}")
        lines.append("-" * width)
        lines.append(f"{'test':<24}{'statistic':>12}{'p-value':>10}{'df':>8}  {'dist':<12}")
        lines.append("-" * width)
        for name, row in self.tests.iterrows():
            stars = _stars(row["p_value"])
            df = "" if not np.isfinite(row["df"]) else f"{row['df']:.0f}"
            dist = str(row["distribution"]).split(" ")[0]
            lines.append(f"{name:<24}{row['statistic']:>12.4f}{row['p_value']:>10.4f}{df:>8}  "
                         f"{dist:<12}{stars}")
        lines.append("-" * width)
        if len(dropped):
            lines.append("Dropped events:")
            for eid, row in dropped.head(10).iterrows():
                lines.append(f"  {eid!s:<20} {row['symbol']!s:<10} {row['status']}")
            if len(dropped) > 10:
                lines.append(f"  ... and {len(dropped) - 10} more (see .events)")
        lines.append("Significance: * 10%, ** 5%, *** 1% (two-sided).")
        lines.append("=" * width)
        return "\n".join(lines)

    def __repr__(self) -> str:  # pragma: no cover - convenience
        return f"<EventStudyResult {self.n_ok} events, CAAR={self.caar:.4g}>"


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def _model_label(o: dict) -> str:
    m = o.get("model")
    if m == "market":
        return f"market ({o.get('market')})"
    if m == "factors":
        return "factors (" + ", ".join(o.get("factors") or []) + ")"
    if m == "market_adjusted":
        return f"mkt-adjusted ({o.get('market')})"
    return str(m)
