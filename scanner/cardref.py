"""docs/cards.md, rendered from the CardKey records the card resolvers validate against.

``python scripts/make_card_reference.py`` writes it; tests/scanner/test_card_reference.py checks that the file
in the repository is what this module renders now, so a key cannot be accepted without being documented.
"""

from __future__ import annotations

from flavorscan.scanner import models
from flavorscan.scanner.cardkeys import REQUIRED

HEADER = """\
# Card reference

Every key of every card table, with its TOML type, its default and its meaning. This page is generated from
the records the card resolvers validate against (`python scripts/make_card_reference.py`); a key missing here
is refused by flavorscan. A card is TOML, parsed as data and never evaluated; a bad key or value prints one
line on stderr naming the key, and the command exits with status 2.

"""


def _value(default) -> str:
    if default is None:
        return "-"
    if default == REQUIRED:
        return "**required**"
    return f"`{default!r}`" if not isinstance(default, str) or not default.startswith(("min(", "zeros", "ones", "{}")) \
        else default


def table(keys) -> list[str]:
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key in keys:
        meaning = key.meaning.replace("|", "\\|")
        lines.append(f"| `{key.name}` | {key.type} | {_value(key.default)} | {meaning} |")
    return lines + [""]


def render() -> str:
    from flavorscan.scanner.config import CONSTRAINT_KEYS, TOP_KEYS
    from flavorscan.scanner.discover.settings import KEYS as DISCOVER_KEYS
    from flavorscan.scanner.refine.settings import KEYS as REFINE_KEYS
    from flavorscan.scanner.sampling import ENGINE_KEYS, PRIOR_KEYS

    lines = [HEADER.rstrip("\n"), "", "## Top level", ""] + table(TOP_KEYS)
    lines += ["## [constraints]", ""] + table(CONSTRAINT_KEYS)
    lines += ["## [scan]: the engine keys (every model)", ""] + table(ENGINE_KEYS)
    lines += ["A *prior table* is `{ range = [lo, hi], prior = \"uniform\" | \"log\" }`:", ""] + table(PRIOR_KEYS)
    lines += ["## [refine] (flavorscan refine, fit)", ""] + table(REFINE_KEYS)
    lines += ["## [discover] (flavorscan discover; docs/discovery.md)", "",
              "Every key is optional: an empty [discover] table means these defaults. With [discover] the [scan] "
              "table is the prior and may omit `n`.", ""] + table(DISCOVER_KEYS)
    for name in models.BUILTIN:  # the built-in models (an external one documents its own keys)
        spec = models.get(name)
        lines += [f"## Model `{name}`", "", spec.description + ".", ""]
        lines += [f"### [point] (model = \"{name}\")", ""] + table(spec.point_keys)
        lines += [f"### [scan] (model = \"{name}\"), besides the engine keys", ""] + table(spec.scan_keys)
        for heading, keys in spec.table_keys.items():
            lines += [f"### {heading}", ""] + table(keys)
        if spec.constraint_aliases:
            lines += [f"### [constraints] keys of model `{name}`", "", "| key | sets the limit of |", "|---|---|"]
            lines += [f"| `{key}` | `{target}` |" for key, target in spec.constraint_aliases.items()] + [""]
    return "\n".join(lines).rstrip("\n") + "\n"
