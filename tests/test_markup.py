"""pivotlib.presentation.markup.escape: strings reach HTML literally, shielded from MathJax, in every block."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pivotlib import events
from pivotlib.presentation import charts, markup, narrative

HEADLINE = "Hut 8 signs a 15-year, $9.8B lease ... up to $25.1B"
SPAN = f'<span class="{markup.NOMATH_CLASS}">'


def _text(fragment: str) -> str:
    """What a browser shows: tags removed, entities decoded."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def _bare_dollars(fragment: str) -> list[str]:
    """Text nodes that contain a ``$`` outside an ignore-class span."""
    outside = re.sub(re.escape(SPAN) + r"[^<]*</span>", "", fragment)
    return [t for t in re.split(r"<[^>]+>", outside) if "$" in t or "\\" in t]


@pytest.mark.parametrize("raw", [
    HEADLINE, "$", "$$x$$", r"\(a\) and \[b\]", "a <b>&</b> 'c' \"d\"", "", "100% * _x_ ~y~",
    "price $5 \\$6 $$", "\u00e9\u20ac $ \u00a5",
])
def test_escape_reads_literally_and_leaves_no_bare_tex(raw):
    out = markup.escape(raw)
    assert _text(out) == raw
    assert _bare_dollars(out) == []
    assert "<b>" not in out and "<script" not in out


def test_escape_none_and_numbers():
    assert markup.escape(None) == ""
    assert markup.escape(12.5) == "12.5"


def test_inline_bold_and_code_only():
    out = markup.inline("**$9.8B** deal after `pivot data fetch`, a*b*c")
    assert out.startswith("<strong>") and "<code>pivot data fetch</code>" in out
    assert "a*b*c" in out and "`" not in out
    assert _bare_dollars(out) == []


def test_block_carries_the_ignore_classes():
    out = markup.block("x", cls="pivot-prose", style="color:red")
    assert out.startswith('<div class="pivot-prose mathjax_ignore tex2jax_ignore"')
    assert 'style="color:red"' in out


def test_verdict_and_banner_are_shielded():
    v = narrative.event_verdict(symbol="HUT", headline=HEADLINE, event_date="2025-12-17",
                                car=0.2, p_value=0.01, window=[-1, 1])
    h = v._repr_html_()
    assert "mathjax_ignore" in h.split(">", 1)[0]
    assert _bare_dollars(h) == [] and HEADLINE in _text(h)
    assert HEADLINE in str(v)  # plain text keeps the dollars
    banner = narrative.synthetic_banner(True, "demo")._repr_html_()
    assert "`" not in banner and "<code>pivot data fetch</code>" in banner


def test_table_cells_headers_caption_escaped():
    df = pd.DataFrame({"headline": [HEADLINE, None], "$col_a": [1.0, float("nan")],
                       "day": pd.to_datetime(["2025-06-02", None])}, index=["<a>", "b"])
    h = charts.table(df, caption="caption with $1 and $2", align="left")._repr_html_()
    assert "pivot-table-box mathjax_ignore" in h and "overflow-x:auto" in h
    assert _bare_dollars(h) == []
    text = _text(h)
    # an unknown column reads with spaces for underscores; its data name is in the tooltip
    assert HEADLINE in text and "$col a" in text and "2025-06-02" in text and "<a>" in text
    assert "caption with $1 and $2" in text and "nan" not in text and "NaT" not in text
    assert f'class="{markup.NOMATH_CLASS}"' in h and "<wbr>" not in h  # headers never wrap
    assert 'title="<span class="mathjax_ignore' not in h  # no markup inside an attribute


def test_every_catalog_headline_with_dollars_is_shielded():
    cat = events.load_catalog()
    dollars = [h for h in cat["headline"].astype(str) if "$" in h]
    assert dollars, "the catalog has dollar headlines (issue 13 counted 19)"
    for h in dollars:
        out = markup.escape(h)
        assert _bare_dollars(out) == [] and _text(out) == h


def test_plotly_config_is_shared_by_lab_bundle_and_export():
    c = charts.bar(pd.Series([1.0, 2.0], index=["a", "b"]), title="t")
    bundle = c._repr_mimebundle_()
    assert bundle["application/vnd.plotly.v1+json"]["config"] == charts.PLOTLY_CONFIG
    assert '"displaylogo": false' in c.to_html()
    assert charts.PLOTLY_CONFIG["displaylogo"] is False
