"""Every class of bad card gives exit status 2 and exactly one line on stderr, never a traceback."""

import pytest

from flavorscan.scanner.cli import main

GOOD_POINT = """
model = "lq"
measurements = "paper2022"
[point]
M_R2 = 1500.0
M_S1 = 1200.0
m0I0 = 1.73e-6
nu_term_signs = [1, -1, -1]
fR = [[0,0,0],[0.13,0,-0.027],[0.036,0.01,0]]
"""

BAD_CARDS = {
    "malformed TOML": ("model = 'lq'\n[point\n", "malformed TOML"),
    "unknown top-level key": (GOOD_POINT + "\ncolour = 1\n", "colour: unknown key"),
    "unknown point key": (GOOD_POINT.replace("M_S1 =", "M_S2 = 1.0\nM_S1 ="), "point.M_S2: unknown key"),
    "wrong type": (GOOD_POINT.replace("1500.0", '"heavy"'), "point.M_R2: expected a number"),
    "boolean as number": (GOOD_POINT.replace("1500.0", "true"), "point.M_R2: expected a number"),
    "negative mass": (GOOD_POINT.replace("1500.0", "-1500.0"), "point.M_R2: must be > 0"),
    "nan": (GOOD_POINT.replace("1.73e-6", "nan"), "point.m0I0: must be finite"),
    "non-3x3 matrix": (GOOD_POINT.replace("[0.036,0.01,0]]", "[0.036,0.01]]"), "point.fR: expected a 3x3 matrix"),
    "string in matrix": (GOOD_POINT.replace("0.13", '"x"'), "point.fR[1][0]: expected a number"),
    "missing signs": (GOOD_POINT.replace("nu_term_signs = [1, -1, -1]\n", ""), "point.nu_term_signs: required"),
    "bad signs": (GOOD_POINT.replace("[1, -1, -1]", "[1, 2, -1]"), "point.nu_term_signs: expected three entries"),
    "missing mass": (GOOD_POINT.replace("M_S1 = 1200.0\n", ""), "point.M_S1: missing"),
    "m0I0 and I0": (GOOD_POINT + "theta = 0.1\n", "point.m0I0: give either"),
    "unknown model": (GOOD_POINT.replace('"lq"', '"wimp"'), "model: unknown model 'wimp' (allowed: lq, zprime)"),
    "unknown measurement set": (GOOD_POINT.replace("paper2022", "paper1999"), "measurements: must be one of"),
    "unknown constraint": (GOOD_POINT + '\n[constraints]\nenabled = ["dm21_sq", "r_z"]\n', "'r_z' is not a lq constraint"),
    "no point or scan": ('model = "lq"\n', "needs a [point] or a [scan]"),
    "bad quark masses": (GOOD_POINT.replace("nu_term_signs", 'nu_quark_masses = "2TeV"\nnu_term_signs'), "point.nu_quark_masses"),
    "scan lo > hi": ('model = "lq"\n[scan]\nn = 10\nnu_term_signs = [1,-1,-1]\nM_R2 = {range = [2000.0, 1000.0]}\n'
                     'M_S1 = {range = [1000.0, 2000.0]}\nm0I0 = {range = [1e-7, 1e-6], prior = "log"}\n[scan.fR]\nprobability = 0.5\nmagnitude = [0.01, 1.0]\n',
                     "scan.M_R2.range: lo > hi"),
    "scan log prior of zero": ('model = "lq"\n[scan]\nn = 10\nnu_term_signs = [1,-1,-1]\nM_R2 = {range = [1000.0, 2000.0]}\n'
                               'M_S1 = {range = [1000.0, 2000.0]}\nm0I0 = {range = [0.0, 1e-6], prior = "log"}\n[scan.fR]\nprobability = 0.5\nmagnitude = [0.01, 1.0]\n',
                               "scan.m0I0.range: must be > 0"),
    "scan pattern and probability": ('model = "lq"\n[scan]\nn = 10\nnu_term_signs = [1,-1,-1]\nM_R2 = {range = [1000.0, 2000.0]}\n'
                                     'M_S1 = {range = [1000.0, 2000.0]}\nm0I0 = {range = [1e-7, 1e-6]}\n[scan.fR]\nprobability = 0.5\npattern = [[1,1,1],[1,1,1],[1,1,1]]\nmagnitude = [0.01, 1.0]\n',
                                     "scan.fR.pattern: give exactly one"),
    "scan n negative": ('model = "lq"\n[scan]\nn = -5\n', "scan.n: must be >= 1"),
    "repeated constraint": (GOOD_POINT + '\n[constraints]\nenabled = ["delta_a_mu", "delta_a_mu"]\n',
                            "constraints.enabled: 'delta_a_mu' is listed more than once"),
    "scan negative mass": ('model = "lq"\n[scan]\nn = 10\nnu_term_signs = [1,-1,-1]\nM_R2 = {range = [-1300.0, 1700.0]}\n'
                           'M_S1 = {range = [1000.0, 2000.0]}\nm0I0 = {range = [1e-7, 1e-6]}\n[scan.fR]\nprobability = 0.5\nmagnitude = [0.01, 1.0]\n',
                           "scan.M_R2.range: must be > 0"),
    "scan dm3l with sampled m0I0": ('model = "lq"\n[scan]\nn = 10\nmass_scale = "dm3l"\nnu_term_signs = [1,-1,-1]\n'
                                    'M_R2 = {range = [1000.0, 2000.0]}\nM_S1 = {range = [1000.0, 2000.0]}\n'
                                    'm0I0 = {range = [1e-9, 1e-8]}\n[scan.fR]\nprobability = 0.5\nmagnitude = [0.01, 1.0]\n',
                                    'scan.m0I0: mass_scale = "dm3l" fixes m0I0 per texture'),
    "scan dm3l with I0": ('model = "lq"\n[scan]\nn = 10\nmass_scale = "dm3l"\nnu_term_signs = [1,-1,-1]\n'
                          'M_R2 = {range = [1000.0, 2000.0]}\nM_S1 = {range = [1000.0, 2000.0]}\n'
                          '[scan.I0]\ntheta = [0.1, 0.2]\nphi = [0.1, 0.2]\nM1 = [100.0, 200.0]\nM2 = [100.0, 200.0]\n'
                          'M3 = [100.0, 200.0]\nM4 = [100.0, 200.0]\n[scan.fR]\nprobability = 0.5\nmagnitude = [0.01, 1.0]\n',
                          'scan.I0: mass_scale = "dm3l" fixes m0I0 per texture'),
    "scan all probabilities zero": ('model = "lq"\n[scan]\nn = 10\nnu_term_signs = [1,-1,-1]\n'
                                    'M_R2 = {range = [1000.0, 2000.0]}\nM_S1 = {range = [1000.0, 2000.0]}\n'
                                    'm0I0 = {range = [1e-9, 1e-8]}\n[scan.fR]\nprobability = 0.0\nmagnitude = [0.01, 1.0]\n'
                                    '[scan.yL]\npattern = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]\nmagnitude = [0.01, 1.0]\n',
                                    "scan: every coupling entry has probability 0"),
    "scan n beyond 2^53": ('model = "lq"\n[scan]\nn = 10000000000000000000\n', "scan.n"),
    "more than 2^32 chunks": ('model = "lq"\n[scan]\nn = 8589934592\nchunk_size = 1\n', "more than 2^32 chunks"),
}


@pytest.mark.parametrize("name", list(BAD_CARDS))
def test_bad_card_is_one_line_exit_2(name, tmp_path, capsys):
    text, expected = BAD_CARDS[name]
    card = tmp_path / "card.toml"
    card.write_text(text)
    status = main(["point", str(card)])
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.strip().splitlines()) == 1, err
    assert expected in err
    assert "Traceback" not in err


def test_unreadable_cards(tmp_path, capsys):
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00model")
    for path, expected in [(tmp_path / "missing.toml", "no such file"), (tmp_path, "is a directory"),
                           (binary, "not UTF-8")]:
        assert main(["point", str(path)]) == 2
        err = capsys.readouterr().err
        assert expected in err and len(err.strip().splitlines()) == 1


def test_bad_command_line_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["point"])
    assert exit_info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, needle", [
    (["fit", "runs/tx1_nh.toml", "--n-starts", str(10**14)], "--n-starts: must be <= 1048576"),
    (["fit", "runs/tx1_nh.toml", "--steps", str(10**17)], "--steps: must be <= 10000000"),
])
def test_option_limits_are_one_line(argv, needle, capsys):
    """Options obey the limits of the card keys they override: one-line error, exit 2 (before: a
    MemoryError traceback for --n-starts, a run of 1e17 steps for --steps)."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    argv = [str(root / a) if a.startswith("runs/") else a for a in argv]
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2 and needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
