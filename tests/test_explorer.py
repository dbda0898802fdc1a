"""pivotlib.explorer: state -> parameters -> command line round trip; widgets update headless."""

from __future__ import annotations

import json

import pytest

from pivotlib import explorer
from pivotlib.errors import InputError
from pivotlib.explorer import State
from pivotlib.runner import notebooks as nbs
from pivotlib.studies import params

EID = "APLD-2025-06-02-coreweave-leases"


@pytest.fixture(scope="module")
def defaults():
    """Notebook 02's own parameters cell (what the runner merges overrides into)."""
    return nbs.notebook_parameters(nbs.resolve_notebook(explorer.NOTEBOOK))


STATES = [
    State(event_id=EID),
    State(event_id=EID, model="market", market="QQQ", estimation=(-120, -6), window=(0, 5)),
    State(source="adhoc", symbol="IREN", date="2025-11-03", timing="pre-market",
          model="constant_mean", window=(-2, 2)),
    State(source="adhoc", symbol="HUT", date="2025-12-17", event_id=EID,  # event_id ignored
          model="market_adjusted", windows=((0, 1),)),
    State(event_id=EID, factors=("SPY", "BTC-USD", "SMH"), dataset="store"),
]


@pytest.mark.parametrize("state", STATES)
def test_command_line_round_trips_through_cli_parser_and_check_overrides(state, defaults):
    cmd = state.command_line()
    assert cmd.startswith("pivot report 02-event-study -p dataset ")
    notebook, overrides = explorer.parse_command_line(cmd)
    assert notebook == explorer.NOTEBOOK
    assert overrides == json.loads(json.dumps(state.overrides()))
    merged = params.check_overrides(notebook, overrides, defaults)
    assert merged == state.validated()
    assert explorer.State.from_params(merged).parameters() == state.parameters()


@pytest.mark.parametrize("value", ["true", "123", "2025-01-02", "", "a b", "null", "[1]",
                                   "csv:/tmp/my data", "x: y", [-1, 1], [[0, 0], [-5, 5]],
                                   ["SPY", "BTC-USD"], 7, True])
def test_cli_value_reads_back_as_itself(value):
    assert params.parse_cli_value(explorer.cli_value(value)) == value


def test_overrides_spell_out_the_choice_but_not_unused_regressors():
    ov = State(event_id=EID, model="constant_mean").overrides()
    assert list(ov) == ["dataset", "event_id", "model", "estimation", "window"]
    ov = State(source="adhoc", symbol="IREN", date="2025-11-03").overrides()
    assert "event_id" not in ov and ov["symbol"] == "IREN" and ov["factors"] == ["SPY", "BTC-USD"]


def test_parse_command_line_rejects_other_commands():
    with pytest.raises(InputError, match="not a `pivot report`"):
        explorer.parse_command_line("pivot brief --dataset demo")


@pytest.fixture(scope="module")
def panel():
    return explorer.Explorer(params.validate(explorer.NOTEBOOK, **State(event_id=EID)
                                             .parameters()))


def _plotly(out):
    (o,) = out.outputs
    return o["data"]["application/vnd.plotly.v1+json"]


def test_widget_change_updates_figures_and_command(panel):
    assert panel.error == "" and panel.study.event_id == EID
    before_ar = _plotly(panel.outputs["ar"])["data"][0]["x"]
    before_car = _plotly(panel.outputs["car"])["data"]
    assert _plotly(panel.outputs["car"])["config"]["displaylogo"] is False
    panel.controls["window"].value = (-3, 4)
    assert panel.state.window == (-3, 4) and panel.error == ""
    after = _plotly(panel.outputs["car"])["data"]
    assert after != before_car
    assert _plotly(panel.outputs["ar"])["data"][0]["x"] != before_ar
    assert panel.study.charts["car"].figure.data[-1].x == tuple(range(-3, 5))
    assert "-p window '[-3, 4]'" in panel.command.value
    assert "SYNTHETIC" in panel.outputs["banner"].outputs[0]["data"]["text/html"]
    assert panel._cache.returns  # cached returns: only the engine re-runs


def test_event_and_model_widgets(panel):
    other = next(v for _, v in panel.controls["event_id"].options if v.startswith("IREN-"))
    panel.controls["event_id"].value = other
    assert panel.study.event_id == other and f"-p event_id {other}" in panel.command.value
    panel.controls["model"].value = "market"
    assert panel.study.res.options["model"] == "market"
    assert "-p market SPY" in panel.command.value and "factors" not in panel.command.value


def test_adhoc_prefills_from_current_event(panel):
    ev = panel.study.event.iloc[0]
    panel.controls["source"].value = "adhoc"
    assert panel.state.source == "adhoc" and panel.state.symbol == ev["symbol"]
    assert "-p symbol " in panel.command.value and "event_id" not in panel.command.value
    assert panel.error == "", panel.error
    panel.controls["source"].value = "event"


def test_invalid_choice_is_explained_and_last_result_kept(panel):
    good, good_cmd = panel.study, panel.command.value
    panel.controls["estimation"].value = (-250, -1)  # overlaps the event window
    assert "overlaps" in panel.error and "Invalid input: estimation window" in panel.status.value
    assert panel.study is good
    assert panel.command.value == good_cmd and panel.command.disabled  # last valid, greyed
    assert "pivot-explorer-stale" in panel.command._dom_classes
    panel.controls["estimation"].value = (-250, -11)
    assert panel.error == "" and not panel.command.disabled
    assert "pivot-explorer-stale" not in panel.command._dom_classes


@pytest.mark.parametrize("control, value, named", [
    ("window", (-20, 20), "event window [-20, 20]"),
    ("dataset", "csv:/nonexistent/pivot-prices", "dataset csv:/nonexistent/pivot-prices"),
])
def test_bad_input_never_leaves_a_command_pivot_report_rejects(panel, control, value, named,
                                                               defaults):
    good_cmd = panel.command.value
    old = panel.controls[control].value
    panel.controls[control].value = value
    try:
        assert panel.error and f"Invalid input: {named}" in panel.status.value
        assert panel.command.value == good_cmd and panel.command.disabled
        assert named.split(" ", 1)[-1] not in panel.command.value
        # what the box shows is still a command the CLI accepts
        notebook, overrides = explorer.parse_command_line(panel.command.value)
        params.check_overrides(notebook, overrides, defaults)
    finally:
        panel.controls[control].value = old
    assert panel.error == "" and not panel.command.disabled


def test_no_valid_choice_yet_shows_no_command():
    bad = State(event_id=EID, window=(-20, 20))
    ex = explorer.Explorer.__new__(explorer.Explorer)  # the refresh logic without a first study
    import ipywidgets as w

    ex.state, ex.valid_state, ex.study, ex.catalog = bad, None, None, None
    ex._cache, ex.status, ex.command = explorer._Cache(), w.HTML(), w.Textarea()
    ex.refresh()
    assert ex.command.value == "" and ex.command.disabled
    assert "stay empty" in ex.status.value and "window [-20, 20]" in ex.status.value


def test_study_is_notebook_02s_computation(panel):
    p = params.validate(explorer.NOTEBOOK, **State(event_id=EID).parameters())
    s = explorer.study(p)
    from pivotlib.studies.event import study_event

    rep = study_event(**p)   # what notebook 02 calls, without the explorer's cache
    assert s.res.events.iloc[0]["car"] == rep.result.events.iloc[0]["car"]
    assert s.test == (rep.test_name, rep.test_stat, rep.p_value)
