"""WARC snapshots, index, verify, re-extraction and WACZ, on a real crawl of the replica."""

import json
import re
import sys
import zipfile
from collections import Counter

from warcio.archiveiterator import ArchiveIterator

from archive.corpus import read_records
from archive.index import index_path, update_index
from archive.warc import WARC_SUFFIX, read_record_at, warc_files
from crawler.extract import extract

from .conftest import NEWSARC, REPO, run

WARCIO = str(REPO / ".venv" / "bin" / "warcio")
NAME_RE = re.compile(r"^newsarc-\d{17}-[A-Za-z0-9-]+-\d+-[0-9a-f]{6}\.warc\.gz$")


def all_records(archive):
    """(file name, record headers, http headers, raw payload) of every record."""
    found = []
    for path in warc_files(archive):
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle):
                raw = record.raw_stream.read()
                found.append((path.name, record.rec_type, record.rec_headers,
                              record.http_headers, raw))
    return found


def test_files_are_closed_rotated_named_and_pass_warcio_check(archive):
    names = [p.name for p in (archive / "warc").iterdir()]
    assert not [n for n in names if not n.endswith(WARC_SUFFIX)], names
    assert len(names) > 1, "a 300 kB limit must rotate the files"
    assert all(NAME_RE.match(n) for n in names), names
    for path in warc_files(archive):
        check = run(WARCIO, "check", str(path))
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()


def test_every_exchange_is_a_linked_request_response_pair(archive, replica):
    records = all_records(archive)
    kinds = Counter(kind for _, kind, *_ in records)
    assert kinds["warcinfo"] == len(warc_files(archive))
    assert kinds["request"] == kinds["response"] > 0
    responses = {h.get_header("WARC-Record-ID"): h for _, k, h, *_ in records if k == "response"}
    for _, kind, headers, http, _raw in records:
        if kind == "warcinfo":
            continue
        assert headers.get_header("WARC-Block-Digest").startswith("sha1:")
        assert headers.get_header("WARC-Payload-Digest").startswith("sha1:")
        assert headers.get_header("WARC-IP-Address") == "127.0.0.1"
        if kind == "request":
            partner = responses[headers.get_header("WARC-Concurrent-To")]
            uri = headers.get_header("WARC-Target-URI")
            assert partner.get_header("WARC-Target-URI") == uri
            target = uri.split(replica.url, 1)[1]
            assert http.protocol == "GET" and http.statusline == f"{target} HTTP/1.1"
            assert http.get_header("User-Agent").startswith("newsarc/")


def test_responses_are_stored_as_the_server_sent_them(archive):
    records = all_records(archive)
    article = next(r for r in records if r[1] == "response"
                   and "/news/article.html?no=" in r[2].get_header("WARC-Target-URI")
                   and r[3].get_statuscode() == "200")
    _, _, _, http, raw = article
    assert http.get_header("Content-Encoding") == "gzip"
    assert raw[:2] == b"\x1f\x8b", "the payload must be the compressed bytes, not Scrapy's"
    cookies = [v for k, v in http.headers if k.lower() == "set-cookie"]
    assert len(cookies) == 2, "every value of a multi-valued header is kept"


def test_everything_a_crawl_touches_is_archived(archive, replica):
    uris = {r[2].get_header("WARC-Target-URI") for r in all_records(archive) if r[1] == "response"}
    paths = {u.split(replica.url, 1)[1] for u in uris}
    assert "/robots.txt" in paths
    assert "/data/rss/news.xml" in paths
    assert any(p.startswith("/news/article_list_all.html") for p in paths)
    assert any(p.startswith("/data/photos/") for p in paths)
    assert any(p.endswith(".css") for p in paths) and any(p.endswith(".js") for p in paths)
    site = replica.site
    for number in site.articles:
        assert f"/news/article.html?no={number}" in paths
    for art in site.articles.values():
        for photo in art.photos:
            assert photo.path in paths, "page requisites are archived"


def test_index_is_sorted_and_complete(archive):
    lines = index_path(archive).read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)
    indexed = {json.loads(line.split(" ", 2)[2])["url"] for line in lines}
    for record in read_records(archive / "articles.jsonl"):
        assert record["url"] in indexed
    rebuilt = archive / "rebuilt"
    rebuilt.mkdir()
    (rebuilt / "warc").symlink_to(archive / "warc")
    update_index(rebuilt)  # no index there yet: every file read by cdxj-indexer
    assert index_path(rebuilt).read_text(encoding="utf-8").splitlines() == lines


def test_every_record_points_at_its_response(archive):
    for record in read_records(archive / "articles.jsonl"):
        warc_record, payload = read_record_at(archive, record["warc"])
        assert warc_record.rec_type == "response"
        assert warc_record.rec_headers.get_header("WARC-Target-URI") == record["url"]
        assert warc_record.rec_headers.get_header("WARC-Record-ID") == record["warc"]["record_id"]
        assert extract(payload, record["url"])["body"] == record["body"]


def test_verify_passes_and_catches_damage(archive, tmp_path):
    result = run(NEWSARC, "verify", str(archive))
    assert result.returncode == 0, result.stdout.decode()
    assert "sound" in result.stdout.decode()
    # Damage a copy: flip bytes inside one response's block, and break one pointer.
    damaged = tmp_path / "damaged"
    (damaged / "warc").mkdir(parents=True)
    for path in warc_files(archive):
        (damaged / "warc" / path.name).write_bytes(path.read_bytes())
    records = list(read_records(archive / "articles.jsonl"))
    records[0]["warc"] = {**records[0]["warc"], "offset": records[0]["warc"]["offset"] + 1}
    (damaged / "articles.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    tampered = damaged / "warc" / "newsarc-20000101000000000-x-1-abcdef.warc.gz"
    tamper_copy(warc_files(archive)[0], tampered)
    cut = damaged / "warc" / "newsarc-20000101000000001-x-1-abcdef.warc.gz"
    cut.write_bytes(warc_files(archive)[0].read_bytes()[:-100])
    bad = run(NEWSARC, "verify", str(damaged))
    assert bad.returncode == 1
    output = bad.stdout.decode()
    assert f"(id {records[0]['id']})" in output
    assert f"{tampered.name} @" in output and "digest" in output
    assert f"{cut.name} @" in output and ": damaged: cut off" in output


def tamper_copy(source, target):
    """Copy a WARC file with one byte of a response payload changed, digests left as they
    were: what silent corruption on disk looks like to a reader."""
    from io import BytesIO

    from warcio.warcwriter import WARCWriter

    with source.open("rb") as handle, target.open("wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        changed = False
        for record in ArchiveIterator(handle):
            payload = record.raw_stream.read()
            if record.rec_type == "response" and not changed and len(payload) > 10:
                payload = payload[:5] + bytes([payload[5] ^ 1]) + payload[6:]
                changed = True
            writer.write_record(writer.create_warc_record(
                "", record.rec_type, payload=BytesIO(payload), length=len(payload),
                warc_headers=record.rec_headers, http_headers=record.http_headers))


def test_reextract_reproduces_the_corpus(archive, tmp_path):
    out = tmp_path / "again.jsonl"
    result = run(NEWSARC, "reextract", str(archive), "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()
    original = list(read_records(archive / "articles.jsonl"))
    again = list(read_records(out))
    assert again == original


def test_wacz_package(archive, tmp_path):
    out = tmp_path / "archive.wacz"
    result = run(NEWSARC, "wacz", str(archive), "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()
    with zipfile.ZipFile(out) as package:
        names = package.namelist()
        assert "datapackage.json" in names
        assert {f"archive/{p.name}" for p in warc_files(archive)} <= set(names)
        pages = [json.loads(line) for line in
                 package.read("pages/pages.jsonl").decode("utf-8").splitlines()[1:]]
    titles = {p["url"]: p["title"] for p in pages}
    for record in read_records(archive / "articles.jsonl"):
        assert titles[record["url"]] == record["title"]


def test_archive_commands_reject_a_directory_that_is_no_archive(tmp_path):
    for command in ("reextract",):  # verify reads any folder: test_sources.py
        result = run(NEWSARC, command, str(tmp_path))
        assert result.returncode == 2, command
        assert result.stderr.decode().startswith(f"newsarc {command}: "), command


class _Zeros:
    """A seekable stream of ``size`` zero bytes, never held in memory at once."""

    def __init__(self, size):
        self.size, self.position = size, 0

    def read(self, n=-1):
        n = self.size - self.position if n is None or n < 0 else n
        n = max(0, min(n, self.size - self.position, 1 << 20))
        self.position += n
        return bytes(n)

    def tell(self):
        return self.position

    def seek(self, offset, whence=0):
        self.position = offset if whence == 0 else self.size + offset
        return self.position


def test_verify_streams_a_record_too_large_to_hold(tmp_path):
    """A 300 MB response (zeros: a few hundred kB compressed) is checked in chunks: its
    digests still checked, and verify's memory stays far below the record's size."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    size = 300 * 2**20
    (tmp_path / "warc").mkdir()
    path = tmp_path / "warc" / "newsarc-20000101000000000-x-1-abcdef.warc.gz"
    with path.open("wb") as handle:
        http = StatusAndHeaders("200 OK", [("Content-Type", "application/octet-stream"),
                                           ("Content-Length", str(size))],
                                protocol="HTTP/1.1")
        WARCWriter(handle, gzip=True).write_record(WARCWriter(None).create_warc_record(
            "http://example.test/big.bin", "response", payload=_Zeros(size), length=size,
            http_headers=http))
    assert path.stat().st_size < size // 100
    # Started from a small Python process: a child's peak RSS counts the copy of its parent
    # it begins as, and this test process is large by now.
    peak = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], "
            "capture_output=True, text=True); print(done.stdout); "
            "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    result = run(sys.executable, "-c", peak, NEWSARC, "verify", str(tmp_path))
    *output, last = result.stdout.decode().strip().splitlines()
    status, max_rss_kib = map(int, last.split())
    assert status == 0, "\n".join(output)[-2000:]
    assert "1 WARC files, 1 records with digests checked" in "\n".join(output)
    assert max_rss_kib < 150 * 1024  # far below the 300 MiB record
