"""Re-derive the flavio-based numbers hard-coded in kernels/leptoquark/{bsll,bctaunu,neutral}.py.

Usage: python3 scripts/flavio_fit_coefficients.py   (needs `pip install flavio "particle==0.25.4"`)

Prints, for the installed flavio/wilson versions:
- R_K, R_K* (both LHCb 2022 bins): R_SM and the response BR_ee(c)/BR_ee(0) = 1 + a Re c + a_I Im c + b |c|^2
  for C9^ee = C10^ee = c (bsll.LFU_RATIO_FITS; a_I is neglected there);
- R_D, R_D*: SM values and the coefficients of the quadratic forms in bctaunu (NP coefficients relative to an
  SM coefficient of 1, i.e. flavio is given eta_EW * C);
- BR(B_c -> tau nu): SM value and the scalar enhancement factor;
- B -> K nu nu: SM BR and C_L^SM at 4.8 GeV;
- the (C_SL, C_T) running matrices from 1, 1.5, 2 TeV to 4.8 GeV (wilson, one-loop SMEFT -> WET).
Every quadratic response is exact, so the symmetric differences below recover the coefficients exactly.
"""

from __future__ import annotations

import warnings

import flavio
import numpy as np
import wilson
from flavio.physics.bdecays.wilsoncoefficients import CL_SM, get_CVLSM

MU_B = 4.8


def wet(coefficients):
    return wilson.Wilson(coefficients, scale=MU_B, eft="WET", basis="flavio")


def lfu():
    bins = {
        "r_k": ("<Rmue>(B+->Kll)", 1.1, 6.0),
        "r_kstar": ("<Rmue>(B0->K*ll)", 1.1, 6.0),
        "r_k_low": ("<Rmue>(B+->Kll)", 0.1, 1.1),
        "r_kstar_low": ("<Rmue>(B0->K*ll)", 0.1, 1.1),
    }
    for name, (obs, lo, hi) in bins.items():
        r_sm = flavio.sm_prediction(obs, lo, hi)
        y = {c: r_sm / flavio.np_prediction(obs, wet({"C9_bsee": c, "C10_bsee": c}), lo, hi) - 1.0
             for c in (1.0, -1.0, 1j)}
        b = (y[1.0] + y[-1.0]) / 2.0
        print(f"{name:12s} R_SM = {r_sm:.5f}  a = {(y[1.0] - y[-1.0]) / 2.0:.5f}  b = {b:.5f}  a_I = {y[1j] - b:.5f}")


def charged(eta):
    def ratio(obs, **c):
        w = wet({f"{k}_bctaunutau": eta * v for k, v in c.items()})
        return flavio.np_prediction(obs, w) / flavio.sm_prediction(obs)

    for name, obs in (("R_D", "Rtaul(B->Dlnu)"), ("R_D*", "Rtaul(B->D*lnu)")):
        x = 0.1
        terms = {}
        for label, key in (("S", "CSL"), ("T", "CT")):
            plus, minus = ratio(obs, **{key: x}), ratio(obs, **{key: -x})
            terms[f"|C_{label}|^2"] = (plus + minus - 2.0) / (2.0 * x * x)
            terms[f"Re[vl C_{label}*]"] = (plus - minus) / (2.0 * x)
        print(f"{name:5s} SM = {flavio.sm_prediction(obs):.5f}  " + "  ".join(f"{k} {v:.4f}" for k, v in terms.items()))
    x = 0.01
    factor = (ratio("BR(Bc->taunu)", CSL=-x) - ratio("BR(Bc->taunu)", CSL=x)) / (4.0 * x)
    print(f"B_c   SM = {flavio.sm_prediction('BR(Bc->taunu)'):.5f}  scalar factor (C_SR - C_SL) = {factor:.4f}")


def running():
    def run(op, scale_in, scale_out):
        out = wilson.Wilson({op: 1e-7}, scale=scale_in, eft="SMEFT", basis="Warsaw").match_run(
            scale_out, "WET", "flavio").dict
        return np.real([out.get("CSL_bctaunutau", 0.0), out.get("CT_bctaunutau", 0.0)])

    tree = run("lequ1_3332", 91.1876, 91.1876)[0]
    for scale in (1000.0, 1500.0, 2000.0):
        matrix = np.column_stack([run(op, scale, MU_B) / tree for op in ("lequ1_3332", "lequ3_3332")])
        print(f"running from {scale:6.0f} GeV: {np.round(matrix, 4).tolist()}")


def main():
    warnings.simplefilter("ignore")
    par = flavio.default_parameters.get_central_all()
    eta = get_CVLSM(par, MU_B, 5)
    print(f"flavio {flavio.__version__}, wilson {wilson.__version__}; eta_EW(4.8 GeV) = {eta:.5f}")
    lfu()
    charged(eta)
    print(f"B+ -> K+ nu nu SM BR = {flavio.sm_prediction('BR(B+->Knunu)'):.4g}, C_L^SM(4.8) = {CL_SM(par, MU_B):.4f}")
    running()


if __name__ == "__main__":
    main()
