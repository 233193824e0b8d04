"""Card fuzzing: a seeded generator of malformed cards derived from the shipped cards (runs/*.toml), each
written as TOML and read by the card loader in-process (:func:`flavorscan.scanner.config.load_card`, the path
every command takes). Every card must either resolve or raise :class:`UserError` with one short line; any
other exception (OverflowError, RecursionError, TypeError, KeyError, MemoryError ...) is a bug.

Mutations: keys deleted, values of the wrong type, huge / negative / non-finite / integer-overflowing numbers,
deeply nested values, unknown keys, matrices of the wrong shape, strings where tables go and tables where
scalars go, oversized strings. A failure names the seed and the mutations, so it replays."""

from __future__ import annotations

import copy
import json
import math
import random
import re
import sys
from pathlib import Path

import pytest

from flavorscan.scanner.config import load_card
from flavorscan.scanner.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "runs").glob("*.toml"))
CASES = 800
MAX_MESSAGE = 400  # an error line echoes at most a few dozen characters of the card
KNOWN_LONG = ()
"""Messages allowed to exceed MAX_MESSAGE (none: every site shortens echoed values with cardkeys.echo)."""

NUMBERS = [0, -1, 1, -0.0, 1e-320, 1e308, -1e308, 1e300, -1e300, float("inf"), float("-inf"), float("nan"),
           2**31, 2**53 + 1, 2**63, -(2**63) - 1, 10**400, -(10**400), 10**4000, 0.5, 7, 3.0e-6, 1500.0, 1e12]
STRINGS = ["", "default", "dm3l", "catalog", "catalog:99999999", "Lmu-Ltau", "x" * 300, "\u00e9\u4e2d",
           "1e3", "nan", "${HOME}", "../../etc/passwd", "a\nb"]
KEYS = ["zz", "n ", "M_R2x", "enabled2", "__class__", "", "x" * 200, "scan", "point", "charges", "range"]


# -- a minimal TOML writer (inline tables everywhere), so the card goes through the real parser ------------


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def toml_text(card: dict) -> str:
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in card.items())


def nested_toml(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "1" + "]" * depth
    return "{a = " * depth + "1" + "}" * depth


# -- mutations ---------------------------------------------------------------------------------------------


def paths(value, prefix=()):
    """Every (path, value) below ``value`` (dict keys and list indices), at most 8 levels down (a card is
    shallow; a value nested by an earlier mutation is not walked)."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    if len(prefix) >= 8:
        return
    for key, child in items:
        yield prefix + (key,), child
        yield from paths(child, prefix + (key,))


def parent_of(card, path):
    node = card
    for key in path[:-1]:
        node = node[key]
    return node


def random_value(rng: random.Random, depth: int = 0):
    kind = rng.choice(["number", "number", "string", "bool", "list", "table", "matrix"] if depth < 2 else
                      ["number", "string", "bool"])
    if kind == "number":
        return rng.choice(NUMBERS)
    if kind == "string":
        return rng.choice(STRINGS)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if kind == "matrix":
        rows, cols = rng.choice([(3, 3), (2, 3), (3, 2), (4, 3), (1, 1), (3, 4)])
        return [[rng.choice(NUMBERS) for _ in range(cols)] for _ in range(rows)]
    return {rng.choice(KEYS) or "k": random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def mutate(card: dict, rng: random.Random) -> tuple[dict, list[str], str | None]:
    """(mutated card, what was done, a raw TOML line to append or None)."""
    card = copy.deepcopy(card)
    done = []
    extra = None
    for _ in range(rng.randint(1, 3)):
        everything = list(paths(card))
        path, value = rng.choice(everything)
        parent = parent_of(card, path)
        op = rng.choice(["delete", "type", "number", "number", "nest", "unknown", "shape", "table_to_string",
                         "scalar_to_table", "long_string", "charges", "huge_int"])
        if op == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif op == "type":
            parent[path[-1]] = rng.choice([rng.choice(STRINGS), True, [], {}, [1, 2], {"range": "x"}])
        elif op == "number":
            parent[path[-1]] = rng.choice(NUMBERS)
        elif op == "huge_int" and extra is None and rng.random() < 0.3:  # beyond what int() parses (4300 digits)
            extra = f"{rng.choice(['zz', 'scan.n', 'point.M_R2'])} = 1{'0' * rng.choice([4300, 5000, 20000])}"
        elif op == "nest":
            if extra is None and rng.random() < 0.5:  # nested deeper than the parser's recursion limit
                extra = f"zz = {nested_toml(rng.choice([50, 500, 1200, 5000]), rng.choice(['array', 'table']))}"
            else:  # nested, but parseable: the resolvers must not recurse into it without bound
                deep = 1
                for _ in range(rng.choice([20, 60, 150])):
                    deep = [deep] if rng.random() < 0.5 else {"a": deep}
                parent[path[-1]] = deep
        elif op == "unknown":
            tables = [p for p, v in everything if isinstance(v, dict)] + [()]
            target = parent_of(card, rng.choice(tables) + ("",))
            target[rng.choice(KEYS) or "k"] = random_value(rng)
        elif op == "shape":
            parent[path[-1]] = random_value(rng, 1) if not isinstance(value, list) else rng.choice(
                [[1, 2, 3], [[1, 2], [3]], [[[1]]], [[0.1] * 3] * 2, [[0.1] * 4] * 3, [], [[]]])
        elif op == "table_to_string" and isinstance(value, dict):
            parent[path[-1]] = rng.choice(STRINGS)
        elif op == "scalar_to_table" and not isinstance(value, (dict, list)):
            parent[path[-1]] = random_value(rng)
        elif op == "long_string":
            parent[path[-1]] = "y" * rng.choice([1000, 100_000, 2_000_000])
        elif op == "charges":  # a Z' charge table with random (finite, below the overflow range) numbers
            numbers = [n for n in NUMBERS if isinstance(n, float) and math.isfinite(n) and abs(n) < 1e100]
            parent[path[-1]] = {k: rng.choice([rng.choice(numbers), [rng.choice(numbers)] * 3])
                                for k in ("q", "L", "E", "N")}
        else:
            parent[path[-1]] = random_value(rng)
        done.append(f"{op} at {'.'.join(map(str, path))[:80]}")
    return card, done, extra


def test_fuzzed_cards_raise_only_one_line_user_errors(tmp_path):
    bases = [(p.name, tomllib.loads(p.read_text())) for p in SHIPPED]
    assert len(bases) >= 5
    for name, base in bases:  # the TOML writer is faithful: every shipped card resolves as written by it
        (tmp_path / name).write_text(toml_text(base), encoding="utf-8")
        load_card(tmp_path / name)
    rng = random.Random(20261207)
    outcomes = {"resolved": 0, "refused": 0}
    failures = []
    path = tmp_path / "card.toml"
    for case in range(CASES):
        name, base = bases[case % len(bases)]
        card, done, extra = mutate(base, rng)
        text = toml_text(card) + (extra + "\n" if extra else "")
        path.write_text(text, encoding="utf-8")
        try:
            load_card(path)
            outcomes["resolved"] += 1
        except UserError as exc:
            message = str(exc)
            too_long = len(message) > MAX_MESSAGE and not message.startswith(KNOWN_LONG)
            if "\n" in message or too_long:
                failures.append((case, name, done, f"UserError of {len(message)} chars / "
                                 f"{message.count(chr(10)) + 1} lines: {message[:200]!r}"))
            outcomes["refused"] += 1
        except BaseException as exc:  # noqa: BLE001 - anything else is the bug being looked for
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append((case, name, done, f"{type(exc).__name__}: {str(exc)[:200]}"))
    assert not failures, "\n".join(map(str, failures[:20]))
    assert outcomes["refused"] > CASES // 2  # the mutations do break most cards


@pytest.mark.parametrize("text, phrase", [
    ("M_R2 = 1" + "0" * 309, "310 digits"),
    ("M_R2 = 1" + "0" * 4299, "4300 digits"),
    ("M_R2 = 1" + "0" * 5000, "malformed TOML: Exceeds the limit"),
    ("zz = " + "[" * 1000 + "]" * 1000, "nested too deeply"),
    ("zz = " + "{a = " * 1000 + "1" + "}" * 1000, "nested too deeply"),
    ("[refine]\npatience = 9223372036854775808", "refine.patience"),
])
def test_issue_reproducers(tmp_path, text, phrase):
    """The card reproducers of issue 17, class 1 (a [point] card with the line added)."""
    base = (ROOT / "runs" / "tx1_nh.toml").read_text()
    if text.startswith("M_R2"):
        base = base.replace("M_R2 = 1500.0", text)
    else:
        base = text + "\n" + base if text.startswith("zz") else base + "\n" + text + "\n"
    path = tmp_path / "card.toml"
    path.write_text(base)
    with pytest.raises(UserError, match=phrase) as caught:
        load_card(path)
    assert "\n" not in str(caught.value)


ZPRIME = """
model = "zprime"
[point]
m_Zp = 0.1
g_X = 1e-4
charges = {{ q = {q}, L = [0, 1, -1], E = [0, 1, -1], N = [0, 1, -1] }}
"""


@pytest.mark.parametrize("q", ["1" + "0" * 399, "[1, 1, 1" + "0" * 399 + "]", "-1" + "0" * 399])
def test_zprime_charges_beyond_float64(tmp_path, q):
    path = tmp_path / "card.toml"
    path.write_text(ZPRIME.format(q=q))
    with pytest.raises(UserError, match="charges.q"):
        load_card(path)


@pytest.mark.parametrize("q", ["1e300", "[1e200, 0, 0]", "-1.7e308"])
def test_zprime_charges_near_float64_max(tmp_path, q):
    """Before: OverflowError from the anomaly check's max(...) ** 3 for charges above ~5.6e102."""
    path = tmp_path / "card.toml"
    path.write_text(ZPRIME.format(q=q))
    with pytest.raises(UserError, match="charges") as caught:
        load_card(path)
    assert "\n" not in str(caught.value)


LONG = "y" * 5000


@pytest.mark.parametrize("card, where", [
    ("tx1_nh.toml", f'[constraints]\nenabled = ["{LONG}"]'),
    ("fit_tx1_current.toml", f'free = ["{LONG}"]'),
    ("quickstart.toml", "n = 1" + "0" * 3000),
], ids=["constraints.enabled", "refine.free", "scan.n"])
def test_echoed_values_are_shortened(tmp_path, card, where):
    text = (ROOT / "runs" / card).read_text()
    if where.startswith("free"):
        text = re.sub(r"(?m)^free = .*$", where, text)
    elif where.startswith("n ="):
        text = re.sub(r"(?m)^n = .*$", where, text)
    else:
        text = text + "\n" + where + "\n"
    path = tmp_path / "card.toml"
    path.write_text(text)
    with pytest.raises(UserError) as caught:
        load_card(path)
    assert len(str(caught.value)) <= MAX_MESSAGE, str(caught.value)[:120]
