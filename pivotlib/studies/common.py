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
    BITCOIN,
    ESTIMATION_WINDOW,
    EVENT_FACTORS,
    EVENT_MODEL,
    EVENT_WINDOW,
    MARKET,
    choose_role,
    require_named,
)
from pivotlib.errors import DataError, InputError


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


def dataset_symbols(dataset: str | None) -> list[str]:
    """Symbols a dataset holds (file names only; nothing is read).

    Raises
    ------
    DataError
        The dataset holds no series at all (says how to fill it).
    """
    from pivotlib.data.loading import resolve_dataset

    ds = resolve_dataset(dataset)
    have = ds.available()
    if not have:
        fill = ("generate it with `pivot data synthesize` (or `make demo`)" if ds.kind == "demo"
                else "add <SYMBOL>.csv files to the folder(s)" if ds.kind == "csv"
                else "fill it with `pivot data fetch` (or `pivot data import FILE --symbol "
                     "SYMBOL`)")
        raise DataError(f"the dataset {ds.name} holds no price series; {fill}, or pick "
                        "another with --dataset (demo, store, csv:<folder>)")
    return have


def fit_spec(spec: ModelSpec, available: Iterable[str],
             where: str = "the dataset") -> tuple[ModelSpec, list[str]]:
    """The model ``spec`` fitted to the series a dataset has (the rule per role of
    :func:`pivotlib.defaults.choose_role`).

    A default regressor the data lack degrades: the market to its stand-in (``IWM``, then
    ``QQQ``), and bitcoin is dropped, so the default market + BTC model becomes the market
    model; with no market series either, the constant-mean model. A regressor the analyst
    named (anything but the role defaults) must be present.

    Returns
    -------
    (ModelSpec, list of str)
        The spec to run and the notes saying what changed, why and how to get the series.

    Raises
    ------
    DataError
        An explicitly named regressor is not in the data (names it and ``where``).
    """
    have = set(available)
    notes: list[str] = []
    if spec.model not in ("factors", "market", "market_adjusted"):
        return spec, notes
    if spec.model == "factors":
        require_named({f"factors[{i}]": f for i, f in enumerate(spec.factors)
                       if f not in (MARKET, BITCOIN)}, have, where)
    elif spec.market != MARKET:
        require_named({"market": spec.market}, have, where)
    if all(r in have for r in spec.regressors()):
        return spec, notes
    taken = [f for f in spec.factors if f in have]
    m = choose_role("market", have, spec.market, taken=taken)
    if m.note:
        notes.append(m.note)
    if spec.model != "factors":
        if m.column:
            return ModelSpec(spec.model, m.column, spec.factors, spec.estimation,
                             spec.window), notes
        notes.append(f"No market series: the {spec.model} model became the constant-mean "
                     "model.")
        return ModelSpec("constant_mean", spec.market, spec.factors, spec.estimation,
                         spec.window), notes
    facs: list[str] = []
    for f in spec.factors:
        if f == MARKET:
            if m.column:
                facs.append(m.column)
        elif f == BITCOIN:
            b = choose_role("bitcoin", have, f)
            if b.column:
                facs.append(b.column)
            else:
                notes.append(b.note)
        else:
            facs.append(f)
    market = m.column or spec.market
    if not facs:
        model = "constant_mean"
    elif facs == [market]:
        model = "market"
    else:
        model = "factors"
    new = ModelSpec(model, market, tuple(facs) or spec.factors, spec.estimation, spec.window)
    gone = [r for r in spec.regressors() if r not in have]
    notes.append(f"Event model: {new.label()} instead of {spec.label()} ({', '.join(gone)} "
                 "not in the data).")
    return new, notes


@dataclass(frozen=True)
class Missing:
    """A section of a report that could not run, and why (shown as one boxed line).

    Attributes
    ----------
    section : str
        The section's name (``headline event``, ``regimes``, ``lifeboat``, ``key numbers``).
    reason : str
        What is missing and how to get it (the error's own message, which names both).
    """

    section: str
    reason: str

    @property
    def line(self) -> str:
        """``Regimes not shown: <reason>``."""
        return f"{self.section[:1].upper()}{self.section[1:]} not shown: {self.reason}"

    def __bool__(self) -> bool:
        return False


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


class CohortReport:
    """What the cohort studies' reports (lifeboat, Merge) share: the SYNTHETIC flag of their
    returns and the Newey-West lag rule of their beta regressions. A mixin for dataclasses with
    a ``returns`` field."""

    returns: pd.DataFrame

    @property
    def synthetic(self) -> bool:
        """True when the data are the SYNTHETIC demo."""
        return bool(self.returns.attrs.get("synthetic"))

    @property
    def hac_rule(self) -> str:
        """The Newey-West lag rule of the beta regressions."""
        from pivotlib.analytics.lifeboat import HAC_RULE

        return HAC_RULE


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
