"""Plots of a run's columns: scatter, χ² profiles (1D and 2D), the LQ coupling planes, the Z′ (m_Z′, g_X)
exclusion plot, a constraint summary and a corner plot.

Every function takes a :class:`RunData` (columns of a run directory or merged file, read lazily by name
through :func:`scanner.store.load`) and an output path, draws with matplotlib's object API on the Agg
canvas (no pyplot, no global state, never ``show()``) and returns the path written. matplotlib is an
optional dependency (``pip install matplotlib, or pip install -e '.[plot]' in a checkout``): without it every plotting function raises
:class:`~scanner.errors.UserError` with an install hint.

Column expressions (anywhere a column is expected):

- ``NAME``: a stored column (parameter, observable, ``chi2_total``, ``pass_<constraint>`` ...);
- ``abs:NAME``: |z| of the complex quantity stored as ``NAME`` (real part) and ``NAME_im`` (imaginary
  part), e.g. ``abs:fR_ctau``; |NAME| if there is no ``NAME_im`` column;
- ``arg:NAME``: its phase atan2(NAME_im, NAME) in rad;
- ``A*B`` (two or more of the above joined by ``*``): the product, e.g. ``abs:yL_tmu*abs:yR_tmu`` for
  |y^L_tμ y^R_tμ| (the combination that enters Δa_μ).

Axes are logarithmic when the values are positive and span more than one decade (|coupling| axes:
``abs:`` expressions and their products, more than half a decade, the letter's style), linear otherwise.

Which rows a plot uses (``rows``): ``"all"`` stored rows; ``"viable"`` rows with ``viable`` true;
``"limits"`` rows that pass every limit-type constraint (those without a χ², i.e. whose ``chi2_<name>``
is NaN everywhere) and whose observables are finite. Profiles use ``"limits"`` by default: the profile
χ² is the Gaussian part (``chi2_total``) minimised subject to the hard limits.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections import OrderedDict
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from flavorscan.scanner.errors import UserError

MPL_MISSING = "matplotlib is needed for plots: pip install matplotlib (the plot extra: pip install -e '.[plot]' in a checkout)"

ROW_CHOICES = ("all", "viable", "limits")
COLOR_BUILTINS = ("chi2", "constraint")
DEFAULT_MAX_POINTS = 300_000
PREFETCH_BYTES = 256 * 2**20  # runs smaller than this are read in one pass (one load per column otherwise)
CACHE_BYTES = 2 * 2**30  # columns kept in memory for reuse by a RunData (least recently used dropped)
LOG_DECADES = 1.0  # automatic log axis when positive values span more than this many decades
COUPLING_LOG_DECADES = 0.5  # ... and for |coupling| axes (abs: expressions and their products)

# Δχ² levels of 68.27% / 95.45% confidence for one and two profiled parameters
DCHI2_1D = (1.0, 4.0)
DCHI2_2D = (2.30, 6.18)

# Panels of the lq-couplings preset, in the style of the letter's Figs. 3-4: |coupling| planes (log axes) of
# couplings that enter the same observable, and products against the leptoquark mass that suppresses them.
# A panel is drawn when both of its expressions vary among the viable points; at most six, in this order.
LQ_COUPLING_PAIRS = (
    ("abs:yL_tmu", "abs:yR_tmu", r"$\Delta a_\mu$ ($S_1$, top loop)"),
    ("M_S1", "abs:yL_tmu*abs:yR_tmu", r"$\Delta a_\mu \propto |y^L_{t\mu} y^R_{t\mu}|\,/\,M_{S_1}^2$"),
    ("abs:yL_ce", "abs:yR_ce", r"$\Delta a_e$ ($S_1$, charm loop)"),
    ("abs:fL_cmu", "abs:fR_cmu", r"$\Delta a_\mu$ ($R_2$, charm loop)"),
    ("abs:fR_ce", "abs:fR_te", r"$R_{K^{(*)}}$ ($R_2$: $\hat f^R_{se} \hat f^{R*}_{be}$)"),
    ("abs:fR_cmu", "abs:fR_tmu", r"$R_{K^{(*)}}$, $\mu\mu$ ($R_2$)"),
    ("abs:yL_ctau", "abs:yR_ctau", r"$R_{D^{(*)}}$ ($S_1$, $\nu_\tau$)"),
    ("abs:yL_tmu", "abs:yR_ctau", r"$R_{D^{(*)}}$ ($S_1$, $\nu_\mu$)"),
    ("abs:fL_ctau", "abs:fR_ttau", r"$R_{D^{(*)}}$ ($R_2$)"),
    ("abs:fL_utau", "abs:yR_ctau", r"neutrino mass ($f^L$, $y^R$)"),
    ("abs:yL_cmu", "abs:fL_ctau", r"neutrino mass ($y^L$, $f^L$)"),
)
MASS_LIKE = ("M_R2", "M_S1", "m0I0", "m_Zp", "g_X", "epsilon", "g_bs")

_COUPLING_RE = re.compile(r"^([fy])([RL])_([uct])(e|mu|tau)(_im)?$")
_LEPTON_TEX = {"e": "e", "mu": r"\mu", "tau": r"\tau"}
_PRETTY = {
    "M_R2": r"$M_{R_2}$",
    "M_S1": r"$M_{S_1}$",
    "m0I0": r"$m_0 I_0$",
    "m_Zp": r"$m_{Z'}$",
    "g_X": r"$g_X$",
    "epsilon": r"$\epsilon$",
    "epsilon_kin": r"$\epsilon_{\rm kin}$",
    "m1_eV": r"$m_1$",
    "m2_eV": r"$m_2$",
    "m3_eV": r"$m_3$",
    "sum_m_eV": r"$\sum m_\nu$",
    "m_bb_eV": r"$m_{\beta\beta}$",
    "dm21_sq": r"$\Delta m^2_{21}$",
    "dm3l_sq": r"$\Delta m^2_{3\ell}$",
    "s12_sq": r"$\sin^2\theta_{12}$",
    "s23_sq": r"$\sin^2\theta_{23}$",
    "s13_sq": r"$\sin^2\theta_{13}$",
    "delta_cp": r"$\delta_{CP}$",
    "delta_a_mu": r"$\Delta a_\mu$",
    "delta_a_e": r"$\Delta a_e$",
    "br_mu_e_gamma": r"BR($\mu\to e\gamma$)",
    "br_tau_e_gamma": r"BR($\tau\to e\gamma$)",
    "br_tau_mu_gamma": r"BR($\tau\to \mu\gamma$)",
    "cr_mu_e_au": r"CR($\mu\to e$, Au)",
    "r_k": r"$R_K$",
    "r_kstar": r"$R_{K^*}$",
    "r_k_low": r"$R_K^{\rm low}$",
    "r_kstar_low": r"$R_{K^*}^{\rm low}$",
    "r_d": r"$R_D$",
    "r_dstar": r"$R_{D^*}$",
    "br_bc_taunu": r"BR($B_c\to\tau\nu$)",
    "c9_ee": r"$C_9^{ee}$",
    "c10_ee": r"$C_{10}^{ee}$",
    "c9_mumu": r"$C_9^{\mu\mu}$",
    "c10_mumu": r"$C_{10}^{\mu\mu}$",
    "r_nunu_k": r"$R_{\nu\nu}^K$",
    "br_kp_pinunu": r"BR($K^+\to\pi^+\nu\bar\nu$)",
    "trident_ratio": r"$\sigma/\sigma_{\rm SM}$ (trident)",
    "borexino_ratio": r"$R/R_{\rm SM}$ (Borexino $^7$Be)",
    "eps_nsi_ee": r"$\epsilon^{\rm NSI}_{ee}$",
    "eps_nsi_mumu": r"$\epsilon^{\rm NSI}_{\mu\mu}$",
    "eps_nsi_tautau": r"$\epsilon^{\rm NSI}_{\tau\tau}$",
    "eps_nsi_emu": r"$|\epsilon^{\rm NSI}_{e\mu}|$",
    "eps_nsi_etau": r"$|\epsilon^{\rm NSI}_{e\tau}|$",
    "eps_nsi_mutau": r"$|\epsilon^{\rm NSI}_{\mu\tau}|$",
    "br_b_k_zp": r"BR($B\to K Z'$)",
    "dgamma_z_tautau_rel": r"$\delta\Gamma(Z\to\tau\tau)/\Gamma$",
    "eps_nsi_ee_minus_mumu": r"$\epsilon^{\rm NSI}_{ee} - \epsilon^{\rm NSI}_{\mu\mu}$",
    "eps_nsi_tautau_minus_mumu": r"$\epsilon^{\rm NSI}_{\tau\tau} - \epsilon^{\rm NSI}_{\mu\mu}$",
    "br_b_k_zp_inv": r"BR($B\to K Z'$, $Z'\to\nu\bar\nu$)",
    "chi2_total": r"$\chi^2_{\rm total}$",
    "penalty_total": "penalty (total)",
}
# units when the observable registry cannot be imported
_FALLBACK_UNITS = {
    "M_R2": "GeV", "M_S1": "GeV", "m0I0": "GeV", "m_Zp": "GeV", "gamma_zp": "GeV",
    "m1_eV": "eV", "m2_eV": "eV", "m3_eV": "eV", "sum_m_eV": "eV", "m_bb_eV": "eV",
    "dm21_sq": "eV^2", "dm3l_sq": "eV^2", "delta_cp": "rad", "alpha21": "rad", "alpha31": "rad",
}
_ZP_PARAMETERS = ("g_X", "m_Zp", "epsilon", "epsilon_loop", "g_bs", "g_bs_L", "g_bs_R", "charges_index",
                  "model_index", "catalog_index")
_LQ_PARAMETER_RE = re.compile(r"^(M_R2|M_S1|m0I0|[fy][RL]_[uct](e|mu|tau)(_im)?)$")


# --------------------------------------------------------------------------------------------------
# matplotlib (optional)


def require_matplotlib():
    """(Figure, FigureCanvasAgg, matplotlib.colors, matplotlib) or UserError with the install hint."""
    try:
        import matplotlib
        import matplotlib.colors as mcolors
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise UserError(MPL_MISSING) from None
    return Figure, FigureCanvasAgg, mcolors, matplotlib


def new_figure(width=6.4, height=4.8):
    Figure, FigureCanvasAgg, _, _ = require_matplotlib()
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)  # Agg canvas, explicitly: no GUI backend is ever involved
    return fig


def save(fig, out, dpi: int = 120) -> Path:
    """Write ``fig`` to ``out`` (format from the extension: png, pdf, svg ...)."""
    out = Path(out)
    suffix = out.suffix.lower().lstrip(".")
    supported = fig.canvas.get_supported_filetypes()
    if suffix not in supported:
        raise UserError(f"{out}: unknown image format {suffix or '(no extension)'!r}; use .png, .pdf or .svg")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=dpi)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out


# --------------------------------------------------------------------------------------------------
# the registry: units and descriptions (optional: falls back to bare names)


def registry(model_name: str | None) -> dict:
    """{name: Observable} of the model's parameters and observables; {} if it cannot be imported."""
    if not model_name:
        return {}
    try:
        from flavorscan.kernels.observables import model

        m = model(model_name)
        return {o.name: o for o in tuple(m.parameters) + tuple(m.observables)}
    except Exception:  # the registry is optional here: any failure means bare names
        return {}


def _split_expr(expr: str) -> tuple[str | None, str]:
    if ":" in expr:
        prefix, name = expr.split(":", 1)
        return prefix, name
    return None, expr


def _factors(expr: str) -> list[str]:
    """The factors of a product expression ``A*B*...`` (one factor for a plain expression)."""
    return [f.strip() for f in expr.split("*")]


def is_coupling_expr(expr: str) -> bool:
    """``abs:<coupling>`` or a product of such: |coupling| axes (log from half a decade on)."""
    for f in _factors(expr):
        prefix, name = _split_expr(f)
        if prefix != "abs" or not _COUPLING_RE.match(name):
            return False
    return True


def log_threshold(expr: str | None) -> float:
    """Decades above which an axis of ``expr`` is logarithmic by default."""
    return COUPLING_LOG_DECADES if expr and is_coupling_expr(expr) else LOG_DECADES


def label(expr: str, reg: dict | None = None) -> str:
    """Axis label of a column expression: a math form where known, unit from the registry."""
    reg = reg or {}
    factors = _factors(expr)
    if len(factors) > 1:
        if is_coupling_expr(expr):  # |y^L_tmu y^R_tmu|: one modulus around the product
            inner = []
            for f in factors:
                matrix, chir, quark, lepton, _ = _COUPLING_RE.match(_split_expr(f)[1]).groups()
                inner.append(f"{matrix}^{chir}_{{{quark}{_LEPTON_TEX[lepton]}}}")
            return "$|" + r"\,".join(inner) + "|$"
        return r" $\times$ ".join(label(f, reg) for f in factors)
    prefix, name = _split_expr(expr)
    base = name[:-3] if name.endswith("_im") and prefix is None else name
    m = _COUPLING_RE.match(name)
    if m:
        matrix, chir, quark, lepton, _ = m.groups()
        tex = f"{matrix}^{chir}_{{{quark}{_LEPTON_TEX[lepton]}}}"
        if prefix == "abs":
            return f"$|{tex}|$"
        if prefix == "arg":
            return f"arg ${tex}$ [rad]"
        return ("Im " if name.endswith("_im") else "Re ") + f"${tex}$"
    pretty = _PRETTY.get(base)
    unit = None
    if base in reg:
        unit = reg[base].unit
    if unit is None:
        unit = _FALLBACK_UNITS.get(base, "")
    unit = "" if unit in ("", "1") else unit.replace("^2", "²")
    text = pretty or base
    if prefix is None and name.endswith("_im"):
        text = f"Im {text}"
    if prefix == "abs":
        text = f"|{text}|"
    elif prefix == "arg":
        return f"arg {text} [rad]"
    return f"{text} [{unit}]" if unit else text


def _constraint_label(name: str) -> str:
    return _PRETTY.get(name, name)


# --------------------------------------------------------------------------------------------------
# run data


def read_card(path) -> dict:
    """The resolved card of a run directory (run.json) or merged file (root attribute ``card``); {} if
    unavailable."""
    path = Path(path)
    try:
        if path.is_dir():
            with open(path / "run.json", encoding="utf-8") as fh:
                return dict(json.load(fh).get("card") or {})
        import h5py

        with h5py.File(path, "r") as f:
            raw = f.attrs.get("card", "{}")
            return dict(json.loads(raw.decode() if isinstance(raw, bytes) else raw))
    except Exception:
        return {}


class RunData:
    """Columns of one run, read lazily by name (column expressions allowed) and cached."""

    def __init__(self, directory):
        from flavorscan.scanner import store

        self.path = Path(directory)
        self.summary = store.info(directory)
        self.columns: list[str] = list(self.summary.get("columns", {}))
        self.card = self.summary.get("card") if isinstance(self.summary.get("card"), dict) else None
        if self.card is None:
            self.card = read_card(directory)
        self.model = self.card.get("model") or self._guess_model()
        self.registry = registry(self.model)
        self.rows = int(self.summary.get("rows") or 0)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._constraints: list[str] | None = None

    def _guess_model(self) -> str | None:
        if "M_R2" in self.columns or "M_S1" in self.columns:
            return "lq"
        if "m_Zp" in self.columns:
            return "zprime"
        return None

    # -- columns ---------------------------------------------------------------------------------

    def has(self, expr: str) -> bool:
        factors = _factors(expr)
        if len(factors) > 1:
            return all(f and self.has(f) for f in factors)
        prefix, name = _split_expr(expr)
        if prefix not in (None, "abs", "arg"):
            return False
        if prefix == "arg":
            return name in self.columns and f"{name}_im" in self.columns
        return name in self.columns

    def check(self, expr: str) -> str:
        """``expr`` if it names a column (expression), else UserError naming close matches."""
        factors = _factors(expr)
        if len(factors) > 1:
            for f in factors:
                if not f:
                    raise UserError(f"column {expr!r}: empty factor in a product (write A*B)")
                self.check(f)
            return expr
        prefix, name = _split_expr(expr)
        if prefix not in (None, "abs", "arg"):
            raise UserError(f"column {expr!r}: unknown prefix {prefix!r} (use abs:NAME or arg:NAME)")
        if self.has(expr):
            return expr
        if prefix == "arg" and name in self.columns:
            raise UserError(f"column {expr!r}: no imaginary part {name}_im in {self.path}")
        pool = list(self.columns) + [f"abs:{c}" for c in self.columns if f"{c}_im" in self.columns]
        close = difflib.get_close_matches(expr, pool, n=4, cutoff=0.6)
        if not close and prefix:
            close = [f"{prefix}:{c}" for c in difflib.get_close_matches(name, self.columns, n=4, cutoff=0.6)]
        hint = f"; did you mean {', '.join(close)}?" if close else "; 'flavorscan info DIR' lists the columns"
        if not self.columns:
            hint = " (the run holds no rows yet)"
        raise UserError(f"no column {expr!r} in {self.path}{hint}")

    def _raw(self, name: str) -> np.ndarray:
        """One stored column: small runs are read whole on first use; larger ones column by column,
        keeping at most CACHE_BYTES of recently used columns."""
        if name in self._cache:
            self._cache.move_to_end(name)
            return self._cache[name]
        from flavorscan.scanner import store

        if not self._cache and self.rows * len(self.columns) * 8 <= PREFETCH_BYTES:
            self._cache.update(store.load(self.path))  # small run: every column in one pass
            return self._cache[name]
        values = store.load(self.path, [name])[name]
        self._cache[name] = values
        total = sum(a.nbytes for a in self._cache.values())
        while len(self._cache) > 1 and total > CACHE_BYTES:
            _, old = self._cache.popitem(last=False)
            total -= old.nbytes
        return values

    def get(self, expr: str) -> np.ndarray:
        """Values of a column expression over all stored rows (sorted by point_id)."""
        self.check(expr)
        factors = _factors(expr)
        if len(factors) > 1:
            out = np.asarray(self.get(factors[0]), dtype=float)
            for f in factors[1:]:
                out = out * np.asarray(self.get(f), dtype=float)
            return out
        prefix, name = _split_expr(expr)
        if prefix is None:
            return self._raw(name)
        re_part = np.asarray(self._raw(name), dtype=float)
        im_name = f"{name}_im"
        im_part = np.asarray(self._raw(im_name), dtype=float) if im_name in self.columns else np.zeros_like(re_part)
        if prefix == "abs":
            return np.hypot(re_part, im_part)
        return np.arctan2(im_part, re_part)

    # -- derived -----------------------------------------------------------------------------------

    def require_rows(self) -> None:
        if self.rows == 0 or not self.columns:
            raise UserError(f"{self.path} holds no rows (nothing to plot)")

    @property
    def constraints(self) -> list[str]:
        """Constraint names (from the pass_<name> columns), in the card's order where it is known."""
        if getattr(self, "_constraints", None) is None:
            stored = [c[5:] for c in self.columns if c.startswith("pass_") and len(c) > 5]
            order: list[str] = []
            try:
                from flavorscan.scanner.constraints import enabled_constraints

                order = [c.name for c in enabled_constraints(self.card)]
            except Exception:  # card or measurement set unavailable: the card's explicit list, if any
                enabled = (self.card.get("constraints") or {}).get("enabled")
                order = list(enabled) if isinstance(enabled, list) else []
            self._constraints = [c for c in order if c in stored] + [c for c in stored if c not in order]
        return self._constraints

    def limit_constraints(self) -> list[str]:
        """Constraints without a χ² (limits, ranges): chi2_<name> missing or NaN on every row."""
        out = []
        for name in self.constraints:
            col = f"chi2_{name}"
            if col not in self.columns or not np.any(np.isfinite(self._raw(col))):
                out.append(name)
        return out

    def viable(self) -> np.ndarray:
        if "viable" in self.columns:
            return np.array(self._raw("viable"), dtype=bool)  # a copy: callers may modify it
        flags = [np.asarray(self._raw(f"pass_{c}"), dtype=bool) for c in self.constraints]
        return np.logical_and.reduce(flags) if flags else np.ones(self.rows, dtype=bool)

    def finite(self) -> np.ndarray:
        if "reason" in self.columns:
            return np.asarray(self._raw("reason")) == 0
        return np.ones(self.rows, dtype=bool)

    def select(self, rows: str) -> np.ndarray:
        """Boolean mask of the rows a plot uses (see module docstring)."""
        if rows == "all":
            return np.ones(self.rows, dtype=bool)
        if rows == "viable":
            return self.viable()
        if rows == "limits":
            mask = self.finite().copy()
            for name in self.limit_constraints():
                mask &= np.asarray(self._raw(f"pass_{name}"), dtype=bool)
            return mask
        raise UserError(f"rows: expected one of {', '.join(ROW_CHOICES)}, got {rows!r}")

    def chi2(self) -> np.ndarray:
        if "chi2_total" not in self.columns:
            raise UserError(f"{self.path} has no chi2_total column")
        return np.asarray(self._raw("chi2_total"), dtype=float)

    def first_failing(self) -> tuple[np.ndarray, list[str]]:
        """Per row: index into the returned category list: constraint names in card order, then
        "viable" and "non-finite"."""
        names = self.constraints
        cats = names + ["viable", "non-finite"]
        out = np.full(self.rows, len(names), dtype=np.int64)  # viable unless a constraint fails
        undecided = np.ones(self.rows, dtype=bool)
        finite = self.finite()
        out[~finite] = len(names) + 1
        undecided &= finite
        for i, name in enumerate(names):
            fails = undecided & ~np.asarray(self._raw(f"pass_{name}"), dtype=bool)
            out[fails] = i
            undecided &= ~fails
        return out, cats

    def parameters(self) -> list[str]:
        """Parameter columns of the run (registry and known names), in stored order."""
        names: set[str] = set()
        if self.model:
            try:
                from flavorscan.kernels.observables import model

                names = {o.name for o in model(self.model).parameters}
            except Exception:  # registry optional: fall back to the known parameter names
                names = set()
        names |= {c for c in self.columns if _LQ_PARAMETER_RE.match(c) or c in _ZP_PARAMETERS}
        return [c for c in self.columns if c in names]

    def varying(self, exprs: Iterable[str], mask: np.ndarray | None = None) -> list[str]:
        """The expressions whose finite values (on ``mask``) are not all equal."""
        out = []
        for expr in exprs:
            v = np.asarray(self.get(expr), dtype=float)
            if mask is not None:
                v = v[mask]
            v = v[np.isfinite(v)]
            if v.size > 1 and np.ptp(v) > 1e-12 * max(np.max(np.abs(v)), 1e-300):
                out.append(expr)
        return out

    def parameter_exprs(self) -> list[str]:
        """Parameters as plot expressions: abs:NAME where both NAME and NAME_im are parameters."""
        params = self.parameters()
        pset = set(params)
        out = []
        for p in params:
            if p.endswith("_im") and p[:-3] in pset:
                continue
            out.append(f"abs:{p}" if f"{p}_im" in pset else p)
        return out


# --------------------------------------------------------------------------------------------------
# helpers


def auto_log(values: np.ndarray, expr: str | None = None) -> bool:
    """True when the finite values are all positive and span more than LOG_DECADES decades
    (COUPLING_LOG_DECADES for |coupling| expressions)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2 or np.any(v <= 0):
        return False
    return math.log10(v.max() / v.min()) > log_threshold(expr)


def _scale(values, forced: bool | None, expr: str | None = None) -> bool:
    return auto_log(values, expr) if forced is None else bool(forced)


def _clean(mask: np.ndarray, *arrays_and_logs) -> np.ndarray:
    """``mask`` restricted to finite values (and positive ones on log axes)."""
    mask = mask.copy()
    for values, log in arrays_and_logs:
        v = np.asarray(values, dtype=float)
        mask &= np.isfinite(v)
        if log:
            mask &= v > 0
    return mask


def _edges(values: np.ndarray, log: bool, bins: int) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    lo, hi = float(v.min()), float(v.max())
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
    if hi <= lo:
        pad = 0.5 if log else max(abs(lo) * 0.05, 1e-12)
        lo, hi = lo - pad, hi + pad
    pad = 0.005 * (hi - lo)
    e = np.linspace(lo - pad, hi + pad, bins + 1)
    return 10.0**e if log else e


def auto_bins(n_rows: int, dims: int, lo: int = 8, hi: int = 60, per_bin: float = 4.0) -> int:
    """Bins per axis so that a random scan puts about ``per_bin`` rows in each bin."""
    return int(np.clip((max(n_rows, 1) / per_bin) ** (1.0 / dims), lo, hi))


def _is_grid(values: np.ndarray, u: np.ndarray, log: bool) -> bool:
    """A grid axis: every distinct value repeats (a 2D grid), or the distinct values are evenly spaced."""
    if values.size >= 2 * u.size:
        return True
    t = np.log10(u) if log else u
    d = np.diff(t)
    return bool(d.size >= 2 and np.all(d > 0) and np.ptp(d) <= 1e-6 * np.mean(d))


def _grid_edges(values: np.ndarray, log: bool, bins: int, max_unique: int = 200) -> np.ndarray:
    """Bin edges: for a grid scan (few distinct values) the midpoints between them, else ``bins`` bins."""
    values = np.asarray(values, dtype=float)
    u = np.unique(values)
    if 3 <= u.size <= max_unique and _is_grid(values, u, log):
        t = np.log10(u) if log else u
        mids = 0.5 * (t[1:] + t[:-1])
        first = t[0] - (mids[0] - t[0])
        last = t[-1] + (t[-1] - mids[-1])
        e = np.concatenate([[first], mids, [last]])
        return 10.0**e if log else e
    return _edges(values, log, bins)


def _outline(ax, ex, ey, inside: np.ndarray, **style) -> None:
    """Draw the boundary of the set of bins ``inside`` (shape (nx, ny)) along bin edges."""
    from matplotlib.collections import LineCollection

    pad = np.pad(inside, 1, constant_values=False)
    segs = []
    vert = pad[1:, 1:-1] != pad[:-1, 1:-1]  # (nx + 1, ny): edge at ex[i] between bins i-1 and i
    for i, j in zip(*np.nonzero(vert)):
        segs.append([(ex[i], ey[j]), (ex[i], ey[j + 1])])
    horiz = pad[1:-1, 1:] != pad[1:-1, :-1]  # (nx, ny + 1): edge at ey[j]
    for i, j in zip(*np.nonzero(horiz)):
        segs.append([(ex[i], ey[j]), (ex[i + 1], ey[j])])
    label_ = style.pop("label", None)
    ls = style.pop("ls", "-")
    ax.add_collection(LineCollection(segs, linestyles=ls, label=label_, **style))


def _bin_index(values, edges) -> np.ndarray:
    idx = np.searchsorted(edges, values, side="right") - 1
    return np.clip(idx, 0, len(edges) - 2)


def _centres(edges, log: bool) -> np.ndarray:
    return np.sqrt(edges[1:] * edges[:-1]) if log else 0.5 * (edges[1:] + edges[:-1])


def _binned_min(ix, iy, values, nx, ny) -> np.ndarray:
    """min of ``values`` per (ix, iy) bin; NaN where empty."""
    out = np.full(nx * ny, np.inf)
    np.minimum.at(out, ix * ny + iy, values)
    out[np.isinf(out)] = np.nan
    return out.reshape(nx, ny)


def _binned_any(ix, iy, flags, nx, ny) -> np.ndarray:
    """Per bin: 1.0 if some row's flag is true, 0.0 if all false, NaN where empty."""
    key = ix * ny + iy
    count = np.bincount(key, minlength=nx * ny)
    hits = np.bincount(key, weights=flags.astype(float), minlength=nx * ny)
    out = np.where(count > 0, (hits > 0).astype(float), np.nan)
    return out.reshape(nx, ny)


def _subsample(mask: np.ndarray, keep_always: np.ndarray | None, max_points: int) -> tuple[np.ndarray, bool]:
    """Indices of at most ``max_points`` rows of ``mask`` (all ``keep_always`` rows kept first)."""
    idx = np.flatnonzero(mask)
    if idx.size <= max_points:
        return idx, False
    rng = np.random.default_rng(0)
    if keep_always is not None:
        must = idx[keep_always[idx]]
        rest = idx[~keep_always[idx]]
    else:
        must, rest = idx[:0], idx
    room = max(max_points - must.size, 0)
    pick = rng.choice(rest, size=min(room, rest.size), replace=False) if room else rest[:0]
    return np.sort(np.concatenate([must, pick])), True


def set_log(ax, which: str) -> None:
    """Log scale on axis ``which`` ("x"/"y") with minor ticks at 2 and 5 only (matplotlib's default
    minor ticks at every integer multiple make drawing several times slower)."""
    from matplotlib.ticker import LogLocator

    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))


def _set_axes(ax, data: RunData, x: str, y: str | None, logx: bool, logy: bool) -> None:
    ax.set_xlabel(label(x, data.registry))
    if y is not None:
        ax.set_ylabel(label(y, data.registry))
    if logx:
        set_log(ax, "x")
        _plain_log_labels(ax, "x")
    if logy:
        set_log(ax, "y")
        _plain_log_labels(ax, "y")
    _math_offsets(ax)


def _plain_log_labels(ax, which: str) -> None:
    """A log axis over less than 2.5 decades between 1e-3 and 1e4 gets plain labels on its major and
    (2, 5) minor ticks — 0.02, 0.05, 0.1 — instead of sparse powers of ten or "2×10⁰"."""
    from matplotlib.ticker import FuncFormatter

    lo, hi = ax.get_xlim() if which == "x" else ax.get_ylim()
    if not (0 < lo < hi) or hi / lo > 10**2.5 or lo < 1e-3 or hi > 1e4:
        return
    axis = ax.xaxis if which == "x" else ax.yaxis
    plain = FuncFormatter(lambda v, _pos: f"{v:g}")
    axis.set_major_formatter(plain)
    axis.set_minor_formatter(plain)


def _math_offsets(ax) -> None:
    """Linear axes show a common power of ten as "×10⁻¹²" (mathtext) rather than "1e-12"."""
    for axis in (ax.xaxis, ax.yaxis):
        fmt = axis.get_major_formatter()
        if hasattr(fmt, "set_useMathText"):
            fmt.set_useMathText(True)


def _title(data: RunData, text: str) -> str:
    title = data.card.get("title")
    head = f"{data.path.name}" + (f" — {title}" if title else "")
    return f"{head}\n{text}"


def _chi2_norm(values):
    _, _, mcolors, _ = require_matplotlib()
    v = values[np.isfinite(values)]
    if v.size and v.min() > 0 and v.max() / v.min() > 100:
        return mcolors.LogNorm(vmin=v.min(), vmax=v.max())
    return None


def _category_colors(n, avoid_green: bool = False):
    """``n`` distinct colours (tab10, then the light tab20 shades); no greens with ``avoid_green``
    (green marks the Δa_μ band of the Z′ plot)."""
    _, _, _, matplotlib = require_matplotlib()
    tab20 = list(matplotlib.colormaps["tab20"].colors)
    base = tab20[0::2] + tab20[1::2]
    if avoid_green:
        base = [c for k, c in enumerate(base) if k not in (2, 12)]  # tab10 green and its light shade
    return [base[i % len(base)] for i in range(n)]


def marker_size(n: int, lo: float = 1.5, hi: float = 24.0) -> float:
    """Scatter marker area for ``n`` points: large for a few, small for many."""
    return float(np.clip(24.0 * math.sqrt(300.0 / max(n, 1)), lo, hi))


# --------------------------------------------------------------------------------------------------
# plot types


def scatter(
    data: RunData,
    x: str,
    y: str,
    out,
    *,
    color: str = "chi2",
    rows: str = "all",
    logx: bool | None = None,
    logy: bool | None = None,
    max_points: int = DEFAULT_MAX_POINTS,
    title: str | None = None,
    dpi: int = 120,
) -> Path:
    """Scatter plot of two columns, coloured by chi2_total ("chi2"), by the first failing constraint
    ("constraint") or by any column expression. Viable points get a black edge (chi2/column colouring)."""
    data.require_rows()
    data.check(x), data.check(y)
    if color not in COLOR_BUILTINS:
        data.check(color)
    xv = np.asarray(data.get(x), dtype=float)
    yv = np.asarray(data.get(y), dtype=float)
    base = data.select(rows)
    lx = _scale(xv[base], logx, x)
    ly = _scale(yv[base], logy, y)
    mask = _clean(base, (xv, lx), (yv, ly))
    if not mask.any():
        raise UserError(f"no finite {x}, {y} values to plot in {data.path} (rows={rows})")
    viable = data.viable()
    idx, sampled = _subsample(mask, viable, max_points)
    fig = new_figure(8.8 if color == "constraint" else 7.0, 5.2)
    ax = fig.add_subplot()
    s = marker_size(idx.size)
    if color == "constraint":
        cat, names = data.first_failing()
        present = np.bincount(cat[idx], minlength=len(names))
        order = [i for i in np.argsort(-present) if present[i] > 0]
        colors = dict(zip(order, _category_colors(len(order))))
        special = {len(names) - 2: "black", len(names) - 1: "0.6"}  # viable, non-finite
        drawn = [i for i in order if i not in special] + [i for i in order if i in special]
        for i in drawn:
            sel = idx[cat[idx] == i]
            name = names[i]
            text = f"{'fails ' if i < len(names) - 2 else ''}{_constraint_label(name)} ({sel.size})"
            ax.scatter(xv[sel], yv[sel], s=s * (2.0 if name == "viable" else 1.0), lw=0,
                       color=special.get(i, colors.get(i)), label=text, zorder=3 if name == "viable" else 2)
        # outside the axes, on the right: a legend inside would hide points of the dense regions
        ax.legend(title="first failing\nconstraint", fontsize=7, title_fontsize=8,
                  markerscale=max(1.0, math.sqrt(25.0 / s)), loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False, borderaxespad=0.0)
        what = "coloured by the first failing constraint (card order)"
    else:
        cname = "chi2_total" if color == "chi2" else color
        cv = np.asarray(data.get(cname), dtype=float)
        order = idx[np.argsort(-np.nan_to_num(cv[idx], nan=np.inf))]  # best drawn last (on top)
        good = order[np.isfinite(cv[order])]
        bad = order[~np.isfinite(cv[order])]
        if bad.size:
            ax.scatter(xv[bad], yv[bad], s=s, lw=0, color="0.75", label=f"{cname} not finite ({bad.size})")
        norm = _chi2_norm(cv[good]) if good.size else None
        if norm is None and good.size:
            _, _, mcolors, _ = require_matplotlib()
            norm = mcolors.Normalize(vmin=cv[good].min(), vmax=cv[good].max())
        # low chi2 dark (visible on white) and drawn last; viable points larger, with a black edge
        plain, best = good[~viable[good]], good[viable[good]]
        sc = None
        for rows_, size, edge in ((plain, s, "none"), (best, 2.2 * s, "black")):
            if rows_.size:
                sc = ax.scatter(xv[rows_], yv[rows_], c=cv[rows_], s=size, cmap="viridis", norm=norm,
                                edgecolors=edge, linewidths=0.5, zorder=3 if edge == "black" else 2)
        if sc is not None:
            fig.colorbar(sc, ax=ax, label=label(cname, data.registry))
        nv = int(viable[idx].sum())
        ax.scatter([], [], s=25, facecolors="none", edgecolors="black", label=f"viable ({nv})")
        ax.legend(fontsize=8, loc="best", framealpha=0.8, markerscale=max(1.0, math.sqrt(25.0 / s)))
        what = f"coloured by {cname}"
    _set_axes(ax, data, x, y, lx, ly)
    note = f"{mask.sum()} rows ({rows})" + (f", {idx.size} drawn at random" if sampled else "")
    ax.set_title(title or _title(data, f"{what}; {note}"), fontsize=9)
    return save(fig, out, dpi)


def profile2d(
    data: RunData,
    x: str,
    y: str,
    out,
    *,
    rows: str = "limits",
    bins: int | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
    title: str | None = None,
    dpi: int = 120,
) -> Path:
    """Binned profile: min chi2_total per (x, y) bin, shown as Δχ² to the overall minimum, with the
    2-parameter 68% / 95% contours (Δχ² = 2.30, 6.18)."""
    data.require_rows()
    data.check(x), data.check(y)
    xv = np.asarray(data.get(x), dtype=float)
    yv = np.asarray(data.get(y), dtype=float)
    chi2 = data.chi2()
    base = data.select(rows)
    lx, ly = _scale(xv[base], logx, x), _scale(yv[base], logy, y)
    mask = _clean(base, (xv, lx), (yv, ly), (chi2, False))
    if not mask.any():
        raise UserError(f"no rows with finite {x}, {y} and chi2_total in {data.path} (rows={rows})")
    xs, ys, cs = xv[mask], yv[mask], chi2[mask]
    bins = bins or auto_bins(xs.size, 2)
    ex, ey = _grid_edges(xs, lx, bins), _grid_edges(ys, ly, bins)
    ix, iy = _bin_index(xs, ex), _bin_index(ys, ey)
    grid = _binned_min(ix, iy, cs, len(ex) - 1, len(ey) - 1)
    cmin = float(np.nanmin(grid))
    dchi2 = grid - cmin
    fig = new_figure(7.0, 5.2)
    ax = fig.add_subplot()
    vmax = max(10.0, min(float(np.nanmax(dchi2)), 25.0)) if np.isfinite(np.nanmax(dchi2)) else 25.0
    mesh = ax.pcolormesh(ex, ey, np.ma.masked_invalid(dchi2).T, cmap="viridis_r", vmin=0.0, vmax=vmax,
                         shading="flat")
    fig.colorbar(mesh, ax=ax, label=r"$\Delta\chi^2$ (min per bin)", extend="max")
    # confidence regions as outlines of whole bins (no interpolation between bins)
    for level, style, name in zip(DCHI2_2D, ("-", "--"), ("68%", "95%")):
        inside = np.nan_to_num(dchi2, nan=np.inf) <= level
        if inside.any():
            _outline(ax, ex, ey, inside, color="red", lw=1.1, ls=style,
                     label=f"{name} CL, 2 parameters ($\\Delta\\chi^2 \\leq$ {level})")
    best = np.argmin(cs)
    ax.plot(xs[best], ys[best], marker="*", color="red", ms=12, mec="white", ls="none",
            label=f"best: $\\chi^2$ = {cs[best]:.4g}")
    fig.legend(fontsize=8, loc="outside lower center", ncols=3, frameon=False)  # never over the bins
    _set_axes(ax, data, x, y, lx, ly)
    ax.set_title(title or _title(data, f"profile: min $\\chi^2$ per bin over {mask.sum()} rows ({rows})"),
                 fontsize=9)
    return save(fig, out, dpi)


def profile1d(
    data: RunData,
    x: str,
    out,
    *,
    rows: str = "limits",
    bins: int | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
    title: str | None = None,
    dpi: int = 120,
    ax=None,
) -> Path | None:
    """1D profile χ²: min chi2_total per x bin, as Δχ² to the minimum over all bins. ``ax``: draw into an
    existing axes instead of a new figure (returns None)."""
    data.require_rows()
    data.check(x)
    xv = np.asarray(data.get(x), dtype=float)
    chi2 = data.chi2()
    base = data.select(rows)
    lx = _scale(xv[base], logx, x)
    mask = _clean(base, (xv, lx), (chi2, False))
    if not mask.any():
        raise UserError(f"no rows with finite {x} and chi2_total in {data.path} (rows={rows})")
    xs, cs = xv[mask], chi2[mask]
    # about 40 rows per bin: the minimum over the other dimensions of a random scan needs many samples
    ex = _grid_edges(xs, lx, bins or auto_bins(xs.size, 1, hi=50, per_bin=40.0))
    ix = _bin_index(xs, ex)
    prof = _binned_min(ix, np.zeros_like(ix), cs, len(ex) - 1, 1)[:, 0]
    dchi2 = prof - np.nanmin(prof)
    own = ax is None
    if own:
        fig = new_figure(6.4, 4.4)
        ax = fig.add_subplot()
    cx = _centres(ex, lx)
    ok = np.isfinite(dchi2)
    ax.stairs(np.where(ok, dchi2, np.nan), ex, color="C0", lw=1.6, baseline=None)
    ax.plot(cx[ok], dchi2[ok], "o", color="C0", ms=2.5)
    for level, name in zip(DCHI2_1D, ("68%", "95%")):
        ax.axhline(level, color="0.4", ls="--" if level > 1 else ":", lw=0.9)
        ax.annotate(f"{name}", (1.0, level), xycoords=("axes fraction", "data"), fontsize=7,
                    ha="right", va="bottom", color="0.3")
    top = float(np.nanmax(dchi2))
    use_log_y = logy if logy is not None else top > 100
    if use_log_y:
        ax.set_yscale("symlog", linthresh=10.0)
        ax.set_ylim(0, top * 1.5)
    else:
        ax.set_ylim(0, max(9.0, top * 1.05))
    if lx:
        set_log(ax, "x")
    _math_offsets(ax)
    ax.set_xlabel(label(x, data.registry))
    ax.set_ylabel(r"$\Delta\chi^2$ (min per bin)")
    if own:
        ax.set_title(title or _title(data, f"profile $\\chi^2$: min over {mask.sum()} rows ({rows}) per bin; "
                                            f"min $\\chi^2$ = {np.nanmin(prof):.4g}"), fontsize=9)
        return save(fig, out, dpi)
    return None


def _lq_pairs(data: RunData, mask: np.ndarray, max_panels: int) -> list[tuple[str, str, str]]:
    """Panels of the lq-couplings preset: the known pairs (LQ_COUPLING_PAIRS) whose expressions both vary
    among the rows of ``mask``, then pairs of the remaining varying couplings."""
    known: dict[str, bool] = {}

    def varies(expr):
        if expr not in known:
            known[expr] = data.has(expr) and bool(data.varying([expr], mask))
        return known[expr]

    pairs = [(a, b, why) for a, b, why in LQ_COUPLING_PAIRS if varies(a) and varies(b)]
    if len(pairs) < max_panels:
        used = {f for a, b, _ in pairs for e in (a, b) for f in _factors(e)}
        rest = [e for e in data.parameter_exprs() if _COUPLING_RE.match(_split_expr(e)[1])]
        rest = [e if e.startswith("abs:") else f"abs:{e}" for e in data.varying(rest, mask)]
        rest = [e for e in rest if e not in used]
        for a, b in zip(rest[0::2], rest[1::2]):
            pairs.append((a, b, ""))
    return pairs[:max_panels]


def lq_couplings(data: RunData, out, *, max_panels: int = 6, title: str | None = None, dpi: int = 120) -> Path:
    """The letter's Figs. 3-4 style: planes of the viable points' |couplings| (pairs that enter the same
    observable, and |y y| products against the leptoquark mass) on log axes, coloured by chi2_total, with
    the masses' plane as the last panel when both masses vary."""
    data.require_rows()
    viable = data.viable() & data.finite()
    if not viable.any():
        raise UserError(f"no viable points in {data.path}; the lq-couplings preset plots viable points only")
    pairs = _lq_pairs(data, viable, max_panels)
    masses = [m for m in ("M_R2", "M_S1") if data.has(m)]
    if len(masses) == 2 and len(data.varying(masses, viable)) == 2:
        pairs = pairs[: max_panels - 1] + [("M_R2", "M_S1", "leptoquark masses")]
    if not pairs:
        raise UserError(f"{data.path}: no two LQ couplings vary among the viable points (nothing to plot)")
    n = len(pairs)
    ncol = min(3, n)
    nrow = math.ceil(n / ncol)
    fig = new_figure(4.0 * ncol + 1.2, 3.5 * nrow + 0.7)
    axes = fig.subplots(nrow, ncol, squeeze=False)
    chi2 = data.chi2() if "chi2_total" in data.columns else np.zeros(data.rows)
    idx, sampled = _subsample(viable, None, DEFAULT_MAX_POINTS)
    order = idx[np.argsort(-np.nan_to_num(chi2[idx], nan=np.inf))]  # lowest chi2 drawn last (on top)
    norm = _chi2_norm(chi2[order])
    if norm is None:
        _, _, mcolors, _ = require_matplotlib()
        finite = chi2[order][np.isfinite(chi2[order])]
        norm = mcolors.Normalize(vmin=finite.min() if finite.size else 0, vmax=finite.max() if finite.size else 1)
    s = marker_size(order.size, lo=2.0)
    sc = None
    for k, (a, b, why) in enumerate(pairs):
        ax = axes[k // ncol][k % ncol]
        av, bv = np.asarray(data.get(a), float)[order], np.asarray(data.get(b), float)[order]
        la, lb = auto_log(av, a), auto_log(bv, b)
        sc = ax.scatter(av, bv, c=chi2[order], cmap="viridis", norm=norm, s=s, lw=0)
        _set_axes(ax, data, a, b, la, lb)
        if why:
            ax.set_title(why, fontsize=9)
    for k in range(n, nrow * ncol):
        axes[k // ncol][k % ncol].set_visible(False)
    if sc is not None:
        fig.colorbar(sc, ax=axes, label=label("chi2_total"), shrink=0.9)
    note = f"{int(viable.sum())} viable points" + (f" ({idx.size} drawn at random)" if sampled else "")
    fig.suptitle(title or _title(data, f"|coupling| planes of the viable points; {note}"), fontsize=9)
    return save(fig, out, dpi)


ZP_BAND = "delta_a_mu"  # the constraint whose passing bins form the band of the zprime preset


def zprime_regions(
    data: RunData,
    x: str = "m_Zp",
    y: str = "g_X",
    *,
    bins: int | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
) -> dict:
    """What the zprime preset draws, as arrays over the (x, y) bins.

    Returns {"x_edges", "y_edges", "logx", "logy", "mask" (rows used: finite observables, finite x/y,
    positive on log axes), "excluded": {constraint: (nx, ny) array: 1 where no used row in the bin passes
    pass_<constraint>, 0 where some row passes, NaN where the bin is empty}, "not_excluding": [constraints
    that exclude no bin], "everywhere": [constraints that exclude every non-empty bin (also in "excluded";
    the plot lists them instead of shading the whole plane)], "band": (nx, ny) array: 1 where some row passes pass_delta_a_mu, 0 where none
    does, NaN where empty (None without that column)}. The band constraint is not in "excluded".
    """
    data.require_rows()
    missing = [c for c in (x, y) if not data.has(c)]
    if missing:
        if (x, y) == ("m_Zp", "g_X"):
            raise UserError(f"the zprime preset needs columns m_Zp and g_X (a Z' run); {data.path} has no "
                            f"{missing[0]} column (other columns: --x COL --y COL)")
        data.check(missing[0])
    xv, yv = np.asarray(data.get(x), float), np.asarray(data.get(y), float)
    lx, ly = _scale(xv, logx, x), _scale(yv, logy, y)
    mask = _clean(data.finite(), (xv, lx), (yv, ly))
    if not mask.any():
        raise UserError(f"no finite {x}, {y} values in {data.path}")
    xs, ys = xv[mask], yv[mask]
    bins = bins or auto_bins(xs.size, 2)
    ex, ey = _grid_edges(xs, lx, bins), _grid_edges(ys, ly, bins)
    ix, iy = _bin_index(xs, ex), _bin_index(ys, ey)
    nx, ny = len(ex) - 1, len(ey) - 1
    excluded, not_excluding, everywhere = {}, [], []
    for name in data.constraints:
        if name == ZP_BAND:
            continue
        flags = np.asarray(data.get(f"pass_{name}"), bool)[mask]
        allowed = _binned_any(ix, iy, flags, nx, ny)
        ex_bins = np.where(np.isnan(allowed), np.nan, 1.0 - allowed)
        if np.nansum(ex_bins) > 0:
            excluded[name] = ex_bins
            if np.all(ex_bins[~np.isnan(ex_bins)] == 1.0):
                everywhere.append(name)
        else:
            not_excluding.append(name)
    band = None
    if f"pass_{ZP_BAND}" in data.columns:
        band = _binned_any(ix, iy, np.asarray(data.get(f"pass_{ZP_BAND}"), bool)[mask], nx, ny)
    return {"x_edges": ex, "y_edges": ey, "logx": lx, "logy": ly, "mask": mask, "excluded": excluded,
            "not_excluding": not_excluding, "everywhere": everywhere, "band": band}


def zprime(
    data: RunData,
    out,
    *,
    x: str = "m_Zp",
    y: str = "g_X",
    bins: int | None = None,
    logx: bool | None = None,
    logy: bool | None = None,
    title: str | None = None,
    dpi: int = 120,
) -> Path:
    """(m_Z′, g_X) plane: each constraint's excluded region shaded (bins where no stored point passes
    it), the Δa_μ band (bins where some point passes pass_delta_a_mu) and the viable points
    (:func:`zprime_regions` computes the regions)."""
    reg = zprime_regions(data, x, y, bins=bins, logx=logx, logy=logy)
    ex, ey, lx, ly, mask = reg["x_edges"], reg["y_edges"], reg["logx"], reg["logy"], reg["mask"]
    xs, ys = np.asarray(data.get(x), float)[mask], np.asarray(data.get(y), float)[mask]
    nx, ny = len(ex) - 1, len(ey) - 1
    # bin centres plus the outer edges (values repeated there), so shading reaches the frame
    cx = np.concatenate([[ex[0]], _centres(ex, lx), [ex[-1]]])
    cy = np.concatenate([[ey[0]], _centres(ey, ly), [ey[-1]]])

    def padded(z):
        return np.pad(np.where(np.isnan(z), 0.0, z), 1, mode="edge").T

    fig = new_figure(7.8, 6.0)
    ax = fig.add_subplot()
    _, _, mcolors, _ = require_matplotlib()
    import matplotlib.patches as mpatches

    names = [c for c in data.constraints if c != ZP_BAND]
    shaded = [c for c in reg["excluded"] if c not in reg["everywhere"]]
    colors = dict(zip(shaded, _category_colors(len(shaded), avoid_green=True)))
    handles = []
    for name in shaded:
        excluded = reg["excluded"][name]
        col = colors[name]
        z = padded(excluded)
        ax.contourf(cx, cy, z, levels=[0.5, 1.5], colors=[col], alpha=0.35)
        ax.contour(cx, cy, z, levels=[0.5], colors=[col], linewidths=1.2)
        handles.append(mpatches.Patch(facecolor=mcolors.to_rgba(col, 0.35), edgecolor=col,
                                      label=f"excluded: {_constraint_label(name)}"))
    band = reg["band"]
    if band is not None and np.nansum(band):
        z = padded(band)
        ax.contourf(cx, cy, z, levels=[0.5, 1.5], colors=["limegreen"], alpha=0.45)
        ax.contour(cx, cy, z, levels=[0.5], colors=["darkgreen"], linewidths=1.4)
        handles.append(mpatches.Patch(facecolor=mcolors.to_rgba("limegreen", 0.45), edgecolor="darkgreen",
                                      label=r"$\Delta a_\mu$ band (pass)"))
    viable = data.viable()[mask]
    if viable.any():
        vi, _ = _subsample(viable, None, 20_000)
        h = ax.scatter(xs[vi], ys[vi], s=4, color="black", lw=0, label=f"viable points ({int(viable.sum())})",
                       zorder=5)
        handles.append(h)
    ax.set_xlim(ex[0], ex[-1])
    ax.set_ylim(ey[0], ey[-1])
    _set_axes(ax, data, x, y, lx, ly)
    # constraints that shade nothing, or everything, are named rather than drawn
    for names_, text in ((reg["everywhere"], "excluded everywhere here (not shaded)"),
                         (reg["not_excluding"] if reg["excluded"] else [], "no excluded region")):
        if names_:
            shown = ", ".join(_constraint_label(c) for c in names_)
            handles.append(mpatches.Patch(facecolor="none", edgecolor="none", label=f"{text}: {shown}"))
    if handles:
        fig.legend(handles=handles, fontsize=7, loc="outside lower center", ncols=min(2, len(handles)),
                   frameon=False)
    note = f"{mask.sum()} rows, {nx}x{ny} bins"
    if not reg["excluded"] and names:
        note += "; no stored row fails a constraint (run keeps only viable rows?): no excluded region"
    ax.set_title(title or _title(data, f"excluded where no stored point in a bin passes; {note}"), fontsize=9)
    return save(fig, out, dpi)


def constraint_summary(data: RunData, out, *, title: str | None = None, dpi: int = 120) -> Path:
    """Two panels: pass fraction per constraint (stored rows; evaluated points where the run recorded
    per-chunk counts) and how often each constraint is the first to fail."""
    data.require_rows()
    names = data.constraints
    if not names:
        raise UserError(f"{data.path} has no pass_<constraint> columns")
    stored = [float(np.mean(np.asarray(data.get(f"pass_{n}"), bool))) for n in names]
    counts = data.summary.get("counts") or {}
    points = counts.get("points")
    evaluated = [counts[f"pass_{n}"] / points if points and f"pass_{n}" in counts else np.nan for n in names]
    cat, cats = data.first_failing()
    first = np.bincount(cat, minlength=len(cats))
    fig = new_figure(11.0, max(3.0, 0.28 * len(cats) + 1.4))
    ax1, ax2 = fig.subplots(1, 2, sharey=False)
    ypos = np.arange(len(names))
    ax1.barh(ypos + (0.2 if points else 0), stored, height=0.4 if points else 0.7, color="C0",
             label="stored rows")
    for yk, v in zip(ypos, stored):
        ax1.annotate(f"{100 * v:.3g}%", (min(v, 1.0), yk + (0.2 if points else 0)), xytext=(2, 0),
                     textcoords="offset points", fontsize=6, va="center", color="C0")
    if points and np.any(np.isfinite(evaluated)):
        ax1.barh(ypos - 0.2, np.nan_to_num(evaluated), height=0.4, color="C1", label="all evaluated points")
        for yk, v in zip(ypos, evaluated):
            if np.isfinite(v):
                ax1.annotate(f"{100 * v:.3g}%", (min(v, 1.0), yk - 0.2), xytext=(2, 0),
                             textcoords="offset points", fontsize=6, va="center", color="C1")
        ax1.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, frameon=False)
    ax1.set_yticks(ypos, [_constraint_label(n) for n in names], fontsize=7)
    ax1.invert_yaxis()
    ax1.set_xlim(0, 1.15)
    ax1.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax1.set_xlabel("pass fraction")
    ypos2 = np.arange(len(cats))
    colors = ["C3"] * len(names) + ["black", "0.6"]
    ax2.barh(ypos2, first, color=colors)
    for yk, v in zip(ypos2, first):
        if v:
            ax2.annotate(str(int(v)), (v, yk), xytext=(2, 0), textcoords="offset points", fontsize=6,
                         va="center")
    ax2.set_yticks(ypos2, [_constraint_label(n) for n in cats], fontsize=7)
    ax2.invert_yaxis()
    ax2.set_xlabel("rows (first failing constraint, card order)")
    if first.max() > 0 and first[first > 0].min() > 0 and first.max() / max(first[first > 0].min(), 1) > 100:
        ax2.set_xscale("log")
    fig.suptitle(title or _title(data, f"constraints over {data.rows} stored rows"), fontsize=9)
    return save(fig, out, dpi)


def corner(
    data: RunData,
    out,
    *,
    params: Sequence[str] | None = None,
    max_params: int = 10,
    max_points: int = 20_000,
    title: str | None = None,
    dpi: int = 100,
) -> tuple[Path, list[str], list[str]]:
    """Corner plot of the viable points' parameters that vary (magnitudes for complex couplings):
    histograms on the diagonal, scatter below. A parameter whose values are positive and span more than a
    decade (|couplings|: half a decade) is shown as log10. Returns (path, plotted, left out beyond ``max_params``)."""
    data.require_rows()
    viable = data.viable() & data.finite()
    if not viable.any():
        raise UserError(f"no viable points in {data.path} (corner plot of viable points)")
    exprs = list(params) if params is not None else data.parameter_exprs()
    for e in exprs:
        data.check(e)
    exprs = data.varying(exprs, viable)
    if not exprs:
        raise UserError(f"{data.path}: no parameter varies among the viable points")
    first = sorted((e for e in exprs if _split_expr(e)[1] in MASS_LIKE),
                   key=lambda e: MASS_LIKE.index(_split_expr(e)[1]))
    # then the couplings of the lq-couplings panels (those behind the observables), then the rest
    paired = [f for a, b, _ in LQ_COUPLING_PAIRS for e in (a, b) for f in _factors(e)]
    second = [e for e in dict.fromkeys(paired) if e in exprs and e not in first]
    exprs = first + second + [e for e in exprs if e not in first and e not in second]
    shown, left = exprs[:max_params], exprs[max_params:]
    n = len(shown)
    vals, names = [], []
    for e in shown:
        v = np.asarray(data.get(e), float)[viable]
        if auto_log(v, e):
            vals.append(np.log10(v))
            names.append(f"log$_{{10}}$ {label(e, data.registry)}")
            continue
        top = np.nanmax(np.abs(v)) if np.any(np.isfinite(v)) else 1.0
        exp = int(math.floor(math.log10(top))) if top > 0 else 0
        if exp >= 5 or exp <= -3:  # put the power of ten into the label (no offset text between the panels)
            vals.append(v / 10.0**exp)
            text = label(e, data.registry)
            if text.endswith("]"):  # "m0I0 [GeV]" -> "m0I0 [10^-6 GeV]"
                head, unit = text[:-1].rsplit("[", 1)
                names.append(f"{head}[$10^{{{exp}}}$ {unit}]")
            else:
                names.append(f"{text} [$10^{{{exp}}}$]")
        else:
            vals.append(v)
            names.append(label(e, data.registry))
    idx, _ = _subsample(np.ones(vals[0].size, bool), None, max_points)
    panel = max(1.3, min(2.2, 16.0 / n))
    margin_l, margin_b, margin_t = 1.0, 1.0, 0.6  # inches
    side = panel * n
    fig = new_figure(side + margin_l + 0.2, side + margin_b + margin_t)
    fig.set_layout_engine(None)  # a uniform grid: fixed margins are much faster than constrained layout
    W, H = fig.get_size_inches()
    fig.subplots_adjust(left=margin_l / W, right=1 - 0.2 / W, bottom=margin_b / H, top=1 - margin_t / H,
                        wspace=0.06, hspace=0.06)
    grid = fig.add_gridspec(n, n)
    axes = [[fig.add_subplot(grid[i, j]) if j <= i else None for j in range(n)] for i in range(n)]
    s = max(1.0, min(10.0, 2000.0 / max(idx.size, 1)))
    ranges = []
    for v in vals:
        f = v[np.isfinite(v)]
        lo, hi = (float(f.min()), float(f.max())) if f.size else (0.0, 1.0)
        pad = 0.03 * (hi - lo) if hi > lo else 0.5
        ranges.append((lo - pad, hi + pad))
    from matplotlib.ticker import MaxNLocator

    for i in range(n):
        for j in range(n):
            ax = axes[i][j]
            if ax is None:
                continue
            if i == j:
                v = vals[i][np.isfinite(vals[i])]
                nb = int(np.clip(math.sqrt(max(v.size, 1)), 5, 30))
                ax.hist(v, bins=nb, range=ranges[i], color="C0", histtype="stepfilled", alpha=0.75)
                ax.set_yticks([])
            else:
                ax.scatter(vals[j][idx], vals[i][idx], s=s, lw=0, color="C0", alpha=0.6, rasterized=True)
                ax.set_ylim(ranges[i])
                ax.yaxis.set_major_locator(MaxNLocator(3))
            ax.set_xlim(ranges[j])
            ax.xaxis.set_major_locator(MaxNLocator(3))
            for axis in (ax.xaxis, ax.yaxis):
                fmt = axis.get_major_formatter()
                if hasattr(fmt, "set_useOffset"):
                    fmt.set_useOffset(False)
            ax.tick_params(labelsize=7, length=2)
            if i == n - 1:
                ax.set_xlabel(names[j], fontsize=8)
                for t in ax.get_xticklabels():
                    t.set_rotation(45)
            else:
                ax.set_xticklabels([])
            if j == 0 and i > 0:
                ax.set_ylabel(names[i], fontsize=8)
            elif i != j or j > 0:
                ax.set_yticklabels([])
    extra = f"; {len(left)} more varying parameters not shown" if left else ""
    fig.suptitle(title or _title(data, f"corner plot of the viable points ({int(viable.sum())}){extra}"),
                 fontsize=9, y=1 - 0.08 / H, va="top")
    return save(fig, out, dpi), shown, left
