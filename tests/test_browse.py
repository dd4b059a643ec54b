"""``newsarc browse``: Datasette on the catalog, with facets and full-text search.

The server runs as a user would start it; facet counts and search hits are checked against
the replica's ground truth and the corpus file.
"""

import json
import re
import socket
from collections import Counter
from datetime import timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest

from archive.browse import metadata

from .conftest import NEWSARC, free_port, serving, usage_error

KST = timezone(timedelta(hours=9))


@pytest.fixture(scope="module")
def server(archive):
    """``newsarc browse DIR --port P`` for the module: (base URL, first line it printed)."""
    port = free_port()
    with serving(NEWSARC, "browse", str(archive), "--port", str(port), port=port) as process:
        line = process.stdout.readline().decode()
        yield f"http://127.0.0.1:{port}", line, port


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
