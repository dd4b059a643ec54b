"""WARC and ARC files from anywhere (``archive.sources``), and the commands that take them.

The files are made here with warcio, as other tools write them: gzip per record, plain,
gzipped whole, WARC/1.0, ARC (written by hand: the ARC v1 format is a version block then
``URL IP DATE MIME LENGTH`` lines), and damaged copies of each.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import sources
from archive.index import index_path, update_index
from archive.sources import compression, find_inputs, first_damage, iter_records
from archive.verify import verify_inputs
from archive.warc import response_captures, warc_files

from .conftest import NEWSARC, run

PAGES = 3


def page(i: int) -> bytes:
    return f"<html><body><p>기사 {i}</p></body></html>".encode()


def write_warc(path: Path, *, gz: bool = True, version: str = "1.1") -> Path:
    """A warcinfo and PAGES responses (200, text/html, an ETag), as any crawler writes."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=gz, warc_version=version)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for i in range(PAGES):
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                               ("ETag", f'"e{i}"')], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                f"http://news.test/a?no={i}", "response", payload=BytesIO(page(i)),
                length=len(page(i)), http_headers=http))
    return path


def arc_record(url: str, date: str, mime: str, body: bytes) -> bytes:
    return f"{url} 192.0.2.1 {date} {mime} {len(body)}\n".encode() + body + b"\n"


ARC_VERSION = arc_record("filedesc://test.arc", "20240101000000", "text/plain",
                         b"1 0 test\nURL IP-address Archive-date Content-type "
                         b"Archive-length\n\n")
ARC_PAGE = arc_record("http://news.test/old", "20040102030405", "text/html",
                      b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<p>2004</p>")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """One sound file of every kind, in ``tmp_path/in``."""
    folder = tmp_path / "in"
    folder.mkdir()
    made = {
        "record": write_warc(folder / "record.warc.gz"),
        "plain": write_warc(folder / "plain.warc", gz=False),
        "v10": write_warc(folder / "v10.warc.gz", version="1.0"),
    }
    made["whole"] = folder / "whole.warc.gz"
    made["whole"].write_bytes(gzip.compress(made["plain"].read_bytes()))
    made["arc"] = folder / "old.arc"
    made["arc"].write_bytes(ARC_VERSION + ARC_PAGE)
    made["arcgz"] = folder / "old.arc.gz"
    made["arcgz"].write_bytes(gzip.compress(ARC_VERSION) + gzip.compress(ARC_PAGE))
    return made


def read_all(path: Path, **kwargs) -> tuple[list, list[str]]:
    problems: list[str] = []
    return list(iter_records(path, problems, **kwargs)), problems


# --- reading every kind --------------------------------------------------------------

@pytest.mark.parametrize("kind, expected", [("record", "record"), ("plain", "none"),
                                            ("v10", "record"), ("whole", "whole"),
                                            ("arc", "none"), ("arcgz", "record")])
def test_compression_is_told_by_content(files, kind, expected):
    assert compression(files[kind]) == expected


@pytest.mark.parametrize("kind, version", [("record", "1.1"), ("plain", "1.1"),
                                           ("v10", "1.0"), ("whole", "1.1")])
def test_every_warc_kind_reads_the_same_records(files, kind, version, capsys):
    records, problems = read_all(files[kind], payload=lambda i: i.rec_type == "response")
    assert problems == []
    assert [i.rec_type for i, _ in records] == ["warcinfo"] + ["response"] * PAGES
    responses = records[1:]
    assert [i.uri for i, _ in responses] == [f"http://news.test/a?no={n}" for n in range(3)]
    assert [body for _, body in responses] == [page(n) for n in range(PAGES)]
    assert records[0][1] is None, "no payload asked for"
    info = responses[0][0]
    assert (info.status, info.content_type, info.etag) == (200, "text/html; charset=utf-8",
                                                           '"e0"')
    assert info.warc_version == version and info.payload_digest.startswith("sha1:")
    assert info.record_id.startswith("<urn:uuid:") and info.date.startswith("20")
    assert all(i.path == files[kind] for i, _ in records)
    offsets = [i.offset for i, _ in records]
    assert offsets == sorted(offsets) and all(i.length > 0 for i, _ in records)
    assert capsys.readouterr().err == "", "warcio prints nothing"


def test_offsets_point_at_records(files):
    """Per record and plain: a record read at its offset is the one listed (what a corpus
    pointer and the index rely on)."""
    from warcio.archiveiterator import ArchiveIterator

    for kind in ("record", "plain", "arcgz"):
        for info, _ in read_all(files[kind])[0]:
            with files[kind].open("rb") as handle:
                handle.seek(info.offset)
                record = next(iter(ArchiveIterator(handle, arc2warc=True)))
                if kind == "arcgz":  # ARC has no record ids (warcio makes one up)
                    assert info.record_id is None
                    assert record.rec_headers.get_header("WARC-Date") == info.date
                else:
                    assert record.rec_headers.get_header("WARC-Record-ID") == info.record_id


@pytest.mark.parametrize("kind", ["arc", "arcgz"])
def test_arc_files_read_as_responses(files, kind):
    records, problems = read_all(files[kind], payload=lambda i: i.rec_type == "response")
    assert problems == []
    [(info, body)] = [r for r in records if r[0].rec_type == "response"]
    assert (info.uri, info.date, info.status) == ("http://news.test/old",
                                                  "2004-01-02T03:04:05Z", 200)
    assert info.warc_version == "arc" and info.payload_digest is None
    assert body == b"<p>2004</p>"


def test_payload_is_decoded_as_a_replay_would(tmp_path):
    """Chunked transfer and gzip Content-Encoding undone (warcio's content_stream)."""
    text = b"<p>" + "한국어 본문 ".encode() * 200 + b"</p>"
    coded = gzip.compress(text)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(coded[i:i + 500]), coded[i:i + 500])
                       for i in range(0, len(coded), 500)) + b"0\r\n\r\n"
    path = tmp_path / "coded.warc.gz"
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                           ("Content-Encoding", "gzip"),
                                           ("Transfer-Encoding", "chunked")],
                                protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            "http://news.test/c", "response", payload=BytesIO(chunked), length=len(chunked),
            http_headers=http))
    [(info, body)], problems = read_all(path, payload=lambda i: True)
    assert problems == [] and body == text


def test_a_payload_over_the_cap_is_flagged_not_inflated(tmp_path):
    bomb = gzip.compress(bytes(2_000_000))
    path = tmp_path / "bomb.warc.gz"
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                           ("Content-Encoding", "gzip")], protocol="HTTP/1.1")
        for url in ("http://news.test/bomb", "http://news.test/after"):
            writer.write_record(writer.create_warc_record(
                url, "response", payload=BytesIO(bomb), length=len(bomb), http_headers=http))
    records, problems = read_all(path, payload=lambda i: True, cap=100_000)
    assert [body for _, body in records] == [None, None]
    assert problems == [
        f"{path} @{records[0][0].offset}: payload decodes to more than 100000 bytes "
        "(not inflated further)",
        f"{path} @{records[1][0].offset}: payload decodes to more than 100000 bytes "
        "(not inflated further)"]


# --- damage: one line with the byte, records before kept, never a traceback -------------

def damaged(files: dict[str, Path], tmp_path: Path) -> dict[str, tuple[Path, int]]:
    """Damaged copies: name -> (path, number of whole records before the damage)."""
    out = tmp_path / "bad"
    out.mkdir()
    gz, plain = files["record"].read_bytes(), files["plain"].read_bytes()
    whole = files["whole"].read_bytes()
    starts = [i.offset for i, _ in read_all(files["record"])[0]]
    plain_starts = [i.offset for i, _ in read_all(files["plain"])[0]]
    cases = {
        "cut.warc.gz": (gz[:starts[2] + 40], 2),
        "garbled.warc.gz": (gz[:starts[2] + 30] + b"\x00garbled" * 20 + gz[starts[2] + 190:],
                            2),
        "between.warc.gz": (gz[:starts[2]] + b"junk between records\n" + gz[starts[2]:], 2),
        "cut.warc": (plain[:plain_starts[2] + 60], 2),
        "between.warc": (plain[:plain_starts[2]] + b"junk line\r\n" + plain[plain_starts[2]:],
                         2),
        "header.warc": (plain[:plain_starts[2]] + b"WARC/9.9 nonsense\r\n"
                        + plain[plain_starts[2] + 10:], 2),
        "length.warc": (plain.replace(b"Content-Length: ", b"Content-Length: 9", 3), 0),
        "cut-whole.warc.gz": (whole[:-30], 3),
        "garbled-whole.warc.gz": (whole[:len(whole) // 2] + b"\xff" * 8
                                  + whole[len(whole) // 2 + 8:], None),
        "trailing-whole.warc.gz": (whole + b"trailing junk", 4),
        "not-a-warc.warc": (b"hello, world\n" * 10, 0),
        "not-gzip.warc.gz": (b"\x1f\x8bnot really gzip" * 10, 0),
    }
    made = {}
    for name, (data, before) in cases.items():
        (out / name).write_bytes(data)
        made[name] = (out / name, before)
    return made


def test_damage_is_one_line_with_the_byte_and_the_records_before_are_kept(files, tmp_path,
                                                                         capsys):
    for name, (path, before) in damaged(files, tmp_path).items():
        records, problems = read_all(path, payload=lambda i: True)
        assert len(problems) == 1, (name, problems)
        line = problems[0]
        assert line.startswith(f"{path} @") and ": damaged: " in line, line
        assert line.isprintable(), line
        offset = int(line.split(" @", 1)[1].split(":")[0])
        if before is not None:
            assert len(records) == before, (name, [i.uri for i, _ in records], line)
        assert all(i.offset < offset for i, _ in records), (name, line)
        if name.startswith("cut"):
            assert ": damaged: cut off" in line, line
    assert capsys.readouterr().err == "", "warcio's warnings are caught, not printed"


def test_a_cut_file_is_damaged_at_the_record_that_is_cut(files, tmp_path):
    bad = damaged(files, tmp_path)
    starts = [i.offset for i, _ in read_all(files["record"])[0]]
    assert read_all(bad["cut.warc.gz"][0])[1] == [
        f"{bad['cut.warc.gz'][0]} @{starts[2]}: damaged: cut off: the gzip member there is "
        "truncated"]
    plain_starts = [i.offset for i, _ in read_all(files["plain"])[0]]
    assert read_all(bad["cut.warc"][0])[1] == [
        f"{bad['cut.warc'][0]} @{plain_starts[2]}: damaged: cut off: the record there is "
        "truncated"]
    assert first_damage(bad["cut.warc"][0]) == (plain_starts[2],
                                                "cut off: the record there is truncated")
    assert first_damage(files["plain"]) is None


class _Squeezed:
    """A file object that gzips all it is given into one stream (a whole-file gzip)."""

    def __init__(self, handle) -> None:
        self.handle, self.squeeze = handle, zlib.compressobj(9, zlib.DEFLATED, 31)

    def write(self, data: bytes) -> int:
        self.handle.write(self.squeeze.compress(data))
        return len(data)

    def flush(self) -> None:
        pass  # warcio flushes after each record; the stream ends at close()

    def close(self) -> None:
        self.handle.write(self.squeeze.flush())


class _Zeros:
    """``size`` zero bytes, read in pieces."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = min(self.left, 1 << 20 if n is None or n < 0 else n)
        self.left -= n
        return bytes(n)


def test_a_whole_file_gzip_bomb_is_not_inflated_past_its_bound(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "_INFLATE_FLOOR", 1_000_000)
    plain = write_warc(tmp_path / "p.warc", gz=False).read_bytes()
    path, size = tmp_path / "bomb.warc.gz", 20 << 20
    with path.open("wb") as handle:
        out = _Squeezed(handle)
        out.write(plain)
        WARCWriter(out, gzip=False).write_record(WARCWriter(None).create_warc_record(
            "http://news.test/zeros", "resource", payload=_Zeros(size), length=size))
        out.close()
    assert path.stat().st_size < 100_000
    records, problems = read_all(path)
    assert len(records) == 1 + PAGES
    bound = 100 * path.stat().st_size
    assert problems == [f"{path} @{len(plain)}: damaged: decompresses to more than {bound} "
                        "bytes (not inflated further) (a whole-file gzip: offsets count "
                        "decompressed bytes)"]


def test_an_unreadable_file_is_a_line_not_an_exception(files, tmp_path):
    folder = tmp_path / "folder.warc"
    folder.mkdir()
    _records, problems = read_all(folder)
    assert len(problems) == 1 and problems[0].startswith(f"{folder}: not checked: ")


# --- finding inputs --------------------------------------------------------------------

def test_find_inputs_takes_archive_files_and_names_the_rest(files, tmp_path):
    folder = files["record"].parent
    (folder / "deep").mkdir()
    deep = write_warc(folder / "deep" / "x.warc.gz")
    (folder / "README.txt").write_text("notes")
    (folder / "y.warc.gz.open").write_bytes(b"")
    found, problems = find_inputs([folder, tmp_path / "missing.warc", folder / "README.txt",
                                   files["arc"]])
    assert found == sorted([*files.values(), deep]) + [files["arc"]]
    assert problems == [
        f"{folder / 'README.txt'}: not checked: not a WARC or ARC file (names end .warc.gz, "
        ".warc, .arc.gz, .arc)",
        f"{folder / 'y.warc.gz.open'}: not checked: an unfinished or torn-off WARC file (not "
        "a finished archive file)",
        f"{tmp_path / 'missing.warc'}: no such file or directory",
        f"{folder / 'README.txt'}: not checked: not a WARC or ARC file (names end .warc.gz, "
        ".warc, .arc.gz, .arc)"]


def test_an_archive_gives_its_finished_files_of_every_name(files, tmp_path):
    archive = tmp_path / "archive"
    (archive / "warc").mkdir(parents=True)
    for path in files.values():
        (archive / "warc" / path.name).write_bytes(path.read_bytes())
    for leftover in ("a.warc.gz.open", "b.warc.gz.torn", "notes.txt"):
        (archive / "warc" / leftover).write_bytes(b"x")
    names = sorted(p.name for p in files.values())
    assert [p.name for p in warc_files(archive)] == names
    assert [p.name for p in find_inputs([archive])[0]] == names
    assert find_inputs([archive])[1] == []


# --- the commands: index, response_captures, wacz, verify ----------------------------------

@pytest.fixture
def archive(files, tmp_path) -> Path:
    """An archive whose warc/ holds imported-style files (no whole-file gzip)."""
    archive = tmp_path / "archive"
    (archive / "warc").mkdir(parents=True)
    for kind in ("record", "plain", "v10", "arc", "arcgz"):
        (archive / "warc" / files[kind].name).write_bytes(files[kind].read_bytes())
    return archive


def test_index_takes_warc_and_arc_files_and_names_a_whole_gzip(archive, files):
    (archive / "warc" / "whole.warc.gz").write_bytes(files["whole"].read_bytes())
    problems: list[str] = []
    added = update_index(archive, problems)
    assert sorted(added) == sorted(p.name for p in warc_files(archive)
                                   if p.name != "whole.warc.gz")
    assert problems == ["warc/whole.warc.gz: not indexed: one gzip stream for all its "
                        "records, which no index or replay can seek into; `newsarc import` "
                        "stores such a file decompressed"]
    lines = index_path(archive).read_text().splitlines()
    by_file: dict[str, int] = {}
    for line in lines:
        name = json.loads(line.split(" ", 2)[2])["filename"]
        by_file[name] = by_file.get(name, 0) + 1
    assert by_file == {"record.warc.gz": PAGES, "plain.warc": PAGES, "v10.warc.gz": PAGES,
                       "old.arc": 1, "old.arc.gz": 1}
    assert update_index(archive, problems := []) == [] and len(problems) == 1, "retried"


def test_response_captures_reads_every_kind(archive):
    problems: list[str] = []
    captures = response_captures(archive, lambda uri: True, problems)
    assert problems == []
    assert sorted({c.filename for c in captures}) == sorted(
        ["record.warc.gz", "plain.warc", "v10.warc.gz", "old.arc", "old.arc.gz"])


def test_wacz_packages_plain_and_arc_files_and_refuses_damage(archive, files, tmp_path):
    # In a subprocess: importing the wacz library adds "warcinfo" to cdxj-indexer's
    # DEFAULT_RECORDS for the whole process, which would change later index tests.
    done = run(NEWSARC, "wacz", str(archive), "--out", str(tmp_path / "all.wacz"))
    assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "all.wacz").stat().st_size > 0
    cut = archive / "warc" / "cut.warc"
    cut.write_bytes(files["plain"].read_bytes()[:-200])
    refused = run(NEWSARC, "wacz", str(archive), "--out", str(tmp_path / "cut.wacz"))
    message = refused.stderr.decode()
    assert refused.returncode == 1 and message.count("\n") == 1, message
    assert re.search(r"cut\.warc: damaged at byte \d+ \(cut off", message), message
    cut.unlink()
    (archive / "warc" / "whole.warc.gz").write_bytes(files["whole"].read_bytes())
    refused = run(NEWSARC, "wacz", str(archive), "--out", str(tmp_path / "whole.wacz"))
    assert refused.returncode == 1
    assert "one gzip stream for all its records" in refused.stderr.decode()
    assert not (tmp_path / "cut.wacz").exists() and not (tmp_path / "whole.wacz").exists()


def test_verify_checks_files_of_every_kind(files):
    report = verify_inputs([files["record"].parent])
    assert report.problems == [] and report.sound
    assert report.warc_files == len(files)
    # record, plain, v10, whole: a warcinfo and the pages each; ARC: no digests at all.
    assert report.warc_records == 4 * (1 + PAGES)
    assert report.unchecked_records == 4
    assert "4 records without digests (as in ARC) read, not checked" in report.summary()


def test_verify_names_damage_and_files_it_did_not_check(files, tmp_path):
    bad = damaged(files, tmp_path)
    (tmp_path / "bad" / "notes.txt").write_text("x")
    report = verify_inputs([tmp_path / "bad", tmp_path / "nowhere"])
    assert not report.sound
    lines = "\n".join(report.problems)
    for path, _before in bad.values():
        assert f"{path} @" in lines, path
    assert f"{tmp_path / 'nowhere'}: no such file or directory" in report.problems
    assert report.not_checked == [f"{tmp_path / 'bad' / 'notes.txt'}: not checked: not a "
                                  "WARC or ARC file (names end .warc.gz, .warc, .arc.gz, .arc)"]


def test_verify_finds_a_tampered_record_in_a_plain_file(files, tmp_path):
    data = files["plain"].read_bytes().replace("기사 1".encode(), "기사 7".encode())
    tampered = tmp_path / "tampered.warc"
    tampered.write_bytes(data)
    report = verify_inputs([tampered])
    [problem] = report.problems
    assert problem.startswith(f"{tampered} @") and "digest" in problem


def test_verify_command_over_files(files, tmp_path):
    ok = run(NEWSARC, "verify", str(files["plain"]), str(files["arc"]), str(files["whole"]))
    assert ok.returncode == 0, ok.stdout.decode() + ok.stderr.decode()
    assert ok.stdout.decode().splitlines()[-1] == (
        "3 WARC files, 8 records with digests checked, 2 records without digests (as in ARC) "
        "read, not checked; 0 corpus records, 0 WARC pointers resolved: sound")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    none = run(NEWSARC, "verify", str(tmp_path / "empty"))
    assert none.returncode == 1 and "Traceback" not in none.stderr.decode()
    out = none.stdout.decode()
    assert f"note: {tmp_path / 'empty' / 'notes.txt'}: not checked" in out
    assert f"problem: {tmp_path / 'empty'}: no WARC or ARC file in it or below" in out
    assert out.splitlines()[-1].endswith(": 1 problem(s)")
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(files["record"].read_bytes()[:-50])
    bad = run(NEWSARC, "verify", str(cut))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr.decode()
    assert f"problem: {cut} @" in bad.stdout.decode()


def test_verify_compares_a_pointer_with_its_target_uri(archive):
    [info] = [i for i, _ in read_all(archive / "warc" / "plain.warc")[0]
              if i.uri == "http://news.test/a?no=1"]
    pointer = {"filename": "plain.warc", "offset": info.offset, "length": info.length,
               "record_id": info.record_id, "date": info.date}
    record = {"id": 1, "url": "http://news.test/article.html?no=1", "warc": pointer}
    corpus = archive / "articles.jsonl"
    corpus.write_text(json.dumps(record) + "\n")
    report = verify_inputs([archive])
    assert len(report.problems) == 1 and "not http://news.test/article.html?no=1" in \
        report.problems[0]
    record["warc"] = {**pointer, "target_uri": info.uri}
    corpus.write_text(json.dumps(record) + "\n")
    report = verify_inputs([archive])
    assert report.problems == [] and report.pointers_checked == 1


def test_revisit_and_request_records_carry_their_headers(tmp_path):
    """A later crawl's revisit (as Heritrix and Browsertrix write them) names the capture
    it repeats; a request has no HTTP status."""
    path = tmp_path / "revisit.warc.gz"
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.0")
        http = StatusAndHeaders("304 Not Modified", [("ETag", '"e1"'), (
            "Last-Modified", "Tue, 05 Mar 2024 01:00:00 GMT")], protocol="HTTP/1.1")
        writer.write_record(writer.create_revisit_record(
            "http://news.test/a?no=1", "sha1:AAAA", "http://news.test/a?no=1",
            "2024-03-05T01:00:00Z", http_headers=http,
            warc_headers_dict={"WARC-Refers-To": "<urn:uuid:first>"}))
        request = StatusAndHeaders("GET /a?no=1 HTTP/1.1", [("Host", "news.test")],
                                   is_http_request=True)
        writer.write_record(writer.create_warc_record(
            "http://news.test/a?no=1", "request", payload=BytesIO(b""), length=0,
            http_headers=request))
    (revisit, _), (request_info, _) = read_all(path, payload=lambda i: True)[0]
    assert revisit.rec_type == "revisit" and revisit.status == 304
    assert (revisit.refers_to, revisit.refers_to_uri, revisit.refers_to_date) == (
        "<urn:uuid:first>", "http://news.test/a?no=1", "2024-03-05T01:00:00Z")
    assert (revisit.etag, revisit.last_modified) == ('"e1"', "Tue, 05 Mar 2024 01:00:00 GMT")
    assert revisit.payload_digest == "sha1:AAAA" and revisit.warc_version == "1.0"
    assert request_info.rec_type == "request" and request_info.status is None
