"""The embedded SYNTHETIC default dataset ("demo"): a documented, deterministic factor model.

There is no licence to ship real prices, so the offline default data are generated here from a
factor model calibrated to real 2023-2025 moments (``../shared/realdata/README.md``) and written
to ``data/synthetic/`` (one Parquet file per symbol through :class:`pivotlib.data.store.PriceStore`,
every file labelled ``source="synthetic"``, ``synthetic=True``), together with
``planted_effects.csv`` (the abnormal returns planted on catalog event days),
``planted_regimes.csv`` (the planted bitcoin-to-AI exposure switches) and ``MODEL.md`` (this
model, its parameters and measured statistics). **None of these numbers are market data.**

Model (all returns daily; ``t_nu`` is a Student-t draw rescaled to unit variance,
``t_nu * sqrt((nu - 2) / nu)``)

Factors

* Market, on XNYS sessions: ``SPY_t = mu_m + s_t z_t``, ``z_t ~ t_6``, GARCH(1,1)
  ``s_t^2 = w + a (s_{t-1} z_{t-1})^2 + b s_{t-1}^2`` with ``a = 0.06, b = 0.91`` and
  unconditional vol 0.97 %, ``mu_m = 0.04 %`` (simple return).
* Bitcoin, every calendar day (log-returns):
  ``l_d = mu_b + h_d e_d + gamma * SPY_d * 1[d is a session]``, ``e_d ~ t_6``, GARCH(1,1)
  with ``a = 0.05, b = 0.90`` and the unconditional vol of ``h`` set so that the total daily
  vol is 2.45 %; ``gamma = 0.6`` (a BTC-SPY correlation of about 0.2-0.3, as in 2023-25).
  ``t_6`` rather than ``t_4``: with GARCH, ``t_4`` gives sample excess kurtosis of 7-25 over five
  years, ``t_6`` gives 2-6, matching the measured 2.7.
* Ether: ``l^ETH_d = 1.1 l_d + mu_e + 1.9 % * t_5``.
* BTC on equity sessions: closes aligned with :func:`pivotlib.data.calendar.align_to_sessions`,
  ``BTC_t`` = their simple return (weekend and holiday moves fold into the next session).
* AI infrastructure factor (latent, not a traded symbol): ``AI_t = mu_ai + 1.2 % * t_5``.
* Miner sector factor (latent): ``M_t = 2.5 % * t_5`` (miners co-move beyond BTC).

Benchmarks and ETFs (simple returns on sessions)

* ``QQQ = 1.22 SPY + 0.15 AI + 0.33 % t_nu``; ``SMH = 1.77 SPY + 1.0 AI + 0.35 % t_nu`` (so
  the AI factor is visible in SMH and is not the market); ``IWM = 1.10 SPY + 0.85 % t_nu``
  (``nu`` per symbol in the parameter table, see ``tail_df``); ``NVDA = 1.9 SPY + 1.4 AI +
  2.0 % t_nu`` (a single-stock AI proxy for notebook 07; an assumption).
* ``WGMI`` = equal-weighted mean of the universe's ``miner`` symbols listed that session plus
  a 1.5 % ``t_nu`` tracking error (a miner basket).

Miners and AI hosts (simple returns on sessions)

``r_it = alpha_i + b_spy,i SPY_t + b_btc,i(t) BTC_t + b_ai,i(t) AI_t + s_i M_t + e_it + J_it``

* ``b_spy``, ``b_btc`` and the total idiosyncratic vol come from the calibration table; the own
  noise ``e_it = v_i t_nu_i`` has ``v_i^2 = idio_i^2 - s_i^2 (2.5 %)^2`` and tails
  ``nu_i = clip(4 + 6 / kurt_i, 4.5, 10)`` from the measured excess kurtosis ``kurt_i``.
* ``alpha_i = var(r_i) / 2 - mean(systematic part of r_i)`` (sample values of the simulated
  path): it offsets the volatility drag and the factors' drift, so a symbol's log price has no
  drift apart from its planted jumps (miners do not simply compound bitcoin's rally).
  ``s_i`` = 1 for miners, 0.5 for AI hosts (APLD, GLXY).
* Regime switch (``planted_regimes.csv``): for the pivoting names the BTC beta falls and the AI
  beta rises on a documented date near their first big AI contract: ``b(t) = b_pre`` before,
  ``b_post`` from that session on.
* Lifeboat (``planted_lifeboat.csv``, :mod:`pivotlib.synthetic_lifeboat`): from a pivoter's
  first signed AI/HPC contract its BTC beta is ``b - 0.5`` on BTC down days and ``b + 0.5`` on
  up days (a de-meaned ``0.5 |BTC_t|`` term): the downside beta falls, the all-days beta does not.
* Merge (``planted_merge.csv``, :mod:`pivotlib.data.synthetic_merge`): the GPU miners HIVE and BTBT
  load 0.5 on ether's own move (net of 1.1 x BTC) until the Merge (2022-09-15), 0 after, and
  gain 1.0 of AI beta from ChatGPT (2022-11-30) on.
* ``J_it``: planted abnormal returns on catalog event days (``planted_effects.csv``); see
  :func:`planted_abnormal_return` for the rule.
* Returns are floored at -90 % (a price never goes to zero); the number of floored days is in
  ``MODEL.md`` (zero for the default seed).

Prices, OHLC and volume

* ``close`` starts at a per-symbol level on the listing session (``listed_from`` in the
  universe; no rows before it) and compounds the simple returns; crypto closes are
  ``P0 exp(cumsum l)`` (BTC starts at 32,000 on 2021-01-04, ETH at 1,000; their level later
  is whatever the random path gives: with a 2.45 % daily vol over 2,000 days, a factor of
  several either way is ordinary).
* ``open = prev_close (1 + phi r + 0.15 sigma u)`` with ``phi ~ U(0.2, 0.6)`` (0.8 on event days),
  ``u ~ N(0, 1)``; crypto opens at the previous close (continuous trading). ``high = max(open,
  close) exp(0.35 sigma |n1|)``, ``low = min(open, close) exp(-0.35 sigma |n2|)``, so
  ``low <= open, close <= high`` always.
* ``volume = L_i exp(0.35 z - 0.06 + 0.25 (|r| / sigma - 0.8)) * spike``, spike
  ``2.5 + 10 |J|`` on day 0 and ``1 + 4 |J|`` on day +1 of an event; whole shares (USD for
  crypto, as Yahoo reports it).

Determinism: every symbol and factor draws from its own ``numpy.random.Generator`` seeded with
``[seed, crc32(name)]``, so the same seed gives identical frames and adding a symbol to the
universe does not change the others.

Regenerate the shipped files (after the event catalog or this model changes) with
``python -m pivotlib.data.synthetic`` (then commit ``data/synthetic/``).
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pivotlib.data import calendar as cal
from pivotlib.data import synthetic_lifeboat as lbt
from pivotlib.data import synthetic_merge as mrg
from pivotlib.data import synthetic_report as _report
from pivotlib.data.synthetic_params import (
    AI_DF,
    AI_MU,
    AI_VOL,
    BENCHMARK_PARAMS,
    BTC_DF,
    BTC_GAMMA,
    BTC_GARCH,
    BTC_MU,
    BTC_VOL,
    CRYPTO_PRICE,
    CRYPTO_VOLUME,
    CRYPTO_WARMUP_DAYS,
    DATASET,
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_START,
    EQUITY_PARAMS,
    ETH_BETA,
    ETH_DF,
    ETH_MU,
    ETH_VOL,
    LABEL,
    MODEL_VERSION,
    PLANT_CLIP,
    PLANT_DEFAULT,
    REGIMES,
    RETURN_FLOOR,
    ROLE_DEFAULTS,
    SECTOR_DF,
    SECTOR_VOL,
    SPY_DF,
    SPY_GARCH,
    SPY_MU,
    SPY_VOL,
    Params,
)
from pivotlib.data.synthetic_report import measured_stats  # noqa: F401 (API)
from pivotlib.errors import DataError, InputError

# --- factor parameters --------------------------------------------------------------------------










# --- helpers ------------------------------------------------------------------------------------
def _rng(seed: int, name: str) -> np.random.Generator:
    """One independent generator per (seed, name): ``default_rng([seed, crc32(name)])``."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def _t(rng: np.random.Generator, df: float, n: int) -> np.ndarray:
    """Student-t draws rescaled to unit variance (``df > 2``)."""
    return rng.standard_t(df, n) * math.sqrt((df - 2.0) / df)


def _garch(z: np.ndarray, vol: float, a: float, b: float) -> np.ndarray:
    """GARCH(1,1) path ``x_t = s_t z_t`` with unconditional vol ``vol`` (``s_0 = vol``)."""
    w = vol * vol * (1.0 - a - b)
    s2 = vol * vol
    out = np.empty_like(z)
    for i, zi in enumerate(z):
        x = math.sqrt(s2) * zi
        out[i] = x
        s2 = w + a * x * x + b * s2
    return out


def tail_df(kurt: float) -> float:
    """Student-t degrees of freedom from a measured excess kurtosis: ``clip(4 + 6/k, 4.5, 10)``.

    A t distribution with ``nu > 4`` has excess kurtosis ``6 / (nu - 4)``; the clip keeps the
    variance well behaved (``nu >= 4.5``) and some tail even for near-normal names.
    """
    if not kurt or kurt <= 0:
        return 10.0
    return float(min(10.0, max(4.5, 4.0 + 6.0 / kurt)))


_NUM = re.compile(r"(?<![\w$.:/])([+\-\u2212]?\d+(?:\.\d+)?)")


_CLOSE_NUM = re.compile(r"(?<![\w$.:/])([+\-\u2212]?\d+(?:\.\d+)?)\s*%?\s*(?:close|day)\b", re.I)


def planted_abnormal_return(reported_move: object) -> tuple[float, str]:
    """The abnormal return planted for one event, from its ``reported_move`` text.

    Rule: the first number stated with a ``close`` or ``day`` basis (close-to-close, what a
    daily event study measures), else the first number in the text, in percent, divided by 100
    and clipped to +/-0.60; +0.10 when the text states no number (e.g. "higher").

    Returns
    -------
    (float, str)
        The planted simple abnormal return and which rule produced it
        (``"close"``, ``"leading"``, ``"default"``; ``"+clipped"`` appended when clipped).
    """
    text = "" if reported_move is None or (isinstance(reported_move, float)
                                             and math.isnan(reported_move)) else str(reported_move)
    m = _CLOSE_NUM.search(text)
    how = "close"
    if m is None:
        m = _NUM.search(text)
        how = "leading"
    if m is None:
        return PLANT_DEFAULT, "default"
    val = float(m.group(1).replace("\u2212", "-")) / 100.0
    if abs(val) > PLANT_CLIP:
        val = math.copysign(PLANT_CLIP, val)
        how += "+clipped"
    return round(val, 6), how


def _load_universe(universe: pd.DataFrame | str | Path | None) -> pd.DataFrame:
    if isinstance(universe, pd.DataFrame):
        uni = universe.copy()
    else:
        try:
            from pivotlib.data.universe import load_universe
        except ImportError:  # helper "data" not landed yet: plain CSV
            from pivotlib.config import universe_file

            uni = pd.read_csv(universe or universe_file(), dtype=str, keep_default_na=False)
        else:
            uni = load_universe(universe)
    for col in ("symbol", "role"):
        if col not in uni.columns:
            raise InputError(f"universe lacks a {col!r} column; use the data/universe.csv layout")
    uni = uni.copy()
    uni["symbol"] = uni["symbol"].astype(str).str.strip().str.upper()
    if "listed_from" not in uni.columns:
        uni["listed_from"] = pd.NaT
    uni["listed_from"] = pd.to_datetime(uni["listed_from"].replace("", None), errors="coerce")
    return uni.reset_index(drop=True)


def _load_events(events: pd.DataFrame | str | Path | None) -> pd.DataFrame:
    """Catalog events (``event_id, symbol, event_date, reported_move``)."""
    from pivotlib.config import events_dir

    if isinstance(events, pd.DataFrame):
        ev = events.copy()
    else:
        path = Path(events) if events is not None else events_dir() / "ai_pivot_events.csv"
        # the raw catalog file: event dates are derived below with the same calendar rule
        # as pivotlib.events (the data layer does not import the events layer)
        if True:
            if not path.exists():
                raise DataError(
                    f"event catalog {path} not found; the synthetic dataset plants jumps on its "
                    "event dates. Restore data/events/ai_pivot_events.csv (git checkout) or pass "
                    "events=<DataFrame or CSV path>"
                )
            ev = pd.read_csv(path, dtype=str, keep_default_na=False)
    ev = ev.copy()
    if "event_date" not in ev.columns or ev["event_date"].astype(str).str.strip().eq("").all():
        if {"announced"} <= set(ev.columns):
            timing = ev["timing"] if "timing" in ev.columns else "unknown"
            ev["event_date"] = [cal.event_session(a, t) for a, t in
                                zip(ev["announced"], pd.Series(timing, index=ev.index))]
        else:
            raise InputError("events need an event_date (or announced + timing) column")
    if "symbol" not in ev.columns:
        raise InputError("events need a symbol column")
    if "event_id" not in ev.columns:
        ev["event_id"] = [f"E{i:03d}" for i in range(len(ev))]
    if "reported_move" not in ev.columns:
        ev["reported_move"] = ""
    ev["symbol"] = ev["symbol"].astype(str).str.strip().str.upper()
    ev["event_date"] = pd.to_datetime(ev["event_date"], errors="coerce")
    return ev.reset_index(drop=True)


def _params_for(symbol: str, role: str) -> Params:
    if symbol in EQUITY_PARAMS:
        return EQUITY_PARAMS[symbol]
    if symbol in BENCHMARK_PARAMS:
        return BENCHMARK_PARAMS[symbol]
    if role in ROLE_DEFAULTS:
        return ROLE_DEFAULTS[role]
    raise InputError(
        f"no synthetic model for {symbol} (role {role!r}); use a role among "
        f"{sorted(ROLE_DEFAULTS) + ['crypto']} in the universe file"
    )


# --- simulation ---------------------------------------------------------------------------------
@dataclass
class SyntheticResult:
    """Everything :func:`simulate` produced (``frames`` is what gets written).

    Attributes
    ----------
    frames : dict[str, DataFrame]
        Per-symbol OHLCV frames (index ``date``), from the listing date on.
    factors : DataFrame
        Session-indexed latent and traded factor returns: SPY, BTC (aligned simple), AI, SECTOR.
    planted : DataFrame
        ``event_id, symbol, event_date, planted_ar, rule, reported_move, note``.
    skipped : DataFrame
        Catalog events not planted and why.
    regimes : DataFrame
        The planted regime switches.
    params : DataFrame
        Per-symbol parameters used.
    floored : dict[str, int]
        Number of returns floored at -90 % per symbol (expected zero).
    """

    frames: dict[str, pd.DataFrame]
    factors: pd.DataFrame
    planted: pd.DataFrame
    skipped: pd.DataFrame
    regimes: pd.DataFrame
    params: pd.DataFrame
    floored: dict[str, int] = field(default_factory=dict)
    lifeboat: pd.DataFrame = field(default_factory=pd.DataFrame)
    merge: pd.DataFrame = field(default_factory=pd.DataFrame)
    seed: int = DEFAULT_SEED
    start: str = DEFAULT_START
    end: str = DEFAULT_END


def simulate(seed: int = DEFAULT_SEED, start: str = DEFAULT_START, end: str = DEFAULT_END,
             events: pd.DataFrame | str | Path | None = None,
             universe: pd.DataFrame | str | Path | None = None) -> SyntheticResult:
    """Run the factor model (no I/O except reading the universe and the event catalog).

    Parameters
    ----------
    seed : int
        Master seed; same seed (and same universe and events) gives identical output.
    start, end : str
        Inclusive date range.
    events : DataFrame, path or None
        Events to plant (``event_id, symbol, event_date, reported_move``; an optional
        ``planted_ar`` column overrides the rule). None reads ``data/events/ai_pivot_events.csv``.
    universe : DataFrame, path or None
        Universe (default ``data/universe.csv``).

    Returns
    -------
    SyntheticResult
    """
    seed = int(seed)
    uni = _load_universe(universe)
    ev = _load_events(events)
    sess = cal.sessions(start, end)
    if len(sess) < 2:
        raise InputError(f"{start}..{end} holds fewer than two sessions; widen the range")
    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    days = pd.date_range(start_ts - pd.Timedelta(days=CRYPTO_WARMUP_DAYS), end_ts, freq="D",
                         name="date")
    n = len(sess)

    # Market on sessions.
    rng = _rng(seed, "factor:SPY")
    spy = SPY_MU + _garch(_t(rng, SPY_DF, n), SPY_VOL, *SPY_GARCH)
    spy_s = pd.Series(spy, index=sess)

    # Bitcoin every day (log-returns), SPY feeding through on sessions.
    is_sess = days.isin(sess)
    spy_days = spy_s.reindex(days).fillna(0.0).to_numpy()
    h_vol = math.sqrt(BTC_VOL ** 2 - (n / len(days)) * BTC_GAMMA ** 2 * SPY_VOL ** 2)
    rng = _rng(seed, "factor:BTC")
    l_btc = BTC_MU + _garch(_t(rng, BTC_DF, len(days)), h_vol, *BTC_GARCH) + \
        BTC_GAMMA * spy_days * is_sess
    rng = _rng(seed, "factor:ETH")
    l_eth = ETH_BETA * l_btc + ETH_MU + ETH_VOL * _t(rng, ETH_DF, len(days))
    btc_close = pd.Series(CRYPTO_PRICE["BTC-USD"] * np.exp(np.cumsum(l_btc)), index=days)
    eth_close = pd.Series(CRYPTO_PRICE["ETH-USD"] * np.exp(np.cumsum(l_eth)), index=days)
    btc_aligned = cal.align_to_sessions(btc_close, sess)
    prev = btc_close[btc_close.index < sess[0]].iloc[-1]
    btc_ret = btc_aligned.pct_change(fill_method=None)
    btc_ret.iloc[0] = btc_aligned.iloc[0] / prev - 1.0
    btc = btc_ret.to_numpy()
    eth_aligned = cal.align_to_sessions(eth_close, sess)
    eth_ret = eth_aligned.pct_change(fill_method=None)
    eth_ret.iloc[0] = eth_aligned.iloc[0] / eth_close[eth_close.index < sess[0]].iloc[-1] - 1.0
    eth_own = eth_ret.to_numpy() - ETH_BETA * btc  # ether net of bitcoin (the Merge plant)

    rng = _rng(seed, "factor:AI")
    ai = AI_MU + AI_VOL * _t(rng, AI_DF, n)
    rng = _rng(seed, "factor:SECTOR")
    sector = SECTOR_VOL * _t(rng, SECTOR_DF, n)
    factors = pd.DataFrame({"SPY": spy, "BTC": btc, "AI": ai, "SECTOR": sector}, index=sess)

    # Planted events.
    roles = dict(zip(uni["symbol"], uni["role"].astype(str).str.strip()))
    listed = {}
    for sym, lf in zip(uni["symbol"], uni["listed_from"]):
        if pd.isna(lf):
            listed[sym] = sess[0]
        else:
            pos = sess.searchsorted(pd.Timestamp(lf).normalize())
            listed[sym] = sess[pos] if pos < n else None
    planted_rows, skipped_rows = [], []
    jumps: dict[str, dict[pd.Timestamp, float]] = {}
    for _, row in ev.iterrows():
        sym, d = row["symbol"], row["event_date"]
        base = {"event_id": row["event_id"], "symbol": sym,
                "event_date": None if pd.isna(d) else d.date().isoformat()}
        if sym not in roles:
            skipped_rows.append({**base, "reason": "not in the universe (sector context or "
                                 "outside symbol): no planted effect"})
            continue
        if roles[sym] == "crypto":
            skipped_rows.append({**base, "reason": "crypto symbol: no planted effect"})
            continue
        if pd.isna(d) or d < sess[0] or d > sess[-1]:
            skipped_rows.append({**base, "reason": "event date outside the generated range"})
            continue
        d0 = cal.to_session(d, "next")
        if listed[sym] is None or d0 <= listed[sym]:
            skipped_rows.append({**base, "reason": "on or before the symbol's first listed "
                                 "session (no return that day)"})
            continue
        if "planted_ar" in ev.columns and str(row["planted_ar"]).strip() not in ("", "nan"):
            ar, how = float(row["planted_ar"]), "given"
        else:
            ar, how = planted_abnormal_return(row.get("reported_move"))
        note = "" if d0 == d else f"event_date {base['event_date']} is not a session; day 0 {d0.date()}"
        day = jumps.setdefault(sym, {})
        if d0 in day:
            first = next(r for r in planted_rows if r["symbol"] == sym
                         and r["event_date"] == d0.date().isoformat())
            ar = first["planted_ar"]
            note = (note + "; " if note else "") + f"same day as {first['event_id']}: planted once"
        else:
            day[d0] = ar
        planted_rows.append({"event_id": row["event_id"], "symbol": sym,
                             "event_date": d0.date().isoformat(), "planted_ar": ar, "rule": how,
                             "reported_move": str(row.get("reported_move") or ""), "note": note})
    planted = pd.DataFrame(planted_rows, columns=["event_id", "symbol", "event_date", "planted_ar",
                                                  "rule", "reported_move", "note"])
    skipped = pd.DataFrame(skipped_rows, columns=["event_id", "symbol", "event_date", "reason"])

    # Equities.
    returns: dict[str, np.ndarray] = {}
    frames: dict[str, pd.DataFrame] = {}
    param_rows, regime_rows = [], []
    floored: dict[str, int] = {}
    order = [s for s in uni["symbol"] if roles[s] != "crypto" and s != "WGMI"] + \
        [s for s in uni["symbol"] if s == "WGMI"]
    miners = [s for s in uni["symbol"] if roles[s] == "miner"]
    b_after: dict[str, float] = {}
    for sym in order:
        p = _params_for(sym, roles[sym])
        rng = _rng(seed, f"symbol:{sym}")
        nu = tail_df(p.kurt)
        own = math.sqrt(max(p.idio ** 2 - (p.sector * SECTOR_VOL) ** 2, 0.0))
        noise = own * _t(rng, nu, n)
        b_btc = np.full(n, p.b_btc)
        b_ai = np.full(n, p.b_ai)
        reg = REGIMES.get(sym)
        if reg is not None:
            sw = sess >= cal.to_session(reg.date, "next")
            b_btc = np.where(sw, reg.b_btc_post, reg.b_btc_pre)
            b_ai = np.where(sw, reg.b_ai_post, reg.b_ai_pre)
            regime_rows.append({"symbol": sym, "switch_date": cal.to_session(reg.date, "next")
                                .date().isoformat(), "b_btc_pre": reg.b_btc_pre,
                                "b_btc_post": reg.b_btc_post, "b_ai_pre": reg.b_ai_pre,
                                "b_ai_post": reg.b_ai_post, "b_spy": p.b_spy,
                                "anchor_event_id": reg.anchor})
        if sym == "WGMI":
            lst = np.array([[sess[i] > listed[m] if listed[m] is not None else False
                             for m in miners] for i in range(n)])
            mat = np.column_stack([returns[m] for m in miners])
            cnt = lst.sum(axis=1)
            basket = np.where(cnt > 0, (mat * lst).sum(axis=1) / np.maximum(cnt, 1), 0.0)
            sys_r = basket
        else:
            sys_r = p.b_spy * spy + b_btc * np.nan_to_num(btc) + b_ai * ai + p.sector * sector
            sys_r = sys_r + lbt.lifeboat_component(sym, sess, btc) + \
                mrg.merge_component(sym, sess, eth_own, ai)
            b_after[sym] = float(b_btc[-1])
        var = float(np.var(sys_r) + own ** 2)
        alpha = 0.5 * var - float(np.mean(sys_r)) if sym not in BENCHMARK_PARAMS else 0.0
        jump = np.zeros(n)
        for d0, ar in jumps.get(sym, {}).items():
            jump[sess.get_loc(d0)] += ar
        r = alpha + sys_r + noise + jump
        floored[sym] = int((r < RETURN_FLOOR).sum())
        r = np.maximum(r, RETURN_FLOOR)
        returns[sym] = r
        sigma = math.sqrt(var)
        frames[sym] = _equity_frame(sym, sess, r, jump, listed[sym], p, sigma, rng)
        param_rows.append({"symbol": sym, "role": roles[sym], "b_spy": p.b_spy,
                           "b_btc": p.b_btc if reg is None else f"{reg.b_btc_pre}->{reg.b_btc_post}",
                           "b_ai": p.b_ai if reg is None else f"{reg.b_ai_pre}->{reg.b_ai_post}",
                           "sector": p.sector, "idio_vol": p.idio, "own_vol": round(own, 5),
                           "tail_df": round(nu, 2), "alpha": round(alpha, 6),
                           "start_price": p.price, "volume_level": p.volume,
                           "calibrated": p.calibrated and sym in (EQUITY_PARAMS | BENCHMARK_PARAMS)})
    for sym, close_days, lret in (("BTC-USD", btc_close, l_btc), ("ETH-USD", eth_close, l_eth)):
        if sym in roles:
            rng = _rng(seed, f"symbol:{sym}")
            frames[sym] = _crypto_frame(sym, close_days, lret, start_ts, rng)
            param_rows.append({"symbol": sym, "role": "crypto", "start_price": CRYPTO_PRICE[sym],
                               "volume_level": CRYPTO_VOLUME[sym], "calibrated": sym == "BTC-USD"})
    unknown_crypto = [s for s in uni["symbol"] if roles[s] == "crypto" and s not in frames]
    if unknown_crypto:
        raise InputError(f"no synthetic model for crypto symbols {unknown_crypto}; the demo "
                         "model covers BTC-USD and ETH-USD only")
    frames = {s: frames[s] for s in uni["symbol"] if s in frames}
    for sym, f in frames.items():
        f.attrs.update({"synthetic": True, "dataset": DATASET, "source": "synthetic",
                        "label": LABEL, "sources": {sym: "synthetic"}, "seed": seed})
    return SyntheticResult(frames=frames, factors=factors, planted=planted, skipped=skipped,
                           regimes=pd.DataFrame(regime_rows), params=pd.DataFrame(param_rows),
                           floored=floored, lifeboat=lbt.lifeboat_table(sess, b_after),
                           merge=mrg.merge_table(sess),
                           seed=seed, start=str(start), end=str(end))


def _equity_frame(sym: str, sess: pd.DatetimeIndex, r: np.ndarray, jump: np.ndarray,
                  first: pd.Timestamp | None, p: Params, sigma: float,
                  rng: np.random.Generator) -> pd.DataFrame:
    n = len(sess)
    # Draw everything for the full range so listing dates do not change the random stream.
    phi = rng.uniform(0.2, 0.6, n)
    u, n1, n2, zv = (rng.standard_normal(n) for _ in range(4))
    if first is None:
        return pd.DataFrame(columns=["open", "high", "low", "close", "volume"],
                            index=pd.DatetimeIndex([], name="date"), dtype=float)
    i0 = int(sess.get_loc(first))
    rr = r.copy()
    rr[i0] = 0.0
    close = np.full(n, np.nan)
    close[i0:] = p.price * np.cumprod(1.0 + rr[i0:])
    prev = np.empty(n)
    prev[1:] = close[:-1]
    prev[i0] = close[i0] / (1.0 + r[i0])
    phi = np.where(jump != 0, 0.8, phi)
    open_ = prev * (1.0 + phi * r + 0.15 * sigma * u)
    open_ = np.where(open_ <= 0, close, open_)
    high = np.maximum(open_, close) * np.exp(0.35 * sigma * np.abs(n1))
    low = np.minimum(open_, close) * np.exp(-0.35 * sigma * np.abs(n2))
    spike = np.ones(n)
    spike = np.where(jump != 0, 2.5 + 10.0 * np.abs(jump), spike)
    after = np.roll(jump, 1)
    after[0] = 0.0
    spike = spike * np.where(after != 0, 1.0 + 4.0 * np.abs(after), 1.0)
    vol = p.volume * np.exp(0.35 * zv - 0.06 + 0.25 * (np.abs(r) / sigma - 0.8)) * spike
    df = pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                       "volume": np.round(vol)}, index=sess).iloc[i0:]
    df.index = pd.DatetimeIndex(df.index, name="date").as_unit("ns")
    return df.round({"open": 6, "high": 6, "low": 6, "close": 6})


def _crypto_frame(sym: str, close: pd.Series, lret: np.ndarray, start: pd.Timestamp,
                  rng: np.random.Generator) -> pd.DataFrame:
    n = len(close)
    n1, n2, zv = (rng.standard_normal(n) for _ in range(3))
    c = close.to_numpy()
    prev = np.empty(n)
    prev[1:] = c[:-1]
    prev[0] = c[0] / math.exp(lret[0])
    sigma = float(np.std(lret))
    high = np.maximum(prev, c) * np.exp(0.35 * sigma * np.abs(n1))
    low = np.minimum(prev, c) * np.exp(-0.35 * sigma * np.abs(n2))
    r = np.expm1(lret)
    vol = CRYPTO_VOLUME[sym] * np.exp(0.35 * zv - 0.06 + 0.25 * (np.abs(r) / sigma - 0.8))
    df = pd.DataFrame({"open": prev, "high": high, "low": low, "close": c,
                       "volume": np.round(vol)}, index=close.index)
    df.index = pd.DatetimeIndex(df.index, name="date").as_unit("ns")
    return df[df.index >= start].round({"open": 4, "high": 4, "low": 4, "close": 4})


def generate_dataset(seed: int = DEFAULT_SEED, start: str = DEFAULT_START, end: str = DEFAULT_END,
                     events: pd.DataFrame | str | Path | None = None,
                     universe: pd.DataFrame | str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Return the SYNTHETIC per-symbol OHLCV frames (no files written).

    Parameters are those of :func:`simulate`. Each frame has index ``date``, float64 columns
    ``open, high, low, close, volume`` and ``attrs`` ``{"synthetic": True, "dataset": "demo",
    "source": "synthetic", ...}``.
    """
    return simulate(seed, start, end, events, universe).frames


# --- writing ------------------------------------------------------------------------------------
def write_default_dataset(out_dir: str | Path | None = None, seed: int = DEFAULT_SEED,
                          start: str = DEFAULT_START, end: str = DEFAULT_END,
                          events: pd.DataFrame | str | Path | None = None,
                          universe: pd.DataFrame | str | Path | None = None) -> dict:
    """Generate the SYNTHETIC default dataset and write it to ``out_dir``.

    Writes ``<SYMBOL>.parquet`` through :class:`pivotlib.data.store.PriceStore` (metadata
    ``source="synthetic"``, ``synthetic=True``, ``adjusted=True``, model details in ``extra``),
    ``planted_effects.csv``, ``planted_regimes.csv`` and ``MODEL.md``. Parquet files of symbols
    no longer generated are removed.

    Parameters
    ----------
    out_dir : path, optional
        Default :func:`pivotlib.config.synthetic_dir` (``data/synthetic``).
    seed, start, end, events, universe
        As in :func:`simulate`.

    Returns
    -------
    dict
        ``out_dir, dataset, synthetic, seed, start, end, symbols, rows, files,
        planted_events, skipped_events, regimes, floored``.
    """
    from pivotlib.config import synthetic_dir
    from pivotlib.data.store import PriceStore, SymbolMeta

    res = simulate(seed, start, end, events, universe)
    out = Path(out_dir) if out_dir is not None else synthetic_dir()
    out.mkdir(parents=True, exist_ok=True)
    store = PriceStore(out)
    files = []
    extra_common = {"dataset": DATASET, "label": LABEL, "generator": "pivotlib.data.synthetic",
                    "model_version": MODEL_VERSION, "seed": res.seed,
                    "range": [res.start, res.end]}
    for sym, frame in res.frames.items():
        if frame.empty:
            continue
        meta = SymbolMeta(symbol=sym, source="synthetic",
                          # Deterministic "generation time" so regenerating is byte-stable.
                          fetched_at=f"{pd.Timestamp(res.end).date().isoformat()}T00:00:00Z",
                          adjusted=True, synthetic=True, extra=dict(extra_common))
        files.append(store.write(sym, frame, meta))
    keep = {p.name for p in files}
    removed = []
    for p in sorted(out.glob("*.parquet")):
        if p.name not in keep:
            p.unlink()
            removed.append(p.name)
    res.planted.to_csv(out / "planted_effects.csv", index=False, lineterminator="\n")
    res.regimes.to_csv(out / "planted_regimes.csv", index=False, lineterminator="\n")
    res.lifeboat.to_csv(out / "planted_lifeboat.csv", index=False, lineterminator="\n")
    res.merge.to_csv(out / "planted_merge.csv", index=False, lineterminator="\n")
    (out / "MODEL.md").write_text(model_markdown(res), encoding="utf-8")
    return {"out_dir": str(out), "dataset": DATASET, "synthetic": True, "seed": res.seed,
            "start": res.start, "end": res.end, "symbols": list(res.frames),
            "rows": {s: int(len(f)) for s, f in res.frames.items()},
            "files": [str(p) for p in files] + [str(out / n) for n in
                                                 ("planted_effects.csv", "planted_regimes.csv",
                                                  "planted_lifeboat.csv", "planted_merge.csv",
                                                  "MODEL.md")],
            "planted_events": int(len(res.planted)), "skipped_events": int(len(res.skipped)),
            "regimes": int(len(res.regimes)), "floored": int(sum(res.floored.values())),
            "removed": removed}


def model_markdown(res: SyntheticResult) -> str:
    """The ``MODEL.md`` text (:func:`pivotlib.data.synthetic_report.model_markdown` with this
    module's docstring, the model's description)."""
    return _report.model_markdown(res, doc=__doc__)


def main(argv: list[str] | None = None) -> int:
    """``python -m pivotlib.data.synthetic [OUT_DIR] [--seed N]``: (re)generate the demo dataset."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m pivotlib.data.synthetic",
                                 description="Generate the SYNTHETIC default dataset.")
    ap.add_argument("out_dir", nargs="?", default=None, help="default: data/synthetic")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    s = write_default_dataset(args.out_dir, seed=args.seed)
    print(f"SYNTHETIC dataset written to {s['out_dir']}: {len(s['symbols'])} symbols, "
          f"{s['planted_events']} planted events, {s['regimes']} regime switches "
          f"(seed {s['seed']})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
