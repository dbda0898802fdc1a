"""The analyst table style: every table of every notebook is a :class:`Table`.

What a reader sees, in JupyterLab and in the exported HTML alike (plain HTML and inline styles,
no JavaScript, nothing the Lab sanitizer or nbconvert drops):

* **Units, one rule per kind of number** (:data:`KINDS`): returns and CARs in percent with a sign
  (``+12.3%``), shares in whole percent, deal sizes in ``$bn``, betas and test statistics to two
  places, p-values to three (``<0.001`` below that), counts as integers with thousands
  separators, multiples of a BTC move with ``x``. A column's kind comes from the glossary
  (:data:`GLOSSARY`, by column name, with table-specific entries for names such as ``mean``
  whose unit depends on the table) or from ``kinds=``; other float columns use ``floatfmt``.
* **Short human headers**: ``down_change`` reads "Δ down β"; a column the glossary does not know
  reads with spaces for underscores. A header never wraps; its tooltip (``title``) gives the
  meaning and the data name, and a folded "What the columns mean" list under the table says the
  same for readers of a printed page.
* **Wide tables scroll sideways inside their box** (``overflow-x:auto``, never wider than the
  notebook) with the first column frozen (``position:sticky``), so the row label stays in view.
* **Long tables** show the first :data:`TOP_ROWS` rows; the rest sit in a ``<details>`` block
  ("Show the other N rows") right under them.

Every cell, header and caption goes through :func:`pivotlib.presentation.markup.escape`, and the
whole block sits in MathJax's ignore class, so ``$`` never typesets.
"""

from __future__ import annotations

import hashlib
import html
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pivotlib.presentation import markup

__all__ = ["Column", "GLOSSARY", "KINDS", "TOP_ROWS", "Table", "table", "fmt_value"]

TOP_ROWS = 15
"""Rows shown before the rest of a long table is folded."""

_WRAP_AT = 30  # cells longer than this wrap (with a minimum width); shorter ones never wrap


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _p(v: float) -> str:
    return "<0.001" if v < 0.0005 else f"{v:.3f}"


def _usd(v: float) -> str:
    """Dollars in billions: two places, three below $0.1bn (so $44m reads $0.044bn)."""
    return f"${v / 1e9:,.2f}bn" if abs(v) >= 1e8 or v == 0 else f"${v / 1e9:,.3f}bn"


KINDS: dict[str, Callable[[float], str]] = {
    "pct": lambda v: f"{v:+.1%}",        # a return, CAR, drawdown (fraction -> signed percent)
    "share": lambda v: f"{v:.0%}",       # a share of something (fraction -> whole percent)
    "usd": _usd,                         # a dollar amount: $0.46bn, $0.044bn
    "beta": lambda v: f"{v:.2f}",        # a beta or a change of beta
    "stat": lambda v: f"{v:.2f}",        # a test statistic (t, Z, F, DW)
    "p": _p,                             # a p-value
    "int": lambda v: f"{v:,.0f}",        # a count
    "signed_int": lambda v: f"{v:+,.0f}",
    "x": lambda v: f"{v:.2f}x",          # a multiple of another move
    "num2": lambda v: f"{v:.2f}",
    "num3": lambda v: f"{v:.3f}",
    "num4": lambda v: f"{v:.4f}",
}
"""How each kind of number is written (input: a finite float)."""


@dataclass(frozen=True)
class Column:
    """How one column reads: a short header, its meaning (tooltip and legend) and its kind."""

    label: str
    meaning: str = ""
    kind: str | None = None


def _c(label: str, meaning: str = "", kind: str | None = None) -> Column:
    return Column(label, meaning, kind)


_H = {h: f"+{h}" for h in (20, 60, 120)}

GLOSSARY: dict[str, Column] = {
    # event studies (02, 03, explorer)
    "window": _c("window", "event days relative to day 0 (the first session that could react)"),
    "car": _c("CAR", "cumulative abnormal return over the window", "pct"),
    "t": _c("t", "t statistic", "stat"),
    "p_value": _c("p", "two-sided p-value", "p"),
    "statistic": _c("statistic", "test statistic", "stat"),
    "df": _c("df", "degrees of freedom", "int"),
    "estimate": _c("estimate", "coefficient of the normal-return model", "num4"),
    "coef": _c("coef", "OLS coefficient", "num3"),
    "se_hc3": _c("SE (HC3)", "heteroskedasticity-robust standard error (HC3)", "num3"),
    "distribution": _c("distribution", "reference distribution of the statistic"),
    "description": _c("test", "what the test is (reference)"),
    "reading": _c("reading", "how to read the statistic"),
    "status": _c("why left out", "the reason the data cannot support this event"),
    "event_date": _c("day 0", "first session that could react to the announcement"),
    # data refresh (01)
    "rows": _c("rows", "rows on file", "int"),
    "sessions": _c("sessions", "trading sessions", "int"),
    "missing": _c("missing", "sessions without a close", "int"),
    "max_abs_return": _c("largest move", "largest one-day move (absolute)", "share"),
    "max_move_date": _c("date of largest move", "session of the largest one-day move"),
    "fetched_at": _c("fetched", "when the file was fetched or imported (UTC)"),
    # regimes (04, 05)
    "rank": _c("rank", "rank by pivot score", "int"),
    "date": _c("date", "the date that splits before from after"),
    "n_before": _c("n before", "observations before the split", "int"),
    "n_after": _c("n after", "observations after the split", "int"),
    "btc_beta_before": _c("BTC β before", "beta to bitcoin before the split", "beta"),
    "btc_beta_after": _c("BTC β after", "beta to bitcoin after the split", "beta"),
    "delta_btc_beta": _c("Δ BTC β", "change in the bitcoin beta (after - before)", "beta"),
    "se_delta_btc": _c("SE Δ BTC β", "HAC standard error of the change in BTC beta", "beta"),
    "ai_beta_before": _c("AI β before", "beta to the AI factor before the split", "beta"),
    "ai_beta_after": _c("AI β after", "beta to the AI factor after the split", "beta"),
    "delta_ai_beta": _c("Δ AI β", "change in the AI beta (after - before)", "beta"),
    "se_delta_ai": _c("SE Δ AI β", "HAC standard error of the change in AI beta", "beta"),
    "pivot_score": _c("pivot score", "change in AI beta minus change in BTC beta", "beta"),
    "se_score": _c("SE score", "HAC standard error of the pivot score", "beta"),
    "ci_low": _c("95% low", "lower end of the 95% interval", "beta"),
    "ci_high": _c("95% high", "upper end of the 95% interval", "beta"),
    "chow_hac_p": _c("Chow p", "p-value of the HAC Chow test of a break at the split", "p"),
    "hac_lags": _c("HAC lags", "Newey-West lags", "int"),
    "break_date": _c("break", "estimated break date (sup-F)"),
    "sup_f": _c("sup-F", "largest HAC Chow F over candidate dates (Andrews 1993)", "stat"),
    "nearest_event": _c("nearest event", "the catalog announcement closest to the break"),
    "sessions_from_event": _c("sessions from event", "break minus announcement, in sessions",
                              "signed_int"),
    "event_in_ci": _c("event in CI", "the announcement lies inside the break's 95% interval"),
    # lifeboat (06)
    "symbol": _c("symbol", "ticker"),
    "cohort": _c("cohort", "pivoter (signed an AI/HPC contract) or loyalist (still mining)"),
    "split_date": _c("split", "the miner's first signed AI/HPC contract"),
    "n_down_before": _c("down days before", "BTC down days before the split", "int"),
    "n_down_after": _c("down days after", "BTC down days after the split", "int"),
    "down_before": _c("down β before", "BTC beta on BTC down days, before the split", "beta"),
    "down_after": _c("down β after", "BTC beta on BTC down days, after the split", "beta"),
    "down_change": _c("Δ down β", "change in the downside BTC beta (after - before)", "beta"),
    "down_low": _c("Δ down 95% low", "lower end of the 95% HAC interval of Δ down β", "beta"),
    "down_high": _c("Δ down 95% high", "upper end of the 95% HAC interval of Δ down β", "beta"),
    "down_p": _c("Δ down p", "p-value of the change in the downside beta", "p"),
    "up_change": _c("Δ up β", "change in the BTC beta on BTC up days", "beta"),
    "up_p": _c("Δ up p", "p-value of the change in the upside beta", "p"),
    "asym_change": _c("Δ asymmetry", "change in (down β - up β)", "beta"),
    "did": _c("DiD", "difference-in-differences: pivoters' mean change minus loyalists'", "beta"),
    "welch_p": _c("Welch p", "Welch two-sample t-test p-value", "p"),
    "perm_p": _c("permutation p", "exact permutation p over cohort labelings", "p"),
    "p_floor": _c("smallest p", "the smallest permutation p these cohort sizes allow (with "
                  "equal cohorts every labeling has a mirror image: 2/C(n, n/2))", "p"),
    "n_labelings": _c("labelings", "cohort labelings of the permutation test", "int"),
    "n_pivoters": _c("pivoters", "miners in the pivoter cohort", "int"),
    "n_loyalists": _c("loyalists", "miners in the loyalist cohort", "int"),
    "loo_min": _c("leave-one-out min", "smallest DiD leaving one miner out", "beta"),
    "loo_max": _c("leave-one-out max", "largest DiD leaving one miner out", "beta"),
    "mean_change_pivoters": _c("pivoters' Δ", "pivoters' mean change", "beta"),
    "mean_change_loyalists": _c("loyalists' Δ", "loyalists' mean change", "beta"),
    "capture_before": _c("capture before", "miner's move / BTC's move over crashes before the "
                         "split (1.00x = fell as much as BTC)", "x"),
    "capture_after": _c("capture after", "miner's move / BTC's move over crashes after the "
                        "split", "x"),
    "btc_drawdown": _c("BTC fall", "BTC peak-to-trough move", "pct"),
    "benchmark": _c("benchmark", "model = market + BTC factor model; control = loyal-miner "
                    "portfolio"),
    "measure": _c("measure", "CAR (summed) or BHAR (compounded) abnormal return"),
    "horizon": _c("horizon", "sessions after day 0", "int"),
    "n": _c("n", "events (observations) used", "int"),
    "boot_p": _c("bootstrap p", "Lyon-Barber-Tsai skewness-adjusted bootstrap p", "p"),
    "pooled_kept": _c("kept (pooled)", "mean CAR at the horizon / mean day-0 AR (100% = the "
                      "whole day-0 move kept)", "share"),
    "median_kept": _c("kept (median)", "median over events of CAR at the horizon / day-0 AR",
                      "share"),
    "event_id": _c("event", "catalog event id"),
    "deal_usd": _c("deal", "reported deal size, US dollars", "usd"),
    "ar0_model": _c("AR day 0", "abnormal return on day 0 (market + BTC model)", "pct"),
    "truncated": _c("cut short", "the data end (or a gap) before the last horizon"),
    "h_avail": _c("sessions seen", "sessions after day 0 the data cover", "int"),
    "confounders": _c("other news", "same-day news that may drive the move"),
    "announcer_group": _c("announcer", "cohort of the miner that announced"),
    "peer_group": _c("peers", "cohort of the peers whose move is measured"),
    "n_events": _c("events", "announcements measured", "int"),
    "n_positive": _c("n up", "events with a positive mean peer move", "int"),
    "sign_p": _c("sign p", "sign-test p-value", "p"),
    "intercept": _c("intercept", "OLS intercept", "num3"),
    "slope_log_deal": _c("slope on log deal", "change in share kept per log-unit of deal size",
                         "num3"),
    "se": _c("SE", "standard error", "num3"),
    "r2": _c("R²", "share of variance explained", "num3"),
    "p": _c("p", "two-sided p-value", "p"),
    "note": _c("note", "what was clipped or left out"),
}
for _h, _lab in _H.items():
    GLOSSARY[f"car{_h}_model"] = _c(f"CAR {_lab}", f"CAR from day 0 to {_lab} (market + BTC "
                                    "model)", "pct")
    GLOSSARY[f"kept{_h}_model"] = _c(f"kept {_lab}", f"CAR to {_lab} / day-0 AR (100% = the "
                                     "whole day-0 move kept; negative = reversed past zero)",
                                     "share")
    GLOSSARY[f"verdict{_h}"] = _c(f"verdict {_lab}", f"persisted, faded or reversed by {_lab}")

CONTEXTS: dict[str, dict[str, Column]] = {
    # the unit of mean/low/high depends on the table
    "returns": {"mean": _c("mean", "mean abnormal return", "pct"),
                "low": _c("95% low", "lower end of the 95% interval", "pct"),
                "high": _c("95% high", "upper end of the 95% interval", "pct"),
                "t": _c("t", "t statistic", "stat")},
    "betas": {"estimate": _c("estimate", "which difference-in-differences: the actual split, "
                             "the down-minus-up asymmetry, or the placebo date"),
              "low": _c("95% low", "lower end of the 95% interval", "beta"),
              "high": _c("95% high", "upper end of the 95% interval", "beta")},
    "capture": {"change": _c("Δ capture", "capture after - capture before", "x")},
    "episodes": {"episode": _c("episode", "BTC crash episode number", "int"),
                 "start": _c("peak", "BTC peak before the crash"),
                 "trough": _c("trough", "BTC trough of the crash"),
                 "end": _c("end", "end of the episode"),
                 "complete": _c("complete", "the episode ended inside the data")},
    "slopes": {"low": _c("95% low", "lower end of the 95% interval of the slope", "num3"),
               "high": _c("95% high", "upper end of the 95% interval of the slope", "num3")},
}
"""Table-specific glossary entries (``Table(..., context="returns")``)."""


def fmt_value(v: Any, kind: str | None, fallback: str | None = None) -> Any:
    """Write one value: floats by ``kind`` (:data:`KINDS`) or the ``fallback`` format;
    missing numbers as ""; anything else unchanged."""
    if isinstance(v, bool | np.bool_) or v is None:
        return "" if v is None else v
    if isinstance(v, int | float | np.integer | np.floating):
        f = _num(v)
        if f is None:
            return ""
        if kind is not None:
            return KINDS[kind](f)
        if fallback is not None and not isinstance(v, int | np.integer):
            return fallback.format(f)
    return v


def _cell(v: Any, *, frozen: bool = False) -> str:
    try:
        if v is None or (not isinstance(v, list | tuple | dict) and pd.isna(v)):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(v, pd.Timestamp | np.datetime64):
        t = pd.Timestamp(v)
        v = t.strftime("%Y-%m-%d") if t == t.normalize() else str(t)
    text = str(v)
    if len(text) > _WRAP_AT and not frozen:  # prose (notes, headlines): wraps, not to a sliver
        return f'<div style="min-width:16em;max-width:40em">{markup.escape(text)}</div>'
    return markup.escape(text)


_BORDER = "border-bottom:1px solid #e0e0e0;"
_TH = ("white-space:nowrap;padding:4px 8px;font-weight:600;vertical-align:bottom;"
       "border-bottom:1px solid #999;background:#fff;")
_TD = "padding:3px 8px;vertical-align:top;" + _BORDER
_FROZEN = "position:sticky;left:0;z-index:1;background:#fff;box-shadow:1px 0 0 #ccc;"


class Table:
    """A DataFrame shown in the analyst table style (see the module docstring).

    Parameters
    ----------
    frame : DataFrame
    caption : str
        Bold line above the table.
    floatfmt : str
        Format of float columns with no kind (glossary or ``kinds``).
    formats : mapping, optional
        ``column -> format string`` for columns with no kind (a kind always wins, so a p-value
        reads the same in every table).
    index : bool
        Show the index as the first column.
    align : {"right", "left"}
        Alignment of the cells.
    context : str, optional
        A key of :data:`CONTEXTS` (the unit of ambiguous names like ``mean``).
    kinds, labels : mapping, optional
        Per-table kinds (:data:`KINDS`) and headers, overriding the glossary.
    top : int
        Rows shown before the rest is folded (:data:`TOP_ROWS`).
    """

    def __init__(self, frame: pd.DataFrame, caption: str = "", floatfmt: str = "{:.4f}",
                 formats: Mapping[str, str] | None = None, index: bool = True,
                 align: str = "right", *, context: str | None = None,
                 kinds: Mapping[str, str] | None = None,
                 labels: Mapping[str, str] | None = None, top: int = TOP_ROWS) -> None:
        if context is not None and context not in CONTEXTS:
            raise ValueError(f"unknown table context {context!r}; use one of {sorted(CONTEXTS)}")
        for k in (kinds or {}).values():
            if k not in KINDS:
                raise ValueError(f"unknown column kind {k!r}; use one of {sorted(KINDS)}")
        self.frame = frame
        self.caption = caption
        self.floatfmt = floatfmt
        self.formats = dict(formats or {})
        self.index = index
        self.align = align
        self.context = context
        self.kinds = dict(kinds or {})
        self.labels = dict(labels or {})
        self.top = max(1, int(top))

    # -- columns ---------------------------------------------------------------------------
    def column(self, name: Any) -> Column:
        """The header, meaning and kind of column ``name`` in this table."""
        key = str(name)
        col = (CONTEXTS.get(self.context or "", {}).get(key) or GLOSSARY.get(key)
               or Column(key.replace("_", " ")))
        kind = self.kinds.get(key, col.kind)
        return Column(self.labels.get(key, col.label), col.meaning, kind)

    def _formatted(self) -> pd.DataFrame:
        df = self.frame.copy()
        for c in df.columns:
            col = self.column(c)
            kind = col.kind if pd.api.types.is_numeric_dtype(df[c]) and not \
                pd.api.types.is_bool_dtype(df[c]) else None
            fmt = self.formats.get(str(c))
            if kind is None and fmt is None and pd.api.types.is_float_dtype(df[c]):
                fmt = self.floatfmt
            if kind is None and fmt is None:
                continue
            df[c] = [fmt_value(v, kind, fmt) for v in df[c]]
        return df

    # -- HTML ------------------------------------------------------------------------------
    def _aligns(self) -> list[str]:
        """Per shown column: numbers right (or all ``align="left"``), text and the frozen first
        column left."""
        out = ["left"] if self.index else []
        for c in self.frame.columns:
            s = self.frame[c]
            num = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
            out.append(self.align if num else "left")
        if out:
            out[0] = "left"
        return out

    def _header(self) -> list[str]:
        cells = []
        al = self._aligns()
        if self.index:
            name = self.frame.index.name
            cells.append(self._th("" if name is None else str(name), frozen=True, align="left"))
        for i, c in enumerate(self.frame.columns):
            j = i + int(self.index)
            cells.append(self._th(str(c), frozen=j == 0, align=al[j]))
        return cells

    def _th(self, name: str, *, frozen: bool, align: str) -> str:
        col = self.column(name) if name else Column("")
        tip = f"{col.meaning} ({name})" if col.meaning else name
        style = _TH + (_FROZEN if frozen else "") + f"text-align:{align}"
        title = f' title="{html.escape(tip, quote=True)}"' if tip else ""  # MathJax skips attributes
        return f'<th style="{style}"{title}>{markup.escape(col.label)}</th>'

    def _rows(self, df: pd.DataFrame) -> list[str]:
        rows = []
        al = self._aligns()
        for idx, r in zip(df.index, df.itertuples(index=False), strict=True):
            vals = ([idx] if self.index else []) + list(r)
            tds = []
            for j, v in enumerate(vals):
                frozen = j == 0
                st = _TD + f"text-align:{al[j]};"
                if frozen:
                    st += _FROZEN + "white-space:nowrap;"
                elif not (isinstance(v, str) and len(v) > _WRAP_AT):
                    st += "white-space:nowrap;"
                tag = "th" if (frozen and self.index) else "td"
                tds.append(f'<{tag} style="{st}">{_cell(v, frozen=frozen)}</{tag}>')
            rows.append("<tr>" + "".join(tds) + "</tr>")
        return rows

    def _table(self, header: list[str], rows: list[str]) -> str:
        body = ('<table class="pivot-table" style="border-collapse:separate;border-spacing:0;'
                'font-size:13px;margin:0">'
                f'<thead><tr>{"".join(header)}</tr></thead><tbody>{"".join(rows)}</tbody>'
                "</table>")
        return markup.block(body, cls="pivot-table-box",
                            style="max-width:100%;overflow-x:auto;margin:2px 0 6px 0")

    def _legend(self) -> str:
        items = []
        for c in self.frame.columns:
            col = self.column(c)
            if col.meaning:
                items.append(f"<li><b>{markup.escape(col.label)}</b>: "
                             f"{markup.escape(col.meaning)}</li>")
        if not items:
            return ""
        return ('<details class="pivot-table-legend" style="font-size:12px;color:#555">'
                '<summary>What the columns mean</summary><ul style="margin:2px 0">'
                + "".join(items) + "</ul></details>")

    def table_id(self) -> str:
        """A deterministic id (hash of the frame and caption)."""
        h = hashlib.sha256((self.caption + self.frame.to_json(date_format="iso",
                                                              default_handler=str))
                           .encode()).hexdigest()[:12]
        return "tbl-" + h

    def _repr_html_(self) -> str:
        """The caption, the top rows, the rest folded, and the folded column legend; a table
        with nothing in it is one line saying so (e.g. a part of the study that could not run)."""
        return self._html()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """HTML and plain text from one formatting of the cells."""
        df = self._formatted() if not self._empty() else None
        return {"text/html": self._html(df), "text/plain": self._text(df)}

    def _empty(self) -> bool:
        return self.frame.shape[1] == 0 or (len(self.frame) == 0 and not self.index)

    def _html(self, df: pd.DataFrame | None = None) -> str:
        if self._empty():
            what = markup.escape(self.caption) + ": " if self.caption else ""
            return markup.block(f'<p style="margin:6px 0"><i>{what}nothing to show (see the '
                                "notes for what was left out and why)</i></p>",
                                cls="pivot-table-wrap", id=self.table_id())
        df = self._formatted() if df is None else df
        header = self._header()
        rows = self._rows(df)
        parts = []
        if self.caption:
            parts.append(f'<p style="margin:6px 0 2px 0"><b>{markup.escape(self.caption)}</b>'
                         "</p>")
        top = self.top if len(rows) > self.top + 2 else len(rows)  # fold 3+ rows, never 1-2
        parts.append(self._table(header, rows[:top]))
        if top < len(rows):
            parts.append(f'<details class="pivot-table-more"><summary>Show the other '
                         f"{len(rows) - top} rows (of {len(rows)})</summary>"
                         + self._table(header, rows[top:]) + "</details>")
        parts.append(self._legend())
        return markup.block("".join(parts), cls="pivot-table-wrap", style="max-width:100%",
                            id=self.table_id())

    def __repr__(self) -> str:
        return self._text()

    def _text(self, df: pd.DataFrame | None = None) -> str:
        df = (self._formatted() if df is None else df).copy(deep=False)
        df.columns = [self.column(c).label for c in df.columns]
        return (self.caption + "\n" if self.caption else "") + df.to_string(index=self.index)


def table(frame: pd.DataFrame, caption: str = "", floatfmt: str = "{:.4f}",
          formats: Mapping[str, str] | None = None, index: bool = True,
          align: str = "right", **style: Any) -> Table:
    """Wrap a DataFrame for display in the analyst style (keywords of :class:`Table`)."""
    return Table(frame, caption, floatfmt, formats, index, align, **style)
