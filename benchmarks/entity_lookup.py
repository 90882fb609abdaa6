"""Entity-database lookup time and accuracy as the database grows (paper 6.2's worry).

    python benchmarks/entity_lookup.py --sizes 1000,10000,100000 --queries 300

For each size a fresh database file is filled with the shipped seed plus
synthetic Malaysian/Maltese/English shop names and addresses (random
combinations of common name words, suffixes, street words, towns and
postcodes). Queries are stored entries with OCR-like noise (character
confusions, a dropped or doubled character, lost spaces). Each query is timed
with the in-process memo cache emptied, so every lookup goes to SQLite.
Reported: median and 95th-percentile lookup time, top-1 accuracy (the noisy
query found its original), file size and build time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tillroll.labels import ADDRESS, SHOP_NAME
from tillroll.rules.entities import EntityDatabase, load_seed

NAME_WORDS = (
    "KEDAI RUNCIT MAJU JAYA SINAR BINTANG EMAS MUTIARA SRI INDAH BARU AMAN SENTOSA HARMONI RESTORAN KAFE TAL BELT "
    "GOLDEN DRAGON LUCKY STAR HAPPY FRESH GREEN LEAF SUNNY OCEAN PEARL ROYAL CROWN EAGLE TIGER LION PHOENIX "
    "MINI MARKET BAKERY PHARMACY HARDWARE STATIONERY BOOK TRADING FOOD CORNER GARDEN VILLAGE CITY HOUSE "
    "NASI KANDAR MAMAK CHICKEN RICE NOODLE KOPITIAM PASTIZZERIA BAR CAFE DINER GRILL KITCHEN DELI"
).split()
SUFFIXES = ("SDN BHD", "SDN. BHD.", "ENTERPRISE", "TRADING", "LTD", "(M) SDN BHD", "S/B", "INC", "CO.", "")
STREETS = "JALAN JLN LORONG PERSIARAN TRIQ STREET ROAD AVENUE LEBUH".split()
PLACES = (
    "TAMAN BUNGA;BANDAR BARU;SEKSYEN 9;KAWASAN PERINDUSTRIAN;SRI KEMBANGAN;PETALING JAYA;SHAH ALAM;JOHOR BAHRU;"
    "KUALA LUMPUR;KAJANG;CHERAS;PUCHONG;VALLETTA;SLIEMA;MSIDA;BIRKIRKARA;MOSTA;SNELLVILLE GA;LAS VEGAS NV"
).split(";")
STATES = ("SELANGOR", "JOHOR", "WILAYAH PERSEKUTUAN", "MALTA", "PENANG", "PERAK", "")
CONFUSIONS = {"O": "0", "0": "O", "I": "1", "1": "I", "L": "1", "S": "5", "5": "S", "B": "8", "E": "F", "D": "O", "G": "C", "M": "N"}


def synthetic(rng: random.Random, n: int) -> list[tuple[str, str]]:
    rows = []
    for i in range(n):
        if i % 2 == 0:
            name = " ".join(rng.sample(NAME_WORDS, rng.randint(2, 4)))
            rows.append((SHOP_NAME, f"{name} {rng.choice(SUFFIXES)}".strip()))
        else:
            lot = f"NO. {rng.randint(1, 300)}{rng.choice(['', 'A', 'B', '-G'])}, {rng.choice(STREETS)} {rng.choice(NAME_WORDS)} {rng.randint(1, 40)}/{rng.randint(1, 12)},"
            rows.append((ADDRESS, f"{lot} {rng.choice(PLACES)}, {rng.randint(10000, 99999)} {rng.choice(PLACES)}, {rng.choice(STATES)}".strip(", ")))
    return rows


def noisy(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(max(1, len(chars) // 12)):
        i = rng.randrange(len(chars))
        roll = rng.random()
        if roll < 0.5 and chars[i] in CONFUSIONS:
            chars[i] = CONFUSIONS[chars[i]]
        elif roll < 0.7:
            del chars[i]
        elif roll < 0.85 and chars[i] == " ":
            chars[i] = ""
        else:
            chars.insert(i, chars[i])
        if not chars:
            break
    return "".join(chars)


def run_size(size: int, queries: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    base = load_seed()
    rows = base + synthetic(rng, max(0, size - len(base)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "entities.sqlite3"
        t0 = time.perf_counter()
        db = EntityDatabase(path, seed=False)
        db.add_many(rows, source="seed")
        build_s = time.perf_counter() - t0
        stored = [(k, t) for k, t in rows]
        picks = rng.sample(stored, min(queries, len(stored)))
        times, correct = [], 0
        db.candidates("WARM UP QUERY")
        for kind, text in picks:
            query = noisy(rng, text)
            db._cache.clear()
            t1 = time.perf_counter()
            best = db.candidates(query, (kind,))
            times.append((time.perf_counter() - t1) * 1000)
            correct += bool(best) and best[0].text == " ".join(text.split())
        size_mb = sum(p.stat().st_size for p in Path(tmp).glob("entities.sqlite3*")) / 2**20
        n = db.count()
        db.close()
    times.sort()
    return {
        "entries": n,
        "median_ms": statistics.median(times),
        "p95_ms": times[int(0.95 * (len(times) - 1))],
        "top1": correct / len(picks),
        "file_mb": size_mb,
        "build_s": build_s,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    print("| entries | lookup median (ms) | lookup p95 (ms) | top-1 on noisy queries | file (MiB) | build (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        r = run_size(size, args.queries, args.seed)
        print(f"| {r['entries']:,} | {r['median_ms']:.2f} | {r['p95_ms']:.2f} | {r['top1']:.3f} | {r['file_mb']:.1f} | {r['build_s']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
