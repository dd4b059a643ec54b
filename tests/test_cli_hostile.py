"""Hostile and careless use of the command line: outputs aimed into the archive, read-only
and damaged archives, bad options, busy ports and closed pipes.

Each case runs ``newsarc`` in a subprocess as a user would and checks the exit code, that
stderr is one line and no traceback, and that the archive's files are exactly as before.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from .conftest import NEWSARC, REPO, free_port, run

# SQLite's WAL reader files: a read-only connection in a writable folder makes them (empty
# WAL), and they are no change to the catalog; everything else must stay byte for byte.
READER_FILES = {"catalog.sqlite-wal", "catalog.sqlite-shm"}
# Run a command as root without the capabilities that let root ignore file permissions:
# the way to meet a read-only archive when the tests run as root.
SETPRIV = shutil.which("setpriv")
NO_OVERRIDE = [SETPRIV or "setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner",
               "--inh-caps=-all", "--"]


def snapshot(directory: Path) -> dict[str, tuple[str, int, str | None]]:
    """Every entry under ``directory``: content digest, mtime and link target."""
    entries = {}
    for path in sorted(directory.rglob("*")):
        name = str(path.relative_to(directory))
        if path.name in READER_FILES:
            assert path.name.endswith("-shm") or path.stat().st_size == 0, name
            continue
        if path.is_symlink():
            entries[name] = ("link", 0, os.readlink(path))
        elif path.is_file():
            entries[name] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                             path.stat().st_mtime_ns, None)
        else:
            entries[name] = ("dir", 0, None)
    return entries


def one_line(result: subprocess.CompletedProcess, command: str, code: int) -> str:
    """Assert exit ``code`` and one line on stderr naming the command, no traceback."""
    message = result.stderr.decode()
    assert result.returncode == code, result.stdout.decode()[-2000:] + message[-3000:]
    assert "Traceback" not in message, message
    assert message.count("\n") == 1 and message.startswith(f"newsarc {command}: "), message
    return message


def first_id(archive: Path) -> int:
    with (archive / "articles.jsonl").open(encoding="utf-8") as corpus:
        return json.loads(corpus.readline())["id"]


@pytest.fixture
def copy(archive: Path, tmp_path: Path) -> Path:
    """A copy of the module's archive that a test may damage."""
    target = tmp_path / "copy"
    shutil.copytree(archive, target, symlinks=True)
    return target


def read_commands(archive: Path, out: Path) -> list[list[str]]:
    """Every command that only reads the archive, with outputs in ``out``."""
    ident = str(first_id(archive))
    return [
        ["runs", str(archive)], ["runs", str(archive), "--json"],
        ["search", str(archive), "기자회견"], ["search", str(archive), "회견"],
        ["stats", str(archive)], ["show", str(archive), ident],
        ["export", str(archive), "--format", "jsonl", "--out", str(out / "all.jsonl")],
        ["export", str(archive), "--format", "parquet", "--query", "기자회견",
         "--out", str(out / "found.parquet")],
        ["export", str(archive), "--format", "csv", "--out", str(out / "all.csv")],
        ["verify", str(archive)],
        ["wacz", str(archive), "--out", str(out / "archive.wacz")],
    ]


# --- outputs inside the archive ---------------------------------------------------------

def _targets(archive: Path, tmp_path: Path) -> list[tuple[str, list[str]]]:
    warc = sorted((archive / "warc").glob("*.warc.gz"))[0]
    (tmp_path / "corpus-link.jsonl").symlink_to(archive / "articles.jsonl")
    (tmp_path / "warc-link").symlink_to(archive / "warc")
    export = ["export", str(archive), "--format", "jsonl", "--out"]
    return [
        ("export", [*export, str(warc)]),
        ("export", [*export, str(archive / "indexes" / "index.cdxj")]),
        ("export", [*export, str(archive / "articles.jsonl")]),
        ("export", ["export", str(archive), "--format", "csv", "--out",
                    str(archive / "table.csv")]),
        ("export", [*export, str(tmp_path / "corpus-link.jsonl")]),
        ("export", [*export, str(tmp_path / "warc-link" / "new.warc.gz")]),
        ("reextract", ["reextract", str(archive), "--out", str(archive / "articles.jsonl")]),
        ("reextract", ["reextract", str(archive), "--out",
                       str(tmp_path / "corpus-link.jsonl")]),
        ("wacz", ["wacz", str(archive), "--out", str(archive / "archive.wacz")]),
        ("stats", ["stats", str(archive), "--plot", str(archive / "indexes" / "s.png")]),
    ]


def test_no_output_lands_inside_the_archive(copy, tmp_path):
    """Directly, through a symbolic link to a file in it or to one of its folders: refused
    before anything is read or written."""
    before = snapshot(copy)
    for command, args in _targets(copy, tmp_path):
        message = one_line(run(NEWSARC, *args), command, 2)
        assert "inside the archive" in message, message
        assert snapshot(copy) == before, args
    assert os.readlink(tmp_path / "corpus-link.jsonl") == str(copy / "articles.jsonl")


def test_an_output_that_is_a_link_or_no_regular_file_is_refused(archive, tmp_path):
    """Outputs are renamed over their path: that would replace a link (``/dev/stdout``)
    or a device, not write through it.  A FIFO and a link stand in for them here."""
    kept = tmp_path / "kept.jsonl"
    kept.write_text("mine\n")
    (tmp_path / "link.jsonl").symlink_to(kept)
    os.mkfifo(tmp_path / "fifo")
    for out, expected in ((tmp_path / "link.jsonl", "symbolic link"),
                          (tmp_path / "fifo", "not a regular file")):
        for command, args in (
                ("export", ["export", str(archive), "--format", "jsonl", "--out", str(out)]),
                ("reextract", ["reextract", str(archive), "--out", str(out)]),
                ("wacz", ["wacz", str(archive), "--out", str(out)])):
            assert expected in one_line(run(NEWSARC, *args), command, 2)
    assert (tmp_path / "link.jsonl").is_symlink() and kept.read_text() == "mine\n"
    assert stat.S_ISFIFO((tmp_path / "fifo").lstat().st_mode)


def test_reextract_writes_outside_the_archive_by_default(copy, tmp_path):
    """The default output is in the current folder: refused when that is the archive."""
    before = snapshot(copy)
    message = one_line(run(NEWSARC, "reextract", ".", cwd=copy), "reextract", 2)
    assert "inside the archive" in message and "--out" in message
    assert snapshot(copy) == before
    work = tmp_path / "elsewhere"
    work.mkdir()
    result = run(NEWSARC, "reextract", str(copy), cwd=work)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert (work / "copy.reextracted.jsonl").stat().st_size > 0
    assert snapshot(copy) == before


# --- read commands never write ----------------------------------------------------------

def test_read_commands_leave_the_archive_as_it_was(copy, tmp_path):
    """The catalog is opened read-only: its bytes and mtime, and every other file's, stay."""
    out = tmp_path / "out"
    out.mkdir()
    before = snapshot(copy)
    for args in read_commands(copy, out):
        result = run(NEWSARC, *args)
        assert result.returncode == 0, (args, result.stderr.decode()[-2000:])
        assert snapshot(copy) == before, args


def _read_only(directory: Path) -> None:
    for path in [directory, *directory.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _as_reader(*args: str) -> subprocess.CompletedProcess:
    """``newsarc ARGS`` unable to write where permissions say no, even as root."""
    prefix = NO_OVERRIDE if os.geteuid() == 0 else []
    return run(*prefix, NEWSARC, *args)


needs_permissions = pytest.mark.skipif(
    os.geteuid() == 0 and SETPRIV is None,
    reason="root without setpriv to drop CAP_DAC_OVERRIDE: permissions would not apply")


@needs_permissions
def test_read_commands_work_on_a_read_only_archive(copy, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    commands = read_commands(copy, out)
    _read_only(copy)
    assert _as_reader("sh", "-c", f"touch {copy}/x").returncode != 0, "not read-only"
    before = snapshot(copy)
    for args in commands:
        result = _as_reader(*args)
        assert result.returncode == 0, (args, result.stderr.decode()[-2000:])
        assert snapshot(copy) == before, args
    assert not any((copy / name).exists() for name in READER_FILES)
    assert len((out / "all.jsonl").read_text().splitlines()) == len(
        (copy / "articles.jsonl").read_text().splitlines())


@needs_permissions
def test_a_catalog_behind_its_corpus_is_caught_up_in_memory(copy):
    """A crawl killed between its two writes leaves the corpus a record ahead: a reader of
    a read-only archive still sees that record, and writes nothing."""
    record = json.loads((copy / "articles.jsonl").read_text().splitlines()[-1])
    record.update(id=99999, title="뒤늦게 온 기사", version=1,
                  url=record["url"].split("?")[0] + "?no=99999")
    with (copy / "articles.jsonl").open("a", encoding="utf-8") as corpus:
        corpus.write(json.dumps(record, ensure_ascii=False) + "\n")
    _read_only(copy)
    before = snapshot(copy)
    shown = _as_reader("show", str(copy), "99999")
    assert shown.returncode == 0, shown.stderr.decode()[-2000:]
    assert "뒤늦게 온 기사" in shown.stdout.decode()
    found = _as_reader("search", str(copy), "뒤늦게 온")
    assert "no=99999" in found.stdout.decode(), found.stdout.decode()
    assert snapshot(copy) == before


def test_the_crawl_leaves_the_full_text_index_complete(archive):
    """Writers index the texts they stored when they close, so no reader has to."""
    from archive.catalog import Catalog

    catalog = Catalog.read_only(archive)
    try:
        assert catalog.texts_unindexed() == 0
        assert catalog.indexed_up_to() > 0
    finally:
        catalog.close()


@needs_permissions
def test_browse_serves_a_read_only_archive(copy):
    from urllib.request import urlopen

    from .conftest import serving

    _read_only(copy)
    before = snapshot(copy)
    port = free_port()
    prefix = NO_OVERRIDE if os.geteuid() == 0 else []
    with serving(*prefix, NEWSARC, "browse", str(copy), "--port", str(port), port=port):
        address = f"http://127.0.0.1:{port}/catalog/latest.json?_shape=array&_search="
        with urlopen(address + "%EA%B8%B0%EC%9E%90%ED%9A%8C%EA%B2%AC", timeout=30) as answer:
            assert answer.status == 200 and json.loads(answer.read()), "no rows found"
    assert snapshot(copy) == before


def test_an_archive_without_its_catalog_is_read_without_making_one(copy):
    (copy / "catalog.sqlite").unlink()
    before = snapshot(copy)
    result = run(NEWSARC, "search", str(copy), "기자회견")
    assert result.returncode == 0 and result.stdout, result.stderr.decode()[-2000:]
    assert snapshot(copy) == before
    assert not (copy / "catalog.sqlite").exists()


# --- damaged files ----------------------------------------------------------------------

def _garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 64)


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 3])


@pytest.mark.parametrize("damage", [_garbage, _truncated], ids=["garbage", "truncated"])
def test_a_damaged_catalog_is_named_with_its_repair(copy, tmp_path, damage):
    for name in READER_FILES:
        (copy / name).unlink(missing_ok=True)
    damage(copy / "catalog.sqlite")
    before = snapshot(copy)
    ident = str(first_id(copy))
    out = tmp_path / "out.jsonl"
    for command, *rest in (["runs"], ["search", "기자회견"], ["stats"], ["show", ident],
                           ["export", "--format", "jsonl", "--out", str(out)]):
        message = one_line(run(NEWSARC, command, str(copy), *rest), command, 1)
        assert "catalog.sqlite" in message and "move it aside" in message, message
        assert snapshot(copy) == before, command
    assert not out.exists(), "no partial export"
    (copy / "catalog.sqlite").rename(copy / "catalog.sqlite.damaged")  # the repair given
    result = run(NEWSARC, "search", str(copy), "기자회견")
    assert result.returncode == 0 and result.stdout, result.stderr.decode()[-2000:]


def test_writers_name_a_damaged_catalog_and_the_repair_they_give_works(copy, replica):
    for name in READER_FILES:
        (copy / name).unlink(missing_ok=True)
    _garbage(copy / "catalog.sqlite")
    corpus = (copy / "articles.jsonl").read_bytes()
    crawl = run(NEWSARC, "crawl", replica.url, "--out", str(copy), "--no-throttle", "--quiet")
    assert "move it aside" in one_line(crawl, "crawl", 1)
    assert "move it aside" in one_line(run(NEWSARC, "merge", str(copy)), "merge", 1)
    assert (copy / "articles.jsonl").read_bytes() == corpus
    (copy / "catalog.sqlite").rename(copy / "catalog.sqlite.damaged")
    merged = run(NEWSARC, "merge", str(copy))
    assert merged.returncode == 0, merged.stderr.decode()[-2000:]
    shown = run(NEWSARC, "show", str(copy), str(first_id(copy)))
    assert shown.returncode == 0 and b"versions of article" in shown.stdout


def test_a_malformed_corpus_line_is_named_with_its_repair(copy, tmp_path):
    lines = (copy / "articles.jsonl").read_bytes().splitlines(keepends=True)
    lines[2] = b'{"id": 1, "title": broken\n'
    (copy / "articles.jsonl").write_bytes(b"".join(lines))
    (copy / "catalog.sqlite").unlink()  # so the corpus itself is read
    before = snapshot(copy)
    for command, *rest in (["search", "기자회견"], ["stats"],
                           ["export", "--format", "jsonl", "--out", str(tmp_path / "o.jsonl")],
                           ["wacz", "--out", str(tmp_path / "o.wacz")]):
        message = one_line(run(NEWSARC, command, str(copy), *rest), command, 1)
        assert "articles.jsonl" in message and "line 3" in message, message
        assert "newsarc reextract" in message, message
        assert snapshot(copy) == before, command
    assert not (tmp_path / "o.jsonl").exists() and not (tmp_path / "o.wacz").exists()


def test_wacz_of_a_truncated_warc_file_names_it_and_writes_nothing(copy, tmp_path):
    warc = sorted((copy / "warc").glob("*.warc.gz"))[0]
    warc.write_bytes(warc.read_bytes()[:-100])
    before = snapshot(copy)
    out = tmp_path / "out"
    out.mkdir()
    message = one_line(run(NEWSARC, "wacz", str(copy), "--out", str(out / "a.wacz")),
                       "wacz", 1)
    assert warc.name in message and "truncated" in message and "newsarc verify" in message
    assert list(out.iterdir()) == [], "no package, not even a partial one"
    assert snapshot(copy) == before


def test_a_crawl_stops_cleanly_on_a_malformed_corpus_line(copy, replica):
    """The line the catalog has not seen yet is read when the crawl opens the archive."""
    with (copy / "articles.jsonl").open("ab") as corpus:
        corpus.write(b"not json at all\n")
    corpus_before = (copy / "articles.jsonl").read_bytes()
    result = run(NEWSARC, "crawl", replica.url, "--out", str(copy), "--no-throttle", "--quiet")
    message = one_line(result, "crawl", 1)
    assert "articles.jsonl" in message and "malformed JSON" in message, message
    assert (copy / "articles.jsonl").read_bytes() == corpus_before


@pytest.mark.skipif(importlib.util.find_spec("pywb") is None, reason="needs pywb")
@needs_permissions
def test_replay_of_a_read_only_archive_without_its_index(copy):
    """The index is built for the session, outside the archive, and replay says so."""
    from urllib.request import urlopen

    from .conftest import serving

    (copy / "indexes" / "index.cdxj").unlink()
    _read_only(copy)
    before = snapshot(copy)
    url = json.loads((copy / "articles.jsonl").read_text().splitlines()[0])["url"]
    port = free_port()
    prefix = NO_OVERRIDE if os.geteuid() == 0 else []
    with serving(*prefix, NEWSARC, "replay", str(copy), "--port", str(port),
                 port=port) as server:
        with urlopen(f"http://127.0.0.1:{port}/archive/{url}", timeout=30) as answer:
            assert answer.status == 200
        server.terminate()
        _, err = server.communicate(timeout=10)
    assert "index.cdxj is missing" in err.decode() and "Traceback" not in err.decode()
    assert snapshot(copy) == before


# --- command-line edges -----------------------------------------------------------------

SITE = "http://127.0.0.1:9"  # never contacted: every case is refused before the crawl


@pytest.mark.parametrize("args, expected", [
    (["-s", "DOWNLOAD_TIMEOUT=abc"], "DOWNLOAD_TIMEOUT takes a number"),
    (["-s", "ROBOTSTXT_OBEY=maybe"], "ROBOTSTXT_OBEY takes True or False"),
    (["--redis", "notaurl"], "--redis takes redis://"),
    (["--redis", "redis://127.0.0.1:notaport/0"], "--redis takes redis://"),
    (["--max-articles", "-1"], "--max-articles -1"),
    (["--mode", "backfill", "--from-id", "10", "--to-id", "5"], "--from-id 10 is after"),
    (["--recheck-days", "-2"], "--recheck-days"),
    (["--recheck-days", "1e308"], "--recheck-days"),
    (["--recheck-days", "nan"], "--recheck-days"),
], ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_bad_crawl_options(tmp_path, args, expected):
    out = tmp_path / "archive"
    message = one_line(run(NEWSARC, "crawl", SITE, "--out", str(out), *args), "crawl", 2)
    assert expected in message, message
    assert not out.exists()


@pytest.mark.skipif(importlib.util.find_spec("scrapy_redis") is not None,
                    reason="scrapy-redis is installed here")
def test_redis_without_scrapy_redis(tmp_path):
    message = one_line(run(NEWSARC, "crawl", SITE, "--out", str(tmp_path / "a"), "--redis",
                           "redis://127.0.0.1:6379/0"), "crawl", 2)
    assert "scrapy-redis" in message and "make distributed" in message


def _distributed_newsarc() -> str | None:
    """The newsarc of an environment with scrapy-redis (``make distributed``), if any."""
    if importlib.util.find_spec("scrapy_redis") is not None:
        return NEWSARC
    other = REPO / ".venv-distributed" / "bin" / "newsarc"
    return str(other) if other.exists() else None


@pytest.mark.skipif(_distributed_newsarc() is None, reason="needs scrapy-redis")
def test_unreachable_redis(tmp_path):
    port = free_port()  # nothing listens there
    result = run(_distributed_newsarc(), "crawl", SITE, "--out", str(tmp_path / "a"),
                 "--redis", f"redis://:secret@127.0.0.1:{port}/0")
    message = one_line(result, "crawl", 1)
    assert f"cannot reach Redis at 127.0.0.1:{port}" in message, message
    assert "secret" not in message
    assert not (tmp_path / "a").exists()


def test_bad_search_text_and_article_number(archive, tmp_path):
    assert "empty search text" in one_line(run(NEWSARC, "search", str(archive), ""),
                                           "search", 2)
    assert "empty search text" in one_line(run(NEWSARC, "search", str(archive), "   "),
                                           "search", 2)
    message = one_line(run(NEWSARC, "show", str(archive), "99999999999999999999"), "show", 2)
    assert "no article 99999999999999999999" in message
    message = one_line(run(NEWSARC, "export", str(archive), "--format", "jsonl", "--out",
                           str(tmp_path / "all.jsonl"), "--query", " "), "export", 2)
    assert "--query: empty search text" in message and not (tmp_path / "all.jsonl").exists()
    huge = run(NEWSARC, "search", str(archive), "기자회견", "--limit", "9" * 20)
    assert huge.returncode == 0 and huge.stdout and not huge.stderr, huge.stderr.decode()


@pytest.mark.parametrize("command", ["replay", "replica"])
def test_port_numbers_that_are_none(archive, command):
    args = [str(archive)] if command == "replay" else []
    message = one_line(run(NEWSARC, command, *args, "--port", "99999"), command, 2)
    assert "--port 99999 is not a port number" in message


@pytest.mark.parametrize("command", ["replay", "replica"])
def test_a_busy_port(archive, command):
    args = [str(archive)] if command == "replay" else []
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = run(NEWSARC, command, *args, "--port", str(port), timeout=60)
    message = one_line(result, command, 2)
    assert f"port {port} is in use" in message, message


def test_a_closed_standard_output_ends_quietly(archive):
    """``newsarc verify DIR | head``: the reader has gone, so the command stops, as Unix
    tools do (141, as for SIGPIPE), with nothing on stderr."""
    for args in (["verify", str(archive)], ["runs", str(archive)], ["stats", str(archive)],
                 ["search", str(archive), "기자회견"],
                 ["show", str(archive), str(first_id(archive))]):
        reader, writer = os.pipe()
        os.close(reader)
        try:
            result = subprocess.run([NEWSARC, *args], stdout=writer, stderr=subprocess.PIPE,
                                    cwd=REPO, timeout=300)
        finally:
            os.close(writer)
        assert result.returncode == 141, (args, result.stderr.decode()[-2000:])
        assert result.stderr == b"", (args, result.stderr.decode()[-2000:])


def test_head_of_a_long_output(archive):
    """The same through a shell pipe into ``head -1``: one line out, nothing on stderr."""
    result = subprocess.run(
        ["bash", "-c", f"{NEWSARC} stats {archive} | head -1; exit ${{PIPESTATUS[0]}}"],
        capture_output=True, timeout=300)
    assert result.returncode in (0, 141), result.stderr.decode()[-2000:]
    assert result.stdout.count(b"\n") == 1 and result.stderr == b""
