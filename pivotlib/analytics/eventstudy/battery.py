"""The test battery of an event study: per-event panel, abnormal volume and every test statistic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pivotlib.analytics.eventstudy import stats as S
from pivotlib.analytics.eventstudy.models import Fit
from pivotlib.analytics.eventstudy.resample import bootstrap_skew_t, placebo_caar, signflip_caar
from pivotlib.analytics.eventstudy.result import TEST_NAMES
from pivotlib.errors import InputError


@dataclass
class _Panel:
    fit: Fit
    keep: np.ndarray
    ar: np.ndarray
    sar: np.ndarray
    mask_evt: np.ndarray
    start: np.ndarray
    pos0: np.ndarray


def _abnormal_volume(volume: pd.DataFrame, index: pd.DatetimeIndex, syms: np.ndarray,
                     pos: np.ndarray, okpos: np.ndarray, est_off: np.ndarray,
                     evt_off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Campbell-Wasley (1996) abnormal log volume: mean_evt v - mean_est v, v = log(1 + V)."""
    if not isinstance(volume, pd.DataFrame):
        raise InputError("volume must be a wide DataFrame like returns (one column per symbol)")
    vol = volume.copy()
    vol.index = pd.DatetimeIndex(vol.index).tz_localize(None) if getattr(
        vol.index, "tz", None) is not None else pd.DatetimeIndex(vol.index)
    vol = vol[~vol.index.duplicated()].reindex(index)
    n = len(syms)
    av = np.full(n, np.nan)
    avt = np.full(n, np.nan)
    V = np.log1p(vol.clip(lower=0).to_numpy(dtype=float, na_value=np.nan))
    vcols = {c: j for j, c in enumerate(vol.columns)}
    for gi in okpos:
        j = vcols.get(syms[gi])
        if j is None:
            continue
        ve = V[pos[gi] + est_off, j]
        vw = V[pos[gi] + evt_off, j]
        ve, vw = ve[np.isfinite(ve)], vw[np.isfinite(vw)]
        if ve.size < 3 or vw.size < 1:
            continue
        av[gi] = vw.mean() - ve.mean()
        sd = ve.std(ddof=1)
        avt[gi] = av[gi] / (sd / np.sqrt(vw.size)) if sd > 0 else np.nan
    return av, avt


def _ar_long(ids, syms, evt_off, ridx_evt, index, y_evt, ar, sar, c_evt) -> pd.DataFrame:
    n, L = ar.shape
    car = np.cumsum(np.nan_to_num(ar), axis=1)
    dates = index.to_numpy()[ridx_evt] if n else np.empty((0, L), dtype="datetime64[ns]")
    return pd.DataFrame({
        "event_id": np.repeat(ids, L),
        "symbol": np.repeat(syms, L),
        "rel_day": np.tile(evt_off, n),
        "date": dates.ravel(),
        "ret": y_evt.ravel(),
        "normal": (y_evt - ar).ravel(),
        "ar": ar.ravel(),
        "car": car.ravel(),
        "sar": sar.ravel(),
        "c_t": c_evt.ravel(),
    })


def _battery(F: _Panel, o: dict, evt_off: np.ndarray):
    """Compute the CAAR test table and the daily table for the kept events."""
    fit = F.fit
    kp = F.keep
    ar, sar, mask = F.ar, F.sar, F.mask_evt
    n, L = ar.shape
    k = fit.k
    sigma = fit.sigma[kp]
    m = fit.n_est[kp].astype(float)
    resid = fit.resid_est[kp]
    q = S.patell_q(m, k)

    empty_tests = pd.DataFrame(
        {"statistic": np.nan, "p_value": np.nan, "df": np.nan, "distribution": ""},
        index=pd.Index(list(TEST_NAMES), name="test"))
    if n == 0:
        return empty_tests, pd.DataFrame(index=pd.Index(evt_off, name="rel_day")), float(
            "nan"), float("nan")

    # cumulative pieces for windows [w0, w0 + j]
    ar0 = np.nan_to_num(ar)
    cum_car = np.cumsum(ar0, axis=1)
    cum_l = np.cumsum(mask, axis=1).astype(float)
    cum_sar = np.cumsum(np.nan_to_num(sar), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if fit.d_evt.shape[2]:
            cd = np.cumsum(fit.d_evt[kp], axis=1)
            quad = np.einsum("njp,npq,njq->nj", cd, fit.sxx_inv[kp], cd)
        else:
            quad = np.zeros((n, L))
        if o["model"] == "market_adjusted":
            var_corr = sigma[:, None] ** 2 * cum_l
        else:
            var_corr = sigma[:, None] ** 2 * (cum_l + cum_l**2 / m[:, None] + quad)
        bs = o["bmp_standardize"]
        if bs == "corrected":
            scar_cum = cum_car / np.sqrt(var_corr)
            sar_bmp = sar
        elif bs == "sigma":
            scar_cum = cum_car / (sigma[:, None] * np.sqrt(cum_l))
            sar_bmp = ar / sigma[:, None]
        else:
            scar_cum = cum_sar / np.sqrt(cum_l)
            sar_bmp = sar
        scar_cum = np.where(cum_l > 0, scar_cum, np.nan)
    car_cum = np.where(cum_l > 0, cum_car, np.nan)

    # KP mean correlation of estimation residuals
    rng = np.random.default_rng(o["seed"])
    kp_r = _kp_rbar(resid, F.start, o, L, rng)
    fac = S.kp_factor(kp_r, n)

    # generalized sign p-hat
    pos_est = (resid > 0).sum(axis=1)
    if o["gsign_p"] == "pooled":
        p_hat = float(pos_est.sum() / m.sum())
    else:
        p_hat = float(np.mean(pos_est / m))

    # rank tests on estimation + event window: rank the estimation residuals once, then
    # insert the event-window values (raw ARs for Corrado, SARs for the modified rank)
    fin_est = np.isfinite(resid)
    base = S.ranks_rows(resid)
    k_est, k_evt = S.ranks_with_extra(base, resid, ar)
    d_rank, s_k = S.corrado_parts(k_est, k_evt, fin_est)
    with np.errstate(invalid="ignore", divide="ignore"):
        # e/sigma vs SAR = AR/(sigma sqrt(C)): compare e with AR / sqrt(C)
        k_est, k_evt = S.ranks_with_extra(base, resid, ar / np.sqrt(fit.c_evt[kp]))
    s_mod, s_mod_sd = S.modified_rank_parts(k_est, k_evt, fin_est)

    rows = []
    for j in range(L):
        a_t = np.where(mask[:, j], ar[:, j], np.nan)
        aar = float(np.nanmean(a_t)) if np.isfinite(a_t).any() else float("nan")
        car_j = car_cum[:, j]
        ok_j = np.isfinite(car_j)
        caar_j = float(np.nanmean(car_j)) if ok_j.any() else float("nan")
        t_a, df_a = S.cross_sectional_t(a_t)
        t_c, df_c = S.cross_sectional_t(car_j)
        bmp_a, _ = S.bmp_t(sar_bmp[:, j])
        bmp_c, _ = S.bmp_t(scar_cum[:, j])
        n_t = int(np.isfinite(a_t).sum())
        rows.append(dict(
            rel_day=int(evt_off[j]), n=n_t, n_pos=int((a_t > 0).sum()), aar=aar, caar=caar_j,
            aar_t=t_a, aar_p=S.p_t(t_a, df_a), caar_t=t_c, caar_p=S.p_t(t_c, df_c),
            aar_patell_z=S.patell_daily(sar[:, j], q),
            caar_patell_z=S.patell_car(cum_sar[:, j], cum_l[:, j], q),
            aar_bmp_t=bmp_a, caar_bmp_t=bmp_c, aar_kp_t=bmp_a * fac, caar_kp_t=bmp_c * fac,
            aar_gsign_z=S.generalized_sign_z(int((a_t > 0).sum()), n_t, p_hat),
            caar_gsign_z=S.generalized_sign_z(int((car_j > 0).sum()), int(ok_j.sum()), p_hat),
            aar_rank_z=float(d_rank[j] / s_k) if s_k > 0 else float("nan"),
            caar_rank_z=float(d_rank[: j + 1].sum() / (np.sqrt(j + 1) * s_k))
            if s_k > 0 else float("nan"),
        ))
    daily = pd.DataFrame(rows).set_index("rel_day")

    # full-window tests
    car = car_cum[:, -1]
    scar = scar_cum[:, -1]
    nn = int(np.isfinite(car).sum())
    caar = float(np.nanmean(car))
    res: dict[str, tuple[float, float, float, str]] = {}
    t, df = S.cross_sectional_t(car)
    res["cross_sectional_t"] = (t, S.p_t(t, df), df, "t")
    z = S.patell_car(cum_sar[:, -1], cum_l[:, -1], q)
    res["patell_z"] = (z, S.p_normal(z), np.nan, "normal")
    res["kp_patell_z"] = (z * fac, S.p_normal(z * fac), np.nan, "normal")
    t, df = S.bmp_t(scar)
    res["bmp_t"] = (t, S.p_t(t, df), df, "t")
    res["kp_bmp_t"] = (t * fac, S.p_t(t * fac, df), df, "t")
    z = S.generalized_sign_z(int((car > 0).sum()), nn, p_hat)
    res["generalized_sign_z"] = (z, S.p_normal(z), np.nan, "normal")
    z = float(d_rank.sum() / (np.sqrt(L) * s_k)) if s_k > 0 else float("nan")
    res["corrado_rank_z"] = (z, S.p_normal(z), np.nan, "normal")
    z = float(s_mod.sum() / (np.sqrt(L) * s_mod_sd)) if s_mod_sd > 0 else float("nan")
    res["modified_rank_z"] = (z, S.p_normal(z), np.nan, "normal")
    t, df, _z = S.grank_t(base, resid, sigma, scar, fin_est)
    res["grank_t"] = (t, S.p_t(t, df), df, "t")
    z = S.wilcoxon_z(car)
    if o.get("wilcoxon_p") == "exact":
        res["wilcoxon_z"] = (z, S.wilcoxon_exact_p(car), np.nan, "exact")
    else:
        res["wilcoxon_z"] = (z, S.p_normal(z), np.nan, "normal")
    t, df = S.skewness_corrected_t(car)
    res["skewness_corrected_t"] = (t, S.p_t(t, df), df, "t")
    nb = o["n_boot"]
    if nb > 0:
        t, p = bootstrap_skew_t(car, nb, rng)
        res["bootstrap_skew_t"] = (t, p, np.nan, "bootstrap")
        c, p = signflip_caar(car, nb, rng)
        res["signflip_caar"] = (c, p, np.nan, "permutation")
        c, p, npl = placebo_caar(resid, L, caar)
        res["placebo_caar"] = (c, p, np.nan, f"permutation ({npl} windows)")
    tests = pd.DataFrame.from_dict(res, orient="index",
                                   columns=["statistic", "p_value", "df", "distribution"])
    tests.index.name = "test"
    return tests, daily, caar, kp_r


def _kp_rbar(resid: np.ndarray, start: np.ndarray, o: dict, L: int,
             rng: np.random.Generator) -> float:
    n = resid.shape[0]
    if n < 2:
        return float("nan")
    sel = np.arange(n)
    if o["kp_max_events"] is not None and n > o["kp_max_events"]:
        sel = np.sort(rng.choice(n, size=int(o["kp_max_events"]), replace=False))
    st = start[sel] if o["kp_correlation"] == "calendar" else np.zeros(len(sel), dtype=np.int64)
    w = None
    if o["kp_weight"] == "event_overlap" and o["kp_correlation"] == "calendar":
        w = np.maximum(0.0, (L - np.arange(L)) / L)
    return S.mean_pairwise_corr(resid[sel], st.astype(np.int64),
                                min_overlap=int(o["kp_min_overlap"]), weights=w)
