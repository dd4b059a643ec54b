"""``newsarc import`` and ``newsarc reextract`` over WARC files made elsewhere.

The files are made here with warcio from the replica's own pages, as other tools write
them: WARC 1.0 and 1.1, gzip per record, one gzip stream for the whole file, or none; a
desktop, a mobile, a print and a decorated capture; a revisit in one file of a response
in another; a host that is not the outlet's; a damaged file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import urllib.request
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.corpus import read_records
from archive.warc import warc_files
from newsarc.replica.render import STYLESHEET

from .conftest import NEWSARC, run

FOREIGN = "http://other.example"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(url: str) -> tuple[int, list[tuple[str, str]], bytes]:
    with urllib.request.urlopen(url) as answer:
        return answer.status, list(answer.headers.items()), answer.read()


class Capture:
    """A response of the replica (or a revisit of one), to write as a WARC record."""

    def __init__(self, url: str, date: str, *, as_url: str | None = None,
                 revisit_of: Capture | None = None, refers_to: str | None = None,
                 bare: bool = False) -> None:
        self.url, self.date, self.as_url = url, date, as_url or url
        self.revisit_of, self.refers_to, self.bare = revisit_of, refers_to, bare
        self.record_id: str | None = None
        self.status, self.headers, self.body = fetch(url)


def write_warc(path: Path, captures: list[Capture], *, version: str = "1.1",
               packing: str = "record") -> Path:
    """``packing``: "record" (a gzip member per record), "whole" (one gzip stream) or
    "none"."""
    buffer = BytesIO()
    writer = WARCWriter(buffer, gzip=packing == "record",
                        warc_version=f"WARC/{version}")
    for capture in captures:
        headers = [(k, v) for k, v in capture.headers
                   if k.lower() not in ("transfer-encoding", "content-encoding")]
        http = StatusAndHeaders(f"{capture.status} OK", headers, protocol="HTTP/1.1")
        warc_headers = {"WARC-Date": capture.date}
        if capture.revisit_of is not None:
            original = capture.revisit_of
            if capture.refers_to is not None:
                warc_headers["WARC-Refers-To"] = capture.refers_to
            digest = "sha1:" + _b32_sha1(capture.body)
            record = writer.create_revisit_record(
                capture.as_url, digest, original.as_url, original.date,
                http_headers=StatusAndHeaders(f"{capture.status} OK", headers,
                                              protocol="HTTP/1.1"),
                warc_headers_dict=warc_headers)
            if capture.bare:  # the payload digest alone says what it repeats
                record.rec_headers.remove_header("WARC-Refers-To-Target-URI")
                record.rec_headers.remove_header("WARC-Refers-To-Date")
        else:
            record = writer.create_warc_record(
                capture.as_url, "response", payload=BytesIO(capture.body),
                length=len(capture.body), http_headers=http, warc_headers_dict=warc_headers)
        capture.record_id = record.rec_headers.get_header("WARC-Record-ID")
        writer.write_record(record)
    data = buffer.getvalue()
    path.write_bytes(gzip.compress(data) if packing == "whole" else data)
    return path


def _b32_sha1(data: bytes) -> str:
    import base64

    return base64.b32encode(hashlib.sha1(data).digest()).decode()


def import_(inputs: list[Path], out: Path, *extra: str):
    result = run(NEWSARC, "import", *map(str, inputs), "--out", str(out), "--jobs", "2",
                 *extra)
    stdout, stderr = result.stdout.decode(), result.stderr.decode()
    assert "Traceback" not in stderr, stderr[-3000:]
    return result.returncode, stdout, stderr


@pytest.fixture(scope="module")
def crawled(archive):
    """The crawl's record of each article, by id: what an import must reproduce."""
    return {r["id"]: r for r in read_records(archive / "articles.jsonl")}


@pytest.fixture(scope="module")
def made(replica, crawled, tmp_path_factory):
    """Four files of other tools' kinds, and the captures in them."""
    root = replica.url
    folder = tmp_path_factory.mktemp("foreign")
    ids = sorted(crawled)
    article = f"{root}/news/article.html?no="
    desktop = [Capture(f"{article}{n}", f"2025-01-0{1 + i % 5}T0{i % 10}:00:00Z")
               for i, n in enumerate(ids[:12])]
    style = Capture(f"{root}{STYLESHEET}", "2025-01-01T00:30:00Z")
    foreign = Capture(f"{article}{ids[0]}", "2025-01-01T01:00:00Z",
                      as_url=f"{FOREIGN}/news/article.html?no={ids[0]}")
    first = write_warc(folder / "heritrix-2025.warc.gz", [*desktop, style, foreign],
                       version="1.0")
    mobile = Capture(f"{root}/mobile/article.html?no={ids[12]}", "2025-02-01T00:00:00Z")
    printed = Capture(f"{root}/news/article_print.html?no={ids[13]}", "2025-02-01T00:01:00Z")
    decorated = Capture(f"{article}{ids[14]}&sc_code=S1N1&page=1", "2025-02-01T00:02:00Z")
    revisit = Capture(desktop[0].url, "2025-03-01T00:00:00Z", revisit_of=desktop[0],
                      refers_to=desktop[0].record_id)
    second = write_warc(folder / "wget-later.warc", [mobile, printed, decorated, revisit],
                        packing="none")
    later = [Capture(f"{article}{n}", "2025-04-01T00:00:00Z") for n in ids[15:18]]
    whole = write_warc(folder / "gzipped-whole.warc.gz", later, packing="whole")
    damaged = write_warc(folder / "cut-off.warc.gz",
                         [Capture(f"{article}{n}", "2025-05-01T00:00:00Z")
                          for n in ids[18:21]])
    data = damaged.read_bytes()
    damaged.write_bytes(data[: len(data) - 200])
    return {"folder": folder, "files": [first, second, whole, damaged], "ids": ids,
            "revisit": revisit, "mobile": mobile, "printed": printed, "decorated": decorated,
            "desktop": desktop}


def catalog_rows(out: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(out / "catalog.sqlite") as db:
        return db.execute(sql).fetchall()


def test_import_of_files_from_other_tools(made, crawled, replica, tmp_path):
    files = made["files"]
    before = {path: sha256(path) for path in files}
    out = tmp_path / "imported"
    status, stdout, stderr = import_(files, out)

    # The damaged file: one line naming it and the byte; the rest imported; exit 1.
    assert status == 1, stdout + stderr
    problems = stderr.splitlines()
    assert len(problems) == 1, stderr
    assert problems[0].startswith(f"newsarc import: {files[3]} @"), problems
    assert ": damaged: " in problems[0]
    port = replica.url.rsplit(":", 1)[1]
    assert f"site: 127.0.0.1:{port} (" in stdout, stdout
    summary = stdout.strip().splitlines()[-1]
    assert "4 file(s)" in summary and "1 problem(s)" in summary and "pages/s" in summary

    # Every article of the good records once, bodies as the crawl stored them.
    records = list(read_records(out / "articles.jsonl"))
    ids = made["ids"]
    got = [r["id"] for r in records]
    assert len(got) == len(set(got)), "each article once"
    assert set(got) == set(ids[:20])  # of the cut-off file, the records before the cut
    for record in records:
        assert record["body"] == crawled[record["id"]]["body"], record["id"]
        assert record["title"] == crawled[record["id"]]["title"]
        assert record["url"] == crawled[record["id"]]["url"]
        assert record["version"] == 1
    by_id = {r["id"]: r for r in records}
    assert by_id[ids[0]]["fetched_at"] == "2025-01-01T00:00:00+00:00"
    # Pointers name the response record, with its URI when it is not the record's URL.
    assert by_id[ids[12]]["warc"]["target_uri"] == made["mobile"].url
    assert by_id[ids[13]]["warc"]["target_uri"] == made["printed"].url
    assert by_id[ids[14]]["warc"]["target_uri"] == made["decorated"].url
    assert "target_uri" not in by_id[ids[1]]["warc"]
    assert by_id[ids[0]]["warc"]["filename"] == "heritrix-2025.warc.gz"
    assert by_id[ids[15]]["warc"]["filename"] == "gzipped-whole.warc"
    assert by_id[ids[0]]["warc"]["record_id"] == made["desktop"][0].record_id

    # The other host's capture is in the stored file, but not extracted.
    assert FOREIGN not in (out / "articles.jsonl").read_text()

    # Files: unchanged, linked or copied; the whole-file gzip one decompressed.
    assert {path: sha256(path) for path in files} == before
    stored = out / "warc"
    assert sha256(stored / "heritrix-2025.warc.gz") == before[files[0]]
    assert (stored / "heritrix-2025.warc.gz").stat().st_ino == files[0].stat().st_ino
    assert sha256(stored / "wget-later.warc") == before[files[1]]
    assert (stored / "gzipped-whole.warc").read_bytes() == gzip.decompress(
        files[2].read_bytes())
    assert not (stored / "gzipped-whole.warc.gz").exists()
    assert "stored decompressed as warc/gzipped-whole.warc" in stdout

    # The catalog as a crawl fills it: the revisit an unchanged capture of its article.
    kinds = dict(catalog_rows(out, "SELECT kind, COUNT(*) FROM captures GROUP BY kind"))
    assert kinds["revisit"] == 1 and kinds["response"] == len(records)
    revisit = catalog_rows(out, "SELECT id, warc_filename, warc_date FROM captures "
                                "WHERE kind = 'revisit'")
    assert revisit == [(ids[0], "wget-later.warc", "2025-03-01T00:00:00Z")]
    assert catalog_rows(out, f"SELECT last_seen FROM articles WHERE id = {ids[0]}") == [
        ("2025-03-01T00:00:00+00:00",)]
    assert catalog_rows(out, "SELECT url FROM resources") == [
        (f"{replica.url}{STYLESHEET}",)]
    runs = json.loads(run(NEWSARC, "runs", str(out), "--json").stdout.decode().splitlines()[0])
    assert runs["mode"] == "import" and runs["stats"]["articles_new"] == len(records)
    run_files = list((out / "runs").glob("*.json"))  # as a crawl leaves its summary
    assert [json.loads(f.read_text())["mode"] for f in run_files] == ["import"]
    meta = dict(catalog_rows(out, "SELECT key, value FROM meta"))
    assert (int(meta["vouched_low"]), int(meta["vouched_high"])) == (min(got), max(got))

    # The same files again: skipped, nothing new; a clash of names: that file refused.
    status, stdout, stderr = import_(files[:3], out)
    assert status == 0, stdout + stderr
    assert stdout.count("(same name and content); skipped") == 3
    assert list(read_records(out / "articles.jsonl")) == records
    impostor = tmp_path / "elsewhere" / "wget-later.warc"
    impostor.parent.mkdir()
    write_warc(impostor, [Capture(f"{replica.url}/news/article.html?no={ids[30]}",
                                  "2025-06-01T00:00:00Z")], packing="none")
    fresh = write_warc(tmp_path / "elsewhere" / "fresh.warc.gz",
                       [Capture(f"{replica.url}/news/article.html?no={ids[31]}",
                                "2025-06-01T00:00:00Z")])
    status, stdout, stderr = import_([impostor, fresh], out)
    assert status == 1 and stderr.count("\n") == 1, stderr
    assert f"{impostor}: not imported: warc/wget-later.warc exists with other content" in stderr
    assert "1 new" in stdout
    assert {r["id"] for r in read_records(out / "articles.jsonl")} == set(got) | {ids[31]}


def test_imported_archive_serves_every_command(made, crawled, tmp_path):
    out = tmp_path / "clean"
    status, stdout, stderr = import_(made["files"][:3], out, "--site", "127.0.0.1")
    assert status == 0, stdout + stderr
    verdict = run(NEWSARC, "verify", str(out))
    assert verdict.returncode == 0, verdict.stdout.decode()[-3000:]
    assert "sound" in verdict.stdout.decode()
    exported = tmp_path / "export.jsonl"
    result = run(NEWSARC, "export", str(out), "--format", "jsonl", "--out", str(exported))
    assert result.returncode == 0, result.stderr.decode()
    assert len(exported.read_text().splitlines()) == 18
    some = crawled[made["ids"][3]]
    word = some["title"].split()[0]
    result = run(NEWSARC, "search", str(out), word)
    assert result.returncode == 0 and str(some["id"]) in result.stdout.decode()
    result = run(NEWSARC, "show", str(out), str(made["ids"][0]))
    shown = result.stdout.decode()
    assert result.returncode == 0 and "revisit" in shown and "heritrix-2025.warc.gz" in shown
    result = run(NEWSARC, "stats", str(out))
    assert result.returncode == 0 and "import" in result.stdout.decode()


def test_reextract_reads_files_from_other_tools(made, crawled, tmp_path):
    out = tmp_path / "re.jsonl"
    result = run(NEWSARC, "reextract", *map(str, made["files"][:3]), "--out", str(out),
                 "--jobs", "2")
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    records = list(read_records(out))
    assert sorted(r["id"] for r in records) == sorted(made["ids"][:18])
    by_id = {r["id"]: r for r in records}
    assert by_id[made["ids"][12]]["warc"]["target_uri"] == made["mobile"].url
    assert by_id[made["ids"][15]]["warc"]["filename"] == "gzipped-whole.warc"
    for record in records:
        assert record["body"] == crawled[record["id"]]["body"]
    # The same records as an import stores (one pipeline).
    imported = tmp_path / "imported"
    assert import_(made["files"][:3], imported)[0] == 0
    assert list(read_records(imported / "articles.jsonl")) == records
    # A damaged file: one line naming it and the byte, the rest kept, exit 1.
    result = run(NEWSARC, "reextract", *map(str, made["files"]), "--out", str(out))
    stderr = result.stderr.decode()
    assert result.returncode == 1 and "Traceback" not in stderr
    assert stderr.count("\n") == 1 and f"{made['files'][3]} @" in stderr, stderr


def test_an_unknown_original_is_named(made, replica, tmp_path):
    """A revisit whose response is in none of the inputs: one line, file and offset."""
    desktop = made["desktop"][2]
    orphan = Capture(desktop.url, "2025-07-01T00:00:00Z", revisit_of=desktop,
                     refers_to="<urn:uuid:00000000-0000-0000-0000-000000000000>")
    path = write_warc(tmp_path / "orphan.warc.gz", [orphan])
    status, stdout, stderr = import_([path], tmp_path / "out", "--site", replica.url)
    assert status == 1, stdout + stderr
    assert stderr == (f"newsarc import: {path} @0: revisit of {desktop.url} whose original "
                      f"(<urn:uuid:00000000-0000-0000-0000-000000000000>) is in none of the "
                      "inputs; not used\n")


def test_revisits_are_matched_by_uri_and_date_or_by_digest(made, replica, tmp_path):
    """Heritrix names the original by URI and date, older tools by nothing but the payload
    digest: both are unchanged captures of the article."""
    desktop = made["desktop"]
    by_date = Capture(desktop[1].url, "2025-07-01T00:00:00Z", revisit_of=desktop[1])
    by_digest = Capture(desktop[2].url, "2025-07-02T00:00:00Z", revisit_of=desktop[2],
                        bare=True)
    path = write_warc(tmp_path / "revisits.warc.gz", [by_date, by_digest], version="1.0")
    out = tmp_path / "out"
    status, stdout, stderr = import_([made["files"][0], path], out)
    assert status == 0, stdout + stderr
    assert "12 new, 0 changed; 2 more captures of them unchanged" in stdout, stdout
    assert catalog_rows(out, "SELECT id, warc_date FROM captures WHERE kind = 'revisit' "
                             "ORDER BY warc_date") == [
        (made["ids"][1], "2025-07-01T00:00:00Z"), (made["ids"][2], "2025-07-02T00:00:00Z")]


def test_an_arc_file(replica, crawled, tmp_path):
    """ARC, the Internet Archive's format before WARC (version 1, plain)."""
    ids = sorted(crawled)
    urls = [f"{replica.url}/news/article.html?no={ids[0]}",
            f"{replica.url}/mobile/article.html?no={ids[1]}"]
    head = b"1 0 newsarc-test\nURL IP-address Archive-date Content-type Archive-length\n"
    data = b"filedesc://old.arc 0.0.0.0 20090101000000 text/plain %d\n%s\n" % (len(head),
                                                                                head)
    for url in urls:
        status, headers, body = fetch(url)
        http = (f"HTTP/1.1 {status} OK\r\n".encode() + b"".join(
            f"{k}: {v}\r\n".encode() for k, v in headers) + b"\r\n" + body)
        data += b"%s 127.0.0.1 20090102030405 text/html %d\n%s\n" % (url.encode(), len(http),
                                                                       http)
    path = tmp_path / "old.arc"
    path.write_bytes(data)
    status, stdout, stderr = import_([path], tmp_path / "out")
    assert status == 0, stdout + stderr
    records = list(read_records(tmp_path / "out" / "articles.jsonl"))
    assert [r["id"] for r in records] == ids[:2]
    assert [r["body"] for r in records] == [crawled[i]["body"] for i in ids[:2]]
    assert records[0]["fetched_at"] == "2009-01-02T03:04:05+00:00"
    assert records[1]["warc"]["target_uri"] == urls[1]
    assert records[0]["warc"]["record_id"] is None  # ARC records have none


def test_a_whole_file_gzip_bomb_is_not_inflated(tmp_path, monkeypatch):
    from archive import sources

    monkeypatch.setattr(sources, "_INFLATE_FLOOR", 1 << 20)
    bomb = tmp_path / "bomb.warc.gz"
    bomb.write_bytes(gzip.compress(b"\0" * (8 << 20)))
    with pytest.raises(ValueError, match="decompresses to more than"):
        sources.inflate_whole(bomb, tmp_path / "bomb.warc")
    assert not (tmp_path / "bomb.warc").exists()


def test_a_file_put_into_the_archive_by_hand_is_imported_once(made, tmp_path):
    out = tmp_path / "out"
    (out / "warc").mkdir(parents=True)
    placed = out / "warc" / made["files"][1].name
    placed.write_bytes(made["files"][1].read_bytes())
    status, stdout, stderr = import_([placed], out)
    assert status == 1 and "whose original" in stderr  # the revisit's response is not there
    assert "3 new" in stdout, stdout
    status, stdout, stderr = import_([out], out)
    assert status == 0 and "(same name and content); skipped" in stdout, stdout + stderr
    assert len(list(read_records(out / "articles.jsonl"))) == 3


def test_worker_processes_give_the_records_in_capture_order(archive, tmp_path):
    """Extraction in spawned workers: the results of extraction in this process, in the
    same order, a bounded number of chunks out at a time."""
    from crawler import reextract

    report = reextract.Report()
    sources = reextract.sources_of([archive], report, tmp_path)
    captures = reextract.plan(sources, report).captures
    assert len(captures) > 4 * reextract.CHUNK
    alone = list(reextract.extracted(captures, jobs=1))
    pooled = list(reextract.extracted(captures, jobs=2))
    assert [c for c, _ in pooled] == captures
    assert [r for _, r in pooled] == [r for _, r in alone]


def test_bad_inputs(tmp_path):
    result = run(NEWSARC, "import", str(tmp_path / "nothing.warc.gz"), "--out",
                 str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.decode() == (f"newsarc import: {tmp_path / 'nothing.warc.gz'}: "
                                      "no such file or directory\n")
    result = run(NEWSARC, "import", str(tmp_path), "--out", str(tmp_path / "o"), "--jobs", "0")
    assert result.returncode == 2 and "--jobs 0" in result.stderr.decode()


def test_a_later_crawl_continues_an_import(archive, replica, tmp_path):
    """The crawl's own WARC files imported elsewhere, then a crawl of the same site into
    that archive: it fetches no article again (outside the recheck window), and the files
    it imported, hard-linked, are not written through."""
    sources = tmp_path / "sources"
    sources.mkdir()
    for path in warc_files(archive):
        (sources / path.name).write_bytes(path.read_bytes())
    before = {p.name: sha256(p) for p in sources.iterdir()}
    out = tmp_path / "continued"
    status, stdout, stderr = import_([sources], out)
    assert status == 0, stdout + stderr
    imported = list(read_records(out / "articles.jsonl"))
    assert imported == list(read_records(archive / "articles.jsonl"))
    result = run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle",
                 "--recheck-days", "0")
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    summary = json.loads(sorted((out / "runs").glob("*.json"))[-1].read_text())
    assert summary["articles_new"] == 0, summary
    fetched = summary.get("pages", {}).get("article", 0)
    assert fetched < len(imported) // 4, summary  # rechecks of the newest only
    assert {p.name: sha256(p) for p in sources.iterdir()} == before
    assert list(read_records(out / "articles.jsonl"))[: len(imported)] == imported
