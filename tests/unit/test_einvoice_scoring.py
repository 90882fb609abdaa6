"""E-invoice scoring conventions (evaluate.metrics): legal forms, credit-note magnitudes, description prefixes."""

from __future__ import annotations

from tillroll.document import LineItem
from tillroll.evaluate.metrics import description_prefix_ok, line_item_scores, magnitude, without_legal_form


def test_trailing_legal_forms_are_dropped_and_nothing_else() -> None:
    assert without_legal_form("Au bon moulin SARL") == "Au bon moulin"
    assert without_legal_form("Muster Werkzeug GmbH & Co. KG") == "Muster Werkzeug"
    assert without_legal_form("ACME S.A.") == "ACME"
    # A name that is only a legal form, or has none, stays.
    assert without_legal_form("SARL") == "SARL"
    assert without_legal_form("Die Vordefinierte Firma") == "Die Vordefinierte Firma"
    # Only at the end: "AG Nord Logistik" keeps its first word.
    assert without_legal_form("AG Nord Logistik") == "AG Nord Logistik"


def test_magnitude_strips_only_a_minus_sign_of_a_number() -> None:
    assert magnitude("-14.99") == "14.99"
    assert magnitude("14.99") == "14.99"
    assert magnitude(None) is None
    assert magnitude("-FR123") == "-FR123"


def test_description_prefix_needs_the_amount_row() -> None:
    row = "400,00 Ballons: various colors, 19% 0,79 € 316,00 €"
    assert description_prefix_ok("Ballons", "Ballons: various colors, ~2000ml", row)
    # The description must start on the amount's row: text gathered from elsewhere earns nothing.
    assert not description_prefix_ok("Ballons", "Ballons: various colors", "Summe 316,00 €")
    assert not description_prefix_ok("Ballons", "Ballons", None)
    # The gold must open the prediction, not sit inside it.
    assert not description_prefix_ok("colors", "Ballons: various colors", row)


def test_line_item_prefix_rule_only_with_rows() -> None:
    gold = [LineItem(description="Ballons", amount="316.00")]
    pred = [LineItem(description="Ballons: various colors, ~2000ml", amount="316.00")]
    assert line_item_scores([(gold, pred)])["tp"] == 0  # receipts: fuzzy ratio only
    assert line_item_scores([(gold, pred)], rows=[["400,00 Ballons: various colors, 316,00 €"]])["tp"] == 1
    # The same amount on a wrong description still misses.
    wrong = [LineItem(description="Heiße Luft", amount="316.00")]
    assert line_item_scores([(gold, wrong)], rows=[["Heiße Luft 316,00"]])["tp"] == 0
