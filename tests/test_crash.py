"""A crawl killed with SIGKILL while writing: the next run repairs, finishes, loses nothing."""

import signal
import sqlite3
import subprocess
import time
from collections import Counter

import pytest

from archive.corpus import read_records
from archive.warc import OPEN_SUFFIX, read_record_at, repair_open_files, warc_files
from newsarc.replica.server import Replica

from .conftest import NEWSARC, REPO, run

WARCIO = str(REPO / ".venv" / "bin" / "warcio")


def open_bytes(out):
    directory = out / "warc"
    if not directory.is_dir():
        return 0
    return sum(p.stat().st_size for p in directory.glob(f"*{OPEN_SUFFIX}"))


@pytest.mark.parametrize("kill_at", [20_000, 150_000, 400_000])
def test_sigkill_mid_write_then_next_run_repairs_and_completes(replica, tmp_path, kill_at):
    command = [NEWSARC, "crawl", replica.url, "--out", str(tmp_path), "--no-throttle"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while open_bytes(tmp_path) < kill_at and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the crawl ended before it could be killed"
    assert list((tmp_path / "warc").glob(f"*{OPEN_SUFFIX}")), "killed while a file was open"

    before = run(NEWSARC, "verify", str(tmp_path))
    assert before.returncode == 1 and "left open" in before.stdout.decode()

    result = run(*command)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    verdict = run(NEWSARC, "verify", str(tmp_path))
    assert verdict.returncode == 0, verdict.stdout.decode()[-3000:]
    counts = Counter(r["id"] for r in read_records(tmp_path / "articles.jsonl"))
    assert set(counts) == set(replica.site.articles), "nothing lost"
    assert max(counts.values()) == 1, "nothing written twice"
    for path in warc_files(tmp_path):
        assert run(WARCIO, "check", str(path)).returncode == 0
    assert_catalog_agrees(tmp_path)


def test_sigkill_during_an_incremental_run(tmp_path):
    with Replica(size=60) as server:
        command = [NEWSARC, "crawl", server.url, "--out", str(tmp_path), "--no-throttle"]
        assert run(*command).returncode == 0
        server.set_generation(2)
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while open_bytes(tmp_path) < 15_000 and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
        result = run(*command)
        assert result.returncode == 0, result.stderr.decode()[-3000:]
        site = server.site
    assert run(NEWSARC, "verify", str(tmp_path)).returncode == 0
    latest = {}
    for record in read_records(tmp_path / "articles.jsonl"):
        latest[record["id"]] = record
    assert set(latest) == set(site.articles), "nothing lost"
    for number, art in site.articles.items():
        assert latest[number]["body"] == "\n\n".join(art.paragraphs), number
    assert_catalog_agrees(tmp_path)


def assert_catalog_agrees(out):
    """Catalog and corpus hold the same versions; every capture lands on its record."""
    db = sqlite3.connect(out / "catalog.sqlite")
    versions = {(i, v): h for i, v, h in
                db.execute("SELECT id, version, content_hash FROM versions")}
    captures = db.execute("SELECT id, kind, warc_filename, warc_offset, warc_length "
                          "FROM captures").fetchall()
    runs = [r[0] for r in db.execute("SELECT status FROM runs ORDER BY run_id")]
    db.close()
    records = list(read_records(out / "articles.jsonl"))
    assert versions == {(r["id"], r["version"]): r["content_hash"] for r in records}
    assert len(records) == len(versions), "each version once"
    for number, kind, filename, offset, length in captures:
        record, _ = read_record_at(out, {"filename": filename, "offset": offset,
                                         "length": length})
        assert record.rec_type == kind
        assert record.rec_headers.get_header("WARC-Target-URI").endswith(f"?no={number}")
    assert "killed" in runs and runs[-1] == "finished"


def test_torn_file_keeps_its_complete_records(archive, tmp_path):
    source = warc_files(archive)[0]
    data = source.read_bytes()
    # A dead writer's file: this host, a pid that cannot exist, cut in the middle of a record.
    name = source.name.replace(source.name.split("-")[-2], "999999999") + OPEN_SUFFIX
    torn = tmp_path / name
    torn.write_bytes(data[: len(data) * 2 // 3])
    [(closed, moved)] = repair_open_files(tmp_path)
    assert moved > 0
    fixed = tmp_path / closed
    assert fixed.exists() and not torn.exists()
    assert run(WARCIO, "check", str(fixed)).returncode == 0
    assert data.startswith(fixed.read_bytes())
    assert (tmp_path / (closed + ".torn")).read_bytes() == data[fixed.stat().st_size:
                                                                len(data) * 2 // 3]


def test_a_live_writers_open_file_is_left_alone(tmp_path):
    import os
    import socket

    host = "".join(c if c.isalnum() or c == "-" else "-" for c in socket.gethostname())[:32]
    live = tmp_path / f"newsarc-20260101000000000-{host}-{os.getpid()}-abcdef.warc.gz.open"
    live.write_bytes(b"partial")
    assert repair_open_files(tmp_path) == []
    assert live.exists()
