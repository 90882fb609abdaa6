"""Gold labels and values from annotations: below the dataset readers that use them and the evaluation that scores with them.

* `align`: gold labels for OCR words (box overlap, or locating SROIE's entity strings);
* `values`: the normalised value of an annotated field (the same parsers as the pipeline's).
"""
