"""Field assembly: word labels -> `doc.fields`, `doc.line_items` and `doc.key_values`.

Works from labels alone, whoever set them (classifier, rules or a human), so
the neural model, the rules and the joint model share it. Each field keeps the
words it came from (`word_ids`), the text as printed, a normalised `value`
(ISO dates and times, decimal-string amounts, E.164 phones, compact VAT
numbers), a confidence and its source.

Decisions that need evidence from the whole receipt are made here:
* the country (for phone numbers and the day/month order) comes from the
  config hint, else from the receipt: calling codes, currency, VAT prefixes,
  typical words (SDN BHD, JALAN -> Malaysia);
* a numeric date such as 03/04/2018 is read day-first or month-first from any
  other date on the receipt whose day is above 12, else from the country; if
  nothing decides, day-first is used and `doc.meta["date_order_ambiguous"]`
  is set (the `date_order_determined` check then fails, visibly);
* when several lines claim to be the total, the one the arithmetic supports
  (cash minus change, items plus tax, subtotal plus tax) wins, then the most
  specific keyword (ROUNDED / GRAND / NETT TOTAL before a plain TOTAL).
"""

from __future__ import annotations

from ..config import PipelineConfig
from ..document import Document, Field
from ..labels import SHOP_NAME
from ..normalize import currency_of_country, detect_currency, fix_letters_in_words
from ..rules.totals import STRONG_TOTAL, choose_total, total_line_strength
from .assembly.amounts import NET_AMOUNT_KEYWORDS, SUBTOTAL_KEYWORDS, amount_fields, find_subtotal
from .assembly.common import _Context, _field, _join
from .assembly.country import infer_country
from .assembly.dates import date_time_fields
from .assembly.header import DOUBTFUL_ADDRESS_CONFIDENCE, header_spans, telephone_field, vat_field
from .assembly.items import build_line_items

# Names other modules and tests import from here, where they lived before the split.
__all__ = [
    "DOUBTFUL_ADDRESS_CONFIDENCE",
    "NET_AMOUNT_KEYWORDS",
    "STRONG_TOTAL",
    "SUBTOTAL_KEYWORDS",
    "AssembleStage",
    "build_line_items",
    "choose_total",
    "find_subtotal",
    "infer_country",
    "total_line_strength",
]


class AssembleStage:
    """`assemble` stage: fields, line items and key-value pairs from word labels."""

    name = "assemble"

    def __init__(self, config: PipelineConfig | None = None, entity_db: object | None = None) -> None:
        self.config = config or PipelineConfig()
        self._db = entity_db

    def _canonical(self, raw: dict[str, str]) -> dict[str, str]:
        """The stored spelling of each shop name / address in `raw` that the database recognises with certainty.

        Both fields go to the database in one query: a lookup costs about as much
        as the rest of the assembler, so it is done once per receipt, not per field.
        """
        if self._db is None:
            from ..rules.entities import EntityDatabase

            try:
                self._db = EntityDatabase(self.config.resolved_entity_db())
            except Exception:  # a broken user database must not stop extraction
                self._db = False
        if not self._db or not raw:
            return dict(raw)
        kinds = list(raw)
        found = self._db.lookup_many([(kind, raw[kind]) for kind in kinds])  # type: ignore[attr-defined]
        out = dict(raw)
        for kind, match in zip(kinds, found):
            # Addresses of two branches differ by a street number, so they need a near-exact match.
            if match is not None and match.score >= (90.0 if kind == SHOP_NAME else 97.0):
                out[kind] = match.text
        return out

    def __call__(self, doc: Document) -> Document:
        lines = doc.lines()
        text = "\n".join(_join(line) for line in lines)
        country = infer_country(text, self.config.country_hint)
        cur = detect_currency(text, country)
        currency = cur.code if cur else currency_of_country(country)
        ctx = _Context(lines, text, country, currency)
        doc.meta["country"] = country
        fields: dict[str, Field] = {}

        known = frozenset(doc.meta.get("rules", {}).get("known_spans", {}).get(SHOP_NAME, ()))
        header, address_phone = header_spans(ctx, known)
        # printed. A name or address the database knows (near-exactly, for addresses: two
        # branches differ by a street number) then takes its stored spelling.
        canonical = self._canonical({kind: fix_letters_in_words(raw) for kind, (_, raw) in header.items()})
        for kind, (ws, raw) in header.items():
            fields[kind] = _field(ws, canonical[kind], raw)

        telephone_field(ctx, fields, address_phone)
        vat_field(ctx, fields)
        date_time_fields(ctx, fields, doc)
        doc.line_items = build_line_items(ctx.lines)
        amount_fields(ctx, fields, doc)
        doc.fields = fields

        from .key_values import extract_key_values

        doc.key_values = extract_key_values(lines)
        return doc
