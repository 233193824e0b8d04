"""What the likelihood and the models hold, as listings (``flavorscan constraints``, ``flavorscan observables``).

The JSON of ``constraints``: {"set", "constraints": [{"set", "name", "kind", "observable", "models", "value",
"sigma", "sigma_theory", "limit", "range", "mass_scaling", "unit", "default", "source", "approx",
"approx_reason"}, ...]}; fields that do not apply to a kind are null. For oscillation entries ``value`` and
``sigma`` are the normal-ordering best fit and 1 sigma error ([lo, hi] when asymmetric), ``range`` its 3 sigma
window, and ``io_value``, ``io_sigma``, ``io_range`` the same for inverted ordering. A limit that scales with
a mass carries ``mass_scaling`` = {mass, power} (limit x (M/TeV)^power); a mass-dependent limit has
``limit`` = {mass, masses, limits}.
"""

from __future__ import annotations

from flavorscan.kernels.constants import MEASUREMENT_SETS
from flavorscan.scanner import models
from flavorscan.scanner.constraints import oscillation_sigmas
from flavorscan.scanner.likelihood import applies, shipped_set

FIELDS = ("set", "name", "kind", "observable", "models", "value", "sigma", "sigma_theory", "limit", "range",
          "mass_scaling", "unit", "default", "source", "approx", "approx_reason")


def _units() -> dict[str, str]:
    units = {}
    for name in models.names():
        spec = models.get(name)
        units.update({o.name: o.unit for o in (*spec.parameters, *spec.observables)})
    return units


def _sigma(lo, hi):
    return lo if lo == hi else [lo, hi]


def describe(set_name: str, name: str, entry: dict, units: dict) -> dict:
    """One constraint as a flat record of :data:`FIELDS` (plus the io_* fields of oscillation entries)."""
    record = dict.fromkeys(FIELDS)
    kind = entry["kind"]
    record.update(set=set_name, name=name, kind=kind, observable=entry["observable"],
                  models=[m for m in models.names() if applies(entry, models.get(m))],
                  unit=units.get(entry["observable"], ""), default=entry.get("default", True),
                  source=entry.get("source"), approx=entry.get("approx", False),
                  approx_reason=entry.get("approx_reason"), mass_scaling=entry.get("mass_scaling"))
    if kind == "gaussian":
        record["value"] = entry["value"]
        record["sigma"] = entry["sigma"] if "sigma" in entry else [entry["sigma_lo"], entry["sigma_hi"]]
        record["sigma_theory"] = entry.get("sigma_theory")
    elif kind == "oscillation":
        for prefix, ordering in (("", "no"), ("io_", "io")):
            record[f"{prefix}value"] = entry[f"{ordering}_best"]
            record[f"{prefix}sigma"] = _sigma(*oscillation_sigmas(entry, ordering))
            record[f"{prefix}range"] = entry[f"{ordering}_range"]
    elif kind in ("upper_limit", "lower_limit"):
        record["limit"] = entry["value"]
    elif kind == "range":
        record["range"] = [entry["lo"], entry["hi"]]
    else:
        record["limit"] = {k: entry[k] for k in ("mass", "masses", "limits")}
    return record


def constraint_listing(set_name: str | None = None, model: str | None = None) -> dict:
    """Every constraint of one set (or of every set) that applies to ``model`` (or to any model)."""
    units = _units()
    spec = models.get(model) if model else None
    sets = [set_name] if set_name else list(MEASUREMENT_SETS)
    entries = []
    for name_of_set in sets:
        for name, entry in shipped_set(name_of_set)["constraint"].items():
            if spec is None or applies(entry, spec):
                record = describe(name_of_set, name, entry, units)
                if spec is not None:  # enabled by default for this model?
                    record["default"] = record["default"] and name not in spec.not_default
                entries.append(record)
    return {"set": set_name, "model": model, "constraints": entries}


def observable_listing(model: str | None = None) -> dict:
    """Every observable (and parameter column) of one model or of every model: name, unit, description."""
    names = [model] if model else models.names()
    observables, parameters = {}, {}
    for name in names:
        spec = models.get(name)
        for target, records in ((observables, spec.observables), (parameters, spec.parameters)):
            for o in records:
                entry = target.setdefault(o.name, {"name": o.name, "unit": o.unit, "description": o.description,
                                                   "models": []})
                entry["models"].append(name)
    return {"model": model, "observables": list(observables.values()), "parameters": list(parameters.values())}


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "[" + ", ".join(_number(v) for v in value) + "]"
    if isinstance(value, dict):
        return f"{value['mass']}: {value['limits'][0]:.3g}..{value['limits'][-1]:.3g}"
    return f"{value:.4g}"


def format_constraints(listing: dict) -> str:
    lines = [f"{'set':<10} {'constraint':<28} {'kind':<12} {'value / limit / range':<30} {'unit':<6} "
             f"{'default':<7} {'approx':<6} source"]
    for c in listing["constraints"]:
        if c["kind"] in ("gaussian", "oscillation"):
            shown = f"{_number(c['value'])} ± {_number(c['sigma'])}"
            if c.get("sigma_theory"):
                shown += f" (th {_number(c['sigma_theory'])})"
        elif c["kind"] == "range":
            shown = _number(c["range"])
        else:
            shown = ("< " if c["kind"] != "lower_limit" else "> ") + _number(c["limit"])
        if c["mass_scaling"]:
            shown += f" x ({c['mass_scaling']['mass']}/TeV)^{c['mass_scaling']['power']:g}"
        source = c["source"] or {}
        reference = ", ".join(f"{k} {source[k]}" for k in ("arxiv", "inspire") if k in source) or source.get("text", "")
        kind = {"mass_dependent_upper_limit": "limit(M)", "upper_limit": "upper", "lower_limit": "lower"}.get(
            c["kind"], c["kind"])
        lines.append(f"{c['set']:<10} {c['name']:<28} {kind:<12} {shown:<30} {c['unit']:<6} "
                     f"{'yes' if c['default'] else 'no':<7} {'yes' if c['approx'] else '':<6} {reference[:60]}")
    return "\n".join(lines)


def format_observables(listing: dict) -> str:
    lines = [f"{'name':<30} {'unit':<6} {'models':<12} description"]
    for section in ("observables", "parameters"):
        lines.append(f"-- {section}")
        for o in listing[section]:
            lines.append(f"{o['name']:<30} {o['unit']:<6} {','.join(o['models']):<12} {o['description']}")
    return "\n".join(lines)
