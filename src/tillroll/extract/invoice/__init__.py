"""Invoice reading: document type, labelled values, parties, item tables, tax breakdown, checks.

Beside the receipt assembler (extract/assemble.py) and sharing its normalisation
(tillroll.normalize). The vocabulary lives in data tables: labels/<language>.yaml
and countries.yaml.
"""

from .reader import classify, prepare, read_invoice
from .stage import InvoiceStage

__all__ = ["InvoiceStage", "classify", "prepare", "read_invoice"]
