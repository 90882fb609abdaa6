from __future__ import annotations

import pytest


def test_extract_assemble_field_source_tie_is_decided_the_same_in_every_process() -> None:
    """Half model, half rule words: the source must not depend on the process's string hashing."""
    import subprocess
    import sys

    code = (
        "from tillroll.document import Word; from tillroll.extract.assembly.common import _source;"
        "ws=[Word(0,0,'CAFE',(0,0,1,1),label_source='model'),Word(1,0,'LUNA',(1,0,2,1),label_source='rule')];"
        "print(_source(ws))"
    )
    seen = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONHASHSEED": str(seed)}, check=True).stdout.strip()
        for seed in range(6)
    }
    assert seen == {"rule"}


def _labelled(rows: list[str], labels: dict[str, str]):
    """A hand-built receipt whose words carry model labels (word text -> label; the rest misc)."""
    from receipt_builder import build

    doc = build(rows)
    for w in doc.words:
        w.set_label(labels.get(w.text, "misc"), 0.9, "model")
    return doc


def test_extract_assemble_prefers_a_real_total_to_a_zero_balance() -> None:
    from tillroll.extract.assemble import AssembleStage

    doc = _labelled(
        ["COFFEE            3.50", "TOTAL            12.40", "BALANCE DUE       0.00"],
        {"TOTAL": "total", "12.40": "total", "BALANCE": "total", "DUE": "total", "0.00": "total"},
    )
    doc = AssembleStage(entity_db=False).__call__(doc)
    assert doc.fields["total"].value == "12.40"


def test_extract_assemble_drops_a_tax_as_large_as_the_total() -> None:
    from tillroll.extract.assemble import AssembleStage

    doc = _labelled(
        ["COFFEE            3.50", "TOTAL            12.40", "PAID BY CARD     12.40"],
        {"TOTAL": "total", "12.40": "total", "CARD": "vat_included"},
    )
    card_amount = doc.lines()[2][-1]
    card_amount.set_label("vat_included", 0.9, "model")
    doc = AssembleStage(entity_db=False).__call__(doc)
    assert "vat_included" not in doc.fields


def test_extract_assemble_drops_captions_and_a_trailing_tax_number_from_header_fields() -> None:
    from tillroll.extract.assemble import AssembleStage

    doc = _labelled(
        ["OWNED BY: CHEF LEE SDN BHD", "HQ ADD: LOT 3, JALAN KAPAR 41400 KLANG", "GSTID:000468594688", "TOTAL 5.00"],
        {},
    )
    for line, label in zip(doc.lines()[:3], ("shop_name", "address", "address")):
        for w in line:
            w.set_label(label, 0.9, "model")
    doc = AssembleStage(entity_db=False).__call__(doc)
    assert doc.fields["shop_name"].value == "CHEF LEE SDN BHD"
    assert doc.fields["address"].value == "LOT 3, JALAN KAPAR 41400 KLANG"


def test_extract_assemble_drops_a_store_code_after_the_address() -> None:
    from tillroll.extract.assemble import AssembleStage

    doc = _labelled(["99 SPEEDMART", "LOT 2407, JALAN DUA", "52100 KEPONG BARU, KL Site: 2591", "TOTAL 5.00"], {})
    for line, label in zip(doc.lines()[:3], ("shop_name", "address", "address")):
        for w in line:
            w.set_label(label, 0.9, "model")
    doc = AssembleStage(entity_db=False).__call__(doc)
    assert doc.fields["address"].value == "LOT 2407, JALAN DUA 52100 KEPONG BARU, KL"


def _rules_then_assemble(doc, db=None):
    from tillroll.config import PipelineConfig
    from tillroll.extract.assemble import AssembleStage
    from tillroll.rules.entities import EntityDatabase
    from tillroll.rules.joint import RulesStage

    db = db if db is not None else EntityDatabase(":memory:", seed=False)
    doc = RulesStage(PipelineConfig(), entity_db=db)(doc)
    return AssembleStage(entity_db=db)(doc)


def test_extract_assemble_company_name_continued_from_the_lines_above_its_legal_form() -> None:
    from receipt_builder import build

    branch = [
        "PASAR RAYA MEGA MAJU",
        "(SEMENYIH) SDN BHD",
        "NO 24, JALAN BUNGA RAYA 4,",
        "43500 SEMENYIH, SELANGOR",
        "TEL: 03-8723 1234",
        "03/07/2018 17:22",
        "TOTAL 30.45",
    ]
    assert _rules_then_assemble(build(branch)).fields["shop_name"].value == "PASAR RAYA MEGA MAJU (SEMENYIH) SDN BHD"
    bracket = ["AIK HUAT HARDWARE", "ENTERPRISE (SETIA", "ALAM) SDN BHD", "NO. 17-G, JALAN SETIA INDAH", "40170 SHAH ALAM,", "13/12/2017 17:58", "TOTAL 24.00"]
    assert _rules_then_assemble(build(bracket)).fields["shop_name"].value == "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"


def test_extract_assemble_keeps_a_two_line_name_the_database_knows() -> None:
    """The classifier labels both lines; without the database the second line would look like a slogan."""
    from tillroll.labels import SHOP_NAME
    from tillroll.rules.entities import EntityDatabase

    rows = ["RESTAURANT JIAWEI", "JIAWEI HOUSE", "13, JLN TASIK UTAMA 8", "57000 KL", "11/05/2018 13:14", "TOTAL 27.00"]
    doc = _labelled(
        rows,
        {
            "RESTAURANT": "shop_name",
            "JIAWEI": "shop_name",
            "HOUSE": "shop_name",
            "13,": "address",
            "JLN": "address",
            "TASIK": "address",
            "UTAMA": "address",
            "8": "address",
            "57000": "address",
            "KL": "address",
        },
    )
    db = EntityDatabase(":memory:", seed=False)
    db.add(SHOP_NAME, "RESTAURANT JIAWEI JIAWEI HOUSE")
    assert _rules_then_assemble(doc, db).fields["shop_name"].value == "RESTAURANT JIAWEI JIAWEI HOUSE"


def test_extract_assemble_a_total_keyword_beats_a_payment_line_the_classifier_called_total() -> None:
    """The classifier labels the change and cash lines as total; the TOTAL line's pattern wins."""
    rows = ["SUBTOTAL         $18.94", "TOTAL            $18.94", "---CHANGE DUE---", "US CASH           $0.53"]
    doc = _labelled(rows, {"CHANGE": "total", "DUE": "total", "$0.53": "total"})
    doc = _rules_then_assemble(doc)
    assert doc.fields["total"].value == "18.94"
    assert {w.text for w in doc.words if w.label == "total"} >= {"TOTAL", "$18.94"}  # not sent back to misc


def test_extract_assemble_repairs_digits_read_inside_address_words_in_the_value_only() -> None:
    rows = ["GREEN GROCER", "364 Randa11 Road", "South Elgin, IL 60177", "12/30/2016 19:19", "TOTAL 5.00"]
    doc = _labelled(
        rows,
        {
            "GREEN": "shop_name",
            "GROCER": "shop_name",
            "364": "address",
            "Randa11": "address",
            "Road": "address",
            "South": "address",
            "Elgin,": "address",
            "IL": "address",
            "60177": "address",
        },
    )
    address = _rules_then_assemble(doc).fields["address"]
    assert address.value == "364 Randall Road South Elgin, IL 60177"
    assert address.text == "364 Randa11 Road South Elgin, IL 60177"  # the text stays as printed


def test_extract_assemble_a_store_code_above_the_name_is_not_the_name() -> None:
    from tillroll.extract.assemble import AssembleStage

    rows = ["#B01", "OYAJI RESTAURANT", "(415) 379-3604", "8/9/2008 9:14 PM", "TOTAL 86.26"]
    doc = _labelled(rows, {"#B01": "shop_name", "OYAJI": "shop_name", "RESTAURANT": "shop_name"})
    assert AssembleStage(entity_db=False)(doc).fields["shop_name"].value == "OYAJI RESTAURANT"


@pytest.mark.parametrize(
    ("last_line", "address_end"),
    [
        ("1007 Kane Concourse 305 861-2222", "1007 Kane Concourse"),
        ("56 Main Street Arklow TEL 040241418", "56 Main Street Arklow"),
        ("MIAMI, Florida 33147-9998", "MIAMI, Florida 33147-9998"),  # ZIP+4, not a phone
        ("MIAMI, Florida 33147 9998", "MIAMI, Florida 33147 9998"),
        ("CHENNAI - 600042", "CHENNAI - 600042"),  # a postcode, too short for a phone
    ],
)
def test_extract_assemble_drops_a_phone_number_run_on_after_the_address(last_line: str, address_end: str) -> None:
    from tillroll.extract.assemble import AssembleStage

    rows = ["CAFE LUNA", last_line, "12/30/2016 19:19", "TOTAL 5.00"]
    doc = _labelled(rows, {"CAFE": "shop_name", "LUNA": "shop_name", **dict.fromkeys(last_line.split(), "address")})
    assert AssembleStage(entity_db=False)(doc).fields["address"].value == address_end


def test_extract_assemble_the_time_printed_with_the_date_beats_opening_hours_above_it() -> None:
    from tillroll.extract.assemble import AssembleStage

    doc = _labelled(
        ["CORNER CAFE", "OPEN 8:00AM", "COFFEE            3.50", "02/03/2016 15:56:15", "TOTAL             3.50"],
        {"8:00AM": "date_time", "02/03/2016": "date_time", "15:56:15": "date_time", "TOTAL": "total", "3.50": "total"},
    )
    doc = AssembleStage(entity_db=False)(doc)
    assert doc.fields["date"].value == "2016-03-02"
    assert doc.fields["time"].value == "15:56:15"
    # with no time on the date's line, the first labelled time stays the answer
    doc = _labelled(["OPEN 8:00AM", "02/03/2016"], {"8:00AM": "date_time", "02/03/2016": "date_time"})
    assert AssembleStage(entity_db=False)(doc).fields["time"].value == "08:00:00"


def test_extract_assemble_phone_after_the_tel_keyword_not_the_postcode_before_it() -> None:
    from tillroll.extract.assemble import AssembleStage

    doc = _labelled(
        ["ASTONS", "Singapore 819642 Te1. 65424709", "TOTAL 10.00"],
        {"819642": "telephone", "Te1.": "telephone", "65424709": "telephone", "TOTAL": "total", "10.00": "total"},
    )
    phone = AssembleStage(entity_db=False)(doc).fields["telephone"]
    assert phone.text == "65424709"
    # a fax number printed first on the line does not win either
    doc = _labelled(["Fax: 04-3399326 Tel 04-3399325"], dict.fromkeys(["Fax:", "04-3399326", "Tel", "04-3399325"], "telephone"))
    assert AssembleStage(entity_db=False)(doc).fields["telephone"].text == "04-3399325"


def test_extract_assemble_phone_from_a_partly_labelled_line_or_the_end_of_the_address() -> None:
    from tillroll.extract.assemble import AssembleStage

    doc = _labelled(["LUCKY MART", "0402 41418"], {"LUCKY": "shop_name", "MART": "shop_name", "41418": "telephone"})
    assert AssembleStage(entity_db=False)(doc).fields["telephone"].text == "0402 41418"
    # no phone label at all: the number the address gives up is the phone
    rows = ["NEXUS BREWERY", "1007 Kane Concourse", "Bay Harbor FL 33154", "305 861-2222"]
    labels = dict.fromkeys("1007 Kane Concourse Bay Harbor FL 33154 305 861-2222".split(), "address")
    doc = AssembleStage(entity_db=False)(_labelled(rows, labels))
    assert doc.fields["address"].text.endswith("33154")
    assert doc.fields["telephone"].text == "305 861-2222"


def test_extract_assemble_a_tax_number_after_the_address_is_not_taken_for_the_phone() -> None:
    from tillroll.extract.assemble import AssembleStage

    rows = ["KEDAI MAJU", "12 Jalan Besar", "43000 Kajang", "GST ID: 001234567890"]
    labels = dict.fromkeys("12 Jalan Besar 43000 Kajang GST ID: 001234567890".split(), "address")
    doc = AssembleStage(entity_db=False)(_labelled(rows, labels))
    assert doc.fields["address"].text.endswith("Kajang")
    assert "telephone" not in doc.fields


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (["COFFEE  3.50", "SUB.TOTAL  11.55", "TAX  0.81", "TOTAL  12.36"], "11.55"),
        (["COFFEE  3.50", "SOUS-TOTAL  11.55", "TOTAL  12.36"], "11.55"),
        # the amount under its keyword sits on a line of its own (a right-aligned column)
        (["COFFEE  3.50", "SubTotal:", "55.10", "Total:  63.92"], "55.10"),
        # the amount after the keyword, not the total printed further along the same line
        (["COFFEE  3.50", "NET SALES 100.75 GRAND TOTAL 113.35"], "100.75"),
        # the amount after the keyword, not a quantity figure before it
        (["COFFEE  3.50", "SUB_TOT ITM= 8 Q=10.00 885.00", "VAT 110.63"], "885.00"),
        # a net-amount wording counts only where no subtotal keyword is printed
        (["Netto 19%  17.14", "BAR TOTAL  20.40"], "17.14"),
        (["NET TOTAL  5.33", "SUBTOTAL  6.40", "TOTAL  6.40"], "6.40"),
        (["NETT TOTAL  6.40"], None),  # Malaysian "nett": the amount due, not a subtotal
        # the keyword as OCR mangles it, and the Italian form
        (["Subtotel  23.77", "Sales Tax  1.90"], "23.77"),
        (["SUB CTAL  $96.62", "TOTAL  $99.82"], "96.62"),
        (["SUBTOTALE  24,50", "TOTALE EURO  24,50"], "24.50"),
        # a bare "AMOUNT" caption above the total is the amount before tax; "TOTAL AMOUNT" is not
        (["AMOUNT:  23.24", "Total:  23.24"], "23.24"),
        (["TOTAL AMOUNT:  30.00"], None),
        (["AMOUNT DUE  30.00"], None),
    ],
)
def test_extract_assemble_subtotal_keywords(rows: list[str], expected: str | None) -> None:
    from receipt_builder import build

    from tillroll.extract.assemble import find_subtotal

    found = find_subtotal(build(rows).lines())
    assert (found[1].text if found else None) == expected


def test_extract_assemble_subtotal_from_total_minus_tax_when_no_line_names_it() -> None:
    from tillroll.extract.assemble import AssembleStage

    labels = {"TOTAL": "total", "97.71": "total", "TAX": "vat_included", "14.20": "vat_included"}
    doc = AssembleStage(entity_db=False)(_labelled(["STEAK  60.00", "WINE  23.51", "AMOUNT  83.51", "TAX  14.20", "TOTAL  97.71"], labels))
    assert doc.fields["subtotal"].value == "83.51"
    assert doc.fields["subtotal"].word_ids == [w.id for w in doc.words if w.text == "83.51"]
    # No amount equals total - tax: nothing is invented; an implausible tax (more than what it
    # is charged on) identifies nothing either.
    doc = AssembleStage(entity_db=False)(_labelled(["STEAK  60.00", "TAX  14.20", "TOTAL  97.71"], labels))
    assert "subtotal" not in doc.fields
    labels = {"TOTAL": "total", "5.07": "total", "TAX": "vat_included", "4.20": "vat_included"}
    doc = AssembleStage(entity_db=False)(_labelled(["FEE  0.87", "TAX  4.20", "TOTAL  5.07"], labels))
    assert "subtotal" not in doc.fields


def test_extract_assemble_tax_from_a_vat_summary_row_and_the_line_that_names_the_tax() -> None:
    from tillroll.extract.assemble import AssembleStage

    # Net, tax and gross on one row: the tax is the smaller of the two that add up to the third.
    row = {"A": "vat_included", "19%": "vat_included", "Mwst": "vat_included", "7.31": "vat_included", "1.39": "vat_included", "8.70": "vat_included"}
    doc = AssembleStage(entity_db=False)(
        _labelled(["BROT  8.70", "A 19% Mwst 7.31 1.39 8.70", "SUMME  8.70"], {**row, "SUMME": "total", "8.70": "vat_included"})
    )
    assert doc.fields["vat_included"].value == "1.39"
    assert doc.fields["subtotal"].value == "7.31"  # no subtotal line: the row's net is the amount before tax
    # The turnover a rate is charged on is labelled too, and is larger: the line naming the tax wins.
    labels = dict.fromkeys(("Umsatz", "10%", "inkl.", "26,10", "MwSt", "2,37"), "vat_included")
    doc = AssembleStage(entity_db=False)(_labelled(["Umsatz 10% inkl. 26,10", "MwSt 10% 2,37", "Saldo  32,60"], labels))
    assert doc.fields["vat_included"].value == "2.37"


def test_extract_assemble_phone_run_on_past_the_labelled_address() -> None:
    from tillroll.extract.assemble import AssembleStage

    # The classifier took "0345" for address and left "6779890" unlabelled: together they are the phone.
    rows = ["TESCO", "CRADLEY HEATH 0345 6779890", "TOTAL 5.00"]
    labels = {"TESCO": "shop_name", "CRADLEY": "address", "HEATH": "address", "0345": "address"}
    fields = AssembleStage(entity_db=False)(_labelled(rows, labels)).fields
    assert fields["address"].value == "CRADLEY HEATH"
    assert fields["telephone"].value.endswith("3456779890")
    # Unlabelled digits too short for a phone stay out of the address and out of the phone.
    rows = ["TESCO", "CRADLEY HEATH 0345 12", "TOTAL 5.00"]
    fields = AssembleStage(entity_db=False)(_labelled(rows, labels)).fields
    assert fields["address"].value == "CRADLEY HEATH 0345" and "telephone" not in fields


def test_extract_assemble_a_dotted_date_is_not_the_time() -> None:
    from tillroll.extract.assemble import AssembleStage

    labels = {"10.07.13": "date_time", "21:52": "date_time", "SUMME": "total", "12,40": "total"}
    fields = AssembleStage(entity_db=False)(_labelled(["Datum: 10.07.13 21:52 Tisch: 102", "SUMME  12,40"], labels)).fields
    assert fields["date"].value == "2013-07-10" and fields["time"].value == "21:52:00"


def test_extract_assemble_what_may_open_the_address() -> None:
    from tillroll.extract.assemble import AssembleStage

    def address(rows: list[str], labels: dict[str, str]) -> str | None:
        field = AssembleStage(entity_db=False)(_labelled(rows, labels)).fields.get("address")
        return field.value if field else None

    street = dict.fromkeys(("12", "Main", "St", "Springfield,", "IL", "62701"), "address")
    # A bare number called address above the name is not where the address starts.
    assert address(["27", "CAFE LUNA", "12 Main St", "Springfield, IL 62701"], {"27": "address", **street}) == "12 Main St Springfield, IL 62701"
    # Nor is one stray word in the name's line.
    rows = ["DR MARTIN L KING JR BRANCH", "12 Main St", "Springfield, IL 62701"]
    assert address(rows, {"BRANCH": "address", **street}) == "12 Main St Springfield, IL 62701"
    # A street number sharing its line with the name does start it.
    rows = ["7377 S. RESTAURANT", "JONES BLVD, #116", "LAS VEGAS, NV 89139"]
    labels = dict.fromkeys(("7377", "S.", "JONES", "BLVD,", "#116", "LAS", "VEGAS,", "NV", "89139"), "address")
    assert address(rows, {**labels, "RESTAURANT": "shop_name"}) == "7377 S. JONES BLVD, #116 LAS VEGAS, NV 89139"


def test_extract_assemble_a_code_under_the_address_is_not_part_of_it() -> None:
    from tillroll.extract.assemble import AssembleStage

    def address(rows: list[str]) -> str:
        labels = {w: "address" for row in rows[1:] for w in row.split()}
        return AssembleStage(entity_db=False)(_labelled(rows, {"VALERO": "shop_name", **labels})).fields["address"].value

    assert address(["VALERO", "3301 E CHAPMAN", "ORANGE CA 92869", "L306558024001"]) == "3301 E CHAPMAN ORANGE CA 92869"
    assert address(["VALERO", "Senapati Bapat Marg", "400013"]) == "Senapati Bapat Marg 400013"  # a postcode stays


def test_extract_assemble_a_doubtful_name_line_above_the_address_is_not_address() -> None:
    from tillroll.extract.assemble import AssembleStage

    rows = ["HEMA RESTO", "MENTENG HUIS", "Jl. Cikini Raya No. 2-4", "TOTAL 5.00"]
    doc = _labelled(rows, {"HEMA": "shop_name", "RESTO": "shop_name", **dict.fromkeys(("MENTENG", "HUIS", "Jl.", "Cikini", "Raya", "No.", "2-4"), "address")})
    for w in doc.words:
        if w.text in ("MENTENG", "HUIS"):
            w.set_label("address", 0.7, "model")  # the classifier was unsure of this line
    assert AssembleStage(entity_db=False)(doc).fields["address"].value == "Jl. Cikini Raya No. 2-4"
    # A line the classifier is sure of stays ("Harborne Court" over "65-67 Harborne Road").
    rows = ["CAFE", "Harborne Court", "65-67 Harborne Road"]
    doc = _labelled(rows, {"CAFE": "shop_name", **dict.fromkeys(("Harborne", "Court", "65-67", "Road"), "address")})
    assert AssembleStage(entity_db=False)(doc).fields["address"].value == "Harborne Court 65-67 Harborne Road"


def test_extract_assemble_the_zip_after_the_state_belongs_to_the_address() -> None:
    from tillroll.extract.assemble import AssembleStage

    rows = ["CHIPOTLE", "132 North Glendale Ave", "Glendale, CA 91206", "TOTAL 10.30"]
    labels = {"CHIPOTLE": "shop_name", **dict.fromkeys(("132", "North", "Glendale", "Ave", "Glendale,", "CA"), "address")}
    fields = AssembleStage(entity_db=False)(_labelled(rows, labels)).fields
    assert fields["address"].value == "132 North Glendale Ave Glendale, CA 91206"


def test_extract_assemble_taxes_at_several_rates_add_up() -> None:
    from tillroll.extract.assemble import AssembleStage

    def tax(rows: list[str]) -> str | None:
        labels = {w: "vat_included" for row in rows[:-1] for w in row.split()}
        field = AssembleStage(entity_db=False)(_labelled(rows, {**labels, "TOTAL": "total", "99.00": "total"})).fields.get("vat_included")
        return field.value if field else None

    assert tax(["MwSt. A 19% 1.65", "MwSt. B 7% 1.34", "TOTAL 99.00"]) == "2.99"
    # A line that already sums them is the tax: nothing is added twice.
    assert tax(["MwSt. A 19% 1.65", "MwSt. B 7% 1.34", "TOTAL MWST 2.99", "TOTAL 99.00"]) == "2.99"
    assert tax(["MwSt. A 19% 1.65", "MwSt. B 7% 1.34", "SUMME MWST 3.00", "TOTAL 99.00"]) == "3.00"  # as printed
    # Two different taxes (VAT and a service tax) are not one sum.
    assert tax(["VAT @12.50% 11.06", "SRV.TAX @4.90% 4.34", "TOTAL 99.00"]) == "11.06"


def test_extract_assemble_a_dotted_time_after_the_date() -> None:
    from tillroll.extract.assemble import AssembleStage

    labels = {"07/02/2022": "date_time", "14.39": "date_time", "TOTALE": "total", "12,40": "total"}
    fields = AssembleStage(entity_db=False)(_labelled(["07/02/2022 14.39", "TOTALE  12,40"], labels)).fields
    assert fields["date"].value == "2022-02-07" and fields["time"].value == "14:39:00"
    assert fields["total"].value == "12.40"
