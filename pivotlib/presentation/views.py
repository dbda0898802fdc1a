"""The charts and verdicts of a study result, one function each, shared by every notebook.

Notebooks 02 and 05 (and the explorer) show the same event charts; 04 and 05 the same regime
arrows and score table. Each view takes a study result (:mod:`pivotlib.studies`) and calls the
plain chart/narrative builders (:mod:`.charts`, :mod:`.narrative`) with the study's own labels,
so no notebook repeats the wiring.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pivotlib.presentation import charts, narrative

# A section that could not run is a :class:`pivotlib.studies.common.Missing` (falsy, with
# ``section``/``reason``): its headline view shows one boxed line, its charts show nothing.


def _missing(study: Any) -> bool:
    return study is None or (hasattr(study, "reason") and hasattr(study, "section"))


def _box(study: Any) -> narrative.Prose:
    if study is None:
        return narrative.Prose(paragraphs=["Not available for this dataset (see the notes)."])
    return narrative.section_box(study)

SCORE_COLUMNS = ["rank", "date", "btc_beta_before", "btc_beta_after", "ai_beta_before",
                 "ai_beta_after", "pivot_score", "ci_low", "ci_high", "p_value", "note"]
BRIEF_SCORE_COLUMNS = ["rank", "date", "delta_btc_beta", "delta_ai_beta", "pivot_score",
                       "ci_low", "ci_high", "p_value"]


# ------------------------------------------------------------------------------- one event
def event_verdict(study: Any) -> narrative.Prose:
    """The verdict of an :class:`~pivotlib.studies.event.EventReport` (or the boxed line
    saying why there is none)."""
    if _missing(study):
        return _box(study)
    ev, row = study.event, study.row
    return narrative.event_verdict(
        symbol=str(ev["symbol"]), headline=str(ev["headline"]), event_date=row["day0"],
        car=row["car"], p_value=study.p_value, window=study.spec.window, test=study.test_name,
        model=study.spec.model, reported_move=ev.get("reported_move") or None,
        synthetic=study.synthetic, planted=study.planted, n_est=row.get("n_est"))


def event_price(study: Any) -> Any:
    """The stock's close around day 0, with the event window shaded."""
    if _missing(study):
        return None
    day0 = pd.Timestamp(study.row["day0"])
    return charts.price_with_event(study.prices, day0, window=study.spec.window,
                                   label=str(study.event["event_id"]),
                                   title=f'{study.event["symbol"]} close around {day0:%Y-%m-%d}')


def event_ar_bars(study: Any) -> Any:
    """Abnormal return per event day."""
    return charts.ar_bars(study.result.ar.set_index("rel_day")["ar"], window=study.spec.window,
                          synthetic=study.synthetic,
                          title=f'Abnormal returns of {study.event["symbol"]} by event day')


def event_car_path(study: Any) -> Any:
    """CAR path with its 95% band."""
    if _missing(study):
        return None
    b = study.band
    day0 = pd.Timestamp(study.row["day0"])
    return charts.car_path(b["car"], b["lower"], b["upper"], synthetic=study.synthetic,
                           title=f'{study.event["symbol"]}: cumulative abnormal return around '
                                 f'{day0:%Y-%m-%d} (95% band)')


# ------------------------------------------------------------------------------ many events
def sector_verdict(study: Any) -> narrative.Prose:
    """The verdict of a :class:`~pivotlib.studies.sector.SectorReport`."""
    return narrative.sector_verdict(
        n_events=study.result.n_ok, caar=study.result.caar, p_value=study.p_value,
        window=study.spec.window, test=study.test_name,
        share_positive=float((study.forest["car"] > 0).mean()),
        label=(study.category or "AI-pivot") + " events", synthetic=study.synthetic,
        agreement=study.agreement)


def sector_caar_path(study: Any) -> Any:
    """CAAR path across the studied events with its band."""
    b = study.band
    return charts.caar_path(b["car"], b["lower"], b["upper"], synthetic=study.synthetic,
                            title=f"Average CAR across {study.result.n_ok} events with 95% band")


def cross_section_table(study: Any) -> Any:
    """The cross-section of CAR on deal size and category, or why there is none."""
    if study.cross_section is None:
        return narrative.Prose(paragraphs=["No cross-section for this selection (see the "
                                           "notes above)."])
    table, info = study.cross_section
    return charts.table(table, caption=f'Cross-section: n = {info["n"]}, R2 = {info["r2"]:.2f}, '
                                       f'base category {info["base_category"]}, {info["cov"]} '
                                       "standard errors")


# --------------------------------------------------------------------------------- regimes
def regime_headline(study: Any) -> narrative.Prose:
    """Headline of a :class:`~pivotlib.studies.regime.RegimeReport` (or why there is none)."""
    if _missing(study):
        return _box(study)
    partial = study.scores.attrs.get("partial")
    if partial:
        return narrative.partial_regime_headline(study.scores, synthetic=study.synthetic,
                                                 factor=str(study.roles.ai or
                                                            study.roles.bitcoin),
                                                 missing=partial)
    return narrative.regime_headline(study.scores, synthetic=study.synthetic,
                                     ai_factor=str(study.roles.ai),
                                     btc_factor=str(study.roles.bitcoin))


def score_table(study: Any, *, brief: bool = False) -> Any:
    """The ranked pivot-score table (the briefing shows the short form)."""
    if _missing(study):
        return None
    cols = BRIEF_SCORE_COLUMNS if brief else SCORE_COLUMNS
    sc = study.scores
    roles = study.roles
    if sc.attrs.get("partial"):  # the role that is missing has no columns
        gone = "ai_" if sc.attrs["partial"] == "ai" else "btc_"
        cols = [c for c in cols if gone not in c and not c.startswith(f"delta_{gone}")]
        what = sc.attrs.get("score", "")
    else:
        what = f"change in AI beta ({roles.ai}) minus change in BTC beta ({roles.bitcoin})"
    return charts.table(sc[[c for c in cols if c in sc]],
                        caption=f"Pivot score = {what} (95% HAC interval; "
                                + sc.attrs.get("hac_rule", "") + ")",
                        floatfmt="{:.2f}", labels={"date": "split date"})


def regime_arrows(study: Any) -> Any:
    """Each miner's move from bitcoin beta to AI beta, before -> after its split date."""
    if _missing(study):
        return None
    if not (study.roles.ai and study.roles.bitcoin):
        return narrative.Prose(paragraphs=[
            "No bitcoin-to-AI arrows: they need both a bitcoin and an AI series (see the "
            "notes for the one missing and how to get it)."], kind="caveat")
    return charts.beta_arrows(study.top.reset_index(), synthetic=study.synthetic,
                              title="Each miner's move from bitcoin beta to AI beta "
                                    "(before -> after)",
                              xlabel=f"{study.roles.bitcoin} beta",
                              ylabel=f"{study.roles.ai} beta"
                                     + (f" (orthogonal to {study.roles.market})"
                                        if study.has_market else ""))


def regime_rolling(study: Any, symbol: str) -> Any:
    """Rolling betas of one miner to bitcoin and AI, its AI announcements marked."""
    names = [f for f in (study.roles.bitcoin, study.roles.ai) if f]
    return charts.rolling_betas(study.rolling(symbol), columns=[f"beta_{f}" for f in names],
                                synthetic=study.synthetic, events=study.ai_events(symbol),
                                title=f"{symbol}: rolling {study.window}-session betas to "
                                      f"{' and '.join(names)}")


def regime_correlations(study: Any, factor: str) -> Any:
    """Quarterly correlation heatmap with ``factor`` (AI orthogonal to the market); a boxed
    line when the role's series is missing (``factor`` None)."""
    if not factor:
        return narrative.Prose(paragraphs=["No correlation map for this role: its series is "
                                           "not in the dataset (see the notes)."],
                               kind="caveat")
    suffix = (f" (orthogonal to {study.roles.market})"
              if factor == study.roles.ai and study.has_market else "")
    return charts.correlation_heatmap(study.correlations(factor), synthetic=study.synthetic,
                                      title=f"Correlation with {factor}{suffix} by quarter")


# -------------------------------------------------------------------------------- lifeboat
def lifeboat_headline(study: Any) -> narrative.Prose:
    """The three lifeboat answers of a :class:`~pivotlib.studies.lifeboat.LifeboatReport`
    (or why there is none)."""
    from pivotlib.presentation.lifeboat_charts import headline

    if _missing(study):
        return _box(study)
    return headline(study.analysis, synthetic=study.synthetic)


# ------------------------------------------------------------------------------ briefing
def briefing_provenance(brief: Any) -> narrative.Prose:
    """Provenance of every series the briefing page uses: each section's that ran (event study,
    regimes, lifeboat, Merge line)."""
    frames = [getattr(v, "returns", None) for v in (*brief.sections.values(),
                                                     getattr(brief, "merge", None)) if v]
    frames = [f for f in frames if f is not None] or [brief.returns]
    return narrative.provenance(*frames)


def key_numbers(brief: Any) -> Any:
    """The briefing's key-numbers table, or one boxed line when no section produced any."""
    from pivotlib.studies.common import Missing

    table = narrative.key_numbers(brief)
    if table.empty:
        return narrative.section_box(Missing("key numbers", "no section of this briefing "
                                             "could run; see the lines above for what is "
                                             "missing and how to get it"))
    return charts.table(table, index=False, align="left",
                        caption="Headline event, regime and lifeboat numbers")
