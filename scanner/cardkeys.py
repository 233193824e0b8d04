"""The card vocabulary as data, and the checks every card table uses.

Each card table declares its keys as :class:`CardKey` records (name, type, default, meaning). The resolvers
reject every key not declared (so a documented key and an accepted key are the same thing), and
docs/cards.md is generated from the same records by scripts/make_card_reference.py (a test keeps it current).

The checks raise :class:`flavorscan.scanner.errors.UserError` with one line naming the key. Echoed values are
shortened (a card can be large and hostile: an error line never repeats more than a few dozen characters of
it).
"""

from __future__ import annotations

import math
import sys
from typing import Any, Iterable, NamedTuple

from flavorscan.scanner.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REQUIRED = "required"
"""The ``default`` of a key that has none."""

ECHO_CHARS = 60


class CardKey(NamedTuple):
    """One key of a card table: its name, the TOML type it takes, its default and what it means."""

    name: str
    type: str
    default: Any
    meaning: str


def key_names(keys: Iterable[CardKey]) -> set[str]:
    return {k.name for k in keys}


def defaults(keys: Iterable[CardKey]) -> dict[str, Any]:
    """{name: default} of the keys that have a plain default (not REQUIRED, not None)."""
    return {k.name: k.default for k in keys if k.default is not None and k.default != REQUIRED}


def echo(value) -> str:
    """repr of a value from a card, shortened for a one-line error message."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # int too large for repr, absurdly nested lists
        text = f"<{type(value).__name__}>"
    return text if len(text) <= ECHO_CHARS else text[: ECHO_CHARS - 3] + "..."


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def number(x, key: str, *, positive=False, nonnegative=False, lo=None, hi=None) -> float:
    """A finite real number (ints accepted), optionally range-checked; error names the key."""
    if not _is_number(x):
        raise UserError(f"{key}: expected a number, got {type(x).__name__} {echo(x)}")
    try:
        value = float(x)
    except OverflowError:  # an integer literal beyond float64
        raise UserError(f"{key}: must be finite, got an integer of {digits(x)} digits") from None
    if not math.isfinite(value):
        raise UserError(f"{key}: must be finite, got {echo(x)}")
    if positive and value <= 0:
        raise UserError(f"{key}: must be > 0, got {echo(x)}")
    if nonnegative and value < 0:
        raise UserError(f"{key}: must be >= 0, got {echo(x)}")
    if lo is not None and value < lo:
        raise UserError(f"{key}: must be >= {lo}, got {echo(x)}")
    if hi is not None and value > hi:
        raise UserError(f"{key}: must be <= {hi}, got {echo(x)}")
    return value


def digits(x: int) -> int:
    """The number of decimal digits of an integer (str() refuses integers of more than 4300 digits)."""
    try:
        return len(str(abs(x)))
    except ValueError:
        return int(abs(x).bit_length() * 0.30102999566398120) + 1


def integer(x, key: str, *, lo=None, hi=None) -> int:
    if not isinstance(x, int) or isinstance(x, bool):
        raise UserError(f"{key}: expected an integer, got {type(x).__name__} {echo(x)}")
    if lo is not None and x < lo:
        raise UserError(f"{key}: must be >= {lo}, got {echo(x)}")
    if hi is not None and x > hi:
        raise UserError(f"{key}: must be <= {hi}, got {echo(x)}")
    return x


def choice(x, key: str, options) -> str:
    if not isinstance(x, str) or x not in options:
        raise UserError(f"{key}: must be one of {', '.join(map(repr, options))}, got {echo(x)}")
    return x


def matrix3(x, key: str, **checks) -> list[list[float]]:
    """A 3x3 matrix of numbers (rows u,c,t; columns e,mu,tau)."""
    if not (isinstance(x, list) and len(x) == 3 and all(isinstance(r, list) and len(r) == 3 for r in x)):
        raise UserError(f"{key}: expected a 3x3 matrix (three rows of three numbers)")
    return [[number(v, f"{key}[{i}][{j}]", **checks) for j, v in enumerate(row)] for i, row in enumerate(x)]


def pair(x, key: str, **checks) -> list[float]:
    """[lo, hi] with lo <= hi."""
    if not (isinstance(x, list) and len(x) == 2):
        raise UserError(f"{key}: expected [lo, hi]")
    lo, hi = (number(v, key, **checks) for v in x)
    if lo > hi:
        raise UserError(f"{key}: lo > hi ({lo} > {hi})")
    return [lo, hi]


def table(x, key: str) -> dict:
    if not isinstance(x, dict):
        raise UserError(f"{key}: expected a table")
    return x


def string_list(x, key: str) -> list[str]:
    """A list of strings, none repeated."""
    if not (isinstance(x, list) and all(isinstance(n, str) for n in x)):
        raise UserError(f"{key}: expected a list of names")
    repeated = sorted({n for n in x if x.count(n) > 1})
    if repeated:
        raise UserError(f"{key}: {echo(repeated[0])} is listed more than once")
    return list(x)


def required(section: dict, key: str, where: str):
    if key not in section:
        raise UserError(f"{where}{key}: missing")
    return section[key]


def reject_unknown(section: dict, allowed, where: str) -> None:
    """Every key of ``section`` must be declared; ``allowed`` holds CardKey records or names."""
    names = {k.name if isinstance(k, CardKey) else k for k in allowed}
    for key in section:
        if key not in names:
            raise UserError(f"{where}{key_text(key)}: unknown key{did_you_mean(key, names)}")


def did_you_mean(name, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' naming only the closest known names, or ' (known: a, b)' for a short list."""
    import difflib

    known = sorted(known)
    if isinstance(name, str):
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        if close:
            return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
    if len(known) <= 12:
        return f" (allowed: {', '.join(known)})"
    return ""


def parse_toml(data: bytes, source: str) -> dict:
    """A TOML document as a dict; every failure (not UTF-8, malformed, nested too deep) is one UserError line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{source}: not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{source}: malformed TOML: {_first_line(exc)}") from None
    except ValueError as exc:  # e.g. an integer literal of more than 4300 digits (int() refuses it)
        raise UserError(f"{source}: malformed TOML: {_first_line(exc)}") from None
    except RecursionError:
        raise UserError(f"{source}: malformed TOML: nested too deeply") from None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 3 * ECHO_CHARS else text[: 3 * ECHO_CHARS - 3] + "..."


def key_text(key) -> str:
    """A table key as shown in an error message (shortened; TOML keys are strings)."""
    return str(key) if len(str(key)) <= ECHO_CHARS else str(key)[: ECHO_CHARS - 3] + "..."
