"""Words on the figures: axis labels of column expressions (mathtext where the name is known, units from the
model's records), constraint names, and figure titles that never break matplotlib's mathtext.

Mathtext forms are looked up by column name (:data:`TEX`; complex leptoquark coupling entries from the
naming vocabulary of :mod:`flavorscan.kernels.names`); any other column is labelled by its bare name.
"""

from __future__ import annotations

import functools
import re

from flavorscan.scanner.plots.data import factors, split_prefix

LEPTON_TEX = {"e": "e", "mu": r"\mu", "tau": r"\tau"}
TEX = {
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
"""Label of a column (or constraint) by name, mathtext in ``$...$``."""
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")


@functools.lru_cache(maxsize=None)
def _entry_tex() -> dict[str, str]:
    """{coupling entry name: its mathtext without $}, e.g. fR_ctau -> f^R_{c\\tau}."""
    from flavorscan.kernels.names import COUPLINGS, LEPTONS, QUARKS, coupling_entry

    return {
        coupling_entry(matrix, i, j): f"{matrix[0]}^{matrix[1]}_{{{quark}{LEPTON_TEX[lepton]}}}"
        for matrix in COUPLINGS
        for i, quark in enumerate(QUARKS)
        for j, lepton in enumerate(LEPTONS)
    }


def _complex_tex(name: str) -> str | None:
    """Mathtext of a complex entry stored as NAME / NAME_im (either part's name), None for other columns."""
    return _entry_tex().get(name[:-3] if name.endswith("_im") else name)


def label(expr: str, registry: dict | None = None) -> str:
    """Axis label of a column expression: a math form where known, the unit from ``registry`` ({name:
    record with .unit}, e.g. :attr:`RunData.registry`); the bare name otherwise."""
    registry = registry or {}
    parts = factors(expr)
    if len(parts) > 1:
        tex = [_complex_tex(name) if prefix == "abs" else None for prefix, name in map(split_prefix, parts)]
        if all(tex):  # |y^L_tmu y^R_tmu|: one modulus around the product
            return "$|" + r"\,".join(tex) + "|$"
        return r" $\times$ ".join(label(f, registry) for f in parts)
    prefix, name = split_prefix(expr)
    tex = _complex_tex(name)
    if tex:
        if prefix == "abs":
            return f"$|{tex}|$"
        if prefix == "arg":
            return f"arg ${tex}$ [rad]"
        return ("Im " if name.endswith("_im") else "Re ") + f"${tex}$"
    base = name[:-3] if name.endswith("_im") and prefix is None else name
    record = registry.get(base)
    unit = getattr(record, "unit", "") or ""
    unit = "" if unit in ("", "1") else unit.replace("^2", "²")
    text = TEX.get(base, base)
    if prefix is None and name.endswith("_im"):
        text = f"Im {text}"
    if prefix == "abs":
        text = f"|{text}|"
    elif prefix == "arg":
        return f"arg {text} [rad]"
    return f"{text} [{unit}]" if unit else text


def constraint_label(name: str) -> str:
    """Legend / tick label of a constraint: the mathtext of its observable where known, else its name."""
    return TEX.get(name, name)


def plain_text(text: str) -> str:
    """``text`` (a card title, a directory name, a --title) safe to draw: unchanged when it holds no
    ``$`` or valid mathtext; otherwise every unescaped ``$`` is escaped, so matplotlib shows it literally
    instead of failing to parse it when the figure is saved."""
    from matplotlib import cbook
    from matplotlib.mathtext import MathTextParser

    if "$" not in text:
        return text
    if cbook.is_math_text(text):
        try:
            MathTextParser("path").parse(text)
            return text
        except ValueError:
            pass
    return _UNESCAPED_DOLLAR.sub(r"\\$", text)


def figure_title(data, text: str, title: str | None = None) -> str:
    """Title of a figure of ``data`` (a RunData): ``title`` when given (--title), else two lines, "<run
    directory> — <card title>" and ``text`` (the figure's own mathtext). Outside text goes through
    :func:`plain_text`."""
    if title:
        return plain_text(title)
    card_title = data.card.get("title")
    head = plain_text(data.path.name) + (f" — {plain_text(str(card_title))}" if card_title else "")
    return f"{head}\n{text}"
