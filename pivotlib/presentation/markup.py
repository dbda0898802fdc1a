"""One escaping function for every string that reaches HTML (notebook outputs, exported pages).

Catalog headlines and user strings contain dollar amounts ("$9.8B ... up to $25.1B"). JupyterLab
typesets text between two ``$`` as TeX in Markdown *and* HTML outputs (MathJax 3, inline
delimiters ``$...$`` and ``\\(...\\)``, ``processEscapes``), and so does any page that loads
MathJax 2 (classic notebook, nbconvert templates that keep MathJax). Escaping ``$`` as ``\\$``
only helps where MathJax runs (elsewhere the backslash shows), and ``&#36;`` does not help at all
(MathJax reads the decoded text). What works in every front end is MathJax's *ignore class*:

* :func:`escape` HTML-escapes the text and puts each run of TeX-active characters (``$`` and
  ``\\``) in ``<span class="mathjax_ignore tex2jax_ignore">``. MathJax 3 breaks its search string
  at every element and skips ignored ones, MathJax 2's tex2jax skips the class, and without
  MathJax the span is just text; so the string always reads literally.
* :func:`block` wraps a whole HTML block (a Prose box, a table) in an element with the same
  classes, so nothing inside it is typeset even if a caller forgot :func:`escape`.

``mathjax_ignore`` is MathJax 3's default ``ignoreHtmlClass`` (JupyterLab 4 does not change it);
``tex2jax_ignore`` is MathJax 2's.
"""

from __future__ import annotations

import html
import re
from typing import Any

__all__ = ["NOMATH_CLASS", "escape", "block", "inline"]

NOMATH_CLASS = "mathjax_ignore tex2jax_ignore"
"""Classes that make MathJax 3 (JupyterLab 4) and MathJax 2 skip an element."""

_TEX = re.compile(r"[$\\]+")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def escape(text: Any) -> str:
    """HTML-escape ``text`` (quotes too) and shield ``$`` and ``\\`` from MathJax.

    >>> escape("$9.8B <deal>")
    '<span class="mathjax_ignore tex2jax_ignore">$</span>9.8B &lt;deal&gt;'
    """
    s = html.escape("" if text is None else str(text), quote=True)
    return _TEX.sub(lambda m: f'<span class="{NOMATH_CLASS}">{m.group(0)}</span>', s)


def inline(text: Any) -> str:
    """:func:`escape`, then the two bits of Markdown that briefing text may use.

    ``**bold**`` becomes ``<strong>`` and ```code``` becomes ``<code>``; nothing else is
    interpreted (a user's ``*`` or ``_`` stays as typed).
    """
    s = escape(text)
    s = _CODE.sub(r"<code>\1</code>", s)
    return _BOLD.sub(r"<strong>\1</strong>", s)


def block(inner_html: str, *, cls: str = "", style: str = "", tag: str = "div",
          id: str = "") -> str:  # noqa: A002 - the HTML attribute
    """Wrap already-escaped HTML in ``<tag id=... class="NOMATH_CLASS cls" style=...>``."""
    classes = " ".join(c for c in (cls, NOMATH_CLASS) if c)
    st = f' style="{html.escape(style, quote=True)}"' if style else ""
    ident = f' id="{html.escape(id, quote=True)}"' if id else ""
    return f'<{tag}{ident} class="{html.escape(classes, quote=True)}"{st}>{inner_html}</{tag}>'
