"""Parameters of the SYNTHETIC demo model: calibration per symbol, planted regimes, constants
(the model itself is :mod:`pivotlib.data.synthetic`; see ``data/synthetic/MODEL.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

MODEL_VERSION = "1"


DEFAULT_SEED = 20240101


DEFAULT_START = "2021-01-04"


DEFAULT_END = "2026-06-30"


DATASET = "demo"


LABEL = "SYNTHETIC"


WGMI_TRACKING = 0.015


RETURN_FLOOR = -0.90


CRYPTO_WARMUP_DAYS = 7


# Planted abnormal returns
PLANT_DEFAULT = 0.10


PLANT_CLIP = 0.60


@dataclass(frozen=True)
class Params:
    """Loadings and noise of one equity symbol (see the module docstring for the equation).

    ``idio`` is the total idiosyncratic daily vol (sector part included), ``kurt`` the measured
    excess kurtosis that sets the tail index, ``sector`` the loading on the miner factor.
    """

    b_spy: float
    b_btc: float
    idio: float
    kurt: float = 3.0
    b_ai: float = 0.0
    sector: float = 0.0
    price: float = 10.0
    volume: float = 5e6
    calibrated: bool = True


# Calibration: ../shared/realdata/README.md (2023-01 to 2025-12, OLS on SPY and BTC-USD).
# BITF and GLXY are not in that table: their values are stated assumptions (calibrated=False).
EQUITY_PARAMS: dict[str, Params] = {
    "APLD": Params(2.04, 0.36, 0.0782, 18.75, 0.0, 0.5, 8.0, 1.5e7),
    "IREN": Params(1.86, 0.88, 0.0653, 9.12, 0.0, 1.0, 25.0, 1.2e7),
    "HUT": Params(1.93, 1.04, 0.0521, 0.80, 0.0, 1.0, 11.0, 4e6),
    "CORZ": Params(1.73, 0.47, 0.0492, 8.73, 0.0, 1.0, 6.5, 1.5e7),
    "WULF": Params(2.05, 0.86, 0.0663, 5.92, 0.0, 1.0, 10.0, 2e7),
    "CIFR": Params(2.08, 0.95, 0.0661, 2.65, 0.0, 1.0, 10.0, 1e7),
    "MARA": Params(1.62, 1.20, 0.0489, 2.15, 0.0, 1.0, 20.0, 3.5e7),
    "RIOT": Params(1.74, 0.99, 0.0441, 0.98, 0.0, 1.0, 18.0, 2.5e7),
    "CLSK": Params(1.72, 1.07, 0.0516, 1.67, 0.0, 1.0, 20.0, 2e7),
    "BITF": Params(1.70, 1.00, 0.0550, 2.50, 0.0, 1.0, 5.0, 1.5e7, calibrated=False),
    "BTDR": Params(1.83, 0.63, 0.0707, 4.84, 0.0, 1.0, 10.0, 3e6),
    "HIVE": Params(1.75, 0.87, 0.0450, 3.15, 0.0, 1.0, 10.0, 5e6),
    "BTBT": Params(1.50, 1.03, 0.0530, 2.28, 0.0, 1.0, 8.0, 8e6),
    "GLXY": Params(1.50, 0.90, 0.0450, 3.00, 0.5, 0.5, 22.0, 6e6, calibrated=False),
}


BENCHMARK_PARAMS: dict[str, Params] = {
    "SPY": Params(1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 370.0, 8e7),
    "QQQ": Params(1.22, 0.0, 0.0033, 5.0, 0.15, 0.0, 310.0, 4.5e7),
    "SMH": Params(1.77, 0.0, 0.0035, 5.0, 1.0, 0.0, 230.0, 7e6),
    "IWM": Params(1.10, 0.0, 0.0085, 2.0, 0.0, 0.0, 195.0, 3e7, calibrated=False),
    "WGMI": Params(0.0, 0.0, WGMI_TRACKING, 2.0, 0.0, 0.0, 20.0, 2e5),
    # single-stock AI proxy (notebook 07's alternative to SMH): an assumption, not calibrated
    "NVDA": Params(1.90, 0.0, 0.0200, 5.0, 1.40, 0.0, 15.0, 4e8, calibrated=False),
}


CRYPTO_PRICE = {"BTC-USD": 32000.0, "ETH-USD": 1000.0}


CRYPTO_VOLUME = {"BTC-USD": 3e10, "ETH-USD": 1.5e10}


# Fallbacks for symbols of a user universe that have no row above, by role (assumptions).
ROLE_DEFAULTS: dict[str, Params] = {
    "miner": Params(1.80, 1.00, 0.060, 3.0, 0.0, 1.0, 10.0, 5e6, calibrated=False),
    "ai_host": Params(1.90, 0.50, 0.060, 3.0, 0.5, 0.5, 10.0, 5e6, calibrated=False),
    "benchmark": Params(1.00, 0.0, 0.006, 3.0, 0.0, 0.0, 100.0, 1e7, calibrated=False),
    "etf": Params(1.50, 0.80, 0.030, 3.0, 0.0, 1.0, 20.0, 1e6, calibrated=False),
}


@dataclass(frozen=True)
class Regime:
    """A planted exposure switch: BTC and AI betas change from ``date`` (a session) on."""

    date: str
    b_btc_pre: float
    b_btc_post: float
    b_ai_pre: float
    b_ai_post: float
    anchor: str
    """The catalog ``event_id`` whose day 0 the switch date matches (documentation only)."""


# Each switch sits on the name's first large AI/HPC announcement in data/events (the date is a
# constant here, so editing the catalog never moves a planted regime silently).
REGIMES: dict[str, Regime] = {
    "APLD": Regime("2023-05-16", 1.30, 0.30, 0.0, 1.60, "APLD-2023-05-16-first-ai-customer"),
    "IREN": Regime("2024-09-16", 1.80, 0.50, 0.0, 1.50, "IREN-2024-09-16-h200-purchase"),
    "HUT": Regime("2024-06-24", 1.50, 0.60, 0.0, 1.20, "HUT-2024-06-24-coatue"),
    "CORZ": Regime("2024-06-04", 1.40, 0.40, 0.0, 1.30, "CORZ-2024-06-03-coreweave-200mw"),
    "WULF": Regime("2025-08-14", 1.30, 0.40, 0.0, 1.50, "WULF-2025-08-14-fluidstack-google"),
    "CIFR": Regime("2025-09-25", 1.40, 0.50, 0.0, 1.40, "CIFR-2025-09-25-fluidstack-google"),
}

# latent factors
SPY_VOL, SPY_MU, SPY_DF, SPY_GARCH = 0.0097, 0.0004, 6, (0.06, 0.91)
BTC_VOL, BTC_MU, BTC_DF, BTC_GARCH, BTC_GAMMA = 0.0245, 0.0005, 6, (0.05, 0.90), 0.6
ETH_BETA, ETH_MU, ETH_VOL, ETH_DF = 1.1, -0.0003, 0.019, 5
AI_VOL, AI_MU, AI_DF = 0.012, 0.0003, 5
SECTOR_VOL, SECTOR_DF = 0.025, 5
