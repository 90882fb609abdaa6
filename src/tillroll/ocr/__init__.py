"""OCR engines behind one interface (see base.py) and the line builder."""
