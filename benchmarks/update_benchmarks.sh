#!/usr/bin/env bash
# Regenerate the evaluation tables of docs/benchmarks.md on the dev splits.
#
#   bash benchmarks/update_benchmarks.sh            # everything
#   ONLY="ocr align" bash benchmarks/update_benchmarks.sh
#   ONLY="eval" MODELS="rules joint" bash benchmarks/update_benchmarks.sh
#
# Every table lives in docs/benchmarks.md between markers
#     <!-- generated:NAME --> ... <!-- /generated:NAME -->
# and only those blocks are rewritten, so prose around them (and sections
# without markers) is left alone. Block names:
#     ocr-table                       paper Table 1 shape, SROIE dev, rapidocr + tesseract
#     ocr-table-wildreceipt           the same on WildReceipt dev (photos)
#     align-table                     SROIE entity location and label transfer
#     eval-MODEL-DATASET-OCR          `tillroll evaluate` tables, e.g. eval-rules-sroie-rapidocr
#     compare-DATASET-OCR             every model that ran, side by side, e.g. compare-sroie-gold
# A section owner who wants a table regenerated adds the matching empty
# marker pair to their section. Each block records its command, machine and date.
#
# OCR goes through the shared cache (TILLROLL_CACHE_DIR, default ./.cache), so
# a re-run only re-runs the models. Intermediate reports land in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA="${TILLROLL_DATASETS:-../shared/datasets}"
OUT="${OUT:-build/benchmarks}"
ONLY="${ONLY:-ocr align eval}"
MODELS="${MODELS:-rules neural joint}"
EVAL_OCR="${EVAL_OCR:-rapidocr gold}"
SPEED_SAMPLE="${SPEED_SAMPLE:-10}"  # images per engine timed without the cache
DOC="${DOC:-docs/benchmarks.md}"
export TILLROLL_CACHE_DIR="${TILLROLL_CACHE_DIR:-$PWD/.cache}"
TILLROLL="${TILLROLL:-.venv/bin/tillroll}"
PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$TILLROLL" ] || TILLROLL=tillroll
[ -x "$PYTHON" ] || PYTHON=python3

SROIE="sroie:$DATA/sroie/train:dev"
WILD="wildreceipt:$DATA/wildreceipt:dev"
mkdir -p "$OUT"
rm -f "$OUT"/block-*.md  # only tables produced by this run are spliced in

gpu="no GPU"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then gpu="GPU: $(nvidia-smi -L | head -1 | cut -d'(' -f1)"; fi
mem_gib=$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo 2>/dev/null || echo "?")
MACHINE="$(nproc)-core $(uname -m), ${mem_gib} GiB RAM, ${gpu}"
DATE="$(date -u +%Y-%m-%d)"
load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")"

# block NAME "COMMAND" FILE: wrap a generated table with its provenance.
block() {
  local name="$1" cmd="$2" file="$3"
  {
    echo "Command: \`$cmd\`"
    echo
    echo "Machine: $MACHINE (load average $load when started). Date: $DATE."
    echo
    cat "$file"
  } > "$OUT/block-$name.md"
}

run() {  # run "NAME" args...: run tillroll with args, keep going on failure (a model may not be installed)
  local name="$1"; shift
  echo ">> tillroll $*" >&2
  if ! "$TILLROLL" "$@" > "$OUT/$name.log" 2>&1; then
    echo "   failed (see $OUT/$name.log); its table is left as it was" >&2
    return 1
  fi
}

if [[ " $ONLY " == *" ocr "* ]]; then
  if run ocr ocr-bench --data "$SROIE" --engines rapidocr,tesseract --speed-sample "$SPEED_SAMPLE" --no-progress --report "$OUT/ocr" --markdown "$OUT/ocr.md"; then
    block ocr-table "tillroll ocr-bench --data $SROIE --engines rapidocr,tesseract --speed-sample $SPEED_SAMPLE" "$OUT/ocr.md"
  fi
  # WildReceipt: phone photos rather than flat scans (its line texts lack spaces, so texts compare without them).
  if run ocr-wildreceipt ocr-bench --data "$WILD" --engines rapidocr,tesseract --no-progress --report "$OUT/ocr-wildreceipt" --markdown "$OUT/ocr-wildreceipt.md"; then
    block ocr-table-wildreceipt "tillroll ocr-bench --data $WILD --engines rapidocr,tesseract" "$OUT/ocr-wildreceipt.md"
  fi
fi

if [[ " $ONLY " == *" align "* ]]; then
  parts=()
  for spec_ocr in "$SROIE gold" "$SROIE rapidocr" "$SROIE tesseract" "$WILD gold" "$WILD rapidocr"; do
    spec="${spec_ocr% *}"; ocr="${spec_ocr##* }"; tag="$(echo "${spec%%:*}")-$ocr"
    if run "align-$tag" gold-labels --data "$spec" --ocr "$ocr" --no-progress --report "$OUT/align-$tag" --markdown "$OUT/align-$tag.md"; then
      parts+=("$OUT/align-$tag.md")
    fi
  done
  if [ "${#parts[@]}" -gt 0 ]; then
    { head -2 "${parts[0]}"; for p in "${parts[@]}"; do tail -n +3 "$p"; done; } > "$OUT/align.md"
    block align-table "tillroll gold-labels --data $SROIE --ocr gold|rapidocr|tesseract; the same with --data $WILD --ocr gold|rapidocr" "$OUT/align.md"
  fi
fi

if [[ " $ONLY " == *" eval "* ]]; then
  for model in $MODELS; do
    for ds in sroie wildreceipt; do
      spec="$SROIE"; [ "$ds" = wildreceipt ] && spec="$WILD"
      for ocr in $EVAL_OCR; do
        name="eval-$model-$ds-$ocr"
        if run "$name" evaluate --data "$spec" --model "$model" --ocr "$ocr" --no-progress --report "$OUT/$name" --markdown "$OUT/$name.md"; then
          block "$name" "tillroll evaluate --data $spec --model $model --ocr $ocr" "$OUT/$name.md"
        fi
      done
    done
  done
  # compare-DATASET-OCR: the models that ran, side by side (paper Tables 2 and 3).
  for ds in sroie wildreceipt; do
    for ocr in $EVAL_OCR; do
      dirs=(); names=()
      for model in $MODELS; do
        if [ -f "$OUT/eval-$model-$ds-$ocr/report.json" ] && [ -f "$OUT/block-eval-$model-$ds-$ocr.md" ]; then
          dirs+=("$OUT/eval-$model-$ds-$ocr"); names+=("$model")
        fi
      done
      if [ "${#dirs[@]}" -gt 0 ]; then
        joined="$(IFS=,; echo "${names[*]}")"
        if run "compare-$ds-$ocr" compare-reports "${dirs[@]}" --names "$joined" --markdown "$OUT/compare-$ds-$ocr.md"; then
          block "compare-$ds-$ocr" "tillroll compare-reports (evaluate --model ${names[*]} --ocr $ocr on $ds dev)" "$OUT/compare-$ds-$ocr.md"
        fi
      fi
    done
  done
fi

# Splice every block into its marker pair in the benchmarks page.
"$PYTHON" benchmarks/splice_blocks.py "$DOC" "$OUT"
