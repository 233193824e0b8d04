"""Gradient refinement of parameter points and fits of one card (JAX float64 + optax).

- :mod:`.settings`: the [refine] card table and the optax optimizer it names;
- :mod:`.loop`: the vectorised optimizer loop (:class:`~.loop.Refiner`), the best-step rule, compiled caches;
- :mod:`.driver`: refinement of a run's stored rows into a new run directory (``flavorscan refine``);
- :mod:`.fit`: fits of one [point] card from several starts (``flavorscan fit``).

docs/refinement.md describes the method and its measured yield.
"""
