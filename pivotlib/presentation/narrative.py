"""Plain-language verdicts and briefing text built from result objects.

The notebooks hold no prose logic: they call these functions, which return :class:`Prose`
blocks. A block renders as escaped HTML in notebooks and HTML briefings and as plain text
(``str(block)``) in logs and tests. Text may use ``**bold**`` and ```code```; everything else,
including user-supplied strings such as catalog headlines, goes through
:func:`pivotlib.presentation.markup.escape` (HTML-escaped, ``$`` shielded from MathJax) and the block is
wrapped in MathJax's ignore class, so "$9.8B ... $25.1B" reads literally in JupyterLab too.

Wording rules (so a verdict never says more than the statistics do):

* "significant" only at the 5% level of the stated two-sided test; 5-10% is "weak evidence";
  above 10% is "no evidence of an abnormal move";
* CARs are given in percent with their window in event days, e.g. ``+12.3% over [-1, +1]``;
* SYNTHETIC data are always said to be synthetic, in the first sentence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pivotlib.defaults import AI, ALPHA, BITCOIN, MARKET
from pivotlib.presentation import markup
from pivotlib.presentation.tables import KINDS

__all__ = [
    "Prose",
    "pct",
    "pval",
    "strength",
    "synthetic_banner",
    "provenance",
    "data_summary",
    "event_verdict",
    "sector_verdict",
    "regime_headline",
    "break_note",
    "caveats",
    "key_numbers",
    "notes_box",
]

_BOLD = re.compile(r"\*\*(.+?)\*\*")

_STYLES = {
    "note": "",
    "synthetic": ("background:#b00020;color:#fff;padding:14px 18px;border-radius:6px;"
                  "font-size:15px;margin:8px 0 16px 0;"),
    "real": ("background:#e8f0fe;color:#1a3d7c;padding:10px 14px;border-radius:6px;"
             "margin:8px 0 16px 0;"),
    "verdict": ("border-left:5px solid #1f77b4;background:#f5f9fd;padding:10px 14px;"
                "margin:8px 0 12px 0;font-size:15px;"),
    "caveat": ("border-left:5px solid #e0a800;background:#fffbea;padding:8px 14px;"
               "margin:8px 0 12px 0;"),
}


def _inline(text: str) -> str:
    return markup.inline(text)


@dataclass
class Prose:
    """A block of briefing text (title, paragraphs, bullets) with a display style.

    ``kind`` is one of ``note``, ``synthetic`` (the red banner), ``real``, ``verdict``,
    ``caveat``.
    """

    title: str = ""
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    kind: str = "note"

    def _repr_html_(self) -> str:
        parts = []
        if self.title:
            if self.kind == "synthetic":
                parts.append("<div class='pivot-title' style='font-size:22px;font-weight:bold;"
                             f"letter-spacing:1px'>{_inline(self.title)}</div>")
            else:
                parts.append(f"<h3 class='pivot-title'>{_inline(self.title)}</h3>")
        parts += [f"<p>{_inline(p)}</p>" for p in self.paragraphs]
        if self.bullets:
            parts.append("<ul>" + "".join(f"<li>{_inline(b)}</li>" for b in self.bullets)
                         + "</ul>")
        return markup.block("".join(parts), cls=f"pivot-prose pivot-{self.kind}",
                            style=_STYLES.get(self.kind, ""))

    def __str__(self) -> str:
        lines = [self.title] if self.title else []
        lines += list(self.paragraphs) + [f"- {b}" for b in self.bullets]
        return _BOLD.sub(r"\1", "\n".join(lines))

    def __repr__(self) -> str:
        return str(self)


# ---------------------------------------------------------------------------------------------
# number formatting
# ---------------------------------------------------------------------------------------------

def _finite(x: Any) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def pct(x: Any, digits: int = 1, sign: bool = True) -> str:
    """Format a fraction as a percentage (``0.123`` -> ``+12.3%``); ``n/a`` when missing."""
    if not _finite(x):
        return "n/a"
    return f"{float(x) * 100:{'+' if sign else ''}.{digits}f}%"


def pval(p: Any) -> str:
    """Format a p-value (``p < 0.001`` below one in a thousand)."""
    if not _finite(p):
        return "p = n/a"
    return "p < 0.001" if float(p) < 0.001 else f"p = {float(p):.3f}"


def strength(p: Any) -> str:
    """Verbal strength of evidence of a two-sided p-value (5% significance, 10% weak)."""
    if not _finite(p):
        return "untested"
    p = float(p)
    if p < 0.01:
        return "strong evidence"
    if p < 0.05:
        return "significant evidence"
    if p < 0.10:
        return "weak evidence"
    return "no evidence"


def _window(w: Sequence[int] | None) -> str:
    if w is None:
        return ""
    a, b = int(w[0]), int(w[1])
    return f"[{a:+d}, {b:+d}]".replace("+0", "0")


def _day(d: Any) -> str:
    try:
        return pd.Timestamp(d).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return str(d)


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------

def _is_syn(frame_or_flag: Any) -> bool:
    if isinstance(frame_or_flag, bool):
        return frame_or_flag
    attrs = getattr(frame_or_flag, "attrs", None)
    return bool(isinstance(attrs, Mapping) and attrs.get("synthetic"))


def synthetic_banner(frame_or_flag: Any, dataset: str | None = None) -> Prose:
    """The prominent banner at the top of every report.

    SYNTHETIC data get a red banner saying the numbers are not market data; real data get a
    discreet line naming the dataset.
    """
    ds = dataset or (getattr(frame_or_flag, "attrs", {}) or {}).get("dataset", "")
    if _is_syn(frame_or_flag):
        return Prose(
            title="SYNTHETIC DATA - NOT REAL MARKET PRICES",
            paragraphs=[
                f"Every number and chart in this report comes from the embedded synthetic demo "
                f"dataset ({ds or 'demo'}), generated by pivotlib.data.synthetic from a factor model "
                "with planted jumps on the catalog's event dates. It demonstrates the method; "
                "it says nothing about how these stocks actually traded.",
                "Run with dataset = \"store\" after `pivot data fetch` for real prices."],
            kind="synthetic")
    return Prose(paragraphs=[f"Data: **{ds or 'store'}** (real prices; see Data provenance "
                             "below)."], kind="real")


def provenance(prices: pd.DataFrame, *more: pd.DataFrame | None,
               title: str = "Data provenance") -> Prose:
    """Where the prices came from: dataset, sources per symbol, span, adjustment.

    Several frames (a page that uses several studies' data, e.g. the briefing) are listed as
    one: every column of every frame, sessions from the earliest to the latest row."""
    frames = [f for f in (prices, *more) if f is not None]
    if len(frames) > 1:
        merged = pd.concat([f for f in frames], axis=1)
        merged = merged.loc[:, ~merged.columns.duplicated()]
        attrs: dict[str, Any] = {}
        for f in reversed(frames):  # the first frame's values win
            for k, v in (getattr(f, "attrs", {}) or {}).items():
                if isinstance(v, dict):
                    attrs[k] = {**attrs.get(k, {}), **v}
                elif isinstance(v, list | tuple):
                    attrs[k] = list(dict.fromkeys([*attrs.get(k, []), *v]))
                else:
                    attrs[k] = v
        attrs["synthetic"] = any((getattr(f, "attrs", {}) or {}).get("synthetic") for f in frames)
        if attrs.get("missing"):
            attrs["missing"] = [m for m in attrs["missing"] if m not in merged.columns]
        merged.attrs = attrs
        prices = merged
    attrs = dict(getattr(prices, "attrs", {}) or {})
    ds = attrs.get("dataset", "unknown")
    sources = attrs.get("sources", {}) or {}
    adjusted = attrs.get("adjusted", {}) or {}
    by_src: dict[str, list[str]] = {}
    for sym, src in sorted(sources.items()):
        if sym in prices.columns:
            by_src.setdefault(str(src), []).append(str(sym))
    idx = prices.dropna(how="all").index
    span = f"{_day(idx[0])} to {_day(idx[-1])}" if len(idx) else "no rows"
    bullets = [f"Dataset **{ds}**" + (" (SYNTHETIC)" if attrs.get("synthetic") else "")
               + f", {len(prices.columns)} symbols, sessions {span} (NYSE calendar; bitcoin "
               "closes aligned to sessions, weekend moves folded into Monday)."]
    for src, syms in by_src.items():
        bullets.append(f"Source {src}: {', '.join(syms)}.")
    unadj = sorted(s for s, a in adjusted.items() if a is False and s in prices.columns)
    if unadj:
        bullets.append("Not adjusted for splits/dividends: " + ", ".join(unadj) + ".")
    missing = attrs.get("missing")
    if missing:
        bullets.append("Requested but absent from the dataset: " + ", ".join(map(str, missing))
                       + ".")
    bullets.append("Yahoo's BTC-USD daily close is the 00:00 UTC print, 3-4 hours after the "
                   "NYSE close (see pivotlib.data.calendar).")
    return Prose(title=title, bullets=bullets)


def data_summary(status: pd.DataFrame, flags: pd.DataFrame | None = None) -> Prose:
    """Summary of a data status table (and quality flags) in plain language."""
    n = len(status)
    stale = [str(s) for s in status.loc[status["stale"].astype(bool), "symbol"]] if "stale" in status else []
    problems = [str(s) for s in status.loc[status.get("problem", "").astype(str) != "",
                                           "symbol"]] if "problem" in status else []
    paras = [f"{n} symbols in the dataset."]
    if "last" in status and n:
        paras.append(f"Latest session on file: {_day(max(status['last']))}; earliest start: "
                     f"{_day(min(status['first']))}.")
    bullets = []
    synthetic = status["synthetic"].astype(bool) if "synthetic" in status else pd.Series(False)
    if n and bool(synthetic.all()):
        # a fixed sample: "stale: none" would suggest it is up to date, which it is not
        bullets.append("Freshness does not apply: the SYNTHETIC demo data is a fixed sample "
                       f"ending {_day(max(status['last']))}, not a market feed.")
    else:
        bullets.append("Stale (last date more than 5 days old): " + (", ".join(stale) or "none")
                       + ".")
    if problems:
        bullets.append("Unreadable metadata: " + ", ".join(problems) + ".")
    if flags is not None and len(flags):
        flagged = flags[flags["flags"].astype(str) != ""]
        if len(flagged):
            bullets.append(f"{len(flagged)} symbol(s) with quality flags: "
                           + "; ".join(f"{i}: {f}" for i, f in flagged["flags"].items()) + ".")
        else:
            bullets.append("No quality flags (no gaps after listing, no frozen prices, "
                           "no daily move beyond +-60%).")
    return Prose(title="Data status", paragraphs=paras, bullets=bullets)


# ---------------------------------------------------------------------------------------------
# event studies
# ---------------------------------------------------------------------------------------------

def event_verdict(*, symbol: str, headline: str, event_date: Any, car: float,
                  p_value: float, window: Sequence[int], test: str = "t-test",
                  model: str = "", reported_move: str | None = None,
                  synthetic: bool = False, planted: float | None = None,
                  n_est: int | None = None) -> Prose:
    """One event's verdict: did the market reward the announcement beyond the model?"""
    w = _window(window)
    s = strength(p_value)
    if s in ("strong evidence", "significant evidence"):
        lead = (f"**{symbol} {'beat' if car > 0 else 'fell short of'} its "
                f"{model or 'normal-return'} model by {pct(car)} over {w}** around "
                f"{_day(event_date)} ({pval(p_value)}, {test}): {s} of an abnormal move.")
    elif s == "weak evidence":
        lead = (f"**{symbol}'s abnormal return over {w} was {pct(car)}** around "
                f"{_day(event_date)} ({pval(p_value)}, {test}): only weak evidence of an "
                "abnormal move.")
    else:
        lead = (f"**No evidence of an abnormal move**: {symbol}'s abnormal return over {w} "
                f"around {_day(event_date)} was {pct(car)} ({pval(p_value)}, {test}), within "
                "what its normal day-to-day volatility produces.")
    paras = [lead, f"Event: {headline}"]
    bullets = []
    if reported_move:
        bullets.append(f"Move reported by the sources: {reported_move} (a raw, often intraday "
                       "number; the CAR above is close-to-close and net of the model).")
    if planted is not None and _finite(planted):
        bullets.append(f"SYNTHETIC check: the demo data planted an abnormal return of "
                       f"{pct(planted)} on this event day.")
    if _finite(n_est):
        bullets.append(f"Model estimated on {int(n_est)} sessions before the event.")
    if synthetic:
        paras.insert(0, "SYNTHETIC DATA: this verdict describes the demo dataset, not the market.")
    return Prose(title="Verdict", paragraphs=paras, bullets=bullets, kind="verdict")


def sector_verdict(*, n_events: int, caar: float, p_value: float, window: Sequence[int],
                   test: str, share_positive: float | None = None, label: str = "the events",
                   synthetic: bool = False,
                   agreement: tuple[int, int] | None = None) -> Prose:
    """Verdict for a set of events (CAAR); ``agreement`` = (tests significant at 5%, tests)."""
    w = _window(window)
    s = strength(p_value)
    lead = (f"Across {n_events} {label}, the average cumulative abnormal return over {w} was "
            f"**{pct(caar)}** ({pval(p_value)}, {test}): {s} that such announcements move the "
            "stock beyond what the market and bitcoin explain.")
    bullets = []
    if share_positive is not None and _finite(share_positive):
        bullets.append(f"{share_positive * 100:.0f}% of the events had a positive CAR.")
    if agreement is not None and agreement[1]:
        k, n = agreement
        bullets.append(f"{k} of the {n} tests in the table below are significant at 5%"
                       + (" - the conclusion does not hinge on one test." if
                          (k >= n - 1 and strength(p_value) != "no evidence") or
                          (k <= 1 and strength(p_value) == "no evidence") else
                          " - the tests disagree; read the table before quoting a verdict."))
    paras = [lead]
    if synthetic:
        paras.insert(0, "SYNTHETIC DATA: this describes the demo dataset, not the market.")
    return Prose(title="Verdict", paragraphs=paras, bullets=bullets, kind="verdict")


# ---------------------------------------------------------------------------------------------
# regimes
# ---------------------------------------------------------------------------------------------

def regime_headline(scores: pd.DataFrame, *, synthetic: bool = False,
                    ai_factor: str = AI, btc_factor: str = BITCOIN) -> Prose:
    """Headline of the pivot-score table (from :func:`pivotlib.analytics.regimes.pivot_scores`)."""
    ok = scores[scores["pivot_score"].notna()] if "pivot_score" in scores else scores.iloc[:0]
    if ok.empty:
        return Prose(title="Pivot scores", paragraphs=["No miner had enough data around its "
                                                       "first AI event to score."])
    top = ok.index[0]
    r = ok.iloc[0]
    sig = [str(s) for s, row in ok.iterrows() if _finite(row["p_value"]) and row["p_value"] < 0.05
           and row["pivot_score"] > 0]
    decisive = ""
    if len(ok) > 1:
        second = ok.iloc[1]
        if _finite(r["ci_low"]) and r["ci_low"] <= second["pivot_score"]:
            decisive = (f" Its interval overlaps the runner-up's score ({ok.index[1]}: "
                        f"{second['pivot_score']:.2f}), so the ranking at the top is not "
                        "decisive.")
    paras = [
        f"**{top} has the highest pivot score**: its BTC beta went "
        f"from {r['btc_beta_before']:.2f} to {r['btc_beta_after']:.2f} and its AI ({ai_factor}) "
        f"beta from {r['ai_beta_before']:.2f} to {r['ai_beta_after']:.2f} around "
        f"{_day(r['date'])}, a pivot score of {r['pivot_score']:.2f} "
        f"(95% interval {r['ci_low']:.2f} to {r['ci_high']:.2f}, {pval(r['p_value'])})."
        + (f" Caution: {r['note']}." if isinstance(r.get("note"), str) and r["note"] else "")
        + decisive,
        (f"{len(sig)} of {len(ok)} miners scored show a significant pivot at 5%: "
         + (", ".join(sig) if sig else "none") + "."),
    ]
    if len(ok) < len(scores):
        missing = [str(s) for s in scores.index if s not in ok.index]
        paras.append("Not scored (too little data around the date): " + ", ".join(missing) + ".")
    if synthetic:
        paras.insert(0, "SYNTHETIC DATA: the regime switches were planted by the demo generator.")
    return Prose(title="Pivot from bitcoin to AI", paragraphs=paras,
                 bullets=["Pivot score = change in AI beta minus change in BTC beta (beta units; "
                          "0 = no net move), each miner split at its first AI announcement, "
                          "Newey-West (HAC) standard errors."],
                 kind="verdict")


def break_note(breaks: pd.DataFrame) -> Prose:
    """Plain-language notes on detected break dates vs the nearest catalog announcement."""
    bullets = []
    for _, r in breaks.iterrows():
        gap = r.get("sessions_from_event")
        near = r.get("nearest_event") or "no catalog event"
        bullets.append(
            f"{r['symbol']}: most likely break {_day(r['break_date'])} ({pval(r['p_value'])}); "
            f"nearest announcement {near}"
            + (f", {int(gap):+d} sessions away" if _finite(gap) else "") + ".")
    return Prose(title="Detected breaks", bullets=bullets,
                 paragraphs=["A break date found without knowing the timing (Quandt-Andrews "
                             "sup-F) that sits close to an announcement supports the story that "
                             "the announcement changed how the stock trades."])


def caveats(kind: str = "event", *, synthetic: bool = False,
            extra: Iterable[str] = ()) -> Prose:
    """Standard caveats for a report ``kind`` (``event``, ``sector``, ``regime``, ``brief``)."""
    items: list[str] = []
    if synthetic:
        items.append("The data are SYNTHETIC: results show that the method recovers what was "
                     "planted, not how the market behaved.")
    if kind in ("event", "sector", "brief"):
        items += [
            "Announcement timing matters: for an after-close release day 0 is the next session; "
            "a wrong timing moves the jump out of the window.",
            "Confounding news on the same days (other announcements, bitcoin shocks, earnings) "
            "is not removed by the model; check the catalog's confounders column.",
            "Small caps with fat tails: parametric p-values can overstate significance; the "
            "rank and sign tests in the statistics table are more robust.",
        ]
    if kind in ("regime", "brief"):
        items += [
            "Betas before/after a date assume one clean switch; gradual pivots are spread over "
            "the rolling-beta chart instead.",
            "SMH is a proxy for AI infrastructure (semiconductors); the AI beta measures "
            "co-movement with it, not revenue from AI.",
        ]
    items += list(extra)
    return Prose(title="Caveats", bullets=items, kind="caveat")


def key_numbers(brief: Any) -> pd.DataFrame:
    """Key-numbers table (label, value) of a :class:`~pivotlib.studies.briefing.BriefingReport`:
    the rows of every section that ran (a section that did not run adds none; its boxed line
    says why). A stand-in series is named where the default's would be."""
    items: list[tuple[str, str]] = []
    rep = brief.event
    if rep:
        ev, row, w = rep.event, rep.row, rep.spec.window
        items += [
            ("Headline event", f"{ev['symbol']}: {ev['headline']}"),
            ("Day 0 (first session to react)", str(pd.Timestamp(row["day0"]).date())),
            (f"CAR over [{w[0]}, {w[1]}]", pct(row["car"])),
            ("Test", f"{rep.test_name}, {pval(rep.p_value)}"),
            ("Model", f"{rep.spec.label()}, R2 {float(row['r2']):.2f}, daily sigma "
                      f"{pct(row['sigma'], 2, False)}"),
        ]
        deal = ev.get("deal_usd")
        if deal == deal and deal:
            items.append(("Deal size (reported)", KINDS["usd"](float(deal))))  # $9.80bn, as tables
    if brief.regimes:
        ok = brief.regimes.top
        part = {"ai": " (BTC part only: no AI factor)",
                "bitcoin": " (AI part only: no bitcoin)"}.get(
                    brief.regimes.scores.attrs.get("partial") or "", "")
        items.append(("Regime factors", ", ".join(
            f"{r} {brief.regimes.role_label(r)}" for r in ("market", "bitcoin", "ai"))))
        if len(ok):
            top = ok.iloc[0]
            items.append((f"Highest pivot score{part}",
                          f"{ok.index[0]}: score {top['pivot_score']:.2f} "
                          f"[{top['ci_low']:.2f}, {top['ci_high']:.2f}], {pval(top['p_value'])}"))
            n_sig = int(((ok["p_value"] < ALPHA) & (ok["pivot_score"] > 0)).sum())
            items.append((f"Miners with a significant pivot ({ALPHA:.0%})",
                          f"{n_sig} of {len(ok)}"))
    if getattr(brief, "lifeboat", None) and brief.lifeboat.has_did:
        lb = brief.lifeboat
        d = lb.did
        mkt = lb.analysis.params.get("market", "")
        items.append(("Lifeboat: downside BTC beta, pivoters minus loyalists (DiD)"
                      + (f", market {mkt}" if mkt and mkt != MARKET else ""),
                      f"{float(d['did']):+.2f} [{float(d['low']):+.2f}, {float(d['high']):+.2f}],"
                      f" permutation {pval(float(d['perm_p']))}"))
    return pd.DataFrame(items, columns=["", "value"])


def partial_regime_headline(scores: pd.DataFrame, *, synthetic: bool = False, factor: str = "",
                            missing: str = "ai") -> Prose:
    """Headline of a one-sided pivot-score table (:func:`pivotlib.analytics.regimes.
    pivot_scores` with the ``missing`` role's series absent): only the measured part."""
    ok = scores[scores["pivot_score"].notna()] if "pivot_score" in scores else scores.iloc[:0]
    what = ("the fall in BTC beta, -(change in BTC beta)" if missing == "ai"
            else "the rise in AI beta, the change in AI beta")
    lack = "no AI factor" if missing == "ai" else "no bitcoin series"
    if ok.empty:
        return Prose(title="Pivot scores (one side only)",
                     paragraphs=[f"With {lack}, no miner had enough data to score."])
    r = ok.iloc[0]
    col = "btc" if missing == "ai" else "ai"
    paras = [f"**{ok.index[0]} moved most** on the side that can be measured ({lack} in this "
             f"dataset): its {factor} beta went from {r[f'{col}_beta_before']:.2f} to "
             f"{r[f'{col}_beta_after']:.2f} around {_day(r['date'])}, a one-sided score of "
             f"{r['pivot_score']:.2f} (95% interval {r['ci_low']:.2f} to {r['ci_high']:.2f}, "
             f"{pval(r['p_value'])})."]
    if synthetic:
        paras.insert(0, "SYNTHETIC DATA: the regime switches were planted by the demo generator.")
    return Prose(title="Pivot from bitcoin to AI (one side only)", paragraphs=paras,
                 bullets=[f"Score = {what}; the full pivot score also needs the missing "
                          "series (see the notes for how to get it)."], kind="verdict")


def section_box(missing: Any) -> Prose:
    """One boxed line for a report section that could not run
    (:class:`pivotlib.studies.common.Missing`): what is missing and how to get it."""
    return Prose(paragraphs=[f"**{missing.line}**"], kind="caveat")


def notes_box(notes: Sequence[str], *, title: str = "What was left out or changed") -> Prose:
    """The study's notes (left-out symbols, passed-over events, clipped windows) as a box; an
    empty box when there is nothing to say."""
    items = [str(n) for n in notes]
    if not items:
        return Prose(paragraphs=["Nothing was left out: every requested symbol, event and "
                                 "window was used as asked."])
    return Prose(title=title, bullets=items, kind="caveat")
