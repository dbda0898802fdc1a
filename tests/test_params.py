"""Notebook parameter validation (pivotlib.studies.params): clear errors, normalised values."""

from __future__ import annotations

import pytest

from pivotlib.errors import InputError
from pivotlib.studies import params

ES = dict(dataset="demo", event_id="", symbol="APLD", date="2024-09-05", timing="pre-market",
          model="factors", market="SPY", factors=["SPY", "BTC-USD"], estimation=[-250, -11],
          window=[-1, 1], windows=[[0, 0], [-1, 1]])


def test_valid_event_study_is_normalised():
    p = params.validate("02-event-study", **{**ES, "symbol": "apld"})
    assert p.symbol == "APLD"
    assert p.window == (-1, 1) and p.estimation == (-250, -11)
    assert p.factors == ("SPY", "BTC-USD")
    assert p.event_id is None and p.date == "2024-09-05"
    assert p.as_json()["window"] == [-1, 1]


@pytest.mark.parametrize("change, words", [
    ({"model": "garch"}, ["model", "garch", "use one of", "factors"]),
    ({"date": "2024-13-01"}, ["date", "real calendar date"]),
    ({"date": "05/09/2024"}, ["date", "ISO"]),
    ({"window": [2, -1]}, ["window", "reversed", "[-1, 2]"]),
    ({"window": [-1]}, ["window", "[start, end]"]),
    ({"symbol": "ZZZZ"}, ["symbol", "ZZZZ", "not in the universe", "APLD"]),
    ({"factors": ["SPY", "NOPE"]}, ["factors[1]", "NOPE"]),
    ({"factors": "SPY"}, ["factors", "is a string, not a list"]),
    ({"estimation": [-250, 0]}, ["overlaps the event window"]),
    ({"estimation": [-20, -11]}, ["at least 30"]),
    ({"dataset": "prod"}, ["dataset", "demo", "store", "csv:"]),
    ({"dataset": "csv:/no/such/folder"}, ["not a folder"]),
    ({"timing": "evening"}, ["timing", "after-close"]),
    ({"symbol": "APLD", "date": ""}, ["needs both symbol and date", "event_id"]),
    ({"event_id": "APLD-1999-01-01-nothing"}, ["event_id", "not in the event catalog",
                                               "pivot events list"]),
])
def test_bad_values_name_parameter_and_fix(change, words):
    with pytest.raises(InputError) as exc:
        params.validate("02-event-study", **{**ES, **change})
    msg = str(exc.value)
    for w in words:
        assert w in msg, (w, msg)


def test_unknown_and_missing_parameters():
    with pytest.raises(InputError, match="has no parameter 'colour'"):
        params.validate("02-event-study", **ES, colour="red")
    partial = dict(ES)
    partial.pop("window")
    with pytest.raises(InputError, match="missing parameter"):
        params.validate("02-event-study", **partial)
    with pytest.raises(InputError, match="no parameter spec"):
        params.validate("99-nothing", x=1)


def test_event_id_from_catalog_accepted():
    from pivotlib.events.catalog import load_catalog

    eid = str(load_catalog()["event_id"].iloc[0])
    p = params.validate("02-event-study", **{**ES, "event_id": eid, "symbol": "", "date": ""})
    assert p.event_id == eid


def test_dates_reversed_and_regime_window():
    base = dict(dataset="demo", symbols=["APLD"], factors=["SPY", "BTC-USD", "SMH"],
                market="SPY", bitcoin="BTC-USD", ai="SMH",
                window=120, date="", start="2024-01-01", end="2023-01-01")
    with pytest.raises(InputError, match="reversed"):
        params.validate("04-pivot-regimes", **base)
    with pytest.raises(InputError, match="whole number"):
        params.validate("04-pivot-regimes", **{**base, "end": "", "window": 12.5})
    with pytest.raises(InputError, match="minimum 20"):
        params.validate("04-pivot-regimes", **{**base, "end": "", "window": 5})
    with pytest.raises(InputError, match="more than once"):
        params.validate("04-pivot-regimes", **{**base, "end": "", "symbols": ["APLD", "apld"]})


def test_category_checked_against_catalog():
    base = dict(dataset="demo", category="ai_hosting_lease", symbols=[], start="", end="",
                model="market", market="SPY", factors=[], estimation=[-250, -11],
                window=[-1, 1])
    assert params.validate("03-sector-event-study", **base).category == "ai_hosting_lease"
    with pytest.raises(InputError, match="not a catalog category"):
        params.validate("03-sector-event-study", **{**base, "category": "aliens"})
    with pytest.raises(InputError, match="non-empty factors"):
        params.validate("03-sector-event-study", **{**base, "model": "factors"})


@pytest.mark.parametrize("text, value", [
    ("[-1, 1]", [-1, 1]), ("120", 120), ("true", True), ("APLD", "APLD"),
    ("2024-06-03", "2024-06-03"), ('["SPY", "BTC-USD"]', ["SPY", "BTC-USD"]), ("''", ""),
    ("0.5", 0.5),
])
def test_cli_values_are_literals(text, value):
    assert params.parse_cli_value(text) == value


def test_cli_values_never_execute():
    # a YAML python tag must not construct objects
    with pytest.raises(InputError):
        params.parse_cli_value("!!python/object/apply:os.system ['echo hacked']")
    assert params.parse_cli_value("__import__('os').system('x')") == "__import__('os').system('x')"


def test_check_overrides_merges_defaults():
    defaults = dict(ES)
    p = params.check_overrides("02-event-study", {"window": [0, 2]}, defaults)
    assert p.window == (0, 2)
    with pytest.raises(InputError, match="no parameter"):
        params.check_overrides("02-event-study", {"nope": 1}, defaults)


def test_every_spec_matches_its_notebook():
    """Each notebook's parameters cell defines exactly its spec's names and validates."""
    from pivotlib.config import notebooks_dir
    from pivotlib.runner.notebooks import notebook_parameters

    found = sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))
    assert found, "no notebooks"
    for stem in found:
        defaults = notebook_parameters(notebooks_dir() / f"{stem}.ipynb")
        assert set(defaults) == set(params.SPECS[stem]), stem
        params.validate(stem, **defaults)


def test_factor_roles_are_explicit_and_distinct():
    """04's roles are named, never read from a factor's position: BTC-USD in both roles, or a
    role that is not among the factors, is refused with the fix."""
    base = dict(dataset="demo", symbols=["APLD"], factors=["SPY", "SMH", "BTC-USD"],
                market="SPY", bitcoin="BTC-USD", ai="SMH", window=120, date="", start="",
                end="")
    p = params.validate("04-pivot-regimes", **base)   # order of factors does not matter
    assert (p.market, p.bitcoin, p.ai) == ("SPY", "BTC-USD", "SMH")
    with pytest.raises(InputError, match="distinct"):
        params.validate("04-pivot-regimes", **{**base, "ai": "BTC-USD"})
    with pytest.raises(InputError, match="not among the factors"):
        params.validate("04-pivot-regimes", **{**base, "ai": "QQQ"})


def test_notebook_defaults_match_pivotlib_defaults():
    """The parameters cells spell the defaults as literals (papermill needs them); they must
    equal pivotlib.defaults, the one home of every default."""
    from pivotlib import defaults as D
    from pivotlib.runner.notebooks import notebook_parameters, resolve_notebook

    for nb in ("02-event-study", "03-sector-event-study", "05-briefing"):
        d = notebook_parameters(resolve_notebook(nb))
        assert d["model"] == D.EVENT_MODEL and d["market"] == D.MARKET
        assert tuple(d["factors"]) == D.EVENT_FACTORS
        assert tuple(d["estimation"]) == D.ESTIMATION_WINDOW
        assert tuple(d["window"]) == D.EVENT_WINDOW
    d2 = notebook_parameters(resolve_notebook("02-event-study"))
    assert tuple(map(tuple, d2["windows"])) == D.EXTRA_WINDOWS
    d4 = notebook_parameters(resolve_notebook("04-pivot-regimes"))
    assert tuple(d4["symbols"]) == D.REGIME_COHORT and tuple(d4["factors"]) == D.REGIME_FACTORS
    assert (d4["market"], d4["bitcoin"], d4["ai"]) == (D.MARKET, D.BITCOIN, D.AI)
    assert d4["window"] == D.REGIME_WINDOW
    d5 = notebook_parameters(resolve_notebook("05-briefing"))
    assert tuple(d5["regime_symbols"]) == D.REGIME_COHORT
    assert tuple(d5["regime_factors"]) == D.REGIME_FACTORS
