"""The named-entity database of shop names and addresses (paper 6.2), in SQLite.

Shop names and addresses are proper names: no pattern finds "INDAH GIFT & HOME
DECO", but a list of shops seen before does. The database starts from a small
seed shipped with the package (built from the training split of SROIE, see
`rules/data/README.md`), lives in the user data directory (or wherever
`PipelineConfig.entity_db` points), and grows when a reviewer approves a
receipt (`EntityDatabase.add`).

Lookup has to survive OCR noise and stay fast as the table grows, which is the
weakness the paper reports. So:

* texts are reduced to a *skeleton*: upper case, letters and digits only, and
  characters OCR confuses folded together (0/O/Q/D, 1/I/L, 5/S, 8/B, 2/Z, 6/G),
  so "MR D.T.Y." and "MR D.I.Y." are one character apart and spacing does not matter;
* an inverted index of skeleton trigrams (`postings`: one row per trigram with
  the entity ids packed in a blob) gives candidates, using only the query's
  *rarest* trigrams (document frequencies are held in memory), so common
  trigrams such as "SDN" never make a query read thousands of ids;
* rapidfuzz scores the few candidates (whole-string and partial ratio).

Cost per lookup is therefore bounded by the postings of a handful of rare
trigrams, not by the table size (benchmarks/entity_lookup.py measures it at
1k, 10k and 100k entries).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import sys
import threading
import time
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from ..document import Word
from ..errors import ConfigError, DataError
from ..labels import ADDRESS, SHOP_NAME
from .entity_data import COMPANY_NUMBER as COMPANY_NUMBER
from .entity_data import ENTITY_KINDS as ENTITY_KINDS
from .entity_data import ENTITY_SOURCES as ENTITY_SOURCES
from .entity_data import SEED_RESOURCE as SEED_RESOURCE
from .entity_data import DocumentEntity as DocumentEntity
from .entity_data import EntityMatch as EntityMatch
from .entity_data import _check_kind as _check_kind
from .entity_data import load_seed as load_seed
from .entity_data import skeleton as skeleton
from .entity_data import trigrams as trigrams

# How many of a query's rarest trigrams are used to fetch candidates, and how many are scored.
RARE_GRAMS = 8
MIN_RARE_GRAMS = 4
POSTINGS_BUDGET = 800
CANDIDATES = 5
# Bounds on the in-memory copies of postings lists and entity rows (see EntityDatabase.__init__).
POSTINGS_CACHE = 50_000
ROWS_CACHE = 200_000
PARTIAL_CUTOFF = 85

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    skeleton TEXT NOT NULL,
    source TEXT NOT NULL,
    seen INTEGER NOT NULL DEFAULT 1,
    added_at REAL NOT NULL,
    UNIQUE (kind, skeleton)
);
-- Inverted index: one row per trigram, its document frequency and the ids of the
-- entities holding it packed as little-endian int32 (one short row read per trigram,
-- decoded in C, instead of one row per posting).
CREATE TABLE IF NOT EXISTS postings (
    gram TEXT PRIMARY KEY,
    df INTEGER NOT NULL,
    ids BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Bump when skeleton() or trigrams() change: databases made before are re-keyed on open.
INDEX_FORMAT = "2"

_new_tuple = tuple.__new__


class EntityDatabase:
    """Shop names and addresses with fuzzy lookup. Safe to share between threads (one lock)."""

    def __init__(self, path: str | Path | None = None, *, seed: bool = True) -> None:
        if path is None:
            from ..config import PipelineConfig

            path = PipelineConfig().resolved_entity_db()
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30.0)
            self._conn.executescript(_SCHEMA)
            self._conn.execute("PRAGMA journal_mode=WAL" if self.path != ":memory:" else "PRAGMA journal_mode=MEMORY")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA temp_store=MEMORY")
        except sqlite3.DatabaseError as exc:
            raise DataError(
                f"entity database {self.path} is not a usable SQLite file ({exc}); "
                "delete it (it is re-created from the shipped seed) or point entity_db elsewhere"
            ) from exc
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], list[EntityMatch]] = {}
        # Postings lists and entity rows already read, kept like SQLite's own page cache:
        # common trigrams ("SDN", "BHD", "JAL") recur on every receipt, and reading and
        # unpacking them again was a fifth of the rules' time per receipt. Cleared on every write.
        self._postings: dict[str, array[int]] = {}
        self._rows: dict[int, tuple[Any, ...]] = {}
        self._df: dict[str, int] | None = None
        self._ensure_index_format()
        if seed:
            self._apply_seed()

    def _ensure_index_format(self) -> None:
        """Rebuild stored skeletons and the trigram index when their recipe has changed.

        `skeleton()` folds OCR confusions; when a release changes it, keys stored by an
        older release no longer meet the keys of new queries and lookups silently miss.
        """
        if self._meta("index_format") == INDEX_FORMAT:
            return
        with self._write() as cur:
            rows = cur.execute("SELECT id, kind, text FROM entities ORDER BY id").fetchall()
            cur.execute("DELETE FROM postings")
            cur.execute("UPDATE entities SET skeleton = '#' || id")  # free the unique keys first
            kept: set[tuple[str, str]] = set()
            postings: dict[str, list[int]] = {}
            for eid, kind, text in rows:
                skel = skeleton(text)
                if len(skel) < 3 or (kind, skel) in kept:  # now equal to an older row
                    cur.execute("DELETE FROM entities WHERE id=?", (eid,))
                    continue
                kept.add((kind, skel))
                cur.execute("UPDATE entities SET skeleton=? WHERE id=?", (skel, eid))
                for g in trigrams(skel):
                    postings.setdefault(g, []).append(eid)
            self._merge_postings(cur, postings)
            cur.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('index_format', ?)", (INDEX_FORMAT,))

    def _apply_seed(self) -> None:
        """Bring the shipped seed in: all of it on first use, the new rows after an upgrade.

        The database lives in the user's data directory and outlives the installed
        package, so a database seeded by an older release would otherwise never see
        the entries a newer seed adds. Rows the user (or the review UI) added stay.
        """
        rows = load_seed()
        version = hashlib.sha1(json.dumps(rows).encode("utf-8")).hexdigest()[:16]
        if self._meta("seed_version") == version:
            return
        with self._lock:
            present = {(k, s): (eid, text, source) for eid, k, s, text, source in self._conn.execute("SELECT id, kind, skeleton, text, source FROM entities")}
        keyed = [(k, t, skeleton(" ".join(t.split()))) for k, t in rows]
        missing = [(k, t) for k, t, s in keyed if (k, s) not in present]
        if missing:
            self.add_many(missing, source="seed")
        # A seed row whose spelling a newer seed corrected (same key, other text) takes the new
        # spelling; rows people added keep theirs.
        respelled = [(t, present[(k, s)][0]) for k, t, s in keyed if (k, s) in present and present[(k, s)][2] == "seed" and present[(k, s)][1] != t]
        if respelled:
            with self._write() as cur:
                cur.executemany("UPDATE entities SET text=? WHERE id=?", respelled)
        self._set_meta("seeded", str(time.time()))
        self._set_meta("seed_version", version)

    # ---- writing -------------------------------------------------------------
    def add(self, kind: str, text: str, source: str = "human") -> int:
        """Add (or count again) one entity; returns its id. Approved receipts call this."""
        ids = self.add_many([(kind, text)], source=source)
        return ids[0] if ids else -1

    def add_many(self, rows: Iterable[tuple[str, str]], source: str = "seed") -> list[int]:
        """Add many entities in one transaction (seeding 100k rows takes seconds, not minutes)."""
        if source not in ENTITY_SOURCES:
            raise ConfigError(f"unknown entity source {source!r}; use one of: {', '.join(ENTITY_SOURCES)}")
        ids: list[int] = []
        now = time.time()
        new_postings: dict[str, list[int]] = {}
        with self._write() as cur:
            for kind, text in rows:
                _check_kind(kind)
                text = " ".join(str(text).split())
                skel = skeleton(text)
                if len(skel) < 3:
                    continue  # too short to be found again reliably
                row = cur.execute("SELECT id FROM entities WHERE kind=? AND skeleton=?", (kind, skel)).fetchone()
                if row:
                    cur.execute("UPDATE entities SET seen = seen + 1 WHERE id=?", (row[0],))
                    ids.append(row[0])
                    continue
                cur.execute(
                    "INSERT INTO entities (kind, text, skeleton, source, added_at) VALUES (?, ?, ?, ?, ?)",
                    (kind, text, skel, source, now),
                )
                eid = int(cur.lastrowid)  # type: ignore[arg-type]
                for g in trigrams(skel):
                    new_postings.setdefault(g, []).append(eid)
                ids.append(eid)
            self._merge_postings(cur, new_postings)
        if len(ids) > 1000 and self.path != ":memory:":
            with self._lock:
                # Fold a bulk load into the main file so the write-ahead log does not double the disk use.
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return ids

    @staticmethod
    def _merge_postings(cur: sqlite3.Cursor, new_postings: dict[str, list[int]]) -> None:
        grams = sorted(new_postings)
        existing: dict[str, bytes] = {}
        for i in range(0, len(grams), 900):
            chunk = grams[i : i + 900]
            marks = ",".join("?" * len(chunk))
            existing.update(cur.execute(f"SELECT gram, ids FROM postings WHERE gram IN ({marks})", chunk).fetchall())
        rows = []
        for g in grams:
            packed = array("i", new_postings[g])
            if sys.byteorder != "little":  # pragma: no cover
                packed.byteswap()
            blob = existing.get(g, b"") + packed.tobytes()
            rows.append((g, len(blob) // 4, blob))
        cur.executemany("INSERT OR REPLACE INTO postings (gram, df, ids) VALUES (?, ?, ?)", rows)

    def _forget_index(self) -> None:
        """Drop everything read from the index and every cached lookup (after a write changed it)."""
        self._cache.clear()
        self._df = None
        self._postings.clear()
        self._rows.clear()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction under the lock; what was read from the index is forgotten after it.

        The write lock is taken up front (BEGIN IMMEDIATE), so two processes writing at
        once wait for each other instead of failing on a lock upgrade.
        """
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            finally:
                self._forget_index()

    def _document_frequencies(self) -> dict[str, int]:
        """gram -> number of entities holding it, kept in memory (tens of thousands of ints at most)."""
        if self._df is None:
            self._df = dict(self._conn.execute("SELECT gram, df FROM postings").fetchall())
        return self._df

    # ---- reading -------------------------------------------------------------
    def count(self, kind: str | None = None) -> int:
        with self._lock:
            if kind is None:
                return int(self._conn.execute("SELECT COUNT(*) FROM entities").fetchone()[0])
            return int(self._conn.execute("SELECT COUNT(*) FROM entities WHERE kind=?", (_check_kind(kind),)).fetchone()[0])

    def stats(self) -> dict[str, object]:
        with self._lock:
            by_kind = dict(self._conn.execute("SELECT kind, COUNT(*) FROM entities GROUP BY kind").fetchall())
            by_source = dict(self._conn.execute("SELECT source, COUNT(*) FROM entities GROUP BY source").fetchall())
            grams = self._conn.execute("SELECT COUNT(*) FROM postings").fetchone()[0]
        size = Path(self.path).stat().st_size if self.path != ":memory:" and Path(self.path).exists() else None
        return {
            "path": self.path,
            "entities": sum(by_kind.values()),
            "by_kind": by_kind,
            "by_source": by_source,
            "distinct_trigrams": grams,
            "file_bytes": size,
        }

    def candidates(self, text: str, kinds: Sequence[str] = ENTITY_KINDS) -> list[EntityMatch]:
        """Scored candidates of the given kinds for `text`, best first (cached per text)."""
        return self.candidates_many([text], kinds)[0]

    def candidates_many(self, texts: Sequence[str], kinds: Sequence[str] = ENTITY_KINDS) -> list[list[EntityMatch]]:
        """`candidates` for many texts with three SQL queries in all (a receipt's header in one go)."""
        kinds_key = ",".join(kinds)
        skels = [skeleton(t) for t in texts]
        todo = sorted({s for s in skels if len(s) >= 3 and (s, kinds_key) not in self._cache})
        if todo:
            if len(self._cache) > 20000:
                self._cache.clear()
            for s, found in zip(todo, self._fetch(todo, kinds)):
                self._cache[(s, kinds_key)] = found
        return [self._cache.get((s, kinds_key), []) for s in skels]

    def _fetch(self, skels: Sequence[str], kinds: Sequence[str]) -> list[list[EntityMatch]]:
        from rapidfuzz import fuzz

        with self._lock:
            df = self._document_frequencies()
            # Per text, its rarest trigrams until a postings budget is spent (at least a few):
            # rare trigrams are what tells one shop from another, and they are cheap to read.
            rare_of: dict[str, list[str]] = {}
            for s in skels:
                chosen: list[str] = []
                budget = 0
                # Rarest first; equally rare grams alphabetically (a set's order follows string
                # hashing, which changes per process, and the budget may cut between equals).
                for g in sorted(filter(df.__contains__, sorted(trigrams(s))), key=df.__getitem__):
                    if len(chosen) >= RARE_GRAMS or (len(chosen) >= MIN_RARE_GRAMS and budget + df[g] > POSTINGS_BUDGET):
                        break
                    chosen.append(g)
                    budget += df[g]
                rare_of[s] = chosen
            postings = self._postings
            if len(postings) > POSTINGS_CACHE or len(self._rows) > ROWS_CACHE:
                postings.clear()
                self._rows.clear()
            needed = sorted({g for rare in rare_of.values() for g in rare if g not in postings})
            for gram, blob in self._query_in("SELECT gram, ids FROM postings WHERE gram IN ({})", needed):
                packed = array("i")
                packed.frombytes(blob)
                if sys.byteorder != "little":  # pragma: no cover
                    packed.byteswap()
                postings[gram] = packed
            top_of: dict[str, list[int]] = {}
            for s, rare in rare_of.items():
                hits = Counter(chain.from_iterable(postings.get(g, ()) for g in rare))
                # Best counts first, ties in first-seen order (as Counter.most_common), sorted in C.
                top_of[s] = sorted(hits, key=hits.__getitem__, reverse=True)[: CANDIDATES * 2]
            rows = self._rows
            wanted = sorted({e for top in top_of.values() for e in top if e not in rows})
            for r in self._query_in("SELECT id, kind, text, skeleton, source FROM entities WHERE id IN ({})", wanted):
                rows[r[0]] = r
        results = []
        for s in skels:
            out = []
            for eid in top_of.get(s, []):
                row = rows.get(eid)
                if row is None or row[1] not in kinds:
                    continue
                _, kind, text, cand_skel, source = row
                score = fuzz.ratio(s, cand_skel)
                # partial_ratio is the expensive part of a lookup; a cutoff lets rapidfuzz stop early
                # (below it the exact value does not matter to any caller).
                partial = score
                # A name line is only worth a partial score when it could be half of a two-line name.
                if len(s) < len(cand_skel) and score < 86 and (kind == ADDRESS or score >= 45):
                    partial = max(score, fuzz.partial_ratio(s, cand_skel, score_cutoff=PARTIAL_CUTOFF))
                # tuple.__new__ skips the NamedTuple's Python-level __new__ (about 50 of these per receipt).
                out.append(_new_tuple(EntityMatch, (kind, text, round(score, 1), round(partial, 1), eid, source)))
                if len(out) >= CANDIDATES:
                    break
            out.sort(key=lambda m: (m.score, m.partial), reverse=True)
            results.append(out)
        return results

    def _query_in(self, sql: str, values: Sequence[object]) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        for i in range(0, len(values), 900):  # stay below SQLite's bound-parameter limit on old builds
            chunk = values[i : i + 900]
            if chunk:
                out += self._conn.execute(sql.format(",".join("?" * len(chunk))), list(chunk)).fetchall()
        return out

    def lookup(self, kind: str, text: str, min_score: float = 80.0) -> EntityMatch | None:
        """The stored entity of `kind` that best matches the whole of `text`, if it scores at least `min_score`."""
        _check_kind(kind)
        best = next((m for m in self.candidates(text, (kind,))), None)
        return best if best is not None and best.score >= min_score else None

    def lookup_many(self, queries: Sequence[tuple[str, str]]) -> list[EntityMatch | None]:
        """The best stored entity for each (kind, text), whatever its score, in one database round trip."""
        for kind, _ in queries:
            _check_kind(kind)
        per_text = self.candidates_many([text for _, text in queries])
        return [next((m for m in cands if m.kind == kind), None) for (kind, _), cands in zip(queries, per_text)]

    # ---- receipts ------------------------------------------------------------
    def find_in_document(self, doc: object, max_lines: int = 14) -> list[DocumentEntity]:
        """Shop names and addresses among the first `max_lines` printed lines of `doc`.

        A shop name is one line (or two adjacent lines) that matches a stored
        name as a whole; an address is a run of adjacent lines that each match
        a part of the same stored address (addresses are printed over several
        lines but stored as one string).
        """
        from ..document import Document

        if not isinstance(doc, Document):
            raise TypeError("find_in_document expects a tillroll Document")
        return self.find_in_lines(doc.lines(), max_lines)

    def find_in_lines(self, all_lines: Sequence[Sequence[Word]], max_lines: int = 14, skip: frozenset[int] = frozenset()) -> list[DocumentEntity]:
        """`find_in_document` over lines of words already grouped (the rules stage has them).

        Lines in `skip` (a phone, tax number or date line, say) are not looked up.
        """
        lines = list(all_lines[:max_lines])
        texts = [" ".join([w.text for w in line]) for line in lines]
        found: list[DocumentEntity] = []
        wanted = [t if i not in skip and sum(map(str.isalpha, skeleton(t))) >= 4 else "" for i, t in enumerate(texts)]
        # A name line often ends with the company number ("MIZU MENTAI SDN. BHD. (1248446-V)");
        # those lines are also looked up without it (same query, more texts).
        bare = [COMPANY_NUMBER.sub("", t).strip() if t else "" for t in wanted]
        extra = [b for b, t in zip(bare, wanted) if b != t and b]
        per_text = self.candidates_many(wanted + extra)
        per_line, by_bare = per_text[: len(wanted)], dict(zip(extra, per_text[len(wanted) :]))

        # Shop name: the best whole-line match, or two or three lines that together make one.
        best_shop: tuple[float, tuple[int, ...], EntityMatch] | None = None
        for i, cands in enumerate(per_line):
            for m in [*cands, *by_bare.get(bare[i], ())]:
                if m.kind != SHOP_NAME:
                    continue
                if m.score >= 86 and (best_shop is None or m.score > best_shop[0]):
                    best_shop = (m.score, (i,), m)
                elif m.partial >= 90 and i + 1 < len(texts):
                    for span in ((i, i + 1), (i, i + 1, i + 2)):
                        if span[-1] >= len(texts) or span[-1] in skip:
                            break
                        joined = self.candidates(COMPANY_NUMBER.sub("", " ".join(texts[k] for k in span)).strip(), (SHOP_NAME,))
                        if not joined:
                            break
                        if joined[0].score >= 86:
                            if best_shop is None or joined[0].score > best_shop[0]:
                                best_shop = (joined[0].score, span, joined[0])
                            break
                        if joined[0].partial < 90:
                            break  # the next line does not continue this name
        if best_shop:
            idx = best_shop[1]
            found.append(DocumentEntity(SHOP_NAME, idx, tuple(w.id for i in idx for w in lines[i]), best_shop[2]))

        # Address: the entity that the longest run of adjacent lines matches in part.
        shop_lines = set(best_shop[1]) if best_shop else set()
        votes: dict[int, list[int]] = {}
        matches: dict[int, EntityMatch] = {}
        for i, cands in enumerate(per_line):
            if i in shop_lines:
                continue
            for m in cands:
                if m.kind == ADDRESS and (m.partial >= 88 or m.score >= 86) and len(skeleton(texts[i])) >= 5:
                    votes.setdefault(m.entity_id, []).append(i)
                    matches[m.entity_id] = m
        best_run: tuple[int, ...] = ()
        best_id = -1
        for eid, idxs in votes.items():
            run: list[int] = []
            for i in sorted(idxs):
                if run and i - run[-1] > 2:
                    if len(run) > len(best_run):
                        best_run, best_id = tuple(run), eid
                    run = []
                run.append(i)
            if len(run) > len(best_run):
                best_run, best_id = tuple(run), eid
        if best_run:
            full = tuple(range(best_run[0], best_run[-1] + 1))  # a gap line inside the run belongs too
            full = tuple(i for i in full if i not in shop_lines)
            found.append(DocumentEntity(ADDRESS, full, tuple(w.id for i in full for w in lines[i]), matches[best_id]))
        return found

    # ---- misc ----------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> EntityDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
