"""The invoice line net amount (EN 16931 BT-131) as the standard defines it.

EN 16931 makes a line's net amount out of other terms of the same line:
quantity (BT-129) times net price (BT-146) per price base quantity (BT-149),
plus the line's charges (BG-28), less its allowances (BG-27). The header's sum
of line net amounts (BT-106) adds those up.

Some generators put the line's gross amount, net times (1 + VAT rate), into the
element that carries BT-131 (ZUGFeRD 1.0's line `LineTotalAmount`; the
GnuAccounting/Mustang samples of 2014-2015 do it). Their own BT-106 and net
prices still state the net, so the XML contradicts itself, and the page prints
the net. `gross_stated_as_net` finds such lines by arithmetic the XML itself
supports, never by who made the file; `net_line_amounts` gives every line its
BT-131 in the standard's meaning.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .model import Invoice, Line, dec

CENT = Decimal("0.01")


def computed_net_amount(line: Line) -> Decimal | None:
    """BT-129 x BT-146 / BT-149 + BG-28 - BG-27, to the cent; None when quantity or net price is missing."""
    quantity, price = dec(line.quantity), dec(line.net_price)
    if quantity is None or price is None:
        return None
    base = dec(line.price_base_quantity)
    if base is None:
        base = Decimal(1)  # BT-149 is optional and means 1 when absent
    if base == 0:
        return None
    adjustment = dec(line.charges_less_allowances) or Decimal(0)
    return (quantity * price / base + adjustment).quantize(CENT, rounding=ROUND_HALF_UP)


def gross_stated_as_net(inv: Invoice) -> list[int]:
    """Indices of the lines whose stated BT-131 is their gross amount, not their net.

    All of these must hold, or no line is named:
    - every line states an amount and has a computable net;
    - the computed nets add up to the header's BT-106 and the stated amounts do not
      (the XML's own total says which of the two is the net);
    - every line whose stated amount differs from its computed net states exactly
      that net times (1 + its VAT rate), to the cent.
    A file whose amounts disagree in any other way (a damaged quantity, a rounding
    the generator did differently) keeps its stated amounts.
    """
    header = dec(inv.line_total)
    if header is None or not inv.lines:
        return []
    stated = [dec(line.amount) for line in inv.lines]
    nets = [computed_net_amount(line) for line in inv.lines]
    if any(v is None for v in stated) or any(v is None for v in nets):
        return []
    stated_ok = [v for v in stated if v is not None]
    nets_ok = [v for v in nets if v is not None]
    if sum(nets_ok) != header or sum(stated_ok) == header:
        return []
    gross_lines = []
    for i, (line, amount, net) in enumerate(zip(inv.lines, stated_ok, nets_ok, strict=True)):
        if amount == net:
            continue
        rate = dec(line.rate)
        if rate is None or amount != (net * (1 + rate / 100)).quantize(CENT, rounding=ROUND_HALF_UP):
            return []
        gross_lines.append(i)
    return gross_lines


def net_line_amounts(inv: Invoice) -> list[str | None]:
    """Each line's BT-131 in the standard's meaning: the stated amount, or the computed net where the XML stated the gross."""
    gross = set(gross_stated_as_net(inv))
    out: list[str | None] = []
    for i, line in enumerate(inv.lines):
        net = computed_net_amount(line) if i in gross else None
        out.append(str(net) if net is not None else line.amount)
    return out
