"""``newsarc browse DIR``: the catalog in Datasette, for looking around without SQL skills.

Datasette runs in this process (its Python API and uvicorn, as its own ``serve`` does), so
stopping ``newsarc browse`` stops the server: there is no child process to leave behind.
The catalog is opened normally, not as ``immutable``, because a crawl may be appending to
it; Datasette's connections for pages and queries are read-only (``mode=ro``) anyway.

The metadata turns the ``texts`` table and the ``latest`` view into a research front end:
facets by section, reporter (an array facet on the JSON list ``reporters``) and month,
full-text search through ``texts_fts`` (trigram: terms of three characters or more),
newest first.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote

from archive.catalog import catalog_path
from archive.query import open_catalog

DATABASE = "catalog"  # Datasette names a database after its file's stem
FACETS = ["section", {"array": "reporters"}, "month"]
# Datasette 0.65 cannot leave a column out by default (only ?_nocol= per request), so the
# full-record JSON is hidden on table pages by a style rule; row pages and JSON keep it.
HIDDEN_COLUMNS = ("record",)
SETTINGS = {
    "truncate_cells_html": 300,  # bodies are long; the row page shows them whole
    "suggest_facets": False,  # the configured facets are the useful ones, and it is faster
    "facet_time_limit_ms": 2000,  # an array facet over a large corpus needs more than 200 ms
    "sql_time_limit_ms": 5000,
    "default_page_size": 50,
}
COLUMNS = {
    "rowid": "row number; the full-text index refers to it",
    "id": "the CMS's article number (another URL scheme: the number in the URL, else an id "
          "derived from the canonical URL)",
    "version": "1 for the first body of an article, +1 for each edit",
    "section": "section name",
    "published": "등록 time, Korea time (+09:00)",
    "modified": "수정 time, Korea time; empty when never edited",
    "month": "publication month, YYYY-MM (Korea time)",
    "reporters": "bylined reporters, a JSON list",
    "body": "the reporter's paragraphs, separated by a blank line",
    "body_chars": "length of the body in characters",
    "record": "the rest of the corpus record as JSON (authors, images, extraction: profile "
              "and method, warc), its body left empty: the body is the body column (hidden "
              "on this page; see a row's page)",
}


def serve(archive: Path, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve the archive's catalog with Datasette until interrupted.

    ValueError (one line) for a directory that is not an archive, an empty archive, or an
    address that cannot be listened on.
    """
    import uvicorn
    from datasette.app import Datasette

    outlet, articles = _describe(archive)
    _check_address(host, port)
    datasette = Datasette(
        [str(catalog_path(archive))], metadata=metadata(outlet, articles), settings=SETTINGS)
    asyncio.run(datasette.invoke_startup())
    print(f"newsarc browse: {outlet or archive} ({articles} articles) at "
          f"{url(host, port)}/{DATABASE}/latest", flush=True)
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")


def _describe(archive: Path) -> tuple[str | None, int]:
    """The outlet's name and article count; on the way, the catalog is caught up with the
    corpus (``open_catalog``) and its full-text index with the texts, so Datasette shows
    and searches every record."""
    catalog = open_catalog(archive)
    try:
        catalog.update_text_index()
        row = catalog.db.execute(
            "SELECT (SELECT json_extract(record, '$.site') FROM latest "
            "WHERE json_extract(record, '$.site') IS NOT NULL LIMIT 1), "
            "(SELECT COUNT(*) FROM latest)").fetchone()
    finally:
        catalog.close()
    return row[0], row[1]


def metadata(outlet: str | None, articles: int) -> dict[str, Any]:
    """Datasette metadata: title, description, and facets and search on texts and latest."""
    name = outlet or "newsarc archive"
    return {
        "title": f"newsarc: {name}",
        "description": (
            f"The archived articles of {name} ({articles} articles), crawled by newsarc. "
            "'latest' holds the latest version of each article, 'texts' every stored "
            "version. Facet by section, reporter and month; search titles and bodies "
            "(terms of three characters or more, e.g. a Korean word of three syllables)."),
        "extra_css_urls": [_css_url()],
        "databases": {DATABASE: {"tables": {
            "latest": _texts_metadata("The latest version of each article, newest first."),
            "texts": _texts_metadata("Every stored version of every article (an edited "
                                     "article has one row per version), newest first."),
            "meta": {"hidden": True},
        }}},
    }


def _texts_metadata(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "facets": FACETS,
        "fts_table": "texts_fts",
        "fts_pk": "rowid",
        "sort_desc": "published",
        "label_column": "title",
        "columns": COLUMNS,
    }


def _css_url() -> str:
    """A style sheet as a data URL, hiding ``HIDDEN_COLUMNS`` on the table pages only."""
    selectors = ", ".join(f"body.table .col-{column}" for column in HIDDEN_COLUMNS)
    return "data:text/css," + quote(f"{selectors} {{ display: none; }}")


def _check_address(host: str, port: int) -> None:
    """ValueError now, rather than a server log line later, when the address is unusable."""
    if not 0 < port < 65536:
        raise ValueError(f"--port {port} is not a port number (1-65535)")
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        socket.create_server((host, port), family=family).close()
    except OSError as exc:
        raise ValueError(f"cannot listen on {host} port {port}: "
                         f"{exc.strerror or exc}") from None


def url(host: str, port: int) -> str:
    """The address to open in a browser (IPv6 hosts in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"
