"""One-loop functions of a scalar leptoquark and a quark in a dipole loop (docs/physics/leptoquark.md section 3).

With x = m_q^2 / M^2 the four functions of Dorsner et al., Phys. Rept. 641 (2016) 1, Eq. (118), are

    f_S(x) = (x+1)/(4(1-x)^2) + x ln x/(2(1-x)^3)       f_F(x) = (x^2-5x-2)/(12(x-1)^3) + x ln x/(2(x-1)^4)
    g_S(x) = 1/(x-1) - ln x/(x-1)^2                      g_F(x) = (x-3)/(2(x-1)^2) + ln x/(x-1)^3

and all four are Feynman-parameter integrals over the same denominator D(t) = 1 - t + t x (t is the
parameter of the quark propagators):

    f_S = 1/2 int_0^1 t(1-t)/D      f_F = 1/2 int_0^1 t^2(1-t)/D      g_S = int_0^1 t/D      g_F = int_0^1 t^2/D

(f_F, g_F: photon on the quark line; f_S - f_F and g_S - g_F: photon on the scalar line; the "S" functions
already contain the quark-line piece because the letter writes Q_S f_S - f_F with Q_q = Q_S - 1.)
Expanding 1/D = sum_n (1-x)^n t^n gives Beta-function series around x = 1,

    f_S = sum a^n / (2(n+2)(n+3))   f_F = sum a^n / (2(n+3)(n+4))   g_S = sum a^n/(n+2)   g_F = sum a^n/(n+3),

a = 1 - x, hence f_S(1) = 1/12, f_F(1) = 1/24, g_S(1) = 1/2, g_F(1) = 1/3. The Z -> tau tau vertex also needs
g_F'(x) = -int t^3/D^2 = -sum a^n (n+1)/(n+4), given here in closed form and series rather than by autodiff
(one derivative less to compile, and exact at x = 1).

Numerics: the closed forms cancel like 1/(x-1)^3 near x = 1, so in float64 they lose about
eps/|x-1|^3 (1e-7 relative at |x-1| = 1e-3, a window once suggested for the series). The series is therefore used
for |x-1| < 0.05, where 14 terms are exact to < 1e-18 and the closed forms outside are good to ~1e-10.
Both branches are evaluated at "safe" arguments (double-where), so values and gradients of every order
are finite everywhere, including exactly x = 1. For x -> 0, x ln x -> 0 is taken explicitly, giving
f_S(0) = 1/4 and f_F(0) = 1/6; g_S and g_F diverge like -ln x (they always multiply m_q).
:func:`loop_functions` returns all five sharing one logarithm and one series; kernels that need several call it.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

SERIES_HALF_WIDTH = 0.05
_N_TERMS = 14
_n = np.arange(_N_TERMS, dtype=np.float64)
# Taylor coefficients in a = 1 - x, lowest order first; columns f_S, f_F, g_S, g_F, g_F'.
# g_F' = -int t^3/D^2 and 1/D^2 = sum (n+1) a^n t^n.
_SERIES = np.stack(
    [
        1.0 / (2.0 * (_n + 2.0) * (_n + 3.0)),
        1.0 / (2.0 * (_n + 3.0) * (_n + 4.0)),
        1.0 / (_n + 2.0),
        1.0 / (_n + 3.0),
        -(_n + 1.0) / (_n + 4.0),
    ],
    axis=-1,
)


def abs2(z):
    """|z|^2 as re^2 + im^2: unlike abs(z)^2 its gradient is finite (zero) at z = 0, i.e. for zero couplings."""
    return jnp.real(z) ** 2 + jnp.imag(z) ** 2


def _closed_forms(x):
    """The printed closed forms, and g_F' = (3 g_F - 1/x)/(1 - x) (by parts), at x away from 1."""
    positive = x > 0
    log_x = jnp.log(jnp.where(positive, x, 1.0))
    # x ln x -> 0; ln x itself keeps its -inf at x = 0, where g_S and g_F genuinely diverge.
    x_log_x = jnp.where(positive, x * log_x, 0.0)
    log_x = jnp.where(positive, log_x, -jnp.inf)
    d = x - 1.0
    g_f = (x - 3.0) / (2.0 * d**2) + log_x / d**3
    return (
        (x + 1.0) / (4.0 * d**2) - x_log_x / (2.0 * d**3),
        (x**2 - 5.0 * x - 2.0) / (12.0 * d**3) + x_log_x / (2.0 * d**4),
        1.0 / d - log_x / d**2,
        g_f,
        jnp.where(positive, (1.0 / jnp.where(positive, x, 1.0) - 3.0 * g_f) / d, -jnp.inf),
    )


def loop_functions(x):
    """(f_S, f_F, g_S, g_F, g_F') at x, sharing one logarithm and one series evaluation.

    Closed forms away from x = 1, the Taylor series in 1 - x for |x - 1| < SERIES_HALF_WIDTH; each branch only
    sees arguments valid for it (double-where), so values and derivatives of every order stay finite.
    """
    x = jnp.asarray(x)
    near = jnp.abs(x - 1.0) < SERIES_HALF_WIDTH
    a = jnp.where(near, 1.0 - x, 0.0)[..., None]
    series = jnp.zeros(a.shape[:-1] + (_SERIES.shape[1],), dtype=a.dtype)
    for coefficients in jnp.asarray(_SERIES[::-1], dtype=a.dtype):  # keep float32 inputs float32
        series = series * a + coefficients
    closed = _closed_forms(jnp.where(near, 2.0, x))
    return tuple(jnp.where(near, series[..., k], value) for k, value in enumerate(closed))


def f_S(x):
    """f_S(x) = (x+1)/(4(1-x)^2) + x ln x/(2(1-x)^3) = 1/2 int_0^1 t(1-t)/(1-t+tx) dt.

    f_S(0) = 1/4, f_S(1) = 1/12.
    """
    return loop_functions(x)[0]


def f_F(x):
    """f_F(x) = (x^2-5x-2)/(12(x-1)^3) + x ln x/(2(x-1)^4) = 1/2 int_0^1 t^2(1-t)/(1-t+tx) dt.

    f_F(0) = 1/6, f_F(1) = 1/24.
    """
    return loop_functions(x)[1]


def g_S(x):
    """g_S(x) = 1/(x-1) - ln x/(x-1)^2 = int_0^1 t/(1-t+tx) dt; g_S(1) = 1/2, g_S -> -1 - ln x for x -> 0."""
    return loop_functions(x)[2]


def g_F(x):
    """g_F(x) = (x-3)/(2(x-1)^2) + ln x/(x-1)^3 = int_0^1 t^2/(1-t+tx) dt.

    g_F(1) = 1/3, g_F -> -3/2 - ln x for x -> 0.
    """
    return loop_functions(x)[3]


def dg_F(x):
    """g_F'(x) = -int_0^1 t^3/(1-t+tx)^2 dt = (3 g_F(x) - 1/x)/(1 - x); g_F'(1) = -1/4 (used by the Z vertex)."""
    return loop_functions(x)[4]
