"""``newsarc browse``: Datasette on the catalog, with facets and full-text search.

The server runs as a user would start it; facet counts and search hits are checked against
the replica's ground truth and the corpus file.
"""

import http.client
import json
import re
import socket
import threading
from collections import Counter
from datetime import timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest

from archive.browse import MAX_RESULT_BYTES, SQLITE_HEAP_BYTES, HostCheck, metadata

from .conftest import NEWSARC, free_port, serving, usage_error

KST = timezone(timedelta(hours=9))


@pytest.fixture(scope="module")
def browsing(archive):
    """``newsarc browse DIR --port P`` for the module: (base URL, first line it printed,
    port, process)."""
    port = free_port()
    with serving(NEWSARC, "browse", str(archive), "--port", str(port), port=port) as process:
        line = process.stdout.readline().decode()
        # Datasette logs every failed query, some with a traceback: read what it writes, or
        # a full pipe would stop the server
        for stream in (process.stdout, process.stderr):
            threading.Thread(target=stream.read, daemon=True).start()
        yield f"http://127.0.0.1:{port}", line, port, process


@pytest.fixture(scope="module")
def server(browsing):
    """(base URL, first line it printed, port)."""
    return browsing[:3]


def fetch(base: str, path: str, **params: str) -> dict:
    with urlopen(f"{base}{path}?{urlencode(params)}", timeout=30) as response:
        return json.load(response)


def facets(data: dict) -> dict[str, dict[str, int]]:
    return {name: {str(r["value"]): r["count"] for r in facet["results"]}
            for name, facet in data["facet_results"].items()}


@pytest.mark.parametrize("table", ["latest", "texts"])
def test_facets_by_section_reporter_and_month(server, replica, table):
    base, _, _ = server
    articles = list(replica.site.articles.values())
    data = fetch(base, f"/catalog/{table}.json", _size="1")
    assert data["filtered_table_rows_count"] == len(articles)
    found = facets(data)
    assert found["section"] == dict(Counter(a.section.name for a in articles))
    bylines = Counter(name for a in articles for name in {r.name for r in a.reporters})
    assert found["reporters"] == dict(bylines)
    months = Counter(a.published.astimezone(KST).strftime("%Y-%m") for a in articles)
    assert found["month"].items() <= months.items()  # at most Datasette's facet size
    assert len(found["month"]) == min(len(months), 30)


def test_section_facet_on_request(server, replica):
    base, _, _ = server
    data = fetch(base, "/catalog/latest.json", _facet="section", _size="1")
    counts = Counter(a.section.name for a in replica.site.articles.values())
    assert facets(data)["section"] == dict(counts)


def _korean_term(replica) -> tuple[int, str]:
    """A run of three Hangul syllables or more from a title: (article id, the run)."""
    for article in sorted(replica.site.articles.values(), key=lambda a: a.id):
        words = re.findall(r"[가-힣]{3,}", article.title)
        if words:
            return article.id, max(words, key=len)
    raise AssertionError("no title with three Hangul syllables in a row")


@pytest.mark.parametrize("table", ["latest", "texts"])
def test_full_text_search_finds_a_korean_title(server, replica, archive, table):
    base, _, _ = server
    article_id, term = _korean_term(replica)
    data = fetch(base, f"/catalog/{table}.json", _search=term, _shape="objects",
                 _size="max", _col="id")
    ids = {row["id"] for row in data["rows"]}
    assert article_id in ids
    records = [json.loads(line) for line in (archive / "articles.jsonl").open()]
    holding = {r["id"] for r in records if term in r["title"] or term in r["body"]}
    assert ids == holding


def test_newest_first_and_titled(server, replica):
    base, _, _ = server
    rows = fetch(base, "/catalog/latest.json", _shape="objects", _size="5")["rows"]
    published = [row["published"] for row in rows]
    assert published == sorted(published, reverse=True)
    assert "record" in rows[0]  # hidden on the HTML page only
    site = fetch(base, "/-/metadata.json")
    assert site["title"] == f"newsarc: {replica.site.name}"
    assert site["description"]


def test_record_column_hidden_on_table_pages(server):
    base, _, _ = server
    with urlopen(f"{base}/catalog/latest", timeout=30) as response:
        page = response.read().decode()
    assert "data:text/css," in page and "col-record" in page


def test_queries_cannot_write(server, archive):
    base, _, _ = server
    with pytest.raises(OSError):  # Datasette answers 400: only SELECT statements
        fetch(base, "/catalog.json", sql="DELETE FROM texts")
    assert fetch(base, "/catalog/texts.json", _size="1")["filtered_table_rows_count"] == 60


def test_listens_on_loopback_only_by_default(server):
    base, line, port = server
    assert f"{base}/catalog/latest" in line
    with pytest.raises(OSError):  # all of 127/8 is loopback: a wildcard bind would answer
        socket.create_connection(("127.0.0.2", port), timeout=2).close()
    proc = Path("/proc/net/tcp")
    if proc.exists():
        listening = [fields[1] for fields in (row.split() for row in proc.open())
                     if fields[1].endswith(f":{port:04X}") and fields[3] == "0A"]
        assert listening == [f"0100007F:{port:04X}"]


def test_metadata_configures_texts_and_latest():
    data = metadata("뉴미디어타임즈", 3)
    assert data["title"] == "newsarc: 뉴미디어타임즈"
    tables = data["databases"]["catalog"]["tables"]
    for name in ("texts", "latest"):
        assert {"array": "reporters"} in tables[name]["facets"]
        assert (tables[name]["fts_table"], tables[name]["fts_pk"]) == ("texts_fts", "rowid")


def _fails(*args: str) -> str:
    return usage_error("browse", *args)


def test_port_in_use(archive):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert "cannot listen" in _fails(str(archive), "--port", str(port))


def test_bad_port(archive):
    assert "not a port number" in _fails(str(archive), "--port", "70000")


def _get(port: int, path: str, host: str | None = None, **params: str) -> tuple[int, bytes]:
    """GET with the Host header given (http.client sends the one it is told)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest("GET", f"{path}?{urlencode(params)}", skip_host=True)
        connection.putheader("Host", host or f"127.0.0.1:{port}")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").open():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc")


ROWS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_a_query_cannot_take_the_memory(browsing):
    """One value, one row and one result are each bounded: a 300 MB blob (which took
    1.3 GB before), ten 30 MB blobs in a row (300 MB of one row), and 200 rows of 20 MB
    are refused, and the server's peak memory stays within a few hundred MB."""
    _, _, port, process = browsing
    status, body = _get(port, "/catalog.json", sql="select randomblob(300000000)")
    assert status == 400 and json.loads(body)["error"] == "string or blob too big"

    wide = "select " + ", ".join(["randomblob(30000000)"] * 10)
    status, body = _get(port, "/catalog.json", sql=wide)
    assert status == 400
    assert f"{SQLITE_HEAP_BYTES // 2**20} MiB" in json.loads(body)["error"]
    status, body = _get(port, "/catalog", sql=wide)  # the HTML page too
    assert status == 400 and b"more memory than newsarc browse allows" in body

    for sql in (ROWS.format(200) + "select randomblob(20000000) from n",
                ROWS.format(200) + "select hex(randomblob(15000000)) from n"):
        status, body = _get(port, "/catalog.json", sql=sql)
        assert status == 400
        assert f"larger than newsarc browse allows ({MAX_RESULT_BYTES // 2**20} MiB)" in \
            json.loads(body)["error"]

    assert _peak_rss_mib(process.pid) < 512
    # and it still answers; a large legitimate result is not refused (1,000 rows of six
    # bodies each, about 10 MB)
    status, body = _get(port, "/catalog.json", sql="select count(*) from texts")
    assert status == 200 and json.loads(body)["rows"] == [[60]]
    six = " || ".join(["body"] * 6)
    status, body = _get(port, "/catalog.json", _shape="array",
                        sql=ROWS.format(990) + f"select {six} as six from texts, n")
    assert status == 200
    rows = json.loads(body)
    assert len(rows) == 1000  # max_returned_rows
    assert sum(len(row["six"]) for row in rows) > 2_500_000  # characters


def test_other_hosts_refused(server):
    """DNS rebinding: a page on evil.example whose name resolves to 127.0.0.1 sends
    ``Host: evil.example``; it gets 400, and Datasette never sees the request."""
    _, _, port = server
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}",
                 f"localhost.evil.example:{port}"):
        status, body = _get(port, "/catalog/latest.json", host=host)
        assert status == 400, host
        assert b"answers only requests addressed to it" in body
        assert b"facet_results" not in body
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}",
                 f"[::1]:{port}", "127.0.0.1:9999"):  # another port: an SSH tunnel
        status, body = _get(port, "/catalog/latest.json", host=host, _size="1")
        assert status == 200, host
        assert json.loads(body)["filtered_table_rows_count"] == 60


def test_host_names_allowed():
    """The name given with ``--host`` is allowed too; without a Host header, nothing."""
    check = HostCheck(app=None, host="archive.lan")
    assert check.allows("archive.lan:8001") and check.allows("Archive.LAN.")
    assert check.allows("localhost") and check.allows("192.0.2.7:8001")
    assert check.allows("[2001:db8::1]:8001")
    assert not check.allows("evil.example:8001") and not check.allows("lan")
    assert not check.allows("") and not check.allows(None)
    wildcard = HostCheck(app=None, host="0.0.0.0")
    assert wildcard.allows("10.0.0.5:8001") and not wildcard.allows("myhost.lan:8001")
