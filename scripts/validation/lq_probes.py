"""Leptoquark computations behind the report's tables: the transcribed textures, the rounding study, and the
letter's bounds recomputed with probe cards (only the named couplings non-zero).

Each function returns numbers or table rows; the sections (lq_benchmarks, lq_letter, lq_further) write the text.
"""

from __future__ import annotations

import copy
import math
from decimal import Decimal

import numpy as np

from flavorscan.kernels import constants, neutrino
from flavorscan.kernels.names import COUPLINGS, LEPTONS, QUARKS
from flavorscan.scanner.config import resolve_card
from flavorscan.scanner.pipeline import model_inputs, point_params

from .evaluation import evaluate, probe, with_point
from .published import LETTER_NUNU_RANGES, LETTER_TABLE_I, TABLE_I_LIMITS, TEXTURES
from .report import fmt, rel, verdict

ROUNDING_DIGITS = 3
"""The letter prints couplings with at most three significant digits; the rounding study shifts each entry by half
a unit of its third significant digit."""


def parse_entry(text: str) -> tuple[complex, float]:
    """('5.78e-3i') -> (5.78e-3j, half a unit of the third significant digit of the printed number)."""
    imaginary = text.endswith("i")
    digits = text[:-1] if imaginary else text
    value = float(Decimal(digits))
    half_unit = 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - (ROUNDING_DIGITS - 1)) if value != 0 else 0.0
    return (1j * value if imaginary else complex(value)), half_unit


def texture_matrices(name: str) -> dict[str, np.ndarray]:
    spec = TEXTURES[name]
    return {c: np.array([[parse_entry(e)[0] for e in row] for row in spec[c]]) for c in COUPLINGS}


def transcription_check(name: str, card: dict) -> list:
    """Rows (item, lq.md §7, card, agrees) comparing the card in runs/ with the §7 transcription."""
    spec, point = TEXTURES[name], card["point"]
    rows = []
    for key in ("M_R2", "M_S1"):
        rows.append((key, fmt(spec[key]), fmt(point[key]), verdict(spec[key] == point[key])))
    rows.append(("m0I0", spec["m0I0"], fmt(point["m0I0"]), verdict(float(spec["m0I0"]) == point["m0I0"])))
    rows.append(("nu_term_signs", str(spec["signs"]), str(tuple(point["nu_term_signs"])),
                 verdict(tuple(spec["signs"]) == tuple(point["nu_term_signs"]))))
    for c, matrix in texture_matrices(name).items():
        card_matrix = np.asarray(point[c]) + 1j * np.asarray(point[f"{c}_im"])
        ok = bool(np.allclose(card_matrix, matrix, rtol=1e-12, atol=0.0))
        rows.append((c, "printed digits", "card", verdict(ok)))
    return rows


def rounding_sensitivity(raw: dict, name: str, base: dict, names=("dm21_sq", "dm3l_sq", "s12_sq", "s23_sq", "s13_sq")):
    """Shift every printed coupling (real or imaginary part) by +-half a unit of its third significant digit, one
    at a time.

    Returns {observable: (largest single relative shift, its entry, quadratic sum, linear sum)} over the entries
    (each entry contributes the larger of its two shifts): the linear sum bounds the rounding band to first order,
    the quadratic sum is its typical size for independent roundings."""
    spec = TEXTURES[name]
    card = resolve_card(copy.deepcopy(raw), "validation")
    inputs = model_inputs(card)
    params = point_params(card, inputs)
    worst = {n: (0.0, "") for n in names}
    total = {n: 0.0 for n in names}
    squares = {n: 0.0 for n in names}
    for c in COUPLINGS:
        for i in range(3):
            for j in range(3):
                value, half = parse_entry(spec[c][i][j])
                if half == 0.0:
                    continue
                direction = 1j if value.imag != 0 else 1.0
                largest = {n: 0.0 for n in names}
                for sign in (1.0, -1.0):
                    shifted = dict(params)
                    matrix = np.array(params[c], dtype=np.complex128)
                    matrix[i, j] += sign * half * direction
                    shifted[c] = matrix
                    got = evaluate(card, shifted)["observables"]
                    for n in names:
                        change = abs(got[n] / base[n] - 1.0)
                        largest[n] = max(largest[n], change)
                for n in names:
                    total[n] += largest[n]
                    squares[n] += largest[n] ** 2
                    if largest[n] > worst[n][0]:
                        worst[n] = (largest[n], f"{c}_{QUARKS[i]}{LEPTONS[j]} = {spec[c][i][j]}")
    return {n: (worst[n][0], worst[n][1], math.sqrt(squares[n]), total[n]) for n in names}


def table_one_bounds():
    """The letter's Table I recomputed: R2 at 1 TeV, charm loop, old limits (as tests/kernels/test_lq_dipoles.py)."""
    index = {"e": 0, "mu": 1, "tau": 2}
    x_test = 1e-3
    m_c = float(constants.value("quarks", "loop_letter_up")[1])
    log_factor = abs(1.0 + 4.0 * math.log(m_c**2 / 1000.0**2)) * m_c
    names = {("mu", "e"): "br_mu_e_gamma", ("tau", "e"): "br_tau_e_gamma", ("tau", "mu"): "br_tau_mu_gamma"}
    rows = []
    for (li, lj), (letter_nc, letter_c) in LETTER_TABLE_I.items():
        i, j = index[li], index[lj]
        limit = TABLE_I_LIMITS[(li, lj)]
        nonchiral = probe(fL={(1, i): x_test, (1, j): 1.0})
        chiral = probe(fL={(1, i): 1.0}, fR={(1, j): x_test})
        br_nc = evaluate(nonchiral)["observables"][names[(li, lj)]]
        br_c = evaluate(chiral)["observables"][names[(li, lj)]]
        bound_nc = x_test * math.sqrt(limit / br_nc)
        bound_c = x_test * math.sqrt(limit / br_c) * log_factor
        rows.append((f"{li} → {lj} γ", fmt(limit), fmt(letter_nc, 3), fmt(bound_nc, 4), rel(bound_nc, letter_nc),
                     fmt(letter_c, 3), fmt(bound_c, 4), rel(bound_c, letter_c)))
    return rows


def conversion_bounds():
    """Single-operator bounds on |f_{q mu} f*_{q e}| from CR(mu -> e, Au) < 7e-13 at M = 1 TeV."""
    limit = 7e-13
    x_test = 1e-6
    ckm = np.asarray(constants.base_inputs("paper2022")["ckm"])
    u_only = probe(fL={(0, 1): x_test, (0, 0): 1.0})
    f_r = np.outer(ckm[:, 0], [1.0, x_test, 0.0])  # f-hat^R = V^dagger f^R only in the d row
    entries = {(q, lep): f_r[q, lep] for q in range(3) for lep in range(2)}
    d_only = probe(fR=entries, yR={(0, lep): f_r[0, lep] for lep in range(2)})  # S1 y^R cancels the u part
    out = {}
    for key, card in (("u (R^{5/3} f^L, or S1)", u_only), ("d (R^{2/3} f̂^R)", d_only)):
        cr = evaluate(card)["observables"]["cr_mu_e_au"]
        out[key] = x_test * math.sqrt(limit / cr)
    return out


def z_tautau_probes():
    out = {}
    for name in ("fR", "fL", "yL", "yR"):
        out[name] = evaluate(probe(**{name: {(2, 2): 1.0}}))["observables"]["dgamma_z_tautau_rel"]
    ckm = np.asarray(constants.base_inputs("paper2022")["ckm"])
    column = {(q, 2): ckm[q, 2] for q in range(3)}  # f^R = V f-hat^R with only f-hat^R_{b tau} = 1
    out["fhat_btau"] = evaluate(probe(fR=column))["observables"]["dgamma_z_tautau_rel"]
    return out


def z_tautau_massless_z():
    """delta Gamma/Gamma(Z -> tau tau) for unit (t tau) couplings at M = 1 TeV with m_Z -> 0 (1 MeV): the exact top
    term of the vertex that the earlier leading-log anchors approximate (docs/physics-notes.md B5)."""
    from flavorscan.kernels.leptoquark import zdecay

    out = {}
    for name in ("fR", "fL", "yL", "yR"):
        card = probe(**{name: {(2, 2): 1.0}})
        inputs = dict(model_inputs(card), m_Z=1e-3)
        out[name] = float(np.asarray(zdecay.zdecay_observables(point_params(card, inputs), inputs)["dgamma_z_tautau_rel"]))
    return out


def lepton_z_probes():
    """delta Gamma/Gamma(Z -> l l) and the neutrino count for a unit coupling of each leptoquark to the top (charm for
    the R^{2/3} row, whose top coupling enters through b) and each lepton, M = 1 TeV."""
    names = {0: "dgamma_z_ee_rel", 1: "dgamma_z_mumu_rel", 2: "dgamma_z_tautau_rel"}
    rows = []
    for coupling in ("fR", "fL", "yL", "yR"):
        for lepton, name in names.items():
            obs = evaluate(probe(**{coupling: {(2, lepton): 1.0}}))["observables"]
            rows.append((coupling, lepton, obs[name], obs["n_nu_z"] - 3.0))
    return rows


def scheme_band(raw: dict) -> dict:
    """Observables of a benchmark with loop_quark_masses = "letter" and "lq_scale" (the scheme band)."""
    return {option: evaluate(with_point(raw, loop_quark_masses=option))["observables"]
            for option in constants.LOOP_QUARK_MASS_CHOICES}


def z_tautau_allowed_shift(measurements="paper2022", n_sigma=2.0):
    """Most negative delta Gamma/Gamma the set's Z -> tau tau constraint lets pass (gaussian, |pull| <= n)."""
    spec = constants.measurement_set(measurements)["constraint"]["dgamma_z_tautau_rel"]
    offset, scale = spec["prediction"]["offset"], spec["prediction"]["scale"]
    sigma = math.hypot(spec["sigma"], spec.get("sigma_theory", 0.0))  # as scanner.likelihood combines them
    lowest = spec["value"] - n_sigma * sigma
    return (lowest - offset) / scale, spec


def i0_rows(m_w):
    """I0 of Eqs. (4)-(5) at sin2theta = sin2phi = 1 vs the small-splitting expansion."""
    theta = phi = math.pi / 4.0
    expansion_factor = (2.0 - math.pi**2 / 3.0) / (4.0 * m_w**2)
    rows = []
    base = 1000.0
    for delta in (0.0, 0.1, 1.0, 2.5, 10.0, 50.0, 100.0, 200.0, 400.0):
        masses = (base, base + delta, base + delta, base)  # (M1, M2, M3, M4): M3 - M4 = delta, M1 - M2 = -delta
        exact = float(neutrino.loop_integral_i0(theta, phi, masses, m_w))
        approx = (masses[2] - masses[3]) * (masses[0] - masses[1]) * expansion_factor
        rows.append((fmt(delta), fmt(exact), fmt(approx), rel(exact, approx) if approx else "—"))
    return rows


def yhat_probe(entries: dict) -> dict:
    """A card whose y-hat^L = -V^T y^L has exactly the given entries {(down quark, lepton): value}, M_S1 = 1 TeV."""
    ckm = np.asarray(constants.base_inputs("paper2022")["ckm"])
    y_hat = np.zeros((3, 3), np.complex128)
    for key, value in entries.items():
        y_hat[key] = value
    y_l = -np.conj(ckm) @ y_hat  # (V^T)^-1 = V^* for unitary V
    return probe(yL={(q, lep): y_l[q, lep] for q in range(3) for lep in range(3) if y_l[q, lep] != 0})


def nunu_range_rows():
    """flavorscan's B -> K nu nu ratio and BR(K+ -> pi+ nu nu) at the ends of the letter's Table II ranges."""
    rows, out = [], {}
    for (label, (lo, hi)), (observable, key) in zip(
        LETTER_NUNU_RANGES.items(), (("r_nunu_k", ((2, 1), (1, 1))), ("br_kp_pinunu", ((0, 0), (1, 0))))
    ):
        first, second = key

        def value_at(product):
            return evaluate(yhat_probe({first: 1.0, second: product}))["observables"][observable]

        grid = np.linspace(-1.5 * hi, 1.5 * hi, 61)
        values = [value_at(p) for p in grid]
        minimum = float(grid[int(np.argmin(values))])
        ends = {"lo": value_at(lo), "hi": value_at(hi), "-hi": value_at(-hi), "-lo": value_at(-lo)}
        out[label] = dict(ends, minimum=minimum)
        rows.append((f"{label} ∈ [{fmt(lo)}, {fmt(hi)}]", f"`{observable}`", fmt(ends["lo"], 3), fmt(ends["hi"], 3),
                     fmt(ends["-hi"], 3), fmt(ends["-lo"], 3), f"≈ {fmt(minimum, 2)}"))
    return rows, out

