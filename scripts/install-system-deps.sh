#!/usr/bin/env bash
# Debian packages tillroll needs: Tesseract (second OCR engine), fonts for the
# synthetic generator and sample receipt, Chromium for the review-UI browser tests.
# tesseract-ocr-osd: Tesseract's orientation model, compared with tillroll's own in benchmarks/orientation.py.
set -euo pipefail
pkgs=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd fonts-dejavu-core fonts-liberation fonts-freefont-ttf)
if [ "${TILLROLL_WITH_BROWSER:-0}" = "1" ]; then pkgs+=(chromium chromium-driver); fi
# A fresh Debian/Ubuntu python3 cannot create virtualenvs without python3-venv.
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then pkgs+=(python3-venv); fi
if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "Not a Debian/Ubuntu system: install these yourself (names may differ): ${pkgs[*]}" >&2
  exit 0
fi
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
