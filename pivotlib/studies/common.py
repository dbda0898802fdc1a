"""What every study shares: the event-study model spec, notes on what was left out, summaries.

A study never dies on a default: what it cannot use (a symbol the dataset lacks, an event the
data cannot support, a window clipped at the data's edge) becomes a :class:`Notes` entry that
the notebook shows and the terminal summary repeats (which, why, how to get it).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pivotlib.defaults import (
    ESTIMATION_WINDOW,
    EVENT_FACTORS,
    EVENT_MODEL,
    EVENT_WINDOW,
    MARKET,
)
from pivotlib.errors import InputError


@dataclass(frozen=True)
class ModelSpec:
    """The normal-return model and windows of an event study (defaults: :mod:`pivotlib.defaults`).

    Attributes
    ----------
    model : str
        ``factors``, ``market``, ``market_adjusted`` or ``constant_mean``.
    market : str
        Benchmark of the market models.
    factors : tuple of str
        Regressors of the ``factors`` model.
    estimation, window : tuple of int
        Estimation and event windows in trading days relative to day 0.
    """

    model: str = EVENT_MODEL
    market: str = MARKET
    factors: tuple[str, ...] = EVENT_FACTORS
    estimation: tuple[int, int] = ESTIMATION_WINDOW
    window: tuple[int, int] = EVENT_WINDOW

    @classmethod
    def of(cls, *, model: str | None = None, market: str | None = None,
           factors: Sequence[str] | None = None, estimation: Sequence[int] | None = None,
           window: Sequence[int] | None = None) -> ModelSpec:
        """Build a spec, filling every option not given from the defaults."""
        d = cls()
        return cls(model=model or d.model, market=market or d.market,
                   factors=tuple(factors) if factors else d.factors,
                   estimation=tuple(estimation) if estimation else d.estimation,  # type: ignore[arg-type]
                   window=tuple(window) if window else d.window)  # type: ignore[arg-type]

    def regressors(self) -> list[str]:
        """The return columns the model needs besides the stock's own."""
        if self.model == "factors":
            if not self.factors:
                raise InputError('model "factors" needs factors, e.g. ["SPY", "BTC-USD"]')
            return list(self.factors)
        if self.model in ("market", "market_adjusted"):
            return [self.market]
        return []

    def engine_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`pivotlib.analytics.eventstudy.run_event_study`."""
        return {"model": self.model, "market": self.market,
                "factors": self.regressors() if self.model == "factors" else None,
                "estimation": tuple(self.estimation), "window": tuple(self.window)}

    def label(self) -> str:
        """``factors (SPY, BTC-USD)``."""
        return f"{self.model} ({', '.join(self.regressors()) or 'no regressors'})"


@dataclass
class Notes:
    """What a study left out or changed, and why (shown in the report and on the terminal)."""

    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        """Add one note (duplicates are kept once)."""
        if text and text not in self.items:
            self.items.append(text)

    def extend(self, texts: Iterable[str]) -> None:
        """Add several notes."""
        for t in texts:
            self.add(t)

    def left_out(self, frame: pd.DataFrame) -> list[str]:
        """Record the symbols a loader left out (``attrs["left_out"]``); return their names."""
        out = dict(frame.attrs.get("left_out") or {})
        for sym, why in out.items():
            self.add(f"{sym} left out: {why}")
        return list(out)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass
class Summary:
    """A study's headline table with its notes; renders in a notebook (``_repr_html_``) and as
    text (``str``), like statsmodels' ``Summary``."""

    title: str
    rows: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        w = max((len(k) for k, _ in self.rows), default=0)
        lines = [self.title, "=" * len(self.title)]
        lines += [f"{k:<{w}}  {v}" for k, v in self.rows]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
                       for k, v in self.rows)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (f"<div class='pivot-summary tex2jax_ignore mathjax_ignore'>"
                f"<b>{html.escape(self.title)}</b><table>{body}</table>"
                + (f"<ul>{notes}</ul>" if notes else "") + "</div>")
