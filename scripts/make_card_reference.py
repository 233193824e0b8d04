"""Write docs/cards.md: every card key with type, default and meaning, from the code's records.

    python scripts/make_card_reference.py
"""

from pathlib import Path

from flavorscan.scanner.cardref import render

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "cards.md"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
