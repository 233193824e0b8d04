"""flavorscan: vectorised JAX scans of new-physics models behind the flavour anomalies.

The Python API (every name loads lazily: ``import flavorscan`` imports no JAX; the first call that computes
does). A *card* argument is a path to a TOML card or a dict with the card's TOML structure (the same keys as
the file); it is validated exactly as ``flavorscan`` validates cards, and a bad one raises
:class:`flavorscan.scanner.errors.UserError` with a one-line message.

    import flavorscan
    result = flavorscan.evaluate("runs/tx1_nh.toml")            # every observable and constraint of a [point]
    evaluator = flavorscan.Evaluator("runs/tx1_nh.toml")         # compiled once, reused for any point
    summary = flavorscan.run_scan("runs/quickstart.toml", "quickstart-run")
    columns = flavorscan.load("quickstart-run")                 # {column: numpy array}, sorted by point_id
    refined = flavorscan.refine("quickstart-run")               # gradient refinement of the candidates
    fitted = flavorscan.fit("runs/fit_tx1_current.toml")
"""

from __future__ import annotations

from flavorscan.version import __version__

__all__ = ["Evaluator", "UserError", "evaluate", "fit", "info", "load", "load_card", "load_dataframe", "merge",
           "models", "refine", "run_scan"]


def load_card(card) -> dict:
    """The resolved card (defaults filled in) of a path or a dict with the card's TOML structure.

    Args:
        card: path of a TOML card, or a dict as ``tomllib`` would parse it.
    Returns:
        the resolved card: a JSON-able dict, what runs store and hash.
    """
    from flavorscan.scanner.config import load_card as load_file, resolve_card

    if isinstance(card, dict):
        return resolve_card(card, "card")
    return load_file(card)


class Evaluator:
    """Evaluates points of one card with a point function compiled once.

    Args:
        card: path or dict (see :func:`load_card`); its measurement set and [constraints] apply.
    """

    def __init__(self, card):
        from flavorscan.scanner.evaluate import Evaluator as Compiled

        self.card = load_card(card)
        self._compiled = Compiled(self.card)

    def evaluate(self, point: dict | None = None) -> dict:
        """Every observable and constraint of a point.

        Args:
            point: a [point] table of the card's model as in a card file (default: the card's own [point]).
        Returns:
            {"observables": {name: value}, "constraints": {name: {"value", "pass", "chi2", "approx"}},
            "viable": bool, "chi2_total": value, "units": {name: unit}}; non-finite values are None.
        """
        from flavorscan.scanner import models

        if point is not None:
            point = models.get(self.card["model"]).resolve_point(point)
        elif "point" not in self.card:
            from flavorscan.scanner.errors import UserError

            raise UserError("the card has no [point] table: pass a point")
        return self._compiled.evaluate(point)

    def evaluate_resolved(self, point: dict) -> dict:
        """:meth:`evaluate` of an already resolved [point] table (as in a resolved card)."""
        return self._compiled.evaluate(point)


_EVALUATORS: dict = {}


def evaluate(card, point: dict | None = None) -> dict:
    """The result of one point (:meth:`Evaluator.evaluate`). The compiled evaluator of a card's physics is
    kept, so repeated calls with cards that differ only in their point values do not recompile.

    Args:
        card: path or dict (see :func:`load_card`).
        point: optional [point] table evaluated instead of the card's own.
    """
    from flavorscan.scanner.pipeline import physics_key

    resolved = load_card(card)
    key = physics_key(resolved)
    if key not in _EVALUATORS:
        _EVALUATORS[key] = Evaluator(resolved)
    evaluator = _EVALUATORS[key]
    if point is None:
        point = resolved.get("point")
        if point is None:
            from flavorscan.scanner.errors import UserError

            raise UserError("the card has no [point] table: pass a point")
        return evaluator.evaluate_resolved(point)
    return evaluator.evaluate(point)


def run_scan(card, out, *, n: int | None = None, seed: int | None = None, shard=(0, 1), restart: bool = False,
             progress: bool = False) -> dict:
    """Run a card's [scan] into a run directory (resumes what is there), as ``flavorscan run`` does.

    Args:
        card: path or dict with a [scan] table.
        out: run directory.
        n, seed: override the card's [scan] n and seed.
        shard: (index, count) of this process's chunks.
        restart: discard the directory's previous results.
        progress: progress on stderr (compilation, then a bar on a terminal or a plain line every 30 s).
    Returns:
        {"chunks_skipped", "chunks_evaluated", "points_evaluated", "rows_kept", "seconds", "out", "shard",
        "chunks_planned"}.
    """
    from flavorscan.scanner.scan import run_scan as run, with_overrides

    return run(with_overrides(load_card(card), n=n, seed=seed), out, shard=tuple(shard), restart=restart,
               progress=progress)


def refine(directory, out=None, *, steps: int | None = None, optimizer: str | None = None,
           learning_rate: float | None = None, all_rows: bool = False, restart: bool = False) -> dict:
    """Gradient refinement of a run's candidate rows (or every row) into ``out`` (default DIR/refined).

    Returns:
        {"out", "rows_refined", "rows_skipped", "viable_before", "viable_after", "converged", "optimizer",
        "steps", "seconds"}.
    """
    from flavorscan.scanner.refine.driver import refine_run

    return refine_run(directory, out, steps=steps, optimizer=optimizer, learning_rate=learning_rate,
                      all_rows=all_rows, restart=restart)


def fit(card, *, steps: int | None = None, n_starts: int | None = None, seed: int | None = None) -> dict:
    """Fit a [point] card's free parameters ([refine] table) to its enabled constraints.

    Returns:
        {"params", "start_params", "observables", "chi2_total", "loss", "start_loss", "viable", "steps",
        "converged", "status", "failing", "constraints", "start", "n_starts", "starts_viable"}.
    """
    from flavorscan.scanner.refine.fit import fit_card
    from flavorscan.scanner.refine.settings import settings_of

    resolved = load_card(card)
    return fit_card(resolved, settings_of(resolved, steps=steps, n_starts=n_starts, seed=seed))


def load(directory, columns=None) -> dict:
    """The rows of a run directory or merged file as {column: numpy array}, sorted by point_id.

    Args:
        directory: run directory (or a file written by ``flavorscan merge``).
        columns: column names (default: all).
    """
    from flavorscan.scanner.store import load as load_rows

    return load_rows(directory, columns)


def load_dataframe(directory, columns=None):
    """:func:`load` as a pandas DataFrame (needs pandas)."""
    from flavorscan.scanner.store import load_dataframe as load_frame

    return load_frame(directory, columns)


def info(directory) -> dict:
    """Counts, pass fractions per constraint and provenance of a run (``flavorscan info --json``)."""
    from flavorscan.scanner.store import info as summary

    return summary(directory)


def merge(directory, output, virtual: bool = False) -> dict:
    """One HDF5 file (sorted by point_id) or a validated virtual dataset file from a run's segments."""
    from flavorscan.scanner.store import merge as merge_run

    return merge_run(directory, output, virtual=virtual)


def models() -> list[str]:
    """The registered model names."""
    from flavorscan.scanner import models as registry

    return registry.names()


def __getattr__(name):  # PEP 562: the error type without importing the scanner at import time
    if name == "UserError":
        from flavorscan.scanner.errors import UserError

        return UserError
    raise AttributeError(f"module 'flavorscan' has no attribute {name!r}")
