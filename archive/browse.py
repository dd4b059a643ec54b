"""``newsarc browse DIR``: the catalog in Datasette, for looking around without SQL skills.

Datasette runs in this process (its Python API and uvicorn, as its own ``serve`` does), so
stopping ``newsarc browse`` stops the server: there is no child process to leave behind.
The catalog is opened normally, not as ``immutable``, because a crawl may be appending to
it; Datasette's connections for pages and queries are read-only (``mode=ro``) anyway.

The metadata turns the ``texts`` table and the ``latest`` view into a research front end:
facets by section, reporter (an array facet on the JSON list ``reporters``) and month,
full-text search through ``texts_fts`` (trigram: terms of three characters or more),
newest first.

Anyone who can load a page can run SQL, so what one query can make the server hold is
bounded (``bound_connection``): a string or blob of at most ``MAX_VALUE_BYTES`` (SQLite's
length limit: ``randomblob(300000000)`` is refused before it is allocated), SQLite's heap
at most ``SQLITE_HEAP_BYTES`` for the whole process (the values of one row are in it at
once), and the rows one query hands to Datasette at most ``MAX_RESULT_BYTES``; time is
bounded by ``sql_time_limit_ms``. And only requests that name this server in their
``Host`` header are answered (``HostCheck``): a page on another site cannot reach it by
pointing its own domain name at 127.0.0.1 (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import sqlite3
import sys
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import quote

from archive.catalog import catalog_path
from archive.query import open_catalog
from archive.schema import BY_NAME

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
# A stored value is at most a page's text (DOWNLOAD_MAXSIZE, 16 MiB) and the longest
# legitimate result a page of 1,000 rows (max_returned_rows): these leave room for both.
MAX_VALUE_BYTES = 32 * 1024 * 1024
MAX_RESULT_BYTES = 32 * 1024 * 1024
SQLITE_HEAP_BYTES = 128 * 1024 * 1024
# Columns of the texts table that hold a record field, described as the record table
# describes the field (archive/schema.py); then the catalog's own columns.
RECORD_COLUMNS = ("id", "version", "url", "title", "subtitle", "section", "published",
                  "modified", "body")
COLUMNS = {
    "rowid": "row number; the full-text index refers to it",
    **{name: BY_NAME[name].description for name in RECORD_COLUMNS},
    "month": "publication month, YYYY-MM (Korea time)",
    "reporters": "bylined reporters, a JSON list",
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
    _register_limits()
    # Datasette reads with mode=ro, which needs SQLite's reader files beside the catalog; in
    # a folder this process cannot write (a read-only archive) no writer can change the file.
    files = [str(catalog_path(archive))]
    writable = os.access(archive, os.W_OK)
    datasette = Datasette(files if writable else [], immutables=[] if writable else files,
                          metadata=metadata(outlet, articles), settings=SETTINGS)
    asyncio.run(datasette.invoke_startup())
    print(f"newsarc browse: {outlet or archive} ({articles} articles) at "
          f"{url(host, port)}/{DATABASE}/latest", flush=True)
    uvicorn.run(HostCheck(datasette.app(), host), host=host, port=port, log_level="warning",
                lifespan="on")


class ResultTooLarge(sqlite3.OperationalError):
    """A query's rows passed ``MAX_RESULT_BYTES``; Datasette shows it as a query error."""


def bound_connection(conn: sqlite3.Connection) -> None:
    """Bound what a query on ``conn`` can allocate (see the module's docstring)."""
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.execute(f"PRAGMA hard_heap_limit = {SQLITE_HEAP_BYTES}")
    make_row = conn.row_factory or (lambda cursor, row: row)
    counted: dict[str, Any] = {"cursor": lambda: None, "bytes": 0}

    def counting_row(cursor: sqlite3.Cursor, row: tuple) -> Any:
        if counted["cursor"]() is not cursor:  # a new query; a weak reference, so that
            counted["cursor"] = weakref.ref(cursor)  # a finished cursor is not kept open
            counted["bytes"] = 0
        counted["bytes"] += sum(sys.getsizeof(value) for value in row)
        if counted["bytes"] > MAX_RESULT_BYTES:
            raise ResultTooLarge(f"the result is larger than newsarc browse allows "
                                 f"({MAX_RESULT_BYTES // 2**20} MiB): ask for fewer rows "
                                 f"or shorter values")
        return make_row(cursor, row)

    conn.row_factory = counting_row


def _register_limits() -> None:
    """Datasette plugin hooks (its public API): every connection it opens is bounded, and a
    query SQLite refused for memory (``MemoryError``) is a 400 naming the limit, not a 500."""
    from datasette import hookimpl
    from datasette.plugins import pm
    from datasette.utils.asgi import Response

    class NewsarcLimits:  # registered as a class: Datasette lists plugins by __name__
        @staticmethod
        @hookimpl
        def prepare_connection(conn: sqlite3.Connection) -> None:
            bound_connection(conn)

        @staticmethod
        @hookimpl
        def handle_exception(request: Any, exception: Exception) -> Any:
            if not isinstance(exception, MemoryError):
                return None
            message = (f"the query needs more memory than newsarc browse allows "
                       f"({SQLITE_HEAP_BYTES // 2**20} MiB for SQLite)")
            if request.path.endswith(".json"):
                return Response.json({"ok": False, "error": message, "status": 400,
                                      "title": "Query too large"}, status=400)
            return Response.text(f"Query too large: {message}\n", status=400)

    if pm.get_plugin("newsarc-limits") is None:
        pm.register(NewsarcLimits, name="newsarc-limits")


class HostCheck:
    """ASGI middleware: answer only requests whose ``Host`` names this server.

    Allowed: an IP address literal (a rebinding page always uses a domain name, so a
    literal address cannot be one), ``localhost``, and the ``--host`` given. The port is
    not compared, so an SSH tunnel or port forward to another port keeps working. Others
    get 400 before Datasette sees them.
    """

    def __init__(self, app: Any, host: str) -> None:
        self.app = app
        self.names = {"localhost", _bare(host)}

    def allows(self, header: str | None) -> bool:
        if not header:
            return False
        if header.startswith("["):
            name = header[1:].partition("]")[0]
        else:
            name = header.rpartition(":")[0] if ":" in header else header
        name = _bare(name)
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            return name in self.names

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            hosts = [value.decode("latin-1") for key, value in scope.get("headers", ())
                     if key.lower() == b"host"]
            if len(hosts) != 1 or not self.allows(hosts[0]):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                shown = repr(hosts[0]) if hosts else "(none)"
                body = (f"newsarc browse answers only requests addressed to it: Host {shown} "
                        f"is not this server's address (start it with --host NAME to be "
                        f"reached as NAME)\n").encode()
                await send({"type": "http.response.start", "status": 400, "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def _bare(host: str) -> str:
    """A host name or address as compared: lower case, no brackets, no trailing dot."""
    return host.strip().strip("[]").rstrip(".").lower()


def _describe(archive: Path) -> tuple[str | None, int]:
    """The outlet's name and article count, read-only (``open_catalog``): the full-text
    index Datasette searches is kept up to date by the crawls that write the archive."""
    catalog = open_catalog(archive)
    try:
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
