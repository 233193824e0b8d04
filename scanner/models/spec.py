"""What a model is to the scanner: one :class:`ModelSpec` of plain functions (in the spirit of optax's
``GradientTransformation``), registered under the card's ``model`` name in :mod:`flavorscan.scanner.models`.

Generic code (cards, engine, pipeline, constraints, store, refinement, plots, report, bench, commands) only
ever calls these functions; it never asks which model it has. Everything a model needs beyond them lives in
its own package (``flavorscan/scanner/models/<name>/`` and its physics under ``flavorscan/kernels/``).

Conventions shared by every field:

- *params*: the model's pytree of one point (dict of arrays; a leading batch axis where said), what the
  kernels take. *columns*: flat real 1-D-per-point arrays with the names of docs/interface.md, what HDF5
  rows, JSON and plots use.
- A *resolved card* is the plain dict :func:`flavorscan.scanner.config.resolve_card` returns; a model sees its
  own [point] / [scan] tables resolved by its own functions below, plus the generic keys.
- Functions marked *traced* run inside ``jax.jit``/``vmap`` on one point; the others run on the host.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple

from flavorscan.scanner.cardkeys import CardKey


class PlotPreset(NamedTuple):
    """A model's ready-made figure (``flavorscan plot --preset NAME``, and a section of ``flavorscan report``).

    ``draw(data, out, *, x, y, bins, logx, logy, title, dpi) -> Path`` takes a
    :class:`flavorscan.scanner.plots.RunData`; ``axes`` is the default (x, y) of a preset that lets the
    user choose axes, None for one that chooses its own (then --x/--y are refused)."""

    name: str
    description: str
    draw: Callable[..., Any]
    axes: tuple[str, str] | None = None
    report_caption: str = ""


class Benchmark(NamedTuple):
    """A named benchmark of ``flavorscan bench --model NAME``: ``run(options) -> dict`` where ``options`` is
    the parsed command line (n, chunk_size, repeat, seed, card, seconds_budget, ...); ``options_used`` names
    the options it reads beyond the common ones (others are refused with a one-line error)."""

    name: str
    description: str
    run: Callable[[Any], dict]
    options_used: frozenset = frozenset()


class Presets(NamedTuple):
    """Ready-made settings of the post-processing and benchmark commands."""

    bench_scan: Mapping[str, Any]
    """Raw [scan] table (without n and chunk_size) of the throughput benchmark ``bench --model <name>``."""
    plots: tuple[PlotPreset, ...] = ()
    report_planes: tuple[tuple[str, str], ...] = ()
    """Observable planes the report draws (coloured by the first failing constraint)."""
    profile_columns: tuple[str, ...] = ()
    """Parameters whose 1D profile chi2 the report draws when they vary."""
    benchmarks: tuple[Benchmark, ...] = ()
    """Benchmarks beyond the throughput one (e.g. refinement yield, discovery)."""
    profile_stages: Mapping[str, Callable] = {}
    """Extra stages timed by ``bench --breakdown``: name -> traced f(params, inputs) of one point."""


class Parametrisation(NamedTuple):
    """How refinement and fits move a point: unconstrained variables u <-> params.

    - ``encode(params, settings) -> (u, fixed, mask)`` on the host (numpy, batch axis first): ``u`` the
      variables (a dict of arrays), ``fixed`` what decoding needs (start values), ``mask`` the pytree of ``u``
      with True where a variable is free (the [refine] ``free`` setting; nothing of a non-finite start).
    - ``decode(u, fixed, mask) -> params`` of one point (traced); a variable that is not free decodes to its
      start value bit for bit.
    - ``penalty(u, fixed, mask, settings)``: an extra traced loss term (e.g. perturbativity of free
      couplings), 0 if the model has none.
    - ``perturb(u, fixed, mask, rng, count, settings) -> u`` of ``count`` random starts around one encoded
      point (host, numpy Generator), for ``fit``.
    - ``check_point(point, settings)``: raise UserError if the [refine] settings cannot apply to a [point].
    - ``free_names``: the vocabulary of [refine] ``free``.
    """

    encode: Callable
    decode: Callable
    penalty: Callable
    perturb: Callable
    check_point: Callable
    free_names: frozenset


class Encoding(NamedTuple):
    """How ``flavorscan discover`` represents a population of points of a model (docs/discovery.md).

    A population is a dict of numpy arrays with a leading member axis: ``continuous`` names the arrays the
    optimizer moves (real, clipped by ``clip``), the others are discrete (e.g. which couplings are non-zero
    and their signs) and change only through ``mutate``.

    - ``init(rng, count) -> population`` draws members from the card's prior (numpy Generator);
    - ``decode(member) -> params`` of one member (traced);
    - ``clip(arrays) -> arrays`` projects continuous arrays into their bounds (numpy or traced);
    - ``mutate(rng, population, settings) -> population`` perturbs children (noise on continuous arrays,
      discrete moves: switching entries on/off, flipping signs);
    - ``null`` is one member without new physics (every coupling zero): its observables are the Standard-Model
      values the discovery loss measures new-physics shifts from;
    - ``project(rng, population) -> population``, optional: moves members onto a manifold where some
      constraints hold exactly (the leptoquark model: couplings solved for a neutrino mass matrix drawn from
      the oscillation data), used with [discover] ``manifold = true``.
    """

    init: Callable
    decode: Callable
    clip: Callable
    mutate: Callable
    continuous: tuple[str, ...]
    null: Mapping[str, Any]
    project: Callable | None = None


class ModelSpec(NamedTuple):
    """One model: everything the generic scanner needs to scan, store, refine and plot it."""

    name: str
    description: str
    parameters: tuple
    """Observable records (name, unit, description) of the parameter columns every row of the model has."""
    stored_parameters: Callable[[dict], tuple]
    """The parameter columns (Observable records) the rows of a given resolved card hold: ``parameters``
    plus whatever that card's sampler adds (e.g. the angles and masses of a leptoquark I0 scan)."""
    observables: tuple
    """Observable records of every observable (the kernels' output names)."""
    point_keys: tuple[CardKey, ...]
    """The [point] vocabulary (docs/cards.md is generated from it)."""
    resolve_point: Callable[[dict], dict]
    """Validated [point] table with defaults filled in (UserError naming the key otherwise)."""
    scan_keys: tuple[CardKey, ...]
    """The model's own [scan] keys (the engine's keys n, chunk_size, seed, keep, best_per_chunk are generic)."""
    resolve_scan: Callable[[dict], dict]
    """raw [scan] table -> the model's resolved [scan] keys (it must accept the engine keys of
    :data:`flavorscan.scanner.sampling.ENGINE_KEYS` too). A scan with a natural size (a grid) returns it as
    ``grid_size``: a [scan] without ``n`` then gets n = grid_size."""
    inputs: Callable[[dict], dict]
    """The kernels' inputs pytree (numpy leaves) of a resolved card."""
    point_params: Callable[[dict, dict], dict]
    """(resolved [point], inputs) -> params of that point."""
    sample: Callable[[dict, Any, int], dict]
    """(resolved [scan], chunk index, size) -> params of one chunk (leading axis size); traced."""
    make_evaluator: Callable[[dict, dict], Callable]
    """(resolved card, inputs) -> traced f(params) -> (parameter columns, observables) of one point."""
    params_from_columns: Callable[[dict, Mapping], dict]
    """(resolved card, stored columns) -> params that reproduce those rows (refine, ``flavorscan card``)."""
    point_from_columns: Callable[[dict, Mapping], dict]
    """(resolved card, one stored row as {column: scalar}) -> a resolved [point] table reproducing it."""
    parametrisation: Callable[[dict], Parametrisation]
    """The refinement parametrisation for a resolved card."""
    presets: Presets
    table_keys: Mapping[str, tuple] = {}
    """Keys of the model's nested card tables, by a heading (e.g. the leptoquark ``[scan.fR]`` tables), for
    docs/cards.md."""
    not_default: frozenset = frozenset()
    """Constraints of the sets that apply to the model but are not enabled by ``enabled = "default"`` for it
    (e.g. a measurement no model of this kind can meet); a card can still enable them by name."""
    set_entries: tuple[str, ...] = ()
    """Entries of the measurement set the model reads as inputs whether or not they are enabled (stored in
    ``card["likelihood"]["inputs"]["entries"]``; e.g. the leptoquark dm3l_sq best fits that fix m0I0 in
    mass_scale = "dm3l" scans)."""
    texture_columns: tuple[str, ...] = ()
    """Parameter columns whose sign/zero pattern (and log-magnitudes) tell textures apart: the families of
    viable points that ``flavorscan info`` and ``discover`` report (none: no families)."""
    discovery: Callable[[dict], Encoding] | None = None
    """The discovery encoding for a resolved card (``flavorscan discover``); None for a model that does not
    support discovery (its [scan] grids serve it)."""
    wilson_coefficients: Callable[[Mapping], dict] | None = None
    """observables of one point -> its Wilson coefficients as a WCxf record {"eft", "basis", "scale",
    "values": {name: complex}} (``flavorscan wcxf``); None for a model that exports none."""
    constraint_aliases: Mapping[str, str] = {}
    """Extra [constraints] keys of this model, each setting the value of one limit constraint (e.g. the
    leptoquark ``mass_floor_R2`` sets ``bound_mass_r2``)."""
