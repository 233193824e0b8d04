"""Plain-text tables of results, shared by the commands that print points (point, fit)."""

from __future__ import annotations


def shown(value, spec: str = ".6g") -> str:
    """A JSON number for the text tables: None (a non-finite value) reads "nan"."""
    return "nan" if value is None else format(value, spec)


def constraint_lines(constraints: dict) -> list[str]:
    """The constraint table (value, pass, chi2, approximate limit)."""
    lines = ["constraint                      value          pass   chi2      approx limit"]
    for name, c in constraints.items():
        value = shown(c["value"])
        chi2 = "-" if c["chi2"] is None else shown(c["chi2"], ".3g")
        approx = "yes" if c.get("approx") else ""
        lines.append(f"{name:<30} {value:>14}  {'yes' if c['pass'] else 'NO':<5}  {chi2:<8}  {approx}".rstrip())
    return lines


def observable_lines(observables: dict, units: dict) -> list[str]:
    lines = ["observable                      value          unit"]
    for name, value in observables.items():
        lines.append(f"{name:<30} {shown(value):>14}  {units.get(name, '')}")
    return lines
