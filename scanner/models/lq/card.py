"""The leptoquark [point] and [scan] card tables: vocabulary, validation, defaults.

A [point] is one texture: masses, m0I0 (or the scalar-mixing parameters it follows from), the convention
keys and the four coupling matrices. A [scan] gives priors for the same quantities; the engine keys (n,
chunk_size, seed, keep, best_per_chunk) are generic (:mod:`flavorscan.scanner.sampling`).
"""

from __future__ import annotations

from typing import Any

from flavorscan.kernels.constants import LOOP_QUARK_MASS_CHOICES, NU_QUARK_MASS_CHOICES
from flavorscan.kernels.names import COUPLINGS, I0_PARAMETERS
from flavorscan.scanner.cardkeys import (
    REQUIRED,
    CardKey,
    choice,
    matrix3,
    number,
    pair,
    reject_unknown,
    required,
    table,
)
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.sampling import ENGINE_KEYS, prior_table

PHASE_CHOICES = ("sign", "uniform", "fixed")
MASS_SCALE_CHOICES = ("sampled", "dm3l")
ZERO_MATRIX = [[0.0] * 3 for _ in range(3)]

CONVENTION_KEYS = (
    CardKey("nu_term_signs", "[int, int, int]", REQUIRED,
            "sign of each of the three terms of letter Eq. (3), each 1 or -1 (e.g. [1, -1, -1] reproduces TX-I; "
            "docs/conventions.md)"),
    CardKey("nu_quark_masses", "string or [float x 3]", "1TeV",
            "up-quark masses in Eq. (3): \"1TeV\" (run to ~1 TeV), \"low\" (m_c(m_c), m_t(m_t)) or [m_u, m_c, m_t] in GeV"),
    CardKey("loop_quark_masses", "string", "letter", "quark masses in the g-2 and LFV loops (\"letter\": m_c = 1.27, m_t = 160 GeV)"),
)

POINT_KEYS = (
    CardKey("M_R2", "float", REQUIRED, "R2 leptoquark mass [GeV]"),
    CardKey("M_S1", "float", REQUIRED, "S1 leptoquark mass [GeV]"),
    CardKey("m0I0", "float", None, "overall neutrino-mass scale m0 I0 [GeV] (letter Eq. 3); or give all of theta, phi, M1..M4"),
    CardKey("theta", "float", None, "charge-1/3 scalar mixing angle [rad] (with phi, M1..M4 instead of m0I0)"),
    CardKey("phi", "float", None, "charge-2/3 scalar mixing angle [rad]"),
    CardKey("M1", "float", None, "mass of the first charge-2/3 state [GeV]"),
    CardKey("M2", "float", None, "mass of the second charge-2/3 state [GeV]"),
    CardKey("M3", "float", None, "mass of the first charge-1/3 state [GeV]"),
    CardKey("M4", "float", None, "mass of the second charge-1/3 state [GeV]"),
    *CONVENTION_KEYS,
    *(CardKey(name, "3x3 float", "zeros", f"real part of {name} (rows u, c, t; columns e, mu, tau)") for name in COUPLINGS),
    *(CardKey(f"{name}_im", "3x3 float", "zeros", f"imaginary part of {name}") for name in COUPLINGS),
)

SCAN_KEYS = (
    *CONVENTION_KEYS,
    CardKey("mass_scale", "string", "sampled",
            "\"sampled\" (m0I0 from its prior) or \"dm3l\" (m0I0 fixed per texture so that |dm3l_sq| sits on the set's "
            "best fit; then no m0I0 or I0 may be given)"),
    CardKey("M_R2", "prior table", REQUIRED, "R2 mass prior {range = [lo, hi] GeV, prior = \"uniform\" | \"log\"}"),
    CardKey("M_S1", "prior table", REQUIRED, "S1 mass prior"),
    CardKey("m0I0", "prior table", None, "m0I0 prior [GeV] (required unless I0 or mass_scale = \"dm3l\")"),
    CardKey("I0", "table of ranges", None,
            "uniform ranges of theta, phi, M1, M2, M3, M4 (all six) from which m0I0 follows, instead of m0I0"),
    *(CardKey(name, "coupling table", None, f"how {name} is sampled ([scan.{name}] keys below); missing: zero")
      for name in COUPLINGS),
)

COUPLING_KEYS = (
    CardKey("pattern", "3x3 of 0/1", None, "fixed sparsity: 1 = sampled entry, 0 = zero (or give probability)"),
    CardKey("probability", "float or 3x3 float", None, "random sparsity: probability that an entry is non-zero"),
    CardKey("magnitude", "[lo, hi]", None, "log-uniform range of |entry| (or magnitude_lo/magnitude_hi per entry)"),
    CardKey("magnitude_lo", "3x3 float", None, "per-entry lower end of |entry|"),
    CardKey("magnitude_hi", "3x3 float", None, "per-entry upper end of |entry|"),
    CardKey("phase", "string", "sign",
            "\"sign\" (real, random sign), \"uniform\" (complex, uniform phase) or \"fixed\" (real, sign from `sign`)"),
    CardKey("sign", "3x3 of 1/-1", "ones", "with phase = \"fixed\": the sign of each entry"),
)


def resolve_options(section: dict, where: str) -> dict:
    """The convention keys shared by [point] and [scan]: term signs and quark-mass scales."""
    if "nu_term_signs" not in section:
        raise UserError(
            f"{where}nu_term_signs: required (the letter's sign convention is ambiguous; e.g. [1, -1, -1] for TX-I)"
        )
    signs = section["nu_term_signs"]
    if not (isinstance(signs, list) and len(signs) == 3
            and all(isinstance(s, (int, float)) and not isinstance(s, bool) and s in (1, -1) for s in signs)):
        raise UserError(f"{where}nu_term_signs: expected three entries, each 1 or -1")
    nu_masses = section.get("nu_quark_masses", "1TeV")
    if isinstance(nu_masses, str):
        choice(nu_masses, f"{where}nu_quark_masses", NU_QUARK_MASS_CHOICES)
    elif isinstance(nu_masses, list) and len(nu_masses) == 3:
        nu_masses = [number(m, f"{where}nu_quark_masses", positive=True) for m in nu_masses]
    else:
        raise UserError(f"{where}nu_quark_masses: expected \"1TeV\", \"low\" or [m_u, m_c, m_t] in GeV")
    loop_masses = choice(section.get("loop_quark_masses", "letter"), f"{where}loop_quark_masses", LOOP_QUARK_MASS_CHOICES)
    return {"nu_term_signs": [int(s) for s in signs], "nu_quark_masses": nu_masses, "loop_quark_masses": loop_masses}


def resolve_point(point: dict) -> dict:
    """Validated leptoquark [point] with defaults filled in."""
    reject_unknown(point, POINT_KEYS, "point.")
    out: dict[str, Any] = {
        "M_R2": number(required(point, "M_R2", "point."), "point.M_R2", positive=True),
        "M_S1": number(required(point, "M_S1", "point."), "point.M_S1", positive=True),
    }
    given_i0 = [k for k in I0_PARAMETERS if k in point]
    if "m0I0" in point and given_i0:
        raise UserError(f"point.m0I0: give either m0I0 or all of {', '.join(I0_PARAMETERS)}, not both")
    if "m0I0" in point:
        out["m0I0"] = number(point["m0I0"], "point.m0I0")
    elif len(given_i0) == len(I0_PARAMETERS):
        out["theta"] = number(point["theta"], "point.theta")
        out["phi"] = number(point["phi"], "point.phi")
        for k in ("M1", "M2", "M3", "M4"):
            out[k] = number(point[k], f"point.{k}", positive=True, hi=1e8)
    else:
        missing = [k for k in I0_PARAMETERS if k not in point]
        raise UserError(f"point.m0I0: missing (or give theta, phi, M1..M4; missing {', '.join(missing)})")
    out.update(resolve_options(point, "point."))
    for name in COUPLINGS:
        for key in (name, f"{name}_im"):
            out[key] = matrix3(point[key], f"point.{key}") if key in point else [row[:] for row in ZERO_MATRIX]
    return out


def _coupling(section: dict, name: str) -> dict:
    where = f"scan.{name}."
    reject_unknown(section, COUPLING_KEYS, where)
    if ("pattern" in section) == ("probability" in section):
        raise UserError(f"{where}pattern: give exactly one of pattern (fixed sparsity) or probability (random patterns)")
    if "pattern" in section:
        probability = matrix3(section["pattern"], f"{where}pattern", lo=0, hi=1)
        if any(v not in (0.0, 1.0) for row in probability for v in row):
            raise UserError(f"{where}pattern: entries must be 0 or 1")
    elif isinstance(section["probability"], list):
        probability = matrix3(section["probability"], f"{where}probability", lo=0, hi=1)
    else:
        p = number(section["probability"], f"{where}probability", lo=0, hi=1)
        probability = [[p] * 3 for _ in range(3)]
    if "magnitude" in section:
        if "magnitude_lo" in section or "magnitude_hi" in section:
            raise UserError(f"{where}magnitude: give magnitude or magnitude_lo/magnitude_hi, not both")
        lo, hi = pair(section["magnitude"], f"{where}magnitude", positive=True)
        magnitude_lo, magnitude_hi = [[lo] * 3 for _ in range(3)], [[hi] * 3 for _ in range(3)]
    else:
        magnitude_lo = matrix3(required(section, "magnitude_lo", where), f"{where}magnitude_lo", positive=True)
        magnitude_hi = matrix3(required(section, "magnitude_hi", where), f"{where}magnitude_hi", positive=True)
        for i in range(3):
            for j in range(3):
                if magnitude_lo[i][j] > magnitude_hi[i][j]:
                    raise UserError(f"{where}magnitude_lo[{i}][{j}]: larger than magnitude_hi")
    phase = choice(section.get("phase", "sign"), f"{where}phase", PHASE_CHOICES)
    sign = [[1.0] * 3 for _ in range(3)]
    if "sign" in section:
        if phase != "fixed":
            raise UserError(f"{where}sign: only used with phase = \"fixed\"")
        sign = matrix3(section["sign"], f"{where}sign")
        if any(v not in (1.0, -1.0) for row in sign for v in row):
            raise UserError(f"{where}sign: entries must be 1 or -1")
    return {"probability": probability, "magnitude_lo": magnitude_lo, "magnitude_hi": magnitude_hi,
            "phase": phase, "sign": sign}


def resolve_scan(section: dict) -> dict:
    """The leptoquark keys of a [scan] table (the engine keys are resolved by the generic layer)."""
    reject_unknown(section, SCAN_KEYS + ENGINE_KEYS, "scan.")
    scan = resolve_options(section, "scan.")
    scan["mass_scale"] = choice(section.get("mass_scale", "sampled"), "scan.mass_scale", MASS_SCALE_CHOICES)
    scan["M_R2"] = prior_table(section, "M_R2", positive=True)
    scan["M_S1"] = prior_table(section, "M_S1", positive=True)
    if "m0I0" in section and "I0" in section:
        raise UserError("scan.m0I0: give m0I0 or I0 (theta, phi, M1..M4 ranges), not both")
    if scan["mass_scale"] == "dm3l" and ("m0I0" in section or "I0" in section):
        # the dm3l option sets m0I0 itself; a sampled m0I0 (or I0) would be stored but not used
        key = "m0I0" if "m0I0" in section else "I0"
        raise UserError(f"scan.{key}: mass_scale = \"dm3l\" fixes m0I0 per texture; remove scan.{key} "
                        "(or use mass_scale = \"sampled\")")
    if "I0" in section:
        i0 = table(section["I0"], "scan.I0")
        reject_unknown(i0, I0_PARAMETERS, "scan.I0.")
        scan["I0"] = {k: pair(required(i0, k, "scan.I0."), f"scan.I0.{k}", positive=k.startswith("M"), hi=1e8)
                      for k in I0_PARAMETERS}
    elif "m0I0" in section:
        scan["m0I0"] = prior_table(section, "m0I0")
    elif scan["mass_scale"] != "dm3l":
        raise UserError("scan.m0I0: missing (a range, or I0 ranges, or mass_scale = \"dm3l\")")
    scan["couplings"] = {name: _coupling(table(section[name], f"scan.{name}"), name)
                         for name in COUPLINGS if name in section}
    if not scan["couplings"]:
        raise UserError("scan: no coupling matrix to sample (add a [scan.fR], [scan.fL], [scan.yR] or [scan.yL] table)")
    if all(p == 0 for spec in scan["couplings"].values() for row in spec["probability"] for p in row):
        raise UserError("scan: every coupling entry has probability 0 (every texture would be zero: no neutrino "
                        "masses, nothing to keep)")
    return scan

