"""docs/cards.md is the reference the code renders now, and every documented key is one the resolvers accept."""

from pathlib import Path

from flavorscan.scanner.cardref import render

ROOT = Path(__file__).resolve().parents[2]


def test_card_reference_is_current():
    """Regenerate with: python scripts/make_card_reference.py"""
    assert (ROOT / "docs" / "cards.md").read_text(encoding="utf-8") == render()


def test_documented_defaults_are_the_resolved_ones():
    """A minimal card gets exactly the documented defaults of [constraints] and [refine]."""
    from flavorscan.scanner.config import CONSTRAINT_KEYS, resolve_card
    from flavorscan.scanner.refine.settings import KEYS as REFINE_KEYS

    card = resolve_card({"model": "lq", "point": {"M_R2": 1000.0, "M_S1": 1000.0, "m0I0": 1e-6,
                                                  "nu_term_signs": [1, -1, -1]}, "refine": {}})
    assert card["measurements"] == "paper2022"
    assert {k.name: k.default for k in CONSTRAINT_KEYS} == card["constraints"]
    assert {k.name: k.default for k in REFINE_KEYS} == card["refine"]
    point = card["point"]
    assert point["nu_quark_masses"] == "1TeV" and point["loop_quark_masses"] == "letter"
