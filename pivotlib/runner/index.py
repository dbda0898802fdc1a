"""``reports/index.html``: every report with its date, symbol, event, CAR and significance.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pivotlib import config
from pivotlib.runner.files import _tmp_suffix


def list_reports(reports_root: Path | None = None) -> list[dict[str, Any]]:
    """Every report sidecar under ``reports/<date>/``, newest date first."""
    root = reports_root or config.reports_dir()
    out = []
    for side in sorted(root.glob("*/*.json")):
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", side.parent.name):
            continue
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if "notebook" not in meta:
            continue
        meta["_dir"] = side.parent.name
        out.append(meta)
    out.sort(key=lambda m: (m["_dir"], m.get("name", "")), reverse=False)
    out.sort(key=lambda m: m["_dir"], reverse=True)
    return out


def _fmt_pct(v: Any) -> str:
    return f"{v * 100:+.1f}%" if isinstance(v, int | float) and not isinstance(v, bool) else ""


def _fmt_p(rec: Mapping[str, Any]) -> str:
    p = rec.get("p_value")
    if not isinstance(p, int | float) or isinstance(p, bool):
        return ""
    stars = "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""
    return f"p={p:.3f}{stars}"


def robustness_words(rec: Mapping[str, Any]) -> str:
    """The robustness word(s) of a report record: ``robust``/``fragile``/``no effect``/``not
    assessed`` from its specification curve(s), e.g. ``"event CAR: robust; lifeboat DiD:
    fragile"`` for the briefing; ``""`` when the report has no curve."""
    verdicts = rec.get("verdicts")
    if isinstance(verdicts, Mapping) and verdicts:
        return "; ".join(f"{k}: {v}" for k, v in verdicts.items())
    rob = rec.get("robustness")
    if isinstance(rob, Mapping) and rob.get("verdict"):
        return str(rob["verdict"])
    return str(rec["verdict"]) if isinstance(rec.get("verdict"), str) else ""


_INDEX_CSS_FILE = Path(__file__).with_name("templates") / "index.css"


def build_index(reports_root: Path | None = None) -> Path:
    """Write ``reports/index.html`` listing every report (date, symbol, event, CAR, p, links).

    Built only from the JSON sidecars; every string from them is HTML-escaped.
    """
    root = reports_root or config.reports_dir()
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for m in list_reports(root):
        rec = m.get("records") or {}
        d = m["_dir"]
        links = []
        if m.get("html"):
            links.append(f"<a href='{html.escape(d + '/' + m['html'])}'>html</a>")
        if m.get("ipynb"):
            links.append(f"<a href='{html.escape(d + '/' + m['ipynb'])}'>ipynb</a>")
        status = str(m.get("status", ""))
        syn = " <span class='syn'>SYNTHETIC</span>" if rec.get("synthetic") else ""
        event = rec.get("event_id") or rec.get("category") or ""
        headline = rec.get("headline") or ""
        title = rec.get("title") or m.get("notebook", "")
        err = f"<br><small>{html.escape(str(m.get('error') or ''))[:300]}</small>" if m.get(
            "error") else ""
        sig = rec.get("significant")
        sig_txt = _fmt_p(rec) + (" (significant)" if sig is True else "")
        life = rec.get("lifeboat_did", rec.get("did_downside_beta"))
        if isinstance(life, int | float):
            lp = rec.get("lifeboat_p", rec.get("p_value"))
            sig_txt += (f"; lifeboat DiD {life:+.2f}"
                        + (f" (p={lp:.3f})" if isinstance(lp, int | float) else ""))
        merge = rec.get("merge_eth_did")
        if isinstance(merge, int | float):
            mp = rec.get("merge_p", rec.get("p_value") if rec.get("kind") == "merge" else None)
            sig_txt += (f"; Merge ETH-beta DiD {merge:+.2f}"
                        + (f" (p={mp:.3f})" if isinstance(mp, int | float) else ""))
        words = robustness_words(rec)
        if words:
            sig_txt += f"; robustness: {words}"
        rows.append(
            f"<tr class='{html.escape(status)}'><td>{html.escape(d)}</td>"
            f"<td>{html.escape(str(title))}{syn}<br><small>{html.escape(m.get('name', ''))}"
            f"</small></td>"
            f"<td>{html.escape(str(rec.get('symbol') or rec.get('symbols') or ''))}</td>"
            f"<td>{html.escape(str(event))}<br><small>{html.escape(str(headline))}</small></td>"
            f"<td class='num'>{html.escape(_fmt_pct(rec.get('car')))}"
            f"<br><small>{html.escape(str(rec.get('car_window') or ''))}</small></td>"
            f"<td>{html.escape(sig_txt)}</td>"
            f"<td>{html.escape(status)}{err}</td><td>{' '.join(links)}</td></tr>")
    body = "\n".join(rows) or "<tr><td colspan='8'>No reports yet: run <code>pivot demo</code>.</td></tr>"
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<title>pivot reports</title>"
        f"<style>{_INDEX_CSS_FILE.read_text(encoding='utf-8')}</style></head><body>"
        "<h1>pivot reports</h1>"
        "<p>Every executed report, newest first. Reports marked "
        "<span class='syn'>SYNTHETIC</span> were made from the embedded synthetic demo data and "
        "say nothing about real markets. CAR = cumulative abnormal return over the event window; "
        "p = two-sided p-value of the headline test (* 10%, ** 5%, *** 1%); robustness = "
        "the verdict of the headline's specification curve (robust, fragile, no effect).</p>"
        "<table><thead><tr><th>date</th><th>report</th><th>symbol</th><th>event</th>"
        "<th>CAR</th><th>significance</th><th>status</th><th>files</th></tr></thead><tbody>\n"
        f"{body}\n</tbody></table></body></html>\n")
    path = root / "index.html"
    tmp = path.with_suffix(_tmp_suffix())
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
