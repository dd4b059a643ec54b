"""``newsarc search``: full-text search of titles and bodies that works for Korean.

SQLite FTS5 with the trigram tokenizer finds any substring of three characters or more,
which suits Korean, where words carry particles (삼성전자는, 삼성전자의) and compounds have
no spaces.  Shorter terms (two-syllable words such as 회장) are matched as substrings of
the rows.  Results are ranked with bm25 (a title match weighs ten times a body match),
then by recency, and only the latest version of each article is searched.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.catalog import Catalog
from archive.query import TRIGRAM, Filters, terms, where

SNIPPET_CHARS = 90


@dataclass(frozen=True)
class Hit:
    """One article found: what a researcher needs to decide whether to open it."""

    id: int
    published: str | None
    title: str
    url: str
    snippet: str


def search(catalog: Catalog, text: str, limit: int = 20) -> list[Hit]:
    """The ``limit`` best-ranked latest articles whose title or body holds every term."""
    words = terms(text)
    clause, params = where(catalog, Filters(query=text))
    long_terms = [w for w in words if len(w) >= TRIGRAM]
    select = "SELECT t.id, t.published, t.title, t.url, t.body "
    if long_terms:
        # Texts stored after the index's last update have no rank: they come after.
        ranked = ("FROM texts t LEFT JOIN (SELECT rowid, bm25(texts_fts, 10.0, 1.0) AS rank "
                  "FROM texts_fts WHERE texts_fts MATCH ?) f ON f.rowid = t.rowid")
        match = " AND ".join('"' + w.replace('"', '""') + '"' for w in long_terms)
        sql = (select + clause.replace("FROM texts t", ranked, 1)
               + " ORDER BY f.rank IS NULL, f.rank, t.published DESC LIMIT ?")
        rows = catalog.db.execute(sql, [match, *params, limit]).fetchall()
    else:
        in_title = " + ".join("(instr(t.title, ?) > 0)" for _ in words)
        sql = select + clause + f" ORDER BY ({in_title}) DESC, t.published DESC LIMIT ?"
        rows = catalog.db.execute(sql, [*params, *words, limit]).fetchall()
    return [Hit(r[0], r[1], r[2], r[3], snippet(r[4], words)) for r in rows]


def snippet(body: str, words: list[str], width: int = SNIPPET_CHARS) -> str:
    """The stretch of ``body`` around the first term found, terms marked with [ ]."""
    found = [body.find(w) for w in words if w in body]
    start = max(0, min(found, default=0) - width // 3)
    piece = body[start:start + width].replace("\n\n", " / ").replace("\n", " ")
    for word in sorted(set(words), key=len, reverse=True):
        piece = piece.replace(word, f"[{word}]")
    return ("…" if start else "") + piece + ("…" if start + width < len(body) else "")


def format_hit(hit: Hit) -> str:
    """Two lines a terminal shows well: date, title, URL; then the snippet."""
    day = (hit.published or "")[:10] or "----------"
    return f"{day}  {hit.title}  {hit.url}\n            {hit.snippet}"
