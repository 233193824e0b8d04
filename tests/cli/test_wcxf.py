"""flavorscan wcxf: the point's Wilson coefficients round-trip through wilson (the WCxf reference reader)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flavorscan.scanner.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_wcxf_file_round_trips_through_wilson(tmp_path, capsys, suffix):
    wilson = pytest.importorskip("wilson")
    code, out, err = run(capsys, "point", ROOT / "runs" / "tx1_nh.toml", "--json")
    observables = json.loads(out)["observables"]
    target = tmp_path / f"tx1{suffix}"
    code, out, err = run(capsys, "wcxf", ROOT / "runs" / "tx1_nh.toml", "-o", target)
    assert code == 0, err
    with open(target) as handle:
        w = wilson.Wilson.load_wc(handle)
    assert (w.wc.eft, w.wc.basis, w.wc.scale) == ("WET", "flavio", 4.8)
    values = w.wc.dict
    # a b -> s l l and a b -> c tau nu coefficient, exactly flavorscan's own
    assert values["C9_bsee"] == complex(observables["c9_ee"], observables["c9_ee_im"])
    assert values["C10_bsee"] == complex(observables["c10_ee"], observables["c10_ee_im"])
    # b -> c tau nu: flavio normalises the SM coefficient to eta_EW, the kernels to 1 (same amplitude)
    eta_ew = 1.00709
    assert values["CSL_bctaunumu"] == pytest.approx(eta_ew * complex(observables["c_sl_numu"], observables["c_sl_numu_im"]), rel=1e-5)
    assert values["CT_bctaunumu"] == pytest.approx(eta_ew * complex(observables["c_t_numu"], observables["c_t_numu_im"]), rel=1e-5)
    # wilson accepts it as a WET point: running within the WET to the same scale leaves it unchanged
    again = w.match_run(scale=4.8, eft="WET", basis="flavio", sectors=("sbee",))
    assert again["C9_bsee"] == pytest.approx(values["C9_bsee"], rel=1e-12)


def test_wcxf_refuses_a_model_without_coefficients_and_bad_outputs(tmp_path, capsys):
    zprime = tmp_path / "z.toml"
    zprime.write_text('model = "zprime"\n[point]\ncharges = "Lmu-Ltau"\ng_X = 1e-3\nm_Zp = 0.1\n')
    code, out, err = run(capsys, "wcxf", zprime, "-o", tmp_path / "z.yaml")
    assert code == 2 and "exports no Wilson coefficients" in err
    (tmp_path / "dir").mkdir()
    code, out, err = run(capsys, "wcxf", ROOT / "runs" / "tx1_nh.toml", "-o", tmp_path / "dir")
    assert code == 2 and "is a directory" in err
