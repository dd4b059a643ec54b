"""The catalog, ``DIR/catalog.sqlite``: what the archive knows, for incremental crawls.

It knows every article id with its canonical URL, the versions seen (content hash,
published, modified, first and last seen), its WARC captures, the ids known to be missing
(the CMS's soft-404), the page requisites already archived, every run with its
statistics, and the URLs that failed for good in a run (``failures``), which the next run
fetches again.  SQLite in WAL mode: one crawl writes (the archive lock sees to that) while
``newsarc runs`` and other readers read.

The full-text index (``texts_fts``) is not written record by record: indexing a Korean
body in trigrams costs about as much CPU as extracting it.  ``update_text_index`` adds the
texts stored since the last time, in batches, when a writer closes the archive (the end of
a crawl or merge), in one pass (``meta.fts_rowid`` remembers how far it got; ``texts`` is
only ever appended to).  Readers never write: they open the file ``read_only`` and match
the texts the index does not have yet without it.

``articles.jsonl`` stays the corpus; the catalog is derived from it and from the crawl.
``reconcile`` brings the catalog up to a corpus that went further than it (a crawl killed
between the two writes) by reading only the corpus bytes the catalog has not seen.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from archive.corpus import CORPUS_NAME, MALFORMED_REPAIR
from archive.errors import DamagedFile
from archive.safeio import refuse_symlinks
from archive.timeutil import utc_now_iso

CATALOG_NAME = "catalog.sqlite"
# How far past the newest listed article a stored number may extend gap probing (and the
# widest step inside a run of stored numbers without a listed range); crawler.settings'
# NEWSARC_GAP_MAX_AHEAD is the crawl's own.
GAP_MAX_AHEAD = 1000
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY, url TEXT NOT NULL, latest_version INTEGER NOT NULL,
    published TEXT, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, deleted_at TEXT);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER NOT NULL, version INTEGER NOT NULL, content_hash TEXT NOT NULL,
    published TEXT, modified TEXT, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
    warc_filename TEXT, warc_offset INTEGER, warc_length INTEGER, warc_record_id TEXT,
    warc_date TEXT, run_id INTEGER, PRIMARY KEY (id, version));
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER NOT NULL, kind TEXT NOT NULL, status INTEGER, warc_filename TEXT,
    warc_offset INTEGER, warc_length INTEGER, warc_record_id TEXT, warc_date TEXT,
    payload_digest TEXT, etag TEXT, last_modified TEXT, run_id INTEGER);
CREATE INDEX IF NOT EXISTS captures_by_id ON captures (id);
CREATE TABLE IF NOT EXISTS missing (
    id INTEGER PRIMARY KEY, first_seen TEXT NOT NULL, last_checked TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
    url TEXT PRIMARY KEY, warc_filename TEXT, warc_date TEXT, run_id INTEGER);
CREATE TABLE IF NOT EXISTS texts (
    rowid INTEGER PRIMARY KEY, id INTEGER NOT NULL, version INTEGER NOT NULL, url TEXT,
    title TEXT, subtitle TEXT, section TEXT, published TEXT, modified TEXT, month TEXT,
    reporters TEXT, body TEXT, body_chars INTEGER, record TEXT NOT NULL,
    UNIQUE (id, version));
CREATE INDEX IF NOT EXISTS texts_by_published ON texts (published);
CREATE VIRTUAL TABLE IF NOT EXISTS texts_fts USING fts5(
    title, body, content='texts', content_rowid='rowid', tokenize='trigram');
CREATE TABLE IF NOT EXISTS authors (
    id INTEGER NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, email TEXT);
CREATE INDEX IF NOT EXISTS authors_by_name ON authors (name);
CREATE VIEW IF NOT EXISTS latest AS
    SELECT t.* FROM texts t JOIN articles a ON a.id = t.id AND a.latest_version = t.version;
CREATE TABLE IF NOT EXISTS failures (
    url TEXT PRIMARY KEY, article_id INTEGER, callback TEXT NOT NULL, reason TEXT NOT NULL,
    attempts INTEGER NOT NULL, runs INTEGER NOT NULL, first_at TEXT NOT NULL,
    at TEXT NOT NULL, run_id INTEGER);
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT, site TEXT, mode TEXT NOT NULL,
    started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL, pid INTEGER,
    exit_code INTEGER, stats TEXT);
"""


def full_record_sql(alias: str = "") -> str:
    """SQL for a ``texts`` row's whole record, as the corpus has it: the ``record`` column
    keeps everything but the body, which is the ``body`` column."""
    prefix = f"{alias}." if alias else ""
    return f"json_set({prefix}record, '$.body', {prefix}body)"


def catalog_path(archive: Path) -> Path:
    return archive / CATALOG_NAME


class Catalog:
    """One archive's catalog.  Every write commits at once: a kill loses nothing written."""

    def __init__(self, archive: Path) -> None:
        archive.mkdir(parents=True, exist_ok=True)
        self.archive = archive
        for suffix in ("", "-wal", "-shm", "-journal"):  # SQLite follows links to all four
            refuse_symlinks(catalog_path(archive).with_name(CATALOG_NAME + suffix))
        self.db = sqlite3.connect(catalog_path(archive), isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._index_texts_later()

    @classmethod
    def read_only(cls, archive: Path) -> Catalog:
        """The catalog as it is, for reading: opened ``mode=ro``, nothing created, migrated
        or indexed, so a read-only archive reads and a readable one is left as it was."""
        catalog = cls.__new__(cls)
        catalog.archive = archive
        catalog.db = _connect_read_only(catalog_path(archive))
        catalog.db.row_factory = sqlite3.Row
        return catalog

    @classmethod
    def in_memory(cls, archive: Path, source: Catalog | None = None) -> Catalog:
        """A copy of ``source`` (or an empty catalog) in memory, brought to the current
        schema there: what a reader catches up with the corpus when the file is behind."""
        catalog = cls.__new__(cls)
        catalog.archive = archive
        catalog.db = sqlite3.connect(":memory:", isolation_level=None)
        if source is not None:
            source.db.backup(catalog.db)
        catalog.db.row_factory = sqlite3.Row
        catalog.db.executescript(SCHEMA)
        catalog._index_texts_later()
        return catalog

    def is_current(self) -> bool:
        """True when the file has every table and view of the schema, and no trigger of
        an older newsarc: a reader can use it as it is."""
        names = {r[0] for r in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view', 'trigger')")}
        return "texts_ai" not in names and _SCHEMA_NAMES <= names

    def close(self) -> None:
        self.db.close()

    # --- full-text index --------------------------------------------------------------

    def _index_texts_later(self) -> None:
        """A catalog of an older newsarc indexed each text as it was stored (a trigger):
        everything it holds is indexed; from now on, texts are indexed when needed."""
        trigger = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' "
                                  "AND name = 'texts_ai'").fetchone()
        if trigger is None:
            return
        with self._transaction():
            self.db.execute("DROP TRIGGER texts_ai")
            last = self.db.execute("SELECT MAX(rowid) FROM texts").fetchone()[0]
            self.set_meta("fts_rowid", str(last or 0))

    def indexed_up_to(self) -> int:
        """The last ``texts`` rowid the full-text index has: readers match the texts after
        it without the index."""
        return self._indexed_up_to()

    def texts_unindexed(self) -> int:
        """How many stored texts the full-text index does not have yet."""
        return self.db.execute("SELECT COUNT(*) FROM texts WHERE rowid > ?",
                               (self._indexed_up_to(),)).fetchone()[0]

    def _indexed_up_to(self) -> int:
        """The last ``texts`` rowid the full-text index has."""
        return int(self.get_meta("fts_rowid") or 0)

    def update_text_index(self, batch: int = 2000) -> int:
        """Add the texts stored since the last update to the full-text index; return how
        many.  ``batch`` texts per transaction (about half a second each): a crawl writing
        to the same catalog meanwhile waits for one batch at most, never for the whole
        index, and an interrupted update keeps what it did."""
        added = 0
        target = self.db.execute("SELECT MAX(rowid) FROM texts").fetchone()[0] or 0
        while True:  # up to the texts there are now: a crawl storing meanwhile is not chased
            with self._transaction(immediate=True):
                done = self._indexed_up_to()
                rowids = [r[0] for r in self.db.execute(
                    "SELECT rowid FROM texts WHERE rowid > ? AND rowid <= ? ORDER BY rowid "
                    "LIMIT ?", (done, target, batch))]
                if not rowids:
                    return added
                self.db.execute(
                    "INSERT INTO texts_fts (rowid, title, body) "
                    "SELECT rowid, title, body FROM texts WHERE rowid > ? AND rowid <= ?",
                    (done, rowids[-1]))
                self.set_meta("fts_rowid", str(rowids[-1]))
            added += len(rowids)

    # --- runs -------------------------------------------------------------------------

    def start_run(self, site: str, mode: str) -> int:
        """Open a run; runs left 'running' by a process that died are marked 'killed'."""
        for row in self.db.execute("SELECT run_id, pid FROM runs WHERE status = 'running'"):
            if not _alive(row["pid"]):
                self.db.execute("UPDATE runs SET status = 'killed' WHERE run_id = ?",
                                (row["run_id"],))
        cursor = self.db.execute(
            "INSERT INTO runs (site, mode, started_at, status, pid) VALUES (?, ?, ?, ?, ?)",
            (site, mode, utc_now_iso(), "running", os.getpid()))
        return int(cursor.lastrowid)

    def finish_run(self, run_id: int, status: str, exit_code: int, stats: dict) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, exit_code = ?, stats = ? "
            "WHERE run_id = ?",
            (utc_now_iso(), status, exit_code, json.dumps(stats, ensure_ascii=False), run_id))

    def runs(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM runs ORDER BY run_id").fetchall()
        return [{**dict(r), "stats": json.loads(r["stats"]) if r["stats"] else {}}
                for r in rows]

    def last_completed_run(self) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM runs WHERE status = 'finished' "
                              "ORDER BY run_id DESC LIMIT 1").fetchone()
        return dict(row) if row else None

    # --- articles and versions ----------------------------------------------------------

    def known_ids(self) -> set[int]:
        """Ids of articles with at least one stored version."""
        return {r[0] for r in self.db.execute("SELECT id FROM articles")}

    def missing_ids(self) -> set[int]:
        return {r[0] for r in self.db.execute("SELECT id FROM missing")}

    def latest(self) -> dict[int, tuple[int, str]]:
        """id -> (latest version, its content hash): what the corpus writer checks against."""
        rows = self.db.execute(
            "SELECT v.id, v.version, v.content_hash FROM versions v JOIN articles a "
            "ON a.id = v.id AND a.latest_version = v.version")
        return {r[0]: (r[1], r[2]) for r in rows}

    def add_version(self, record: dict[str, Any], run_id: int | None,
                    corpus_bytes: int | None = None) -> None:
        """Store a new version of an article (the record just appended to the corpus), and
        how far the catalog has read the corpus, in one transaction."""
        with self._transaction():
            self._add_version(record, run_id)
            if corpus_bytes is not None:
                self.set_meta("corpus_bytes", str(corpus_bytes))

    @contextmanager
    def _transaction(self, immediate: bool = False) -> Iterator[None]:
        """One transaction, unless the caller already opened one (batch loads).
        ``immediate``: take the write lock first, for a transaction that reads before it
        writes while another process (a crawl) may commit in between."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _add_version(self, record: dict[str, Any], run_id: int | None) -> None:
        warc = record.get("warc") or {}
        seen = record.get("fetched_at") or utc_now_iso()
        self.db.execute(
            "INSERT OR IGNORE INTO versions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (record["id"], record["version"], record["content_hash"], record.get("published"),
             record.get("modified"), seen, seen, warc.get("filename"), warc.get("offset"),
             warc.get("length"), warc.get("record_id"), warc.get("date"), run_id))
        self.db.execute(
            "INSERT INTO articles (id, url, latest_version, published, first_seen, last_seen) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET "
            "latest_version = MAX(latest_version, excluded.latest_version), "
            "published = excluded.published, last_seen = excluded.last_seen, deleted_at = NULL",
            (record["id"], record["url"], record["version"], record.get("published"), seen,
             seen))
        self.db.execute("DELETE FROM missing WHERE id = ?", (record["id"],))
        self._add_text(record)

    def _add_text(self, record: dict[str, Any]) -> None:
        """The record's text and facets, for search, export, statistics and Datasette.

        ``record`` holds the rest of the record as JSON, with an empty body: the body is
        in its own column, and kept twice it was two fifths of the catalog.
        ``full_record_sql`` puts it back (an older catalog's full copy reads the same).
        """
        published = record.get("published") or ""
        authors = record.get("authors") or []
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO texts (id, version, url, title, subtitle, section, "
            "published, modified, month, reporters, body, body_chars, record) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (record["id"], record["version"], record["url"], record["title"],
             record.get("subtitle"), record.get("section"), record.get("published"),
             record.get("modified"), published[:7] or None,
             json.dumps([a["name"] for a in authors], ensure_ascii=False), record["body"],
             len(record["body"]), json.dumps({**record, "body": ""}, ensure_ascii=False)))
        if cursor.rowcount:
            self.db.executemany(
                "INSERT INTO authors VALUES (?, ?, ?, ?)",
                [(record["id"], record["version"], a["name"], a.get("email")) for a in authors])

    def texts_behind(self) -> bool:
        """True when some stored versions have no text row (a catalog of an older newsarc)."""
        versions = self.db.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM texts").fetchone()[0] < versions

    def fill_texts(self, records: Iterable[dict[str, Any]]) -> None:
        """Add the text rows missing for ``records`` (the whole corpus, streamed)."""
        with self._transaction():
            for record in records:
                self._add_text({"version": 1, **record})

    def seen_unchanged(self, article_id: int, seen: str) -> None:
        """An article fetched again with the body already stored: only 'last seen' moves."""
        self.db.execute("UPDATE articles SET last_seen = ? WHERE id = ?", (seen, article_id))
        self.db.execute(
            "UPDATE versions SET last_seen = ? WHERE id = ? AND version = "
            "(SELECT latest_version FROM articles WHERE id = ?)", (seen, article_id, article_id))

    def add_capture(self, article_id: int, kind: str, status: int, warc: dict[str, Any],
                    headers: dict[str, str | None], run_id: int | None) -> None:
        """One fetch of an article: a full response, or a revisit of an unchanged one."""
        self.db.execute(
            "INSERT INTO captures VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (article_id, kind, status, warc.get("filename"), warc.get("offset"),
             warc.get("length"), warc.get("record_id"), warc.get("date"),
             warc.get("payload_digest"), headers.get("etag"), headers.get("last_modified"),
             run_id))

    def last_capture(self, article_id: int) -> dict[str, Any] | None:
        """The newest full response of an article: what a revisit refers to."""
        row = self.db.execute(
            "SELECT * FROM captures WHERE id = ? AND kind = 'response' "
            "ORDER BY warc_date DESC LIMIT 1", (article_id,)).fetchone()
        return dict(row) if row else None

    def mark_missing(self, article_id: int) -> None:
        """The CMS answered its soft-404 for this id: remember it, so it is not probed again."""
        now = utc_now_iso()
        self.db.execute(
            "INSERT INTO missing VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "last_checked = excluded.last_checked", (article_id, now, now))
        self.db.execute("UPDATE articles SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                        (now, article_id))

    def recheck_ids(self, days: float) -> list[int]:
        """Articles published within ``days`` of the newest known publication time, and
        articles without a publication time first captured within ``days`` of the newest
        first capture.

        The window is anchored on the outlet's newest article rather than on the clock, so
        it means the same for a live outlet (newest is about now) and for an archive of a
        site frozen in time (the replica).  A page that shows no date would otherwise never
        be rechecked, and its edits never seen; its first capture is the closest thing to a
        publication time, and the newest first capture (the last time a new article was
        found, about now on a live outlet) anchors it the same way.  The first capture, not
        the last: a recheck moves the last, and the article would be rechecked forever.
        """
        ids: set[int] = set()
        for column, condition in (("published", "published IS NOT NULL"),
                                  ("first_seen", "published IS NULL")):
            newest = self.db.execute(f"SELECT MAX({column}) FROM articles "
                                     "WHERE deleted_at IS NULL").fetchone()[0]
            if not newest:
                continue
            since = (datetime.fromisoformat(newest) - timedelta(days=days)).isoformat()
            ids.update(r[0] for r in self.db.execute(
                f"SELECT id FROM articles WHERE deleted_at IS NULL AND {condition} "
                f"AND {column} >= ?", (since,)))
        return sorted(ids)

    # --- gaps in the article numbers ---------------------------------------------------

    def vouch(self, low: int, high: int) -> None:
        """Widen the range of article numbers the site's own lists and feeds have shown.

        Gap probing stays inside it (``gap_range``): a number that only a page links to,
        however far out, must not turn into millions of probes.  Kept across runs, since an
        incremental run walks only the newest list pages.
        """
        current = self.vouched()
        if current is not None:
            low, high = min(low, current[0]), max(high, current[1])
            if (low, high) == current:
                return
        with self._transaction():
            self.set_meta("vouched_low", str(low))
            self.set_meta("vouched_high", str(high))

    def vouched(self) -> tuple[int, int] | None:
        """The lowest and highest article number lists and feeds have shown, if any (a
        value that is no number, from a catalog made elsewhere, counts as none)."""
        low, high = self.get_meta("vouched_low"), self.get_meta("vouched_high")
        try:
            return (int(low), int(high)) if low and high else None
        except ValueError:
            return None

    def gap_range(self, max_ahead: int = GAP_MAX_AHEAD) -> tuple[int, int] | None:
        """The article numbers gap probing covers, or None.

        The vouched range, widened by the stored articles it reaches in steps of at most
        ``max_ahead``: articles published after the list walk, and older ones that an
        incremental run's short list walk did not vouch for again (or that distributed
        workers stored: their shards' lists are not merged).  A number farther out is
        suspect, never a range end.  Without a vouched range (an older archive), the
        largest such run of stored numbers: a lone far number is again left out.
        """
        spans = ("SELECT MIN(id) AS lo, MAX(id) AS hi FROM (SELECT id, SUM(step > :ahead) "
                 "OVER (ORDER BY id) AS run FROM (SELECT id, id - LAG(id, 1, id) OVER "
                 "(ORDER BY id) AS step FROM articles)) GROUP BY run")
        vouched = self.vouched()
        if vouched is not None:
            low, high = vouched
            row = self.db.execute(
                f"SELECT MIN(lo), MAX(hi) FROM ({spans}) "
                "WHERE hi >= :low - :ahead AND lo <= :high + :ahead",
                {"ahead": max_ahead, "low": low, "high": high}).fetchone()
            return min(low, row[0] or low), max(high, row[1] or high)
        row = self.db.execute(f"{spans} ORDER BY COUNT(*) DESC, MAX(id) DESC LIMIT 1",
                              {"ahead": max_ahead}).fetchone()
        return (row[0], row[1]) if row else None

    def beyond(self, high: int) -> int:
        """How many stored articles lie past ``high``: suspect numbers gaps ignore."""
        return self.db.execute("SELECT COUNT(*) FROM articles WHERE id > ?",
                               (high,)).fetchone()[0]

    def iter_gaps(self, low: int, high: int, batch: int = 1000) -> Iterator[int]:
        """The numbers from ``low`` to ``high`` neither stored nor known missing, ascending.

        Generated as they are consumed, reading the taken numbers ``batch`` at a time from
        both primary keys: memory stays flat however wide the range, and no cursor is held
        open between batches while the caller writes.
        """
        start = low
        while start <= high:
            taken = [r[0] for r in self.db.execute(
                "SELECT id FROM articles WHERE id BETWEEN ?1 AND ?2 UNION "
                "SELECT id FROM missing WHERE id BETWEEN ?1 AND ?2 ORDER BY id LIMIT ?3",
                (start, high, batch))]
            for number in taken:
                yield from range(start, number)
                start = number + 1
            if len(taken) < batch:
                break
        yield from range(start, high + 1)

    def count_gaps(self, low: int, high: int) -> int:
        """How many numbers ``iter_gaps(low, high)`` gives, counted without generating them."""
        if high < low:
            return 0
        taken = self.db.execute(
            "SELECT COUNT(*) FROM (SELECT id FROM articles WHERE id BETWEEN ?1 AND ?2 UNION "
            "SELECT id FROM missing WHERE id BETWEEN ?1 AND ?2)", (low, high)).fetchone()[0]
        return high - low + 1 - taken

    def gaps(self, limit: int = 10_000) -> list[int]:
        """The first ``limit`` gaps of ``gap_range()``: a bounded list, for tests and tools."""
        bounds = self.gap_range()
        return list(islice(self.iter_gaps(*bounds), limit)) if bounds else []

    # --- page requisites --------------------------------------------------------------

    def warc_filenames(self) -> set[str]:
        """The WARC files captures or resources were recorded from (crawled or imported)."""
        rows = self.db.execute(
            "SELECT warc_filename FROM captures UNION SELECT warc_filename FROM resources")
        return {row[0] for row in rows if row[0]}

    def has_resource(self, url: str) -> bool:
        row = self.db.execute("SELECT 1 FROM resources WHERE url = ?", (url,)).fetchone()
        return row is not None

    def add_resource(self, url: str, warc: dict[str, Any], run_id: int | None) -> None:
        self.db.execute("INSERT OR IGNORE INTO resources VALUES (?, ?, ?, ?)",
                        (url, warc.get("filename"), warc.get("date"), run_id))

    # --- failures -------------------------------------------------------------------

    def add_failure(self, url: str, article_id: int | None, callback: str, reason: str,
                    attempts: int, run_id: int | None) -> None:
        """A URL that failed after its retries in run `run_id`: kept until a run fetches it.

        ``callback`` names the spider method that parses it, so the next run can request it
        again the same way; ``runs`` counts the runs it has failed in.
        """
        now = utc_now_iso()
        self.db.execute(
            "INSERT INTO failures VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT (url) DO "
            "UPDATE SET reason = excluded.reason, attempts = excluded.attempts, "
            "callback = excluded.callback, at = excluded.at, run_id = excluded.run_id, "
            "runs = failures.runs + (failures.run_id IS NOT excluded.run_id)",
            (url, article_id, callback, reason, attempts, now, now, run_id))

    def failures(self) -> list[dict[str, Any]]:
        """Every URL still failed, oldest failure first."""
        rows = self.db.execute("SELECT * FROM failures ORDER BY first_at, url").fetchall()
        return [dict(r) for r in rows]

    def clear_failure(self, url: str) -> None:
        """The URL was fetched at last."""
        self.db.execute("DELETE FROM failures WHERE url = ?", (url,))

    # --- agreement with the corpus ----------------------------------------------------

    def reconcile(self, entries: Iterable[tuple[dict[str, Any], int]]) -> int:
        """Add corpus records the catalog missed (``entries`` from ``corpus_tail``), in one
        transaction, and remember how far the corpus was read."""
        added = 0
        known: dict[int, tuple[int, str]] | None = None
        with self._transaction():
            for record, end in entries:
                if known is None:  # only when there is something to catch up on
                    known = self.latest()
                version = record.get("version", 1)
                if known.get(record["id"], (0, ""))[0] < version:
                    self._add_version({"version": 1, **record}, None)
                    known[record["id"]] = (version, record["content_hash"])
                    added += 1
                self.set_meta("corpus_bytes", str(end))
        return added

    def corpus_bytes(self) -> int:
        return int(self.get_meta("corpus_bytes") or 0)

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                        "value = excluded.value", (key, value))


def has_catalog(archive: Path) -> bool:
    return catalog_path(archive).exists()


# Every table and view SCHEMA makes: a catalog lacking one is an older newsarc's.
_SCHEMA_NAMES = {line.split(" EXISTS ")[1].split()[0].split("(")[0]
                 for line in SCHEMA.splitlines() if " IF NOT EXISTS " in line
                 and "INDEX" not in line}
# What SQLite says when a read-only connection cannot set up WAL reading in the folder.
_NO_WAL_FILES = {"SQLITE_READONLY_DIRECTORY", "SQLITE_CANTOPEN", "SQLITE_READONLY"}


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """``mode=ro``; in a folder this process cannot write, where SQLite cannot create the
    WAL reader's files, ``immutable=1``: no writer can be changing the file there."""
    uri = path.resolve().as_uri()
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
    try:
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        db.close()
        if exc.sqlite_errorname not in _NO_WAL_FILES or os.access(path.parent, os.W_OK):
            raise
        db = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
    return db


def is_damage(exc: BaseException) -> bool:
    """True for SQLite's "this file is no (sound) database", not for a program's mistake."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return isinstance(exc, sqlite3.DatabaseError) and (
        name == "SQLITE_NOTADB" or name.startswith("SQLITE_CORRUPT"))


def damaged_catalog(archive: Path, exc: BaseException) -> DamagedFile:
    """The one line for a damaged catalog, with its repair: it is derived from the corpus."""
    path = catalog_path(archive)
    return DamagedFile(path, f"damaged ({exc})",
                       f"move it aside (mv {path} {path}.damaged): read commands then "
                       f"read {CORPUS_NAME}, and the next crawl or `newsarc merge` "
                       "rebuilds the catalog from it (run history and captures are lost)")


def corpus_tail(archive: Path, start: int) -> Iterator[tuple[dict[str, Any], int]]:
    """(record, end offset of its line) for the corpus's whole lines after byte ``start``,
    streamed; a corpus shorter than ``start`` was replaced and is read from the top."""
    path = archive / CORPUS_NAME
    if not path.exists():
        return
    with path.open("rb") as handle:
        if start > handle.seek(0, os.SEEK_END):
            start = 0
        handle.seek(start)
        end = start
        for number, line in enumerate(handle, 1):
            if not line.endswith(b"\n"):
                return
            if line.strip():
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    where = f"line {number}" if start == 0 else f"the line at byte {end}"
                    raise DamagedFile(path, f"{where} is malformed JSON ({exc})",
                                      MALFORMED_REPAIR) from exc
                yield record, end + len(line)
            end += len(line)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
