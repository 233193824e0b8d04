"""``flavorscan discover``: viable points from a wide prior with no known texture to start from.

- :mod:`.settings`: the [discover] card table;
- :mod:`.search`: the search of one batch (population, gradient stages, resampling, the discovery loss);
- :mod:`.driver`: batches into a run directory, budget, shards, resume.

docs/discovery.md describes the algorithm, every parameter and the measured results.
"""
