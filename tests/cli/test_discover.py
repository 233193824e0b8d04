"""flavorscan discover: deterministic rows, resume after SIGKILL to the same rows, viable rows that
re-evaluate as viable, families, one-line errors for bad [discover] tables."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
CARD = ROOT / "tests" / "cards" / "discover_narrow.toml"


def flavorscan(env, *args, check=True):
    result = subprocess.run([sys.executable, "-m", "flavorscan", *map(str, args)], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def rows(directory) -> dict:
    from flavorscan.scanner.store import load

    return load(directory)


def assert_same_rows(a: dict, b: dict):
    assert sorted(a) == sorted(b)
    for name in a:
        assert np.asarray(a[name]).tobytes() == np.asarray(b[name]).tobytes(), name


@pytest.mark.slow
def test_same_seed_same_rows_and_viable_rows_reproduce(tmp_path, env):
    first = json.loads(flavorscan(env, "discover", CARD, "--out", tmp_path / "a", "--quiet").stdout)
    log = flavorscan(env, "discover", CARD, "--out", tmp_path / "b").stderr.splitlines()  # stderr not a terminal
    # the compilation is announced before any (the column schema's included), then timed; a final line
    assert log[0] == "flavorscan discover: compiling the discovery kernels ..."
    after = [line for line in log[1:] if "still compiling" not in line]  # every 30 s on a slow machine
    assert after[0].startswith("flavorscan discover: compiled in ")
    assert any(line.startswith("flavorscan discover: done: ") for line in log)
    a, b = rows(tmp_path / "a"), rows(tmp_path / "b")
    assert_same_rows(a, b)
    viable = np.flatnonzero(a["viable"])
    assert first["viable"] == len(viable) >= 1 and first["families"] >= 1
    assert a["candidate"].sum() == 3  # keep = "viable+best": the best non-viable member of each of 3 batches
    assert np.all(~a["viable"][a["candidate"]])
    assert len(np.unique(a["point_id"])) == len(a["point_id"])
    for index in viable[:3]:  # each re-evaluates as viable through flavorscan card + flavorscan point
        card = tmp_path / f"row{index}.toml"
        card.write_text(flavorscan(env, "card", tmp_path / "a", "--point-id", a["point_id"][index]).stdout)
        point = json.loads(flavorscan(env, "point", card, "--json").stdout)
        assert point["viable"] is True
        assert point["chi2_total"] == pytest.approx(float(a["chi2_total"][index]), rel=1e-6)
    info = json.loads(flavorscan(env, "info", tmp_path / "a", "--json").stdout)
    assert sum(f["count"] for f in info["families"]) == len(viable)


@pytest.mark.slow
def test_seconds_budget_is_a_prefix_and_another_seed_differs(tmp_path, env):
    flavorscan(env, "discover", CARD, "--out", tmp_path / "full", "--quiet")
    flavorscan(env, "discover", CARD, "--out", tmp_path / "short", "--quiet", "--seconds", "0.001")
    full, short = rows(tmp_path / "full"), rows(tmp_path / "short")
    batch_zero = full["chunk"] == 0
    assert_same_rows({k: v[batch_zero] for k, v in full.items()}, short)  # one batch: the first
    flavorscan(env, "discover", CARD, "--out", tmp_path / "other", "--quiet", "--seed", "99")
    other = rows(tmp_path / "other")
    assert other["M_R2"].tobytes() != full["M_R2"].tobytes()


@pytest.mark.slow
def test_sigkill_then_resume_gives_identical_rows(tmp_path, env):
    reference = tmp_path / "reference"
    flavorscan(env, "discover", CARD, "--out", reference, "--quiet", "--evals", 12000)
    out = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "flavorscan", "discover", str(CARD), "--out", str(out),
                                "--quiet", "--evals", "12000"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None and not list(out.glob("seg-*.h5")):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    written = len(list(out.glob("seg-*.h5")))
    assert 1 <= written < 6, "the kill should land after the first of six batches and before the last"
    flavorscan(env, "discover", CARD, "--out", out, "--quiet", "--evals", 12000)
    assert_same_rows(rows(reference), rows(out))


@pytest.mark.parametrize("table, message", [
    ("[discover]\npopulation = 1\n", "discover.population: must be >= 2"),
    ("[discover]\ngenerashuns = 3\n", "did you mean 'generations'"),
    ("[discover]\nkeep = \"all\"\n", "discover.keep: must be one of"),
    ("[discover]\nmanifold = 1\n", "discover.manifold: expected true or false"),
    ("[discover]\nlearning_rate = -0.1\n", "discover.learning_rate: must be > 0"),
    ("[discover]\nkeep_fraction = 0.001\npopulation = 8\n", "keeps no member"),
])
def test_bad_discover_tables_are_one_line_errors(tmp_path, capsys, table, message):
    from flavorscan.scanner.cli import main

    text = CARD.read_text()
    card = tmp_path / "bad.toml"
    card.write_text(text[: text.index("[discover]")] + table)
    code = main(["discover", str(card), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err, err


def test_discover_needs_a_discover_table_and_a_model_with_an_encoding(tmp_path, capsys):
    from flavorscan.scanner.cli import main

    code = main(["discover", str(ROOT / "runs" / "quickstart.toml"), "--out", str(tmp_path / "o")])
    assert code == 2 and "has no [discover] table" in capsys.readouterr().err
    zprime = tmp_path / "z.toml"
    zprime.write_text((ROOT / "runs" / "zprime_lmutau.toml").read_text() + "\n[discover]\n")
    code = main(["discover", str(zprime), "--out", str(tmp_path / "z")])
    assert code == 2 and "has no discovery encoding" in capsys.readouterr().err


def test_lq_encoding_decodes_exactly_what_it_holds():
    """The encoding round-trips: decoding a random member gives, entry by entry, its magnitude exp(log|z|)
    with its sign (real entries) or phase (complex entries) where the mask is on, exactly zero elsewhere, and
    the masses exp(log M) — inverted here independently from the decoded couplings."""
    import jax

    from flavorscan.scanner.config import resolve_card
    from flavorscan.scanner.models.lq.discovery import encoding

    raw = {"model": "lq", "measurements": "current", "scan": {
        "mass_scale": "dm3l", "nu_term_signs": [1, -1, -1], "M_R2": {"range": [1000.0, 3000.0], "prior": "log"},
        "M_S1": {"range": [1000.0, 3000.0]}, "fR": {"probability": 0.5, "magnitude": [1e-7, 1.0]},
        "fL": {"probability": 0.5, "magnitude": [1e-7, 1.0], "phase": "uniform"},
        "yR": {"pattern": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "magnitude": [1e-3, 1.0], "phase": "fixed",
               "sign": [[-1, 1, 1], [1, 1, 1], [1, 1, -1]]},
        "yL": {"probability": 0.2, "magnitude": [1e-6, 0.5]}}, "discover": {}}
    card = resolve_card(raw)
    enc = encoding(card)
    population = enc.clip(enc.init(np.random.default_rng(5), 64))
    decoded = jax.device_get(jax.vmap(enc.decode)(population))
    z = np.stack([decoded[m] for m in ("fR", "fL", "yR", "yL")], axis=1).reshape(64, 36)
    mask = population["mask"]
    assert np.all(z[~mask] == 0)
    np.testing.assert_allclose(np.log(np.abs(z[mask])), population["log_magnitude"][mask], rtol=1e-14)
    real = np.ones(36, bool)
    real[9:18] = False  # fL has uniform phases
    np.testing.assert_array_equal(np.sign(z.real)[mask & real], population["sign"][mask & real])
    assert np.all(z.imag[:, real] == 0)
    phase = np.angle(z[:, ~real])
    wrapped = np.angle(np.exp(1j * population["phase"][:, ~real]))
    np.testing.assert_allclose(phase[mask[:, ~real]], wrapped[mask[:, ~real]], atol=1e-12)
    np.testing.assert_array_equal(population["sign"][:, 18:27], np.tile([-1, 1, 1, 1, 1, 1, 1, 1, -1], (64, 1)))
    assert np.all(mask[:, 18:27] == np.tile([1, 0, 0, 0, 1, 0, 0, 0, 1], (64, 1)).astype(bool))
    np.testing.assert_allclose(np.log(decoded["M_R2"]), population["log_scalars"][:, 0], rtol=1e-14)
    assert decoded["M_R2"].min() >= 1000.0 and decoded["M_S1"].max() <= 3000.0
