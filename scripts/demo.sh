#!/usr/bin/env bash
# Set everything up, then read the sample receipt shipped in samples/ and draw what was read.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
echo
echo "\$ tillroll extract samples/receipt-mt.png --overlay out/ > out/receipt-mt.json"
.venv/bin/tillroll extract samples/receipt-mt.png --overlay out/ > out/receipt-mt.json
echo
echo "Lines read (tillroll ocr would print the same):"
.venv/bin/python - <<'PY'
import json
doc = json.load(open("out/receipt-mt.json", encoding="utf-8"))
lines = {}
for w in doc["words"]:
    lines.setdefault(w["line"], []).append(w["text"])
for line in sorted(lines):
    print("   ", " ".join(lines[line]))
fields = doc.get("fields", {})
if fields:
    print("\nFields:")
    for name, f in fields.items():
        print(f"    {name:<13} {f['value']}")
print(f"\n{len(doc['words'])} words in {sum(doc['timings_ms'].values()) / 1000:.1f} s")
PY
echo
echo "JSON:    $(pwd)/out/receipt-mt.json"
echo "Overlay: $(pwd)/out/receipt-mt.png"
