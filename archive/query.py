"""Reading the corpus through the catalog: open it for reading, filter it, match text.

The read-side commands (export, search, stats, show, browse) all start here.  The catalog
holds every record's text and facets (table ``texts``, full-text index ``texts_fts`` with
SQLite's trigram tokenizer, view ``latest``); ``open_catalog`` first brings it up to the
corpus, so a corpus from any newsarc version, or one a crawl is still appending to, reads
the same.  A text query first adds the texts stored since the last one to the full-text
index (the crawl leaves that to the first reader who needs it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from archive.catalog import Catalog, corpus_tail
from archive.corpus import CORPUS_NAME, read_records

_TERM_RE = re.compile(r'"([^"]+)"|(\S+)')
TRIGRAM = 3  # FTS5's trigram tokenizer matches terms of at least three characters


def open_catalog(archive: Path) -> Catalog:
    """The archive's catalog, caught up with its corpus; ValueError when there is none."""
    if not archive.is_dir():
        raise ValueError(f"{archive}: no such directory")
    if not (archive / CORPUS_NAME).exists():
        raise ValueError(f"{archive} is not a newsarc archive (no {CORPUS_NAME})")
    catalog = Catalog(archive)
    catalog.reconcile(corpus_tail(archive, catalog.corpus_bytes()))
    if catalog.texts_behind():
        catalog.fill_texts(read_records(archive / CORPUS_NAME))
    if not catalog.db.execute("SELECT 1 FROM texts LIMIT 1").fetchone():
        catalog.close()
        raise ValueError(f"{archive} holds no articles yet")
    return catalog


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


def text_condition(query: str) -> tuple[str, list[Any]]:
    """SQL on alias ``t`` (a ``texts`` row) true when title or body holds every term.

    Terms of three characters or more go through the trigram index; shorter ones (many
    Korean words have two syllables) are substring matches on the row.
    """
    parts, params = [], []
    for term in terms(query):
        if len(term) >= TRIGRAM:
            parts.append("t.rowid IN (SELECT rowid FROM texts_fts WHERE texts_fts MATCH ?)")
            params.append('"' + term.replace('"', '""') + '"')
        else:
            parts.append("(instr(t.title, ?) > 0 OR instr(t.body, ?) > 0)")
            params += [term, term]
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
        catalog.update_text_index()  # texts stored since the last text search
        sql, extra = text_condition(filters.query)
        clauses.append(sql)
        params += extra
    return "FROM texts t" + (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def replay_path(record: dict[str, Any]) -> str | None:
    """The pywb path that replays the capture a record came from: /archive/<ts>/<url>."""
    warc = record.get("warc")
    if not warc:
        return None
    stamp = "".join(c for c in warc["date"] if c.isdigit())[:14]
    return f"/archive/{stamp}/{record['url']}"
