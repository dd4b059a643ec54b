"""Reading the corpus through the catalog: open it for reading, filter it, match text.

The read-side commands (export, search, stats, show, browse) all start here.  The catalog
holds every record's text and facets (table ``texts``, full-text index ``texts_fts`` with
SQLite's trigram tokenizer, view ``latest``).  Readers never write the archive (it may be
read-only, or another user's): ``open_catalog`` opens the file read-only, and when it is
behind the corpus (a crawl killed between its two writes, a catalog of an older newsarc,
none at all) catches a copy up in memory instead.  Texts stored after the full-text
index's last update (writers update it when they close) are matched without the index.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from archive.catalog import Catalog, corpus_tail, damaged_catalog, has_catalog, is_damage
from archive.corpus import CORPUS_NAME, read_records
from archive.schema import captured_url

_TERM_RE = re.compile(r'"([^"]+)"|(\S+)')
TRIGRAM = 3  # FTS5's trigram tokenizer matches terms of at least three characters


def open_catalog(archive: Path) -> Catalog:
    """The archive's catalog, caught up with its corpus, read-only; ValueError when there
    is none, DamagedFile when the catalog or the corpus cannot be read."""
    if not archive.is_dir():
        raise ValueError(f"{archive}: no such directory")
    if not (archive / CORPUS_NAME).exists():
        raise ValueError(f"{archive} is not a newsarc archive (no {CORPUS_NAME})")
    with catalog_errors(archive):
        catalog = _caught_up(archive)
        if not catalog.db.execute("SELECT 1 FROM texts LIMIT 1").fetchone():
            catalog.close()
            raise ValueError(f"{archive} holds no articles yet")
    return catalog


def _caught_up(archive: Path) -> Catalog:
    """The catalog file itself when it is current, else a copy of it caught up in memory."""
    catalog = Catalog.read_only(archive) if has_catalog(archive) else None
    try:
        if catalog is not None and catalog.is_current() and not catalog.texts_behind():
            tail = corpus_tail(archive, catalog.corpus_bytes())
            behind = next(tail, None) is not None
            tail.close()
            if not behind:
                catalog, current = None, catalog  # handed to the caller, not closed
                return current
        copy = Catalog.in_memory(archive, catalog)
    finally:
        if catalog is not None:
            catalog.close()
    try:
        copy.reconcile(corpus_tail(archive, copy.corpus_bytes()))
        if copy.texts_behind():
            copy.fill_texts(read_records(archive / CORPUS_NAME))
    except BaseException:
        copy.close()
        raise
    return copy


@contextmanager
def catalog_errors(archive: Path) -> Iterator[None]:
    """Turn SQLite's "not a database" and "malformed" into one line naming the catalog and
    its repair; other SQLite errors are the program's and keep their traceback."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        raise damaged_catalog(archive, exc) from exc


@dataclass(frozen=True)
class Filters:
    """What a researcher narrows the corpus to; every field optional."""

    date_from: date | None = None
    date_to: date | None = None
    section: str | None = None
    author: str | None = None
    query: str | None = None
    all_versions: bool = False


def parse_date(text: str | None, what: str) -> date | None:
    """``YYYY-MM-DD`` as a date; ValueError naming the option otherwise."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else date.fromisoformat("")
    except ValueError:
        raise ValueError(f"bad {what} date {text!r}: use YYYY-MM-DD") from None


def terms(query: str) -> list[str]:
    """Search terms: words, or "quoted phrases"."""
    return [a or b for a, b in _TERM_RE.findall(query) if (a or b).strip()]


def text_condition(query: str, indexed_up_to: int | None = None) -> tuple[str, list[Any]]:
    """SQL on alias ``t`` (a ``texts`` row) true when title or body holds every term.

    Terms of three characters or more go through the trigram index for the rows it has
    (up to rowid ``indexed_up_to``; None: all); the rows after, and shorter terms (many
    Korean words have two syllables), are substring matches on the row.
    """
    parts, params = [], []
    for term in terms(query):
        substring = "(instr(t.title, ?) > 0 OR instr(t.body, ?) > 0)"
        if len(term) < TRIGRAM:
            parts.append(substring)
            params += [term, term]
            continue
        indexed = "t.rowid IN (SELECT rowid FROM texts_fts WHERE texts_fts MATCH ?)"
        match = '"' + term.replace('"', '""') + '"'
        if indexed_up_to is None:
            parts.append(indexed)
            params.append(match)
        else:
            parts.append(f"((t.rowid <= ? AND {indexed}) OR (t.rowid > ? AND {substring}))")
            params += [indexed_up_to, match, indexed_up_to, term, term]
    if not parts:
        raise ValueError("empty search text")
    return " AND ".join(parts), params


def where(catalog: Catalog, filters: Filters) -> tuple[str, list[Any]]:
    """FROM/WHERE clause over ``texts t`` for ``filters``, validated against the catalog."""
    clauses, params = [], []
    if not filters.all_versions:
        clauses.append("t.version = (SELECT latest_version FROM articles a WHERE a.id = t.id)")
    if filters.date_from:
        clauses.append("t.published >= ?")
        params.append(filters.date_from.isoformat())
    if filters.date_to:
        clauses.append("t.published < date(?, '+1 day')")
        params.append(filters.date_to.isoformat())
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ValueError(f"--from {filters.date_from} is after --to {filters.date_to}")
    if filters.section is not None:
        known = [r[0] for r in catalog.db.execute(
            "SELECT DISTINCT section FROM texts WHERE section IS NOT NULL ORDER BY section")]
        if filters.section not in known:
            raise ValueError(f"unknown section {filters.section!r} (sections: "
                             f"{', '.join(known) or 'none'})")
        clauses.append("t.section = ?")
        params.append(filters.section)
    if filters.author is not None:
        clauses.append("EXISTS (SELECT 1 FROM authors au WHERE au.id = t.id "
                       "AND au.version = t.version AND au.name = ?)")
        params.append(filters.author)
    if filters.query:
        sql, extra = text_condition(filters.query, catalog.indexed_up_to())
        clauses.append(sql)
        params += extra
    return "FROM texts t" + (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def replay_path(record: dict[str, Any]) -> str | None:
    """The pywb path that replays the capture a record came from: /archive/<ts>/<url>."""
    warc = record.get("warc")
    if not warc:
        return None
    stamp = "".join(c for c in warc["date"] if c.isdigit())[:14]
    return f"/archive/{stamp}/{captured_url(record)}"
