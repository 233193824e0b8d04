"""The leptoquark point's Wilson coefficients in the WCxf format: WET, flavio basis, at mu_b = 4.8 GeV.

These are the coefficients the kernels compute and the observables use (docs/physics/leptoquark.md §5),
renamed to WCxf: the b -> s l l coefficients ``C9_bsll``, ``C10_bsll`` (l = e, mu; tree-level R^{2/3}
exchange, H = -(4 G_F/sqrt2) V_tb V_ts^* (e^2/16 pi^2) sum C_i O_i, new physics only) and the b -> c tau nu
coefficients ``CVL``, ``CSL``, ``CT`` of ``bctaunu<flavour>`` (H = (4 G_F/sqrt2) V_cb sum C_i O_i, new physics
only; run from the leptoquark masses to 4.8 GeV, docs/physics/leptoquark.md §5.4). The kernels' b -> c tau nu
coefficients are relative to an SM coefficient of exactly 1; flavio's basis normalises the SM coefficient to eta_EW
(1.00709 at 4.8 GeV), so the file holds eta_EW times them (the same new-physics amplitude). The WET at 4.8 GeV
is chosen over the SMEFT at the leptoquark scale because it holds exactly the numbers flavorscan's verdicts
use; wilson or smelli take the file from there (``wilson.Wilson.load_wc``). Coefficients the model does not
generate at tree level (C_SR, C_VR, C9', ...) are zero and omitted.
"""

from __future__ import annotations

from typing import Mapping

from flavorscan.kernels import constants

SCALE = 4.8
FLAVOURS = {"nutau": "", "nue": "_nue", "numu": "_numu"}
"""WCxf neutrino suffix -> flavorscan column suffix of the b -> c tau nu coefficients."""


def wilson_coefficients(observables: Mapping) -> dict:
    """{"eft", "basis", "scale", "values"} of one point (``observables``: name -> number)."""
    values = {}
    for lepton in ("ee", "mumu"):
        for wc in ("c9", "c10"):
            values[f"{wc.upper()}_bs{lepton}"] = complex(observables[f"{wc}_{lepton}"],
                                                          observables[f"{wc}_{lepton}_im"])
    eta_ew = float(constants.value("couplings", "eta_EW"))
    for flavour, suffix in FLAVOURS.items():
        for wc, name in (("c_vl", "CVL"), ("c_sl", "CSL"), ("c_t", "CT")):
            values[f"{name}_bctau{flavour}"] = eta_ew * complex(observables[f"{wc}{suffix}"],
                                                                observables[f"{wc}{suffix}_im"])
    return {"eft": "WET", "basis": "flavio", "scale": SCALE, "values": values}
