"""Plain-text tables of results, shared by the commands that print points (point, fit)."""

from __future__ import annotations


def shown(value, spec: str = ".6g") -> str:
    """A JSON number for the text tables: None (a non-finite value) reads "nan"."""
    return "nan" if value is None else format(value, spec)


def _compared(c: dict) -> str:
    reference = c.get("compared_to")
    if isinstance(reference, list):
        return f"[{shown(reference[0], '.3g')}, {shown(reference[1], '.3g')}]"
    return shown(reference)


def constraint_lines(constraints: dict) -> list[str]:
    """The constraint table: value, what it was compared to, pull (measurements) or value/limit (limits),
    verdict and whether the entry's numbers are approximate."""
    lines = [f"{'constraint':<30} {'value':>13} {'compared to':>21}  {'pull/ratio':>10}  pass  approx"]
    for name, c in constraints.items():
        if c.get("pull") is not None:
            measure = f"{shown(c['pull'], '+.2f')}σ"
        elif c.get("ratio") is not None:
            measure = f"x{shown(c['ratio'], '.3g')}"
        else:
            measure = "-"
        approx = "yes" if c.get("approx") else ""
        lines.append(f"{name:<30} {shown(c['value'], '.6g'):>13} {_compared(c):>21}  {measure:>10}  "
                     f"{'yes' if c['pass'] else 'NO':<4}  {approx}".rstrip())
    return lines


def observable_lines(observables: dict, units: dict) -> list[str]:
    lines = ["observable                      value          unit"]
    for name, value in observables.items():
        lines.append(f"{name:<30} {shown(value):>14}  {units.get(name, '')}")
    return lines
