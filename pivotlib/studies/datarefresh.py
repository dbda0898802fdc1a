"""What data is there, and does it look right? (notebook 01): :func:`study_data`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pivotlib.data.datasets import DatasetSpec
from pivotlib.data.loading import load_prices
from pivotlib.data.quality import dataset_status, quality_flags, refresh_data
from pivotlib.studies.common import Notes, Summary


@dataclass
class DataReport:
    """Everything notebook 01 shows (:func:`study_data`)."""

    dataset: str
    refresh_message: str
    prices: pd.DataFrame
    status: pd.DataFrame
    flags: pd.DataFrame
    missing: list[str]
    notes: Notes = field(default_factory=Notes)

    @property
    def synthetic(self) -> bool:
        """True when the data are the SYNTHETIC demo."""
        return bool(self.prices.attrs.get("synthetic"))

    def summary(self) -> Summary:
        """Headline numbers (renders in a notebook)."""
        return Summary(title="Data refresh",
                       rows=[("dataset", self.dataset), ("symbols", str(len(self.prices.columns))),
                             ("last session", str(self.prices.index[-1].date())),
                             ("flagged", str(int((self.flags["flags"] != "").sum())))],
                       notes=list(self.notes))

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def record(self) -> dict[str, Any]:
        """The values the runner puts in the sidecar and the index."""
        return dict(kind="data", title="Data refresh", dataset=self.dataset,
                    synthetic=self.synthetic, n_symbols=len(self.prices.columns),
                    last_session=str(self.prices.index[-1].date()),
                    flagged=int((self.flags["flags"] != "").sum()), missing=self.missing,
                    notes=list(self.notes))


def study_data(*, dataset: str | None = None, symbols: Sequence[str] = (),
               start: str | None = None, end: str | None = None,
               offline: bool = True) -> DataReport:
    """Refresh (store and online only), then the status table, prices and quality flags.

    Symbols asked for but absent are left out with a note; with no symbols, every universe
    symbol the dataset holds is shown and the absent ones are listed (with how to get them).
    """
    ds = str(DatasetSpec.parse(dataset))
    msg = refresh_data({"dataset": ds, "symbols": list(symbols), "start": start, "end": end,
                        "offline": offline})
    notes = Notes()
    prices = load_prices(list(symbols) or None, start or None, end or None, dataset=ds,
                         on_missing="skip")
    notes.left_out(prices)
    _, status, missing = dataset_status(ds)
    status = status[status["symbol"].isin(list(prices.columns))].reset_index(drop=True)
    if missing and not symbols:
        kind = DatasetSpec.parse(ds).kind
        how = {"store": "`pivot data fetch SYMBOL` or `pivot data import FILE --symbol SYMBOL`",
               "csv": "a <SYMBOL>.csv file in one of the folders"}.get(kind,
                                                                     "`pivot data synthesize`")
        notes.add(f"Not in this dataset ({len(missing)} universe symbols): "
                  f"{', '.join(missing)}; get them with {how}.")
    return DataReport(dataset=ds, refresh_message=msg, prices=prices, status=status,
                      flags=quality_flags(prices), missing=missing, notes=notes)
