"""The two-step entity tagger (models/kv/segmenter): candidate joins, grouping, lexicon, training, saving."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from formkit import make_form  # noqa: E402

from tillroll.document import Word  # noqa: E402
from tillroll.errors import ModelError  # noqa: E402
from tillroll.models.kv.data import Entity, KvPage  # noqa: E402
from tillroll.models.kv.segmenter import (  # noqa: E402
    PAIR_FEATURES,
    SEGMENT_FEATURES,
    SEGMENT_LABELS,
    SegmentTagger,
    build_lexicon,
    candidate_pairs,
    join_segments,
    lexicon_key,
    pair_targets,
    segment_features,
    segment_targets,
    train_segment_tagger,
)
from tillroll.ocr.lines import assign_lines  # noqa: E402


def _page() -> KvPage:
    """ "Name: John Smith" on one line, "Address:" with a two-line answer to its right, far below a footer.

    Text height 20: the gap "Name:" -> "John" is 3 heights, "John" -> "Smith" a quarter.
    """
    texts = ["Name:", "John", "Smith", "Address:", "14", "Elm", "Street", "Leeds", "Page"]
    boxes = [
        (10, 10, 70, 30), (130, 10, 175, 30), (180, 10, 230, 30),
        (10, 50, 90, 70), (130, 50, 150, 70), (155, 50, 190, 70), (195, 50, 250, 70),
        (130, 74, 180, 94),
        (10, 400, 50, 420),
    ]  # fmt: skip
    entities = [Entity("question", [0]), Entity("answer", [1, 2]), Entity("question", [3]), Entity("answer", [4, 5, 6, 7]), Entity("other", [8])]
    return KvPage(id="t", texts=texts, boxes=boxes, size=(300, 450), entities=entities, links=[(0, 1), (2, 3)], lines=[0, 0, 0, 1, 1, 1, 1, 2, 3])


def test_candidate_pairs_join_line_neighbours_and_the_word_below() -> None:
    page = _page()
    pairs, x = candidate_pairs(page)
    assert x.shape == (len(pairs), len(PAIR_FEATURES))
    found = {tuple(p) for p in pairs.tolist()}
    # Same line, left to right; and a line's word with the nearest overlapping word below it.
    assert {(0, 1), (1, 2), (3, 4), (4, 5), (5, 6)} <= found
    assert (4, 7) in found or (5, 7) in found  # "Leeds" continues the address answer
    assert not any(8 in p for p in found)  # the footer is 16 text heights below: never a candidate
    row = {tuple(p): r for p, r in zip(pairs.tolist(), x)}
    gap = PAIR_FEATURES.index("gap_x")
    assert row[(0, 1)][gap] == pytest.approx(3.0) and row[(1, 2)][gap] == pytest.approx(0.25)
    assert row[(0, 1)][PAIR_FEATURES.index("a_colon")] == 1.0 and row[(0, 1)][PAIR_FEATURES.index("below")] == 0.0
    # Targets: same gold entity or not.
    targets = dict(zip(map(tuple, pairs.tolist()), pair_targets(page, pairs).tolist()))
    assert targets[(0, 1)] == 0 and targets[(1, 2)] == 1 and targets[(3, 4)] == 0


def test_join_segments_groups_connected_words_in_reading_order() -> None:
    pairs = np.array([[0, 1], [1, 2], [3, 4], [4, 7], [5, 6]])
    segs = join_segments(8, pairs, np.array([True, False, False, True, True]))
    assert segs == [[0, 1], [2], [3], [4, 7], [5, 6]]
    assert join_segments(3, np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=bool)) == [[0], [1], [2]]


def test_segment_features_see_the_key_to_the_left() -> None:
    page = _page()
    segs = [[0], [1, 2], [3], [4, 5, 6, 7], [8]]
    x, nb = segment_features(page, segs)
    assert x.shape == (5, len(SEGMENT_FEATURES))
    col = {name: i for i, name in enumerate(SEGMENT_FEATURES)}
    assert nb[1, 0] == 0 and nb[0, 1] == 1  # "John Smith" has "Name:" on its left, and the reverse
    assert x[1, col["left_colon"]] == 1.0 and x[0, col["ends_colon"]] == 1.0
    assert x[3, col["lines"]] == 2 and x[3, col["words"]] == 4
    assert nb[4, 2] == -1 or x[4, col["above_gap"]] > 10  # the footer: nothing near above it
    assert segment_targets(page, segs).tolist() == [SEGMENT_LABELS.index(lab) for lab in ("question", "answer", "question", "answer", "other")]


def test_lexicon_keys_and_shares() -> None:
    assert lexicon_key("Date:") == "date" and lexicon_key("(Name)") == "name"
    assert lexicon_key("12/03/98") is None and lexicon_key("--") is None
    page = _page()
    lex = build_lexicon([page, page], smoothing=0.0, min_count=2)
    assert lex["name"][SEGMENT_LABELS.index("question")] == pytest.approx(1.0)
    assert "leeds" in lex and lex["leeds"][SEGMENT_LABELS.index("answer")] == pytest.approx(1.0)
    assert sum(lex[""]) == pytest.approx(1.0)  # the prior for unseen words


def _form_page(seed: int) -> KvPage:
    form = make_form(seed, n_pairs=7)
    words, owner = [], []
    for e in form:
        for w in e["words"]:
            words.append(Word(id=-1, page=0, text=w["text"], box=tuple(w["box"])))  # type: ignore[arg-type]
            owner.append(e["id"])
    tagged = {id(w): o for w, o in zip(words, owner)}
    ordered = assign_lines(words)
    page = KvPage(id=str(seed), texts=[w.text for w in ordered], boxes=[w.box for w in ordered], size=(800, 1000), lines=[w.line or 0 for w in ordered])
    by_entity: dict[int, list[int]] = {}
    for pos, w in enumerate(ordered):
        by_entity.setdefault(tagged[id(w)], []).append(pos)
    index = {eid: k for k, eid in enumerate(by_entity)}
    page.entities = [Entity(str(form[eid]["label"]), ws) for eid, ws in by_entity.items()]
    page.links = [(index[q], index[a]) for e in form for q, a in e["linking"] if e["id"] == q]
    return page


def test_trained_tagger_finds_the_entities_of_a_new_form_and_survives_saving() -> None:
    pytest.importorskip("sklearn")
    pages = [_form_page(seed) for seed in range(8)]
    tagger, held = train_segment_tagger(pages, max_iter=20)
    assert len(held) == len(pages) and all(isinstance(e, Entity) for h in held for e in h)
    new = _form_page(99)
    found = {(e.label, frozenset(e.words)) for e in tagger.predict(new)}
    gold = {(e.label, frozenset(e.words)) for e in new.entities if e.label != "other"}
    assert len(found & gold) >= 0.9 * len(gold), (found, gold)
    again = SegmentTagger.from_dict(json.loads(json.dumps(tagger.to_dict())))
    assert [(e.label, e.words) for e in again.predict(new)] == [(e.label, e.words) for e in tagger.predict(new)]
    assert again.lexicon == tagger.lexicon and "name" in again.lexicon


def test_a_tagger_saved_with_other_features_is_refused() -> None:
    with pytest.raises(ModelError, match="retrain"):
        SegmentTagger.from_dict({"pair_features": ["x"], "segment_features": list(SEGMENT_FEATURES), "labels": list(SEGMENT_LABELS)})


def test_an_empty_page_has_no_entities() -> None:
    empty = KvPage(id="e", texts=[], boxes=[], size=(100, 100))
    pairs, x = candidate_pairs(empty)
    assert pairs.shape == (0, 2) and x.shape == (0, len(PAIR_FEATURES))
    x, nb = segment_features(empty, [])
    assert x.shape == (0, len(SEGMENT_FEATURES)) and nb.shape == (0, 4)


def test_group_ids_must_cover_every_page() -> None:
    pages = [_form_page(seed) for seed in range(4)]
    with pytest.raises(ModelError, match="group ids"):
        train_segment_tagger(pages, groups=[0, 1])
