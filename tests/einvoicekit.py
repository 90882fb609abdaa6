"""Helpers shared by the e-invoice tests."""

from __future__ import annotations

from typing import Any

from tillroll.document import Document


def comparable(doc: Document) -> tuple[Any, ...]:
    """What an e-invoice round trip must keep: field values, line items, tax rows and type (not sources or word ids)."""

    def clean(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k not in ("source", "confidence", "word_ids")}

    return (
        {k: f.value for k, f in doc.fields.items()},
        [clean(li.to_dict()) for li in doc.line_items],
        [clean(r.to_dict()) for r in doc.tax_breakdown],
        doc.document_type,
    )
