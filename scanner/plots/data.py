"""The columns of one run as the plots read them: :class:`RunData` of a run directory or merged file, its
card and its model, and column expressions.

Column expressions (anywhere a column is expected):

- ``NAME``: a stored column (parameter, observable, ``chi2_total``, ``pass_<constraint>`` ...);
- ``abs:NAME``: |z| of the complex quantity stored as ``NAME`` (real part) and ``NAME_im`` (imaginary
  part), e.g. ``abs:fR_ctau``; |NAME| if there is no ``NAME_im`` column;
- ``arg:NAME``: its phase atan2(NAME_im, NAME) in rad;
- ``A*B`` (two or more of the above joined by ``*``): the product, e.g. ``abs:yL_tmu*abs:yR_tmu`` for
  |y^L_tμ y^R_tμ| (the combination that enters Δa_μ).

Which rows a plot uses (``rows``): ``"all"`` stored rows; ``"viable"`` rows with ``viable`` true;
``"limits"`` rows that pass every limit-type constraint (those without a χ², i.e. whose ``chi2_<name>``
is NaN everywhere) and whose observables are finite. Profiles use ``"limits"`` by default: the profile
χ² is the Gaussian part (``chi2_total``) minimised subject to the hard limits.

The model is the ``model`` of the run's card, and what the plots know about it (units, parameter columns,
presets) comes from its :class:`~flavorscan.scanner.models.spec.ModelSpec`. A run of a model that is not
registered here is still read: bare column names, no parameter columns, no presets, and :attr:`RunData.note`
says so.
"""

from __future__ import annotations

import difflib
from collections import OrderedDict
from pathlib import Path
from typing import Iterable

import numpy as np

from flavorscan.scanner import models, store
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.models.spec import Presets
from flavorscan.scanner.store.format import pass_columns, viability_columns

ROW_CHOICES = ("all", "viable", "limits")
PREFIXES = (None, "abs", "arg")
PREFETCH_BYTES = 256 * 2**20  # runs smaller than this are read in one pass (one load per column otherwise)
CACHE_BYTES = 2 * 2**30  # columns kept in memory for reuse by a RunData (least recently used dropped)
NO_PRESETS = Presets(bench_scan={})
"""The presets of a run whose model is not registered: none."""


def split_prefix(expr: str) -> tuple[str | None, str]:
    """(prefix, column) of one factor: ``"abs:fR_ctau"`` -> ("abs", "fR_ctau"), ``"M_R2"`` -> (None, "M_R2")."""
    if ":" in expr:
        prefix, name = expr.split(":", 1)
        return prefix, name
    return None, expr


def factors(expr: str) -> list[str]:
    """The factors of a product expression ``A*B*...`` (one factor for a plain expression)."""
    return [f.strip() for f in expr.split("*")]


def _model_spec(card: dict):
    """(spec, None) of the card's model, or (None, why there is none: one line) when it is not registered."""
    name = card.get("model")
    if not name:
        return None, "the run records no model"
    try:
        return models.get(name), None
    except UserError as exc:
        return None, str(exc)


class RunData:
    """Columns of one run, read lazily by name (column expressions allowed) and cached.

    Attributes: ``path``, ``summary`` (:func:`flavorscan.scanner.store.info`), ``columns``, ``rows``,
    ``card`` (the resolved card stored with the run, ``{}`` if none), ``model`` (its name, None if
    unrecorded), ``spec`` (its ModelSpec, None if not registered), ``presets`` (the spec's presets; none
    without a spec), ``registry`` ({name: Observable record} of the parameters and observables: units and
    descriptions) and ``note`` (one line when the model is unknown, else None)."""

    def __init__(self, directory):
        self.path = Path(directory)
        self.summary = store.info(directory)
        self.columns: list[str] = list(self.summary.get("columns", {}))
        card = self.summary.get("card")
        self.card: dict = card if isinstance(card, dict) else {}
        self.model = self.card.get("model")
        self.spec, self._no_spec = _model_spec(self.card)
        self.note = None if self.spec else f"{self._no_spec}: plain column names, no parameter columns, no presets"
        self.presets = self.spec.presets if self.spec else NO_PRESETS
        stored = tuple(self.spec.stored_parameters(self.card)) if self.spec else ()
        self._parameter_names = {p.name for p in stored}
        observables = tuple(self.spec.observables) if self.spec else ()
        self.registry = {o.name: o for o in stored + observables}
        self.rows = int(self.summary.get("rows") or 0)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._constraints: list[str] | None = None

    # -- the model's presets -------------------------------------------------------------------------

    def plot_preset(self, name: str):
        """The model's :class:`~flavorscan.scanner.models.spec.PlotPreset` called ``name``; an unknown name
        is a one-line UserError naming the presets the model has."""
        for preset in self.presets.plots:
            if preset.name == name:
                return preset
        if self.spec is None:
            raise UserError(f"--preset {name}: no presets ({self._no_spec})")
        have = ", ".join(p.name for p in self.presets.plots) or "none"
        raise UserError(f"--preset {name}: model {self.model!r} has no such preset (its presets: {have})")

    # -- columns ---------------------------------------------------------------------------------

    def has(self, expr: str) -> bool:
        """True if ``expr`` is a column expression of this run."""
        parts = factors(expr)
        if len(parts) > 1:
            return all(f and self.has(f) for f in parts)
        prefix, name = split_prefix(expr)
        if prefix not in PREFIXES:
            return False
        if prefix == "arg":
            return name in self.columns and f"{name}_im" in self.columns
        return name in self.columns

    def check(self, expr: str) -> str:
        """``expr`` if it names a column (expression), else UserError naming close matches."""
        parts = factors(expr)
        if len(parts) > 1:
            for f in parts:
                if not f:
                    raise UserError(f"column {expr!r}: empty factor in a product (write A*B)")
                self.check(f)
            return expr
        prefix, name = split_prefix(expr)
        if prefix not in PREFIXES:
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
        parts = factors(expr)
        if len(parts) > 1:
            out = np.asarray(self.get(parts[0]), dtype=float)
            for f in parts[1:]:
                out = out * np.asarray(self.get(f), dtype=float)
            return out
        prefix, name = split_prefix(expr)
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
        """UserError unless the run holds rows."""
        if self.rows == 0 or not self.columns:
            raise UserError(f"{self.path} holds no rows (nothing to plot)")

    @property
    def constraints(self) -> list[str]:
        """Constraint names (from the pass_<name> columns), in the card's order where it is known."""
        if self._constraints is None:
            stored = [c[5:] for c in pass_columns(self.columns)]
            likelihood = self.card.get("likelihood")
            entries = likelihood.get("constraints") if isinstance(likelihood, dict) else None
            order = [e.get("name") for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
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
        """Per row: every :func:`~flavorscan.scanner.store.format.viability_columns` true (the ``viable``
        column, else every pass_<constraint>); a fresh array (callers may modify it)."""
        flags = np.ones(self.rows, dtype=bool)
        for column in viability_columns(self.columns):
            flags &= np.asarray(self._raw(column), dtype=bool)
        return flags

    def finite(self) -> np.ndarray:
        """Per row: the observables are finite (``reason`` == 0; every row without that column)."""
        if "reason" in self.columns:
            return np.asarray(self._raw("reason")) == 0
        return np.ones(self.rows, dtype=bool)

    def select(self, rows: str) -> np.ndarray:
        """Boolean mask of the rows a plot uses (see the module docstring)."""
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
        """chi2_total of every row as float; UserError without that column."""
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
        """Parameter columns of the run (the model's stored parameters for this card), in stored order."""
        return [c for c in self.columns if c in self._parameter_names]

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
