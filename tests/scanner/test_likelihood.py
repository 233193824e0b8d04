"""The likelihood as data: shipped sets and user measurement files validated, overrides applied, the values
part of the run identity, listings and did-you-mean (docs/likelihood.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flavorscan.scanner.cli import main
from flavorscan.scanner.config import load_card
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.likelihood import shipped_set

ROOT = Path(__file__).resolve().parents[2]
TX1 = (ROOT / "runs" / "tx1_nh.toml").read_text()


def cli(capsys, *args):
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("name", ["paper2022", "current"])
def test_shipped_sets_validate_and_every_entry_has_a_structured_source(name):
    data = shipped_set(name)
    assert len(data["constraint"]) > 40
    for entry_name, entry in data["constraint"].items():
        assert "text" in entry["source"], entry_name


def write_card(tmp_path, text, measurements=None):
    card = tmp_path / "card.toml"
    if measurements is not None:
        (tmp_path / "mine.toml").write_text(measurements)
        text = text.replace('measurements = "paper2022"', 'measurements = "paper2022"\nmeasurements_file = "mine.toml"')
    card.write_text(text)
    return card


def test_user_file_replaces_a_constraint_and_changes_the_verdict(tmp_path, capsys):
    """TX-I fails br_tau_e_gamma (3.37e-8 > 3.3e-8); a user limit of 5e-8 makes it pass, and the JSON names
    the limit it was compared to."""
    code, out, err = cli(capsys, "point", ROOT / "runs" / "tx1_nh.toml", "--json")
    assert code == 0, err
    before = json.loads(out)["constraints"]["br_tau_e_gamma"]
    assert before["pass"] is False and before["compared_to"] == 3.3e-8
    card = write_card(tmp_path, TX1, '[constraint.br_tau_e_gamma]\nkind = "upper_limit"\n'
                                      'observable = "br_tau_e_gamma"\nvalue = 5e-8\n')
    code, out, err = cli(capsys, "point", card, "--json")
    assert code == 0, err
    after = json.loads(out)["constraints"]["br_tau_e_gamma"]
    assert after["pass"] is True and after["compared_to"] == 5e-8
    assert after["value"] == before["value"] and after["ratio"] == pytest.approx(after["value"] / 5e-8)


def test_user_file_adds_a_constraint(tmp_path, capsys):
    card = write_card(tmp_path, TX1, '[constraint.my_m1]\nkind = "upper_limit"\nobservable = "m1_eV"\nvalue = 1e-3\n'
                                      'source = { text = "a test limit" }\n')
    resolved = load_card(card)
    names = [c["name"] for c in resolved["likelihood"]["constraints"]]
    assert "my_m1" in names and resolved["likelihood"]["user_constraints"] == ["my_m1"]
    code, out, err = cli(capsys, "point", card, "--json")
    assert json.loads(out)["constraints"]["my_m1"]["pass"] is False  # m1 = 6.7e-3 eV


@pytest.mark.parametrize("entry, message", [
    ('[constraint.x]\nkind = "upper_limt"\nobservable = "m1_eV"\nvalue = 1.0\n', "did you mean 'upper_limit'"),
    ('[constraint.x]\nkind = "upper_limit"\nobservable = "m1_eV"\n', "constraint.x.value: missing"),
    ('[constraint.x]\nkind = "upper_limit"\nobservable = "m1_eV"\nvalue = nan\n', "must be finite"),
    ('[constraint.x]\nkind = "upper_limit"\nobservable = "m1_ev"\nvalue = 1.0\n', "did you mean 'm1_eV'"),
    ('[constraint.x]\nkind = "gaussian"\nobservable = "r_d"\nvalue = 0.3\n', "sigma: missing"),
    ('[constraint.x]\nkind = "range"\nobservable = "r_d"\nlo = 1.0\nhi = 0.0\n', "lo > hi"),
    ('[constraint.x]\nkind = "upper_limit"\nobservable = "m1_eV"\nvalue = 1.0\ncolour = 1\n', "unknown field"),
    ('[constraint.x]\nkind = "upper_limit"\nobservable = "m1_eV"\nvalue = 1.0\nsource = { txt = "a" }\n', "txt"),
    ('[ckm]\nlambda = 0.2\n', "holds only [constraint.<name>] tables"),
    ('title = "x"\n', "holds only"),
    ('[constraint.x\n', "malformed TOML"),
])
def test_bad_measurement_files_are_one_line_errors(tmp_path, capsys, entry, message):
    card = write_card(tmp_path, TX1, entry)
    code, out, err = cli(capsys, "point", card)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err, err


def test_missing_measurement_file_is_one_line(tmp_path, capsys):
    card = tmp_path / "card.toml"
    card.write_text(TX1.replace('measurements = "paper2022"', 'measurements = "paper2022"\nmeasurements_file = "nope.toml"'))
    code, _, err = cli(capsys, "point", card)
    assert code == 2 and "nope.toml: no such file" in err


def test_misspelled_constraint_names_only_the_closest_matches(tmp_path, capsys):
    card = tmp_path / "card.toml"
    card.write_text(TX1 + '\n[constraints]\nenabled = ["br_tau_e_gama"]\n')
    code, _, err = cli(capsys, "point", card)
    assert code == 2 and "did you mean 'br_tau_e_gamma'" in err
    assert "dm21_sq" not in err  # not the whole list


def test_mass_floor_alias_sets_the_limit(tmp_path):
    card = tmp_path / "card.toml"
    card.write_text(TX1 + '\n[constraints]\nmass_floor_R2 = 1800.0\n')
    entry = next(c for c in load_card(card)["likelihood"]["constraints"] if c["name"] == "bound_mass_r2")
    assert entry["value"] == 1800.0


def test_values_are_part_of_the_identity_and_resuming_with_others_is_refused(tmp_path, capsys):
    """Two shards into one directory with different values of one measurement: the second is refused and the
    message names what changed."""
    quick = (ROOT / "runs" / "quickstart.toml").read_text()
    (tmp_path / "mine.toml").write_text('[constraint.delta_a_mu]\nkind = "gaussian"\nobservable = "delta_a_mu"\n'
                                        'value = 2.51e-9\nsigma = 5.9e-10\n')
    card = tmp_path / "scan.toml"
    card.write_text(quick.replace('measurements = "paper2022"',
                                  'measurements = "paper2022"\nmeasurements_file = "mine.toml"'))
    out = tmp_path / "run"
    code, _, err = cli(capsys, "run", card, "--out", out, "--n", 64, "--shard", "0/2", "--quiet")
    assert code == 0, err
    (tmp_path / "mine.toml").write_text((tmp_path / "mine.toml").read_text().replace("5.9e-10", "6.0e-10"))
    code, _, err = cli(capsys, "run", card, "--out", out, "--n", 64, "--shard", "1/2", "--quiet")
    assert code == 2 and err.count("\n") == 1
    assert "likelihood.constraints[delta_a_mu].sigma" in err and "5.9e-10" in err and "6e-10" in err
    code, out_text, _ = cli(capsys, "info", out, "--json")
    summary = json.loads(out_text)
    assert summary["likelihood_hash"] == summary["card"]["likelihood"]["hash"]
    assert summary["likelihood_hash"] != load_card(card)["likelihood"]["hash"]  # the file was changed since


def test_constraints_listing_shape(capsys):
    code, out, err = cli(capsys, "constraints", "--json")
    assert code == 0, err
    listing = json.loads(out)
    sets = {c["set"] for c in listing["constraints"]}
    assert sets == {"paper2022", "current"}
    keys = {"name", "kind", "observable", "value", "sigma", "limit", "range", "unit", "default", "source", "approx"}
    for entry in listing["constraints"]:
        assert keys <= set(entry)
    dm21 = next(c for c in listing["constraints"] if c["name"] == "dm21_sq" and c["set"] == "current")
    assert dm21["value"] == shipped_set("current")["constraint"]["dm21_sq"]["no_best"]
    assert dm21["range"] == shipped_set("current")["constraint"]["dm21_sq"]["no_range"]
    assert {"io_value", "io_sigma", "io_range"} <= set(dm21)
    code, out, err = cli(capsys, "constraints", "--set", "paper2022", "--model", "zprime", "--json")
    zp = json.loads(out)
    assert {c["name"] for c in zp["constraints"]} >= {"delta_a_mu", "trident_ratio"}
    assert all("zprime" in c["models"] for c in zp["constraints"])
    code, _, err = cli(capsys, "constraints", "--set", "paper2O22")
    assert code == 2 and "--set" in err


def test_observables_listing(capsys):
    code, out, err = cli(capsys, "observables", "--model", "lq", "--json")
    listing = json.loads(out)
    names = {o["name"] for o in listing["observables"]}
    assert {"dm21_sq", "r_dstar", "br_mu_e_gamma"} <= names
    assert all(o["unit"] is not None and o["description"] for o in listing["observables"])
