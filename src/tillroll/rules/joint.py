"""The rule-based model as a pipeline stage, standalone or joined to the classifier (paper 6.5).

Order of work on one document:

1. pattern rules are *matched* (not yet applied), because the table and header
   finders use them to know where the header ends and where the totals begin;
2. the line-item processor and the header finder (entity database, layout)
   *propose* labels. A word that already carries a model label keeps it when the
   model's confidence is above `replace_threshold`; when the proposal agrees the
   confidence is raised to 1.0; otherwise the proposal replaces it with
   confidence 0.5 (the paper's policy). Words with no label simply take the proposal;
3. pattern matches are *applied*: they overwrite whatever was there, since a
   hand-written pattern that fired is trusted over the classifier;
4. contextual relabelling smooths runs of address / shop-name / item words;
5. every word still without a label becomes `misc`.

With no model labels (`--model rules`) the same code is the standalone rule model.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import PipelineConfig
from ..document import Document, Page, Word
from ..labels import MISC, TOTAL
from .entities import EntityDatabase
from .header import header_end, propose_header
from .line_items import LINE_ITEM_CONFIDENCE, find_table
from .patterns import match_document_lines
from .relabel import relabel
from .totals import ROUNDING, choose_total

AGREEMENT_CONFIDENCE = 1.0
REPLACED_CONFIDENCE = 0.5
DEFAULT_MISC_CONFIDENCE = 0.5
# Entity-database proposals at least this sure fix the span of a shop name or address.
ENTITY_OVERRIDE_CONFIDENCE = 0.75


def apply_proposal(word: Word, label: str, confidence: float, threshold: float) -> None:
    """The 6.5 policy for one word and one rule proposal."""
    if word.label is None or word.label_source != "model":
        if word.label is None or (word.label_confidence or 0.0) < confidence:
            word.set_label(label, confidence, "rule")
        return
    model_conf = word.label_confidence if word.label_confidence is not None else 0.0
    if model_conf > threshold:
        return
    if word.label == label:
        word.label_confidence = AGREEMENT_CONFIDENCE
    else:
        word.set_label(label, REPLACED_CONFIDENCE, "rule")


class RulesStage:
    """`rules` stage: labels every word of the document (paper section 6)."""

    name = "rules"

    def __init__(self, config: PipelineConfig | None = None, entity_db: EntityDatabase | None = None) -> None:
        self.config = config or PipelineConfig()
        self._db = entity_db

    @property
    def entity_db(self) -> EntityDatabase:
        if self._db is None:  # opened on first use, so building a pipeline stays cheap
            self._db = EntityDatabase(self.config.resolved_entity_db())
        return self._db

    def __call__(self, doc: Document) -> Document:
        pages: list[Page | None] = list(doc.pages) or [None]  # a document without pages is one unnamed page
        for page in pages:
            lines = doc.lines(page.index if page is not None else None)
            if not lines:
                continue
            width = float(page.width) if page is not None and page.width else max(w.x1 for line in lines for w in line)
            self.label_page(lines, width, doc)
        for w in doc.words:
            if w.label is None:
                w.set_label(MISC, DEFAULT_MISC_CONFIDENCE, "rule")
        return doc

    def label_page(self, lines: Sequence[Sequence[Word]], page_width: float, doc: Document) -> None:
        threshold = self.config.replace_threshold
        words = {w.id: w for line in lines for w in line}
        matches = match_document_lines(lines)
        end = header_end(lines, matches)

        table = find_table(lines, page_width, matches, end)
        if table is not None:
            for wid, label in table.labels.items():
                apply_proposal(words[wid], label, LINE_ITEM_CONFIDENCE, threshold)
            doc.meta.setdefault("rules", {})["line_item_rows"] = len(table.rows)

        # Names and addresses are printed in the header: only those lines are looked up.
        # Item rows of the line-item table are not names or addresses either.
        matched = {wid for m in matches for wid in m.word_ids} | (set(table.labels) if table is not None else set())
        skip = frozenset(i for i, line in enumerate(lines) if any(w.id in matched for w in line))
        entities = self.entity_db.find_in_lines(lines, max_lines=14, skip=skip)
        for prop in propose_header(lines, matches, entities, end):
            if (prop.rule == "entity_database" and prop.confidence >= ENTITY_OVERRIDE_CONFIDENCE) or prop.rule == "legal_name":
                self._apply_known_entity(lines, end, prop.label, set(prop.word_ids), max(prop.confidence, ENTITY_OVERRIDE_CONFIDENCE))
                # The assembler keeps such a span whole (a name over two or three lines).
                doc.meta.setdefault("rules", {}).setdefault("known_spans", {})[prop.label] = list(prop.word_ids)
                continue
            for wid in prop.word_ids:
                apply_proposal(words[wid], prop.label, prop.confidence, threshold)

        # Regex matches overwrite (paper 6.5); among themselves the more specific rule
        # (earlier in `matches`) keeps a word that two rules claim.
        claimed: set[int] = set()
        for m in matches:
            for wid in m.word_ids:
                if wid in claimed:
                    continue
                claimed.add(wid)
                w = words[wid]
                w.set_label(m.label, max(m.confidence, w.label_confidence or 0.0) if w.label == m.label else m.confidence, "rule")

        self._keep_one_total(lines)
        relabel(lines)

    @staticmethod
    def _apply_known_entity(lines: Sequence[Sequence[Word]], end: int, label: str, span: set[int], confidence: float) -> None:
        """A shop or address the database knows (or a registered company name) fixes the field's span.

        The classifier tends to get most words of a name or address right but not
        its edges, and one word too many or too few breaks the field; a close match
        against a stored entity settles the edges, so it overrides model labels like
        a pattern match does, and header words the model gave the same label outside
        the span go back to misc.
        """
        for i, line in enumerate(lines):
            for w in line:
                if w.id in span:
                    if w.label != label or w.label_source != "model":
                        w.set_label(label, confidence, "rule")
                    else:
                        w.set_label(label, max(confidence, w.label_confidence or 0.0), "model")
                elif i < end and w.label == label and w.label_source == "model":
                    w.set_label(MISC, DEFAULT_MISC_CONFIDENCE, "rule")

    @staticmethod
    def _keep_one_total(lines: Sequence[Sequence[Word]]) -> None:
        """Several lines say TOTAL (before/after rounding, per tax rate...): keep the amount due.

        The choice is `totals.choose_total`'s (keywords plus arithmetic), the same the assembler
        makes; the other lines' rule labels go back to misc, so word labels and the `total` field agree.
        """
        total_lines = sum(1 for line in lines if any(w.label == TOTAL for w in line))
        if total_lines <= 1 and not any(ROUNDING.search(" ".join([w.text for w in line]).upper()) for line in lines):
            return  # nothing to choose between (and no rounded amount printed apart)
        chosen = choose_total(lines)
        if chosen is None:
            return
        for w in chosen[0]:  # e.g. the rounded amount printed on a line of its own
            if w.label != TOTAL:
                w.set_label(TOTAL, round(chosen[2], 4), "rule")
        keep_ids = {w.id for w in chosen[0]}
        keep_lines = {i for i, line in enumerate(lines) if any(w.id in keep_ids for w in line)}
        for i, line in enumerate(lines):
            if i in keep_lines:
                continue
            for w in line:
                if w.label == TOTAL and w.label_source == "rule":
                    w.set_label(MISC, DEFAULT_MISC_CONFIDENCE, "rule")
