"""Lay an invoice out on A4 pages: every word placed in points, with its label and the fields it belongs to.

Six layout families (`LAYOUTS`) combine a letterhead (left, right, centred, or a
banner title with the seller top right), a buyer block (the DIN 5008 window on
the left, the French window on the right, or labelled bill-to / ship-to
columns), an invoice-details block (a right-hand column, a boxed grid, lines
under the title), an item table (four column sets), totals (a right-hand stack
or a VAT table) and a footer repeated on every page (three columns, one line,
or bank details in the body). Tables that do not fit continue on the next page
under a repeated header, with carried-forward lines (`Übertrag`), and pages say
"Seite 1 von 3".

All random choices are drawn once into a `Style` before anything is placed, so
the layout can be run twice (the second time knowing the page count) and
gives the same pages.

Each word carries one of the 12 classifier labels (the receipt conventions of
docs/synth.md: seller name `shop_name`, seller address `address`, the seller's
phone and VAT id `telephone` / `vat_info`, date values `date_time`, item
columns, `total`, tax lines `vat_included`, the rest `misc`; copies of the
seller's details in footers and page headers are `misc`) and the roles naming
the output field or row attribute it is part of ("invoice_number",
"item:3:amount", "tax:0:rate"), from which the gold fields are built.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...labels import ADDRESS, AMOUNT, DATE_TIME, LINE_ITEM, MISC, QUANTITY, SHOP_NAME, TELEPHONE, TOTAL, UNIT_PRICE, VAT_INCLUDED, VAT_INFO
from .content import Invoice, InvoiceLocale, group4

# The pieces a layout is made of; the public ones are re-exported (`__all__` below).
from .style import _NUMERIC_WIDTH, COLUMN_SETS, LAYOUTS, MM, PAGE_H, PAGE_W, Pages, PlacedRule, PlacedWord, Style, Token, choose_style, tokens


def layout_invoice(inv: Invoice, locale: InvoiceLocale, style: Style) -> tuple[Pages, int]:
    """Place the invoice; returns the pages and their count (run twice so "1 of N" is right)."""
    first = _layout(inv, locale, style, total_pages=0)
    count = first.page + 1
    if not style.flags["page_numbers"]:
        return first, count
    second = _layout(inv, locale, style, total_pages=count)
    return second, second.page + 1


def _layout(inv: Invoice, locale: InvoiceLocale, s: Style, total_pages: int) -> Pages:
    P = Pages(s)
    L = s.labels
    f = s.flags
    size = s.size
    lh = size * s.leading
    left, right = s.left, s.right
    width = right - left

    def num(v: Decimal) -> str:
        return locale.number(v, thousands=f["thousands"])

    def date_text(d: Any) -> str:
        return locale.date(d, s.date_format)

    credit = inv.kind == "credit_note"
    seller, buyer = inv.seller, inv.buyer
    parts = s.parts
    footer_style = parts["footer"]
    footer_top = PAGE_H - 30 * MM if footer_style in ("three_columns", "single_line") else PAGE_H - 16 * MM
    body_bottom = footer_top - 6 * MM

    def seller_block_tokens() -> list[list[Token]]:
        lines = [tokens(seller.street, ADDRESS, ("address",)), tokens(seller.city, ADDRESS, ("address",))]
        if f["phone"] and seller.phone:
            lines.append(tokens(L["phone"], TELEPHONE) + tokens(seller.phone, TELEPHONE, ("telephone",)))
        if f["email"] and seller.email:
            lines.append(tokens(L["email"]) + tokens(seller.email))
        if f["vat_in_header"] and seller.vat_id:
            lines.append(tokens(L["vat_id"], VAT_INFO) + tokens(seller.vat_id, VAT_INFO, ("vat_info",)))
        return lines

    # ------------------------------------------------------------------ first page header
    def page_header(page: int) -> float:
        """Draw the page's header; returns the y where the body may start."""
        if page > 0:
            y = 14 * MM
            P.put(left, y, tokens(seller.name), size=size * 0.9, bold=True)
            P.put(right, y, tokens(f"{L['credit_note' if credit else 'invoice']} {inv.number}"), size=size * 0.9, align="right")
            P.rule(left, y + 4, right, 0.4)
            return y + 4 * lh
        header = parts["header"]
        name_size = round(size * 1.7, 1)
        if header in ("letterhead_left", "letterhead_right"):
            x, align = (left, "left") if header == "letterhead_left" else (right, "right")
            y = 16 * MM
            P.put(x, y, tokens(seller.name, SHOP_NAME, ("shop_name",)), size=name_size, bold=True, align=align)
            y += name_size * 0.6
            for line in seller_block_tokens():
                y += lh * 0.95
                P.put(x, y, line, size=size * 0.9, align=align)
            return y
        if header == "letterhead_center":
            y = 15 * MM
            P.put(PAGE_W / 2, y, tokens(seller.name, SHOP_NAME, ("shop_name",)), size=name_size, bold=True, align="center")
            lines = seller_block_tokens()
            joined: list[Token] = []
            for i, line in enumerate(lines):
                joined += ([("·", MISC, ())] if i else []) + line
            for row in P.wrap(joined, width, size * 0.85):
                y += lh
                P.put(PAGE_W / 2, y, row, size=size * 0.85, align="center")
            P.rule(left, y + 5, right, 0.8)
            return y + 6
        # banner: the document title big on the left, the seller on the right
        y = 18 * MM
        title = L["credit_note" if credit else "invoice"]
        P.put(left, y, tokens(title.upper() if len(title) < 14 else title), size=round(size * 2.3, 1), bold=True)
        P.put(right, y - size * 0.3, tokens(seller.name, SHOP_NAME, ("shop_name",)), size=round(size * 1.3, 1), bold=True, align="right")
        yy = y - size * 0.3
        for line in seller_block_tokens():
            yy += lh * 0.95
            P.put(right, yy, line, size=size * 0.9, align="right")
        return max(y, yy)

    # ------------------------------------------------------------------ buyer, details, title
    def buyer_lines() -> list[list[Token]]:
        lines = [tokens(buyer.name, MISC, ("buyer_name",))]
        lines += [tokens(t, MISC, ("buyer_address",)) for t in buyer.address_lines]
        return lines

    def meta_items() -> list[tuple[list[Token], list[Token]]]:
        items: list[tuple[list[Token], list[Token]]] = []
        number_label = L["credit_number" if credit else "number"]
        items.append((tokens(number_label), tokens(inv.number, MISC, ("invoice_number",))))
        items.append((tokens(L["date"]), tokens(date_text(inv.date), DATE_TIME, ("date",))))
        if f["delivery"] and inv.delivery_date:
            items.append((tokens(L["delivery_date"]), tokens(date_text(inv.delivery_date), DATE_TIME)))
        if f["due_in_meta"]:
            items.append((tokens(L["due_date"]), tokens(date_text(inv.due_date), DATE_TIME, ("due_date",))))
        if inv.customer_no:
            items.append((tokens(L["customer_no"]), tokens(inv.customer_no)))
        if inv.order_ref:
            items.append((tokens(L["order_ref"]), tokens(inv.order_ref, MISC, ("purchase_order",))))
        if buyer.vat_id:
            items.append((tokens(L["buyer_vat_id"]), tokens(buyer.vat_id, MISC, ("buyer_vat_info",))))
        if f["currency_in_header"]:
            items.append(
                (
                    tokens(
                        {"de": "Währung:", "fr": "Devise :", "it": "Valuta:", "es": "Moneda:", "nl": "Valuta:", "pl": "Waluta:", "sv": "Valuta:"}.get(
                            locale["language"], "Currency:"
                        )
                    ),
                    tokens(inv.currency, MISC, ("currency",)),
                )
            )
        return items

    def first_page_top(y_header: float) -> float:
        buyer_style, meta_style = parts["buyer"], parts["meta"]
        y_block = max(y_header + 2 * lh, 50 * MM)
        if buyer_style in ("window_left", "window_right"):
            x = left if buyer_style == "window_left" else 112 * MM
            y = y_block
            if f["return_line"] and buyer_style == "window_left":
                ret = tokens(seller.name) + [("·", MISC, ())] + tokens(seller.street) + [("·", MISC, ())] + tokens(seller.city)
                end = P.put(x, y - lh * 1.2, ret, size=size * 0.7)
                P.rule(x, y - lh * 1.2 + 2, end, 0.3)
            if f["bill_to_label"]:
                P.put(x, y, tokens(L["bill_to"]), size=size * 0.85, bold=True)
                y += lh
            for line in buyer_lines():
                P.put(x, y, line)
                y += lh
            y_end = y
        else:  # bill_ship: two labelled columns
            y = y_block
            P.put(left, y, tokens(L["bill_to"]), bold=True)
            P.put(left + width / 2, y, tokens(L["ship_to"]), bold=True)
            y += lh
            ship = [tokens(buyer.name), tokens(s.extras["ship_street"]), tokens(s.extras["ship_city"])]
            for i, line in enumerate(buyer_lines()):
                P.put(left, y + i * lh, line)
            for i, line in enumerate(ship):
                P.put(left + width / 2, y + i * lh, line)
            y_end = y + max(len(buyer_lines()), len(ship)) * lh
        items = meta_items()
        if meta_style == "right_column" and buyer_style == "window_left":
            y = y_block
            label_x = 118 * MM
            for key, value in items:
                P.put(label_x, y, key, size=size * 0.95)
                P.put(right, y, value, size=size * 0.95, align="right")
                y += lh
            y_end = max(y_end, y)
            meta_style = "done"
        y = y_end + 2 * lh
        title = L["credit_note" if credit else "invoice"]
        if parts["header"] != "banner":
            P.put(left, y, tokens(title), size=round(size * 1.6, 1), bold=True)
            y += lh * 1.8
        if credit and inv.credit_ref:
            P.put(left, y, tokens(L["credit_reason"].replace("{ref}", inv.credit_ref)))
            y += lh * 1.5
        if meta_style in ("under_title", "right_column"):
            for key, value in items:
                P.put(left, y, key + value)
                y += lh
            y += lh * 0.5
        elif meta_style == "grid_row":
            cols = min(len(items), 4)
            rows = [items[i : i + cols] for i in range(0, len(items), cols)]
            top = y - size
            for row in rows:
                for i, (key, value) in enumerate(row):
                    x = left + 3 + i * width / cols
                    P.put(x, y, key, size=size * 0.8, bold=True)
                    P.put(x, y + lh, value)
                y += 2.2 * lh
            P.box(left, top, right, y - lh * 0.8)
            y += lh * 0.6
        if f["intro"]:
            P.put(left, y, tokens(L["intro"]))
            y += lh * 1.6
        return y

    # ------------------------------------------------------------------ footer
    def page_footer(page: int) -> None:
        primary = page == 0
        fs = size * 0.75
        number = L["page"].replace("{p}", str(page + 1)).replace("{n}", str(total_pages or 1))
        if footer_style == "three_columns":
            y = footer_top
            P.rule(left, y - fs * 1.4, right, 0.4)
            col1 = [tokens(seller.name), tokens(seller.street), tokens(seller.city)]
            col2: list[list[Token]] = []
            if not f["phone"] and seller.phone:
                col2.append(
                    tokens(L["phone"], TELEPHONE if primary else MISC) + tokens(seller.phone, TELEPHONE if primary else MISC, ("telephone",) if primary else ())
                )
            if not f["vat_in_header"] and seller.vat_id:
                col2.append(
                    tokens(L["vat_id"], VAT_INFO if primary else MISC) + tokens(seller.vat_id, VAT_INFO if primary else MISC, ("vat_info",) if primary else ())
                )
            if f["managing"]:
                col2.append(tokens(s.extras["managing"]))
            col3 = [
                tokens(L["bank"]) + tokens(inv.bank),
                tokens(L["iban"]) + tokens(group4(inv.iban), MISC, ("iban",) if primary else ()),
                tokens(L["bic"]) + tokens(inv.bic, MISC, ("bic",) if primary else ()),
            ]
            for c, col in enumerate((col1, col2, col3)):
                # A line wider than its third of the page wraps inside it.
                wrapped = [part for line in col for part in P.wrap(line, width / 3 - 6, fs)]
                for i, line in enumerate(wrapped):
                    P.put(left + c * width / 3, y + i * fs * 1.3, line, size=fs)
        elif footer_style == "single_line":
            y = footer_top
            P.rule(left, y - fs * 1.4, right, 0.4)
            parts_: list[list[Token]] = [tokens(seller.name), tokens(seller.street), tokens(seller.city)]
            if not f["vat_in_header"] and seller.vat_id:
                parts_.append(
                    tokens(L["vat_id"], VAT_INFO if primary else MISC) + tokens(seller.vat_id, VAT_INFO if primary else MISC, ("vat_info",) if primary else ())
                )
            if not f["phone"] and seller.phone:
                parts_.append(
                    tokens(L["phone"], TELEPHONE if primary else MISC) + tokens(seller.phone, TELEPHONE if primary else MISC, ("telephone",) if primary else ())
                )
            parts_.append(tokens(L["iban"]) + tokens(group4(inv.iban), MISC, ("iban",) if primary else ()))
            parts_.append(tokens(L["bic"]) + tokens(inv.bic, MISC, ("bic",) if primary else ()))
            joined: list[Token] = []
            for i, part in enumerate(parts_):
                joined += ([("·", MISC, ())] if i else []) + part
            for i, row in enumerate(P.wrap(joined, width, fs)):
                P.put(PAGE_W / 2, y + i * fs * 1.3, row, size=fs, align="center")
        else:  # bank_block: the details go in the body after the totals; only the seller's ids below
            y = footer_top
            ids_line: list[Token] = tokens(seller.name) + [("·", MISC, ())] + tokens(seller.city)
            if not f["vat_in_header"] and seller.vat_id:
                ids_line += (
                    [("·", MISC, ())]
                    + tokens(L["vat_id"], VAT_INFO if primary else MISC)
                    + tokens(seller.vat_id, VAT_INFO if primary else MISC, ("vat_info",) if primary else ())
                )
            if not f["phone"] and seller.phone:
                ids_line += (
                    [("·", MISC, ())]
                    + tokens(L["phone"], TELEPHONE if primary else MISC)
                    + tokens(seller.phone, TELEPHONE if primary else MISC, ("telephone",) if primary else ())
                )
            P.put(PAGE_W / 2, y, ids_line, size=fs, align="center")
        if f["page_numbers"] and total_pages:
            P.put(right, footer_top - fs * 2.6 if footer_style != "bank_block" else footer_top + fs * 1.4, tokens(number), size=fs, align="right")

    # ------------------------------------------------------------------ table
    # An article column only when some row has an article number.
    cols = [c for c in COLUMN_SETS[s.columns] if c[0] != "article" or any(r.article for r in inv.rows)]
    has_unit_col = any(c == "unit" for c, _, _ in cols)
    col_x = {key: left + share * width for key, share, _ in cols}
    col_align = {key: align for key, _, align in cols}
    desc_left = col_x["description"]
    desc_right = min((x for k, x in col_x.items() if x > desc_left + 1), default=right) - width * _NUMERIC_WIDTH

    def table_header(y: float) -> float:
        two_lines = False
        last_end = -1.0
        for key, _, align in cols:
            toks = tokens(L[key])
            if key == "amount" and not f["currency_in_header"] and not f["currency_after_total"]:
                # The only place this invoice names its currency: the amount column's header.
                toks.append((f"({inv.currency})", MISC, ("currency",) if P.page == 0 else ()))
            hsize = size * 0.9
            rows = [toks]
            if key != "description" and len(toks) > 1 and P.width(toks, hsize, True) > width * 0.11:
                # A long header over a narrow number column goes on two lines, as tables print it.
                rows = [toks[:1], toks[1:]]
            widest = max(P.width(r, hsize, True) for r in rows)
            start = col_x[key] - widest if align == "right" else col_x[key]
            if start < last_end + 3:  # still touching the header before it: a smaller face, as printers do
                hsize = max(size * 0.6, hsize * (col_x[key] - last_end - 3) / widest) if align == "right" else hsize
                widest = max(P.width(r, hsize, True) for r in rows)
            for k, row in enumerate(rows):
                P.put(col_x[key], y + k * lh * 0.9, row, size=hsize, bold=True, align=align)
            two_lines = two_lines or len(rows) > 1
            last_end = col_x[key] if align == "right" else col_x[key] + widest
        y += lh * 0.9 if two_lines else 0
        P.rule(left, y + size * 0.5, right, 0.6)
        return y + lh * 1.3

    def row_lines(i: int) -> tuple[list[list[Token]], dict[str, list[Token]]]:
        row = inv.rows[i]
        role = f"item:{i}:"
        desc = tokens(row.description, LINE_ITEM, (role + "description",))
        lines = P.wrap(desc, desc_right - desc_left, size)
        if row.detail:
            lines += P.wrap(tokens(row.detail, LINE_ITEM, (role + "description",)), desc_right - desc_left, size)
        cells: dict[str, list[Token]] = {"amount": tokens(num(row.amount), AMOUNT, (role + "amount",))}
        if not row.is_discount:
            qty = tokens(locale.quantity(row.quantity), QUANTITY, (role + "quantity",))
            unit = tokens(row.unit, QUANTITY, (role + "unit",)) if row.unit else []
            if has_unit_col:
                cells["quantity"], cells["unit"] = qty, unit
            else:
                cells["quantity"] = qty + unit
            cells["unit_price"] = tokens(num(row.unit_price), UNIT_PRICE, (role + "unit_price",))
            cells["pos"] = tokens(str(row.position), MISC, (role + "position",))
            if row.article:
                cells["article"] = tokens(row.article, MISC, (role + "article_number",))
            if row.discount_pct is not None:
                cells["discount"] = tokens(f"{locale.quantity(row.discount_pct)} %", MISC, (role + "discount",))
        cells["vat"] = tokens(f"{locale.rate(row.rate)} %", MISC, (role + "tax_rate",))
        return lines, cells

    # ------------------------------------------------------------------ pages
    y = first_page_top(page_header(0))
    y = table_header(y)
    running = Decimal(0)
    for i, row in enumerate(inv.rows):
        lines, cells = row_lines(i)
        need = len(lines) * lh + lh * (1.5 if f["carry"] else 0.3)
        if y + need > body_bottom and i > 0:
            if f["carry"]:
                P.rule(right - 40 * MM, y - size * 0.6, right, 0.4)
                P.put(right - 42 * MM, y + lh * 0.3, tokens(L["carried_forward"]), bold=True, align="right")
                P.put(right, y + lh * 0.3, tokens(num(running)), bold=True, align="right")
            page_footer(P.page)
            P.page += 1
            y = page_header(P.page)
            y = table_header(y)
            if f["carry"]:
                P.put(right - 42 * MM, y, tokens(L["carried_forward"]), bold=True, align="right")
                P.put(right, y, tokens(num(running)), bold=True, align="right")
                y += lh * 1.4
        for key, toks in cells.items():
            if key in col_x and toks:
                P.put(col_x[key], y, toks, align=col_align[key])
        for k, line in enumerate(lines):
            P.put(desc_left, y + k * lh, line, size=size if k == 0 or not row.detail or k < len(lines) - 1 else size * 0.9)
        y += len(lines) * lh + lh * 0.25
        running += row.amount
    P.rule(left, y - lh * 0.5, right, 0.6)
    y += lh * 0.6

    # ------------------------------------------------------------------ totals
    tail_lines = 5 + len(inv.tax_lines) * (2 if parts["totals"] == "tax_table" else 1) + 6
    if y + tail_lines * lh > body_bottom:
        page_footer(P.page)
        P.page += 1
        y = page_header(P.page) + lh
    label_x = right - 45 * MM
    currency_tok: list[Token] = tokens(inv.currency, TOTAL, ("currency",)) if f["currency_after_total"] and not f["currency_in_header"] else []

    def total_line(y: float, label: list[Token], value: list[Token], bold: bool = False) -> float:
        P.put(label_x, y, label, bold=bold, align="right")
        P.put(right, y, value, bold=bold, align="right")
        return y + lh

    y = total_line(y, tokens(L["net_total"]), tokens(num(inv.net), MISC, ("subtotal",)))
    if parts["totals"] == "right_stack":
        for t_i, t in enumerate(inv.tax_lines):
            label: list[Token] = []
            for w in L["tax_line"].split():
                if "{rate}" in w:
                    label.append((w.replace("{rate}", locale.rate(t.rate)), VAT_INCLUDED, (f"tax:{t_i}:rate",)))
                else:
                    label.append((w, VAT_INCLUDED, ()))
            y = total_line(y, label, tokens(num(t.tax), VAT_INCLUDED, (f"tax:{t_i}:tax", "vat_included:lines")))
        if f["tax_total_line"] and len(inv.tax_lines) > 1:
            y = total_line(y, tokens(L["tax_total"], VAT_INCLUDED), tokens(num(inv.tax), VAT_INCLUDED, ("vat_included",)))
    else:
        y += lh * 0.3
        heads = locale["labels"]["tax_table"]
        xs = [right - 95 * MM, right - 60 * MM, right - 30 * MM, right]
        for x, head in zip(xs, heads):
            P.put(x, y, tokens(head), size=size * 0.9, bold=True, align="right")
        P.rule(xs[0] - 20 * MM, y + size * 0.5, right, 0.4)
        y += lh * 1.2
        for t_i, t in enumerate(inv.tax_lines):
            P.put(xs[0], y, tokens(f"{locale.rate(t.rate)} %", VAT_INCLUDED, (f"tax:{t_i}:rate",)), align="right")
            P.put(xs[1], y, tokens(num(t.base), MISC, (f"tax:{t_i}:base",)), align="right")
            P.put(xs[2], y, tokens(num(t.tax), VAT_INCLUDED, (f"tax:{t_i}:tax", "vat_included:lines")), align="right")
            P.put(xs[3], y, tokens(num(t.base + t.tax)), align="right")
            y += lh
        y += lh * 0.3
        if f["tax_total_line"]:
            y = total_line(y, tokens(L["tax_total"], VAT_INCLUDED), tokens(num(inv.tax), VAT_INCLUDED, ("vat_included",)))
    P.rule(label_x - 40 * MM, y - lh * 0.6, right, 0.8)
    gross_label = tokens(L["gross_total"], TOTAL)
    gross_value = tokens(num(inv.gross), TOTAL, ("total",))
    y = total_line(y + lh * 0.2, gross_label, gross_value + currency_tok, bold=True)
    if inv.prepaid:
        y = total_line(y, tokens(L["prepaid"]), tokens(num(-inv.prepaid), MISC, ("prepaid",)))
    if f["amount_due_line"]:
        y = total_line(y, tokens(L["amount_due"]), tokens(num(inv.amount_due), MISC, ("amount_due",)), bold=True)
    y += lh

    # ------------------------------------------------------------------ terms, bank, thanks
    if f["terms"]:
        text = L["payment_terms"].replace("{days}", str(inv.terms_days))
        terms: list[Token] = []
        # "Zahlungsbedingungen: 14 Tage netto.": the words up to the colon are the label, as
        # for every labelled field, and not part of the value; a sentence without a colon
        # ("Zahlbar innerhalb von 14 Tagen ohne Abzug.") is the value as a whole.
        words = text.split()
        label_end = next((i + 1 for i, w in enumerate(words) if w.endswith(":")), 0)
        for i, w in enumerate(words):
            if "{due}" in w:
                terms += [(w.replace("{due}", date_text(inv.due_date)), DATE_TIME, ("payment_terms", "due_date"))]
            else:
                terms.append((w, MISC, () if i < label_end else ("payment_terms",)))
        for line in P.wrap(terms, width, size):
            P.put(left, y, line)
            y += lh
        y += lh * 0.5
    if footer_style == "bank_block":
        P.put(left, y, tokens(L["bank"]) + tokens(inv.bank))
        y += lh
        P.put(left, y, tokens(L["iban"]) + tokens(group4(inv.iban), MISC, ("iban",)))
        y += lh
        P.put(left, y, tokens(L["bic"]) + tokens(inv.bic, MISC, ("bic",)))
        y += lh * 1.5
    if f["thanks"]:
        P.put(left, y, tokens(L["thanks"]))
    page_footer(P.page)
    return P


def positions_to_pixels(box: tuple[float, float, float, float], dpi: float) -> tuple[float, float, float, float]:
    scale = dpi / 72.0
    return (round(box[0] * scale, 1), round(box[1] * scale, 1), round(box[2] * scale, 1), round(box[3] * scale, 1))


__all__ = ["LAYOUTS", "PAGE_H", "PAGE_W", "Pages", "PlacedRule", "PlacedWord", "Style", "choose_style", "layout_invoice", "positions_to_pixels"]
