"""Every metric against small cases computed by hand (perfect, all wrong, empty predictions, mixed)."""

from __future__ import annotations

import pytest

from tillroll.document import Field, KeyValue, LineItem
from tillroll.evaluate import metrics
from tillroll.evaluate.values import lenient_match, normalise_value


def f(text: str, value: str | None = None) -> Field:
    return Field(text=text, value=value if value is not None else text, confidence=1.0, word_ids=[], source="model")


# ---------------------------------------------------------------- word labels


def test_metrics_word_labels_mixed_case_by_hand() -> None:
    gold = ["total", "misc", "misc", "date_time"]
    pred = ["total", "total", "misc", "misc"]
    r = metrics.word_label_report(gold, pred)
    assert r.prf("total").to_dict()["precision"] == 0.5 and r.prf("total").recall == 1.0
    assert round(r.prf("total").f1, 4) == 0.6667
    assert (r.prf("misc").precision, r.prf("misc").recall) == (0.5, 0.5)
    assert r.prf("date_time").f1 == 0.0
    av = r.averages()
    assert av["micro"]["f1"] == 0.5 == r.accuracy()
    assert av["micro_no_misc"]["f1"] == 0.5  # total+date_time: tp 1, fp 1, fn 1
    assert av["macro"]["f1"] == round((2 / 3 + 0.5 + 0) / 3, 4)
    assert av["weighted"]["f1"] == round((2 / 3 * 1 + 0.5 * 2 + 0 * 1) / 4, 4)
    assert r.matrix[r.labels.index("misc")][r.labels.index("total")] == 1


def test_metrics_word_labels_perfect() -> None:
    gold = ["shop_name", "address", "misc", "total"]
    av = metrics.word_label_report(gold, list(gold)).averages()
    assert all(av[k]["f1"] == 1.0 for k in ("micro", "micro_no_misc", "macro", "weighted"))


def test_metrics_word_labels_all_wrong() -> None:
    r = metrics.word_label_report(["total", "total"], ["misc", "misc"])
    av = r.averages()
    assert av["micro"]["f1"] == 0.0 and av["macro"]["f1"] == 0.0 and av["weighted"]["f1"] == 0.0
    assert r.prf("total").to_dict() == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 0, "fn": 2}


def test_metrics_word_labels_empty_predictions_count_as_misc() -> None:
    r = metrics.word_label_report(["total", "misc"], [None, None])
    assert r.prf("total").to_dict()["recall"] == 0.0
    assert (r.prf("misc").precision, r.prf("misc").recall) == (0.5, 1.0)


def test_metrics_word_labels_no_words_at_all() -> None:
    r = metrics.word_label_report([], [])
    assert r.total == 0 and r.averages()["micro"]["f1"] == 0.0 and r.accuracy() == 0.0


def test_metrics_word_labels_unannotated_labels_fold_into_misc() -> None:
    # SROIE does not annotate telephones: a found phone number is neither right nor wrong.
    r = metrics.word_label_report(["misc", "total"], ["telephone", "total"], restrict_to={"total", "misc"})
    assert r.averages()["micro"]["f1"] == 1.0
    assert r.support("telephone") == 0


def test_metrics_word_labels_reject_mismatched_lengths_and_unknown_labels() -> None:
    with pytest.raises(ValueError, match="same words"):
        metrics.word_label_report(["misc"], [])
    with pytest.raises(ValueError, match="unknown label"):
        metrics.word_label_report(["price"], ["misc"])


def test_metrics_reports_add_up_like_pooled_counts() -> None:
    a = metrics.word_label_report(["total", "misc"], ["total", "total"])
    b = metrics.word_label_report(["misc"], ["misc"])
    pooled = metrics.word_label_report(["total", "misc", "misc"], ["total", "total", "misc"])
    assert (a + b).matrix == pooled.matrix


def test_metrics_confusion_text_and_png(tmp_path) -> None:
    r = metrics.word_label_report(["total", "misc", "misc"], ["total", "total", "misc"])
    text = r.confusion_text()
    assert text.splitlines()[0].split()[-2:] == ["total", "misc"]
    row_misc = next(line for line in text.splitlines() if line.startswith("misc"))
    assert row_misc.split()[1:] == ["1", "1"]  # gold misc: 1 predicted total, 1 misc
    png = r.plot_confusion(tmp_path / "c.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- fields


def test_metrics_fields_exact_and_lenient_by_hand() -> None:
    gold = {"total": f("9.00"), "date": f("05/03/2018", "2018-03-05"), "shop_name": f("KEDAI AMAN SDN BHD")}
    pred = {
        "total": f("RM 9.0", "9.00"),  # exact (same normalised value)
        "date": f("5 Mar 2018", "2018-05-03"),  # wrong value: FP and FN (exact); lenient parses the text
        "shop_name": f("Kedai Aman Sdn. Bhd."),  # lenient only (punctuation)
        "telephone": f("03-1234567"),  # not in gold: FP
    }
    s = metrics.field_scores([(gold, pred)])
    exact, lenient = s["exact"], s["lenient"]
    assert exact["per_field"]["total"]["f1"] == 1.0
    assert exact["per_field"]["date"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 1, "fn": 1, "support": 1}
    assert exact["micro"]["tp"] == 1 and exact["micro"]["fp"] == 3 and exact["micro"]["fn"] == 2
    assert lenient["per_field"]["shop_name"]["f1"] == 1.0
    assert lenient["per_field"]["date"]["f1"] == 1.0
    assert lenient["micro"]["tp"] == 3 and lenient["micro"]["fp"] == 1 and lenient["micro"]["fn"] == 0
    assert "vat_info" not in exact["per_field"]  # absent on both sides: not scored


def test_metrics_fields_empty_prediction_and_perfect() -> None:
    gold = {"total": f("9.00"), "address": f("NO 12, JALAN MAWAR")}
    empty = metrics.field_scores([(gold, {})])["exact"]["micro"]
    assert (empty["precision"], empty["recall"], empty["fn"]) == (0.0, 0.0, 2)
    perfect = metrics.field_scores([(gold, dict(gold))])["exact"]
    assert perfect["micro"]["f1"] == 1.0 and perfect["macro_f1"] == 1.0


def test_metrics_sroie_scores_compare_printed_strings() -> None:
    gold = {"shop_name": f("KEDAI  RUNCIT"), "address": f("NO 12, JALAN"), "date": f("05/03/2018", "2018-03-05"), "total": f("9.00")}
    pred = {"shop_name": f("kedai runcit"), "address": f("NO 12 JALAN"), "date": f("05/03/2018", "2018-03-05"), "total": f("RM 9.00", "9.00")}
    s = metrics.sroie_scores([(gold, pred)])
    assert s["per_entity"]["company"]["f1"] == 1.0  # case and spacing aside
    assert s["per_entity"]["address"]["f1"] == 0.0  # a missing comma is a different string
    assert s["per_entity"]["total"]["f1"] == 1.0  # by normalised amount
    assert s["micro"]["tp"] == 3 and s["micro"]["fp"] == 1 and s["micro"]["fn"] == 1


# ---------------------------------------------------------------- line items and key-value pairs


def test_metrics_line_items_by_hand() -> None:
    gold = [LineItem("BIBIM OCTOPUS", "1", None, "13.99"), LineItem("PORK DUMPLING", "2", None, "8.99")]
    pred = [
        LineItem("Bibim. Octopus", "1", None, "$13.99"),
        LineItem("PORK DUMPLING", "2", None, "9.99"),  # amount wrong: not a match
        LineItem("SERVICE CHARGE", None, None, "1.00"),
    ]
    s = metrics.line_item_scores([(gold, pred)])
    assert (s["tp"], s["fp"], s["fn"]) == (1, 2, 1)
    assert s["precision"] == round(1 / 3, 4) and s["recall"] == 0.5 and s["f1"] == 0.4
    assert s["attributes"]["quantity"] == {"correct": 1, "of": 1, "accuracy": 1.0}


def test_metrics_line_items_empty_and_perfect() -> None:
    gold = [LineItem("A B C", None, None, "1.00")]
    assert metrics.line_item_scores([(gold, [])])["f1"] == 0.0
    assert metrics.line_item_scores([(gold, list(gold))])["f1"] == 1.0
    assert metrics.line_item_scores([([], [])])["f1"] == 0.0  # nothing to find, nothing found


def test_metrics_key_values_by_hand() -> None:
    gold = [KeyValue("Date:", "9/ 3/ 92"), KeyValue("Name:", "M. Hamann")]
    assert metrics.key_value_scores([(gold, [KeyValue("date", "9/3/92")])])["f1"] == round(2 * 1 * 0.5 / 1.5, 4)
    assert metrics.key_value_scores([(gold, [])])["recall"] == 0.0
    assert metrics.key_value_scores([(gold, list(gold))])["f1"] == 1.0
    near = [KeyValue("Date:", "9/ 3/ 92"), KeyValue("Name:", "M. Hamanm")]
    assert metrics.key_value_scores([(gold, near)])["tp"] == 1
    assert metrics.key_value_scores([(gold, near)], min_similarity=85)["tp"] == 2


# ---------------------------------------------------------------- OCR text


def test_metrics_ocr_one_wrong_character_by_hand() -> None:
    counts = metrics.ocr_counts(["TOTAL 9.00"], ["TOTAL 9.0O"], ["TOTAL", "9.00"], ["TOTAL", "9.0O"])
    r = metrics.ocr_report(counts)
    assert r["cer"] == 0.1 and r["char_accuracy"] == 0.9
    assert r["wer"] == 0.5 and r["word_accuracy"] == 0.5
    assert r["avg_levenshtein"] == 0.5  # 1 edit over 2 gold words
    assert r["macro_precision"] == r["macro_recall"] == r["macro_f1"] == 0.5


def test_metrics_ocr_perfect_empty_and_case_options() -> None:
    perfect = metrics.ocr_report(metrics.ocr_counts(["A B"], ["A B"], ["A", "B"], ["A", "B"]))
    assert perfect["cer"] == 0.0 and perfect["macro_f1"] == 1.0
    nothing = metrics.ocr_report(metrics.ocr_counts(["AB CD"], [""], ["AB", "CD"], []))
    assert nothing["cer"] == 1.0 and nothing["char_accuracy"] == 0.0 and nothing["macro_recall"] == 0.0
    folded = metrics.ocr_report(metrics.ocr_counts(["TOTAL"], ["Total"], ["TOTAL"], ["Total"], case_sensitive=False))
    assert folded["cer"] == 0.0
    masked = metrics.ocr_report(metrics.ocr_counts(["***", "OK"], ["谢谢", "OK"], ["***", "OK"], ["谢谢", "OK"]))
    assert masked["cer"] == 0.0  # SROIE's mask for untranscribed text is not compared
    unspaced = metrics.ocr_report(metrics.ocr_counts(["KOREANRESTAURANT"], ["KOREAN RESTAURANT"], [], [], spaced=False))
    assert unspaced["cer"] == 0.0 and unspaced["wer"] == 0.0


def test_metrics_ocr_counts_pool_over_documents() -> None:
    a = metrics.ocr_counts(["ABCD"], ["ABCD"], ["ABCD"], ["ABCD"])
    b = metrics.ocr_counts(["ABCD"], ["ABXD"], ["ABCD"], ["ABXD"])
    r = metrics.ocr_report(a + b)
    assert r["documents"] == 2 and r["cer"] == 0.125 and r["macro_recall"] == 0.5


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("field", "gold", "pred", "expected"),
    [
        ("total", ("9.00", "9.00"), ("RM9.0", "9.0"), True),
        ("total", ("9.00", "9.00"), ("9.10", "9.10"), False),
        ("date", ("05/03/2018", "2018-03-05"), ("5 Mar 2018", "5 Mar 2018"), True),
        ("address", ("NO 12, JALAN", "NO 12, JALAN"), ("no 12 jalan", "no 12 jalan"), True),
        ("address", ("NO 12, JALAN", "NO 12, JALAN"), ("NO 13, JALAN", "NO 13, JALAN"), False),
        ("time", ("14:22:10", "14:22:10"), ("2:22 PM", "14:22:00"), True),
        # One number written nationally (trunk 0) and in E.164 (country code, no 0).
        ("telephone", ("0121 454 5368", "01214545368"), ("+44 121 454 5368", "+441214545368"), True),
        ("telephone", ("0121 454 5368", "01214545368"), ("+44 121 454 5369", "+441214545369"), False),
        ("telephone", ("0121 454 5368", "01214545368"), ("1214545368", "1214545368"), True),
    ],
)
def test_values_lenient_match(field: str, gold: tuple[str, str], pred: tuple[str, str], expected: bool) -> None:
    assert lenient_match(field, gold, pred) is expected


def test_values_normalise_gold_like_the_pipeline() -> None:
    assert normalise_value("total", "RM 1,234.50", country="MY") == ("1234.50", "MYR")
    assert normalise_value("date", "05/03/2018")[0] == "2018-03-05"
    assert normalise_value("date", "-27-02-2014")[0] == "2014-02-27"  # a separator boxed with the date
    assert normalise_value("address", "  NO 12,\n JALAN ") == ("NO 12, JALAN", None)
    assert normalise_value("total", "N/A") == ("N/A", None)  # unparseable: kept, still scored


def test_metrics_ocr_unspaced_tokens_compare_without_spaces() -> None:
    counts = metrics.ocr_counts(["KOREANRESTAURANT"], ["KOREAN RESTAURANT"], ["KOREANRESTAURANT"], ["KOREAN RESTAURANT", "noise"], spaced=False)
    r = metrics.ocr_report(counts)
    assert r["macro_recall"] == 1.0 and r["macro_precision"] == 0.5


def test_metrics_fields_exact_ignores_case_of_names_only() -> None:
    gold = {"shop_name": f("KEDAI AMAN"), "vat_info": f("MT1234", "MT1234")}
    pred = {"shop_name": f("Kedai  Aman"), "vat_info": f("mt1234", "mt1234")}
    per = metrics.field_scores([(gold, pred)])["exact"]["per_field"]
    assert per["shop_name"]["f1"] == 1.0 and per["vat_info"]["f1"] == 0.0


def test_metrics_fields_strict_compares_letters_and_digits_of_names_and_values_of_the_rest() -> None:
    gold = {
        "shop_name": f("SECURE PARKING - MENARA"),
        "address": f("NO 12, JALAN MAWAR"),
        "date": f("05/03/2018", "2018-03-05"),
        "total": f("9.00"),
    }
    pred = {
        "shop_name": f("Secure Parking Menara"),  # case, spaces and punctuation only: right
        "address": f("NO 12 JALAN MAWAR 2"),  # an extra digit: wrong
        "date": f("5 Mar 2018", "2018-03-06"),  # another day: wrong even if printed alike
        "total": f("RM 9.00", "9.00"),
    }
    strict = metrics.field_scores([(gold, pred)])["strict"]
    assert strict["per_field"]["shop_name"]["f1"] == 1.0
    assert strict["per_field"]["address"]["f1"] == 0.0
    assert strict["per_field"]["date"]["f1"] == 0.0
    assert strict["per_field"]["total"]["f1"] == 1.0
    assert (strict["micro"]["tp"], strict["micro"]["fp"], strict["micro"]["fn"]) == (2, 2, 2)
    exact = metrics.field_scores([(gold, pred)])["exact"]
    assert exact["per_field"]["shop_name"]["f1"] == 0.0  # exact keeps punctuation


def test_metrics_strict_match_never_matches_empty_letters() -> None:
    from tillroll.evaluate.values import strict_match

    assert not strict_match("***", "---", "shop_name")  # nothing alphanumeric to compare
    assert not strict_match(None, "X", "address")
    assert strict_match("7-Eleven", "7 ELEVEN", "shop_name")
