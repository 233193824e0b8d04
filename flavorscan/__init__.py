"""flavorscan: vectorised JAX scans of new-physics models behind the flavour anomalies."""

__version__ = "0.2.0"
