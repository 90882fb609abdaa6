"""Synthetic A4 invoices and credit notes with perfect labels (`tillroll synth --kind invoice`); see docs/synth.md."""
