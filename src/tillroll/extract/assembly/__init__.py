"""The field assembler's parts, by field family; `tillroll.extract.assemble.AssembleStage` runs them.

* `common`: the per-receipt context, labelled lines and blocks, field construction;
* `country`: which country the receipt is from;
* `header`: shop name and address spans, telephone, VAT number;
* `dates`: transaction date and time;
* `amounts`: subtotal, tax included and the total field (the choice of total
  itself is `tillroll.rules.totals.choose_total`, shared with the rules);
* `items`: line items from line-item labels.
"""
