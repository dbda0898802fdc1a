"""Every default of the suite, in one place: tickers by role, windows, cohorts, timeouts, alpha.

Nothing else in :mod:`pivotlib` spells ``"SPY"`` or ``(-250, -11)``: notebooks, the CLI, the
studies and the analytics read them from here, so a changed default changes everywhere at once.

Factor roles
------------
A factor model has up to three roles, and a role is never inferred from a column's position or
name: :class:`FactorRoles` names them (``market``, ``bitcoin``, ``ai``) and
:meth:`FactorRoles.validate` checks they are distinct and present.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pivotlib.errors import InputError

MARKET = "SPY"
"""Market benchmark (S&P 500 ETF)."""
BITCOIN = "BTC-USD"
"""Bitcoin (Yahoo's 00:00 UTC daily close, aligned to NYSE sessions)."""
AI = "SMH"
"""AI-infrastructure factor (VanEck Semiconductor ETF), orthogonalised on the market in regimes."""

EVENT_FACTORS: tuple[str, ...] = (MARKET, BITCOIN)
"""Regressors of the event-study ``factors`` model for miners: market + bitcoin."""
REGIME_FACTORS: tuple[str, ...] = (MARKET, BITCOIN, AI)
"""Factors of the regime analysis: market, bitcoin, AI (roles by :class:`FactorRoles`)."""
EVENT_MODEL = "factors"
"""The notebooks' default normal-return model."""

ESTIMATION_WINDOW: tuple[int, int] = (-250, -11)
"""Estimation window, trading days relative to day 0."""
EVENT_WINDOW: tuple[int, int] = (-1, 1)
"""Event (CAR) window, trading days relative to day 0."""
EXTRA_WINDOWS: tuple[tuple[int, int], ...] = ((0, 0), (-1, 1), (0, 5), (-5, 5))
"""Extra CAR windows of notebook 02's window table."""
MIN_ESTIMATION_OBS = 100
"""Fewest estimation-window returns the engine accepts for one event."""
REGIME_WINDOW = 120
"""Rolling window of the regime betas, sessions."""
REGIME_SIDE = 250
"""Sessions each side of the split date for before/after betas (clipped to the data)."""
REGIME_MIN_SIDE = 60
"""Fewest sessions on a side before a before/after comparison is made."""

REGIME_COHORT: tuple[str, ...] = ("APLD", "IREN", "HUT", "CORZ", "WULF", "CIFR")
"""The regime notebooks' default miners: the AI/HPC pivoters of the catalog."""
LIFEBOAT_MINERS: tuple[str, ...] = ("APLD", "IREN", "HUT", "CORZ", "WULF", "CIFR", "MARA", "RIOT",
                                    "CLSK", "BITF", "BTDR", "HIVE", "BTBT")
"""Miners of the lifeboat test: pivoters and loyalists, cohorts from the catalog."""
LIFEBOAT_DOWN = 0.0
"""A BTC down day: BTC's return below this."""
LIFEBOAT_CRASH = 0.20
"""A BTC crash episode: a peak-to-trough fall of at least this."""
LIFEBOAT_HORIZONS: tuple[int, ...] = (20, 60, 120)
"""Persistence horizons, sessions after day 0."""
ALPHA = 0.05
"""Significance level of verdicts and "significant" flags."""
ROBUST_MIN_SAME_SIGN = 0.9
"""A specification curve is "robust" only if at least this share of its specifications share the
headline's sign (and the headline, a majority of the curve and the joint test are significant;
:func:`pivotlib.analytics.robustness.core.verdict_of`)."""
ROBUST_NULL_DRAWS = 200
"""Null curves behind a curve's joint test (placebo dates or label permutations), at most."""
CAR_CURVE_GRID: dict[str, tuple] = {
    "model": ("factors", "market", "market_adjusted"),
    "est_start": (-120, -250, -500),
    "est_end": (-11, -3),
    "window": ((0, 0), (-1, 1), (0, 2), (-2, 2)),
    "timing": ("catalogued", "next"),
    "mask": (True, False),
}
"""Specification grid of an event's CAR curve (3 x 3 x 2 x 4 x 2 x 2 = 288 specifications).

* ``model``: the normal-return model: market + bitcoin (the miners' default), the market model,
  or market-adjusted returns (nothing estimated; MacKinlay 1997 sec. 4);
* ``est_start``: the estimation window starts 120, 250 or 500 sessions before day 0 (about six
  months, one year, two years of history: short windows track a changing beta, long ones
  estimate it more precisely);
* ``est_end``: the gap to the event window: estimation ends 11 sessions before day 0 (the
  usual 10-session buffer against leakage) or 3 (right before the widest event window);
* ``window``: the CAR window: day 0 only, [-1, +1] (the default), [0, +2] (slow diffusion),
  [-2, +2] (leakage and diffusion);
* ``timing``: day 0 as catalogued, or one session later (news that reached the market late);
* ``mask``: other catalogued events of the stock masked from the estimation window, or not.

The headline's own specification (the study's model and windows, catalogued timing, masking
on) is added to a choice when the grid lacks it."""
CAR_PLACEBO_BUFFER = 10
"""Placebo day 0s of a CAR curve's null are drawn at least this many sessions from any
catalogued event of the stock (beyond the widest event window)."""
ROBUST_CURVES = True
"""The lifeboat and regime studies (notebooks 06 and 04, the briefing) compute their headline's
specification curve unless called with ``curve=False`` (about a second each on the demo data)."""
LIFEBOAT_CURVE_GRID: dict[str, tuple] = {
    "as_of": (None, "2025-12-31"),
    "threshold": (0.0, -0.01, -0.02),
    "end": ("all", "-3M"),
    "borderline": ("loyalist", "pivoter", "excluded"),
    "leave_out": ("none", "each"),
}
"""Specification grid of the lifeboat DiD curve
(:func:`pivotlib.analytics.robustness.lifeboat.lifeboat_curve`), first value = the study's default:

* ``as_of``: catalog cut-off for the cohorts (None = every contract; ``"2025-12-31"`` = the
  cohorts as an analyst saw them at the end of 2025: RIOT's 2026 AMD lease not yet signed);
* ``threshold``: a BTC down day is a BTC return below 0, -1% or -2% (Ang, Chen and Xing 2006 use
  0; the stricter cuts keep only real sell-offs);
* ``end``: all data, or the last quarter dropped (``"-3M"``, counted back from the last session
  where the market and bitcoin both have returns: is the answer made by the latest months? Six
  months would leave most recent pivoters, and on the real closes the loyalists' common date,
  without an "after" window);
* ``borderline``: a miner with an announced pivot but no signed contract
  (:data:`pivotlib.analytics.lifeboat.BORDERLINE_CATEGORIES`, e.g. BITF) as loyalist, pivoter or
  excluded;
* ``leave_out``: none, or each miner in turn (``"each"`` expands to every miner of the data).

2 x 3 x 2 x 3 x (1 + miners) specifications (504 with 13 miners)."""
PIVOT_CURVE_GRID: dict[str, tuple] = {
    "split": ("first_ai", "first_contract"),
    "window": ((250, 250), (120, 120), (500, 500)),
    "ai_proxy": ("SMH", "QQQ", "NVDA"),
    "hac_lags": (None, 10, 20),
}
"""Specification grid of the pivot-score curve
(:func:`pivotlib.analytics.robustness.regimes.pivot_score_curve`), first value = the study's default:

* ``split``: the miner's first AI announcement in the catalog (the study's rule) or its first
  signed AI/HPC contract (:data:`pivotlib.analytics.lifeboat.CONTRACT_CATEGORIES`);
* ``window``: (before, after) valid sessions each side of the split (clipped to the data, at least
  ``REGIME_MIN_SIDE`` each side): one year, half a year, two years;
* ``ai_proxy``: the AI factor: SMH (semiconductors ETF), QQQ (Nasdaq-100) or NVDA, each where the
  dataset has it (a proxy the data lack is dropped from the grid with a note);
* ``hac_lags``: Newey-West lags: the rule of thumb ``floor(4 (T/100)^(2/9))`` (None; 5 for 500
  sessions), 10 or 20.

2 x 3 x 3 x 3 = 54 specifications per miner."""
REPORT_TIMEOUT = 900
"""Per-cell execution timeout of a report, seconds."""


def stars(p: float | None) -> str:
    """Significance stars: ``***`` p < 0.01, ``**`` p < 0.05, ``*`` p < 0.10, else ``""``."""
    if p is None or not isinstance(p, int | float) or p != p:
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


@dataclass(frozen=True)
class FactorRoles:
    """Which column plays which role in a factor model.

    Parameters
    ----------
    market : str
        The market benchmark (e.g. ``"SPY"``).
    bitcoin : str or None
        Bitcoin (e.g. ``"BTC-USD"``).
    ai : str or None
        The AI-infrastructure factor (e.g. ``"SMH"``).
    """

    market: str = MARKET
    bitcoin: str | None = BITCOIN
    ai: str | None = AI

    @classmethod
    def from_factors(cls, factors: Sequence[str], *, market: str | None = None,
                     bitcoin: str | None = None, ai: str | None = None) -> FactorRoles:
        """Roles for a factor list: each role is the named column, or the default ticker of
        that role when it is in ``factors``; never a position or a substring.

        Raises
        ------
        InputError
            A named role is not among ``factors``, or two roles name the same column.
        """
        facs = [str(f) for f in factors]

        def pick(given: str | None, default: str, role: str) -> str | None:
            if given:
                if given not in facs:
                    raise InputError(f"the {role} factor {given!r} is not among the factors "
                                     f"{facs}; add it to factors or name another {role}")
                return given
            return default if default in facs else None

        roles = cls(market=pick(market, MARKET, "market") or (market or MARKET),
                    bitcoin=pick(bitcoin, BITCOIN, "bitcoin"), ai=pick(ai, AI, "ai"))
        roles.validate(facs)
        return roles

    def validate(self, available: Iterable[str] | None = None) -> FactorRoles:
        """Check the roles are distinct (and present in ``available`` when given)."""
        named = [(r, c) for r, c in (("market", self.market), ("bitcoin", self.bitcoin),
                                      ("ai", self.ai)) if c]
        cols = [c for _, c in named]
        dup = sorted({c for c in cols if cols.count(c) > 1})
        if dup:
            raise InputError(f"factor roles must be distinct: {dup[0]!r} is given two roles "
                             f"({', '.join(r for r, c in named if c == dup[0])}); name a "
                             "different column for one of them")
        if available is not None:
            have = set(available)
            missing = [f"{r}={c}" for r, c in named if c not in have]
            if missing:
                raise InputError(f"factor role column(s) {', '.join(missing)} are not in the "
                                 f"data; load them or name other columns")
        return self

    def require(self, *roles: str) -> FactorRoles:
        """Raise :class:`InputError` unless every named role (``"bitcoin"``, ``"ai"``) is set."""
        for r in roles:
            if not getattr(self, r):
                raise InputError(f"this analysis needs a {r} factor; add {r}= "
                                 f"(default {dict(bitcoin=BITCOIN, ai=AI, market=MARKET)[r]}) "
                                 "to the factors")
        return self


# --- the Merge (notebook 07) -------------------------------------------------------------------
ETHER = "ETH-USD"
"""Ether (Yahoo's 00:00 UTC daily close, aligned to NYSE sessions like bitcoin)."""
MERGE_SIDE = 250
"""Sessions each side of the Merge (and of ChatGPT) for the before/after betas."""
MERGE_MIN_SIDE = 40
"""Fewest sessions on a side (or in the Merge-to-ChatGPT window) before a beta is reported."""
MERGE_ROLLING = 120
"""Rolling window of the ETH and AI betas, sessions."""


# ------------------------------------------------------------------------- missing defaults
ROLE_DEFAULTS: dict[str, str] = {"market": MARKET, "bitcoin": BITCOIN, "ai": AI}
"""The default ticker of each factor role."""

STAND_INS: dict[str, tuple[str, ...]] = {
    "market": ("IWM", "QQQ"),
    "bitcoin": ("IBIT", "FBTC"),
    "ai": ("QQQ", "NVDA"),
}
"""Documented stand-ins, in order of preference, used when a role's DEFAULT series is not in
the dataset (never when the analyst named the series: that is an error).

* market: ``IWM`` (Russell 2000, small caps like the miners), then ``QQQ`` (Nasdaq-100).
* bitcoin: the spot bitcoin ETFs ``IBIT`` (iShares), then ``FBTC`` (Fidelity): they hold
  bitcoin and close with NYSE (16:00 New York, not Yahoo's 00:00 UTC print), but only trade
  since 2024-01-11, so events and windows before that cannot use them (the engine says so).
  Not ``GBTC`` (a closed-end trust at a premium/discount before 2024), ``BITO`` (futures, roll
  cost), ``WGMI`` (holds the miners themselves) or ``ETH-USD`` (another coin). With none of
  them the part that needs bitcoin is dropped and the rest runs.
* ai: ``QQQ`` (Nasdaq-100, heavy in AI infrastructure), then ``NVDA`` (the AI bellwether).
  Whatever stands in is orthogonalised on the market exactly as ``SMH`` would be.
"""

ROLE_NAMES: dict[str, str] = {"market": "market", "bitcoin": "bitcoin", "ai": "AI factor"}
"""How a role is named in notes and labels."""


def how_to_get(symbol: str) -> str:
    """How an analyst gets a missing series (one phrase, used in every note)."""
    return (f"get it with `pivot data fetch {symbol}` or `pivot data import <file> --symbol "
            f"{symbol}` (for a csv: dataset, put {symbol}.csv in the folder)")


@dataclass(frozen=True)
class RoleChoice:
    """What fills one role on one dataset (:func:`choose_role`).

    Attributes
    ----------
    role : str
        ``market``, ``bitcoin`` or ``ai``.
    column : str or None
        The series used, or None when the role is dropped.
    default : str
        The role's default ticker.
    kind : str
        ``default`` (the default series), ``named`` (the analyst's choice), ``stand-in`` or
        ``dropped``.
    """

    role: str
    column: str | None
    default: str
    kind: str

    @property
    def note(self) -> str:
        """The sentence the report and the terminal show ('' when nothing changed)."""
        name = ROLE_NAMES[self.role]
        if self.kind == "stand-in":
            return (f"The {name} {self.default} is not in this dataset: {self.column} stands in "
                    f"for it (labelled {self.column} in every table and chart); to use "
                    f"{self.default}, {how_to_get(self.default)}.")
        if self.kind == "dropped":
            alts = STAND_INS[self.role]
            why = (f"nor any stand-in ({', '.join(alts)})" if alts else
                   "and it has no stand-in")
            return (f"The {name} {self.default} is not in this dataset {why}: the parts "
                    f"that need it were left out; to run them, {how_to_get(self.default)}.")
        return ""


def choose_role(role: str, available: Iterable[str], given: str | None = None, *,
                taken: Iterable[str] = (), where: str = "the dataset") -> RoleChoice:
    """Which series fills ``role`` on a dataset holding ``available``.

    A ``given`` series other than the role's default is the analyst's explicit choice: it is
    used if present and otherwise an error (never a silent stand-in). The default (``given``
    None, empty, or the default ticker itself) degrades: the default series if present, else
    the first stand-in of :data:`STAND_INS` present and not ``taken`` by another role, else
    the role is dropped.

    Raises
    ------
    DataError
        An explicitly named series is not in the data (names the series and ``where``).
    """
    from pivotlib.errors import DataError

    have = set(available)
    default = ROLE_DEFAULTS[role]
    if given and given != default:
        if given not in have:
            raise DataError(f"{given} (the {ROLE_NAMES[role]} you asked for) is not in {where}; "
                            f"{how_to_get(given)}, or leave {role} at its default")
        return RoleChoice(role, given, default, "named")
    if default in have:
        return RoleChoice(role, default, default, "default")
    busy = set(taken)
    for alt in STAND_INS[role]:
        if alt in have and alt not in busy:
            return RoleChoice(role, alt, default, "stand-in")
    return RoleChoice(role, None, default, "dropped")


def require_named(named: dict[str, str | None], available: Iterable[str], where: str) -> None:
    """Raise :class:`~pivotlib.errors.DataError` for the first analyst-named series (role ->
    ticker) that is not in ``available``; the message names the series and ``where``."""
    from pivotlib.errors import DataError

    have = set(available)
    for role, sym in named.items():
        if sym and sym not in have:
            raise DataError(f"{sym} (parameter {role}) is not in {where}; {how_to_get(sym)}, "
                            f"or leave {role} at its default")
