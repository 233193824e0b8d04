"""CKM matrix of kernels/constants.py against the PDG standard parametrisation built independently here.

Wolfenstein parameters are transcribed from docs/physics/inputs.md (not read from kernels/data). The
expected matrix is the PDG product of rotations V = R23 U13(delta) R12 with (PDG CKM review, Eqs. 12.4-12.5)

    s12 = lambda,  s23 = A lambda^2,
    s13 e^{i delta} = A lambda^3 (rhobar + i etabar) sqrt(1 - A^2 lambda^4) / (sqrt(1 - lambda^2) [1 - A^2 lambda^4 (rhobar + i etabar)]),

and the kernel's matrix must also satisfy the phase-convention-independent definitions of the Wolfenstein
parameters, lambda = |V_us| / sqrt(|V_ud|^2 + |V_us|^2), A lambda^2 = lambda |V_cb / V_us| and
rhobar + i etabar = -V_ud V_ub^* / (V_cd V_cb^*), which hold to all orders in lambda.
"""

import math

import numpy as np
import pytest

from flavorscan.kernels.constants import base_inputs, ckm_matrix, measurement_set

WOLFENSTEIN_DOC = {  # docs/physics/inputs.md, "CKM, Wolfenstein"
    "paper2022": {"lambda": 0.2248, "A": 0.8235, "rhobar": 0.1569, "etabar": 0.3499},
    "current": {"lambda": 0.22501, "A": 0.826, "rhobar": 0.1591, "etabar": 0.3523},
}
SETS = sorted(WOLFENSTEIN_DOC)
UD, US, UB = (0, 0), (0, 1), (0, 2)
CD, CS, CB = (1, 0), (1, 1), (1, 2)
TD, TS, TB = (2, 0), (2, 1), (2, 2)


def pdg_angles(lam, a, rhobar, etabar):
    """(s12, s23, s13, delta) of the standard parametrisation from exact Wolfenstein parameters."""
    zbar = complex(rhobar, etabar)
    s13_phase = a * lam**3 * zbar * math.sqrt(1 - a**2 * lam**4) / (math.sqrt(1 - lam**2) * (1 - a**2 * lam**4 * zbar))
    return lam, a * lam**2, abs(s13_phase), math.atan2(s13_phase.imag, s13_phase.real)


def pdg_matrix(s12, s23, s13, delta):
    """V = R23 U13(delta) R12, the PDG standard parametrisation as a product of three rotations."""
    c12, c23, c13 = (math.sqrt(1 - s * s) for s in (s12, s23, s13))
    r23 = np.array([[1, 0, 0], [0, c23, s23], [0, -s23, c23]], dtype=complex)
    u13 = np.array([[c13, 0, s13 * np.exp(-1j * delta)], [0, 1, 0], [-s13 * np.exp(1j * delta), 0, c13]])
    r12 = np.array([[c12, s12, 0], [-s12, c12, 0], [0, 0, 1]], dtype=complex)
    return r23 @ u13 @ r12


@pytest.mark.parametrize("name", SETS)
def test_data_files_hold_the_wolfenstein_parameters_of_inputs_md(name):
    ckm = measurement_set(name)["ckm"]
    for key, value in WOLFENSTEIN_DOC[name].items():
        assert ckm[key] == value, key


@pytest.mark.parametrize("name", SETS)
def test_ckm_is_the_pdg_standard_parametrisation(name):
    w = WOLFENSTEIN_DOC[name]
    v = ckm_matrix(w["lambda"], w["A"], w["rhobar"], w["etabar"])
    s12, s23, s13, delta = pdg_angles(w["lambda"], w["A"], w["rhobar"], w["etabar"])
    np.testing.assert_allclose(v, pdg_matrix(s12, s23, s13, delta), rtol=0, atol=1e-15)
    # what the kernels receive for the set is the same matrix
    np.testing.assert_allclose(base_inputs(name)["ckm"], v, rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", SETS)
def test_ckm_unitarity_and_wolfenstein_definitions(name):
    w = WOLFENSTEIN_DOC[name]
    lam, a, rhobar, etabar = w["lambda"], w["A"], w["rhobar"], w["etabar"]
    v = ckm_matrix(lam, a, rhobar, etabar)
    np.testing.assert_allclose(v @ v.conj().T, np.eye(3), rtol=0, atol=2e-15)
    np.testing.assert_allclose(v.conj().T @ v, np.eye(3), rtol=0, atol=2e-15)
    assert abs(v[US]) / math.hypot(abs(v[UD]), abs(v[US])) == pytest.approx(lam, rel=1e-13)
    assert lam * abs(v[CB] / v[US]) == pytest.approx(a * lam**2, rel=1e-13)
    zbar = -v[UD] * np.conj(v[UB]) / (v[CD] * np.conj(v[CB]))
    assert zbar.real == pytest.approx(rhobar, rel=1e-12)
    assert zbar.imag == pytest.approx(etabar, rel=1e-12)


@pytest.mark.parametrize("name", SETS)
def test_ckm_magnitudes_against_leading_wolfenstein_order(name):
    """|V_us| ~ lambda, |V_cb| ~ A lambda^2, |V_ub| ~ A lambda^3 |rho + i eta| with rho + i eta ~ (rhobar + i
    etabar)(1 + lambda^2/2): exact values differ at relative O(lambda^2 s13^2), O(lambda^4)."""
    w = WOLFENSTEIN_DOC[name]
    lam, a, rhobar, etabar = w["lambda"], w["A"], w["rhobar"], w["etabar"]
    v = ckm_matrix(lam, a, rhobar, etabar)
    assert abs(v[US]) == pytest.approx(lam, rel=1e-4)
    assert abs(v[CB]) == pytest.approx(a * lam**2, rel=1e-4)
    assert abs(v[UB]) == pytest.approx(a * lam**3 * math.hypot(rhobar, etabar) * (1 + lam**2 / 2), rel=3e-3)
    assert abs(v[UD]) == pytest.approx(1 - lam**2 / 2, rel=3e-3)
    assert abs(v[TD]) == pytest.approx(a * lam**3 * math.hypot(1 - rhobar, etabar), rel=3e-3)


@pytest.mark.parametrize("name", SETS)
def test_ckm_phase_convention_and_jarlskog(name):
    """Standard parametrisation: V_ud, V_us, V_cb, V_tb real positive, V_ub = s13 e^{-i delta} with
    0 < delta < pi for etabar > 0 (so Im V_ub < 0), Im V_td < 0; J the same for every rephasing-invariant
    quartet, equal to c12 c23 c13^2 s12 s23 s13 sin(delta) and ~ A^2 lambda^6 etabar (PDG; corrections O(lambda^4))."""
    w = WOLFENSTEIN_DOC[name]
    lam, a, rhobar, etabar = w["lambda"], w["A"], w["rhobar"], w["etabar"]
    v = ckm_matrix(lam, a, rhobar, etabar)
    for index in (UD, US, CB, TB):
        assert v[index].real > 0 and v[index].imag == 0.0, index
    assert v[CD].real < 0 and v[TS].real < 0
    s12, s23, s13, delta = pdg_angles(lam, a, rhobar, etabar)
    assert 0 < delta < math.pi
    assert v[UB] == pytest.approx(s13 * complex(math.cos(delta), -math.sin(delta)), rel=1e-13)
    assert v[TD].imag < 0
    jarlskog = np.imag(v[US] * v[CB] * np.conj(v[UB]) * np.conj(v[CS]))
    c12, c23, c13 = (math.sqrt(1 - s * s) for s in (s12, s23, s13))
    assert jarlskog == pytest.approx(c12 * c23 * c13**2 * s12 * s23 * s13 * math.sin(delta), rel=1e-12)
    assert jarlskog == pytest.approx(a**2 * lam**6 * etabar, rel=3e-3)
    for i, k in ((0, 1), (0, 2), (1, 2)):
        for j, l in ((0, 1), (0, 2), (1, 2)):
            quartet = np.imag(v[i, j] * v[k, l] * np.conj(v[i, l]) * np.conj(v[k, j]))
            assert abs(quartet) == pytest.approx(jarlskog, rel=1e-9), (i, j, k, l)
