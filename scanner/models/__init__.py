"""The model registry: the card's ``model`` name -> its :class:`~flavorscan.scanner.models.spec.ModelSpec`.

Built-in models are listed in :data:`BUILTIN` (one line each) and imported when first asked for, so listing
the names imports no JAX. Models outside the package register without touching it:

- an entry point in the group ``flavorscan.models`` (name = the model name, value = ``module:attr`` of its
  spec), e.g. in the other package's pyproject.toml::

      [project.entry-points."flavorscan.models"]
      mymodel = "mypackage.flavorscan_model:SPEC"

- or the environment variable ``FLAVORSCAN_MODELS``: comma-separated ``module:attr`` of specs (the name is the
  spec's ``name``).

Never through a card key: cards are data, and a card can only name a model that is already registered.
docs/extending.md walks through adding one.
"""

from __future__ import annotations

import functools
import importlib
import os

from flavorscan.scanner.errors import UserError

BUILTIN = {
    "lq": "flavorscan.scanner.models.lq:SPEC",
    "zprime": "flavorscan.scanner.models.zprime:SPEC",
}
ENTRY_POINT_GROUP = "flavorscan.models"
ENVIRONMENT_VARIABLE = "FLAVORSCAN_MODELS"


def _load(target: str, origin: str):
    from flavorscan.scanner.models.spec import ModelSpec

    module_name, _, attr = target.partition(":")
    try:
        spec = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise UserError(f"{origin}: cannot load model spec {target!r} ({exc})") from None
    if not isinstance(spec, ModelSpec):
        raise UserError(f"{origin}: {target!r} is not a flavorscan ModelSpec")
    return spec


def _external_targets() -> dict[str, tuple[str, str]]:
    """{name or target: (target, origin)} of the entry points and of FLAVORSCAN_MODELS."""
    from importlib.metadata import entry_points

    found = {ep.name: (ep.value, f"entry point {ep.name!r}") for ep in entry_points(group=ENTRY_POINT_GROUP)}
    for target in filter(None, (t.strip() for t in os.environ.get(ENVIRONMENT_VARIABLE, "").split(","))):
        found[target] = (target, ENVIRONMENT_VARIABLE)
    return found


@functools.lru_cache(maxsize=None)
def _external_specs() -> dict:
    specs = {}
    for key, (target, origin) in _external_targets().items():
        spec = _load(target, origin)
        if spec.name in BUILTIN:
            raise UserError(f"{origin}: model name {spec.name!r} is taken by a built-in model")
        specs[spec.name] = spec
    return specs


def names() -> list[str]:
    """Every registered model name (built-in ones first)."""
    return list(BUILTIN) + [n for n in _external_specs() if n not in BUILTIN]


@functools.lru_cache(maxsize=None)
def _builtin(name: str):
    return _load(BUILTIN[name], f"model {name!r}")


def get(name: str):
    """The spec of a registered model; an unknown name is a one-line UserError."""
    from flavorscan.scanner.cardkeys import did_you_mean, echo

    if isinstance(name, str) and name in BUILTIN:
        return _builtin(name)
    external = _external_specs()
    if isinstance(name, str) and name in external:
        return external[name]
    raise UserError(f"model: unknown model {echo(name)}{did_you_mean(name, names())}")
