"""Fault tolerance: a crawl of the replica in faults mode loses nothing it could fetch,
lists what it could not, retries that next run; a full disk or an unwritable archive stops
the crawl cleanly, with nothing half-written."""

import json
import resource
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from scrapy.settings import Settings

from archive.corpus import read_records
from archive.warc import complete_prefix, gzip_complete_end, read_record_at, warc_files
from crawler.resilience import BackoffRetryMiddleware, retry_after_seconds
from crawler.storage import EXIT_STORAGE
from newsarc.replica import faults
from newsarc.replica.content import build_site
from newsarc.replica.server import Replica

from .conftest import NEWSARC, REPO, free_port, run

FAST = ("--no-throttle", "-s", "DOWNLOAD_TIMEOUT=2", "-s", "NEWSARC_RETRY_BACKOFF=0.5")


def crawl(url, out, *extra, **kwargs):
    return run(NEWSARC, "crawl", url, "--out", str(out), *FAST, *extra, **kwargs)


# --- the replica's faults ------------------------------------------------------------------

def test_faults_are_a_function_of_the_site_and_the_request_count():
    site, again = build_site(60), build_site(60)
    assert faults.faults_for(site) == faults.faults_for(again)
    assert sorted(faults.faults_for(site).values()) == sorted(faults.ARTICLE_FAULTS)
    assert set(faults.faults_for(site)) <= set(site.articles) - {site.sample_id}
    number = {kind: n for n, kind in faults.faults_for(site).items()}
    target = f"/news/article.html?no={number[faults.HTTP_429]}"
    assert [faults.fault_at(site, target, n) for n in (1, 2, 3, 4)] == [
        faults.HTTP_429, faults.HTTP_429, None, None]
    permanent = f"/news/article.html?no={number[faults.HTTP_500_PERMANENT]}"
    assert {faults.fault_at(site, permanent, n) for n in range(1, 20)} == {
        faults.HTTP_500_PERMANENT}
    assert faults.fault_at(site, "/news/section_list_all.html?sec_no=S1N2&page=1", 1) \
        == faults.HTTP_429  # parameters in either order
    assert len(faults.permanent_failures(site)) == 4


def test_retry_waits_honour_retry_after_with_a_cap():
    settings = Settings()
    settings.setmodule("crawler.settings")
    middleware = BackoffRetryMiddleware(settings)
    assert middleware.delay(1, retry_after_seconds(b"1")) == 1
    assert middleware.delay(1, retry_after_seconds(b"3600")) == 60
    assert [middleware.delay(n, None) for n in (1, 2, 3, 6)] == [1, 2, 4, 30]
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # a past date
    assert retry_after_seconds("soon") is None


# --- a crawl through every fault -----------------------------------------------------------

def test_crawl_through_faults_gets_every_article_once_and_lists_the_failures(tmp_path):
    with Replica(size=60, faults=True) as server:
        site = server.site
        broken = faults.faults_for(site)
        permanent = faults.permanent_failures(site)
        [dead] = [n for n, kind in broken.items() if kind == faults.HTTP_500_PERMANENT]
        first = crawl(server.url, tmp_path)
        assert first.returncode == 1, first.stderr.decode()[-3000:]
        summary = first.stdout.decode()
        counts = dict(server.request_counts)
        times = {k: list(v) for k, v in server.request_times.items()}

        # Every live article exactly once, with its true text whatever happened to it.
        records = list(read_records(tmp_path / "articles.jsonl"))
        assert Counter(r["id"] for r in records) == Counter(set(site.articles) - {dead})
        for record in records:
            art = site.articles[record["id"]]
            assert (record["title"], record["body"]) == (art.title, "\n\n".join(art.paragraphs)), \
                broken.get(record["id"])

        # What failed for good is listed with its reason, and nothing else is.
        listed = [line.split() for line in summary.splitlines() if line.startswith("    http")]
        assert {words[0].replace(server.url, "") for words in listed} == set(permanent)
        reasons = {words[0].replace(server.url, ""): " ".join(words[1:]) for words in listed}
        for target, kind in permanent.items():
            expected = {faults.HTTP_500_PERMANENT: "HTTP 500 Internal Server Error, 4 attempts",
                        faults.REDIRECT_LOOP: "redirect loop:",
                        faults.HUGE_PAGE: "larger than DOWNLOAD_MAXSIZE",
                        faults.GZIP_BOMB: "once decompressed"}[kind]
            assert expected in reasons[target], (kind, reasons[target])
        assert "failed            4, to be retried by the next run" in summary
        assert "Traceback" not in first.stderr.decode()

        # Transient faults were met and retried: lists, articles, timeouts, cut connections.
        for target in faults.LIST_FAULTS:
            assert counts[target] == faults.TIMES[faults.LIST_FAULTS[target]] + 1, target
        for number, kind in broken.items():
            key = f"/news/article.html?no={number}"
            if kind in faults.TIMES:
                assert counts[key] == faults.TIMES[kind] + 1, kind
        # Retry-After: 1 was honoured between the 429s and the retries.
        key = f"/news/article.html?no={next(n for n, k in broken.items() if k == faults.HTTP_429)}"
        assert all(b - a >= 0.9 for a, b in zip(times[key], times[key][1:], strict=False))

        verdict = run(NEWSARC, "verify", str(tmp_path))
        assert verdict.returncode == 0, verdict.stdout.decode()[-3000:]
        assert failures_in(tmp_path) == {t: 1 for t in permanent}

        # The next run asks for the failed URLs again; still failing, still listed.
        before = Counter(server.request_counts)
        second = crawl(server.url, tmp_path)
        assert second.returncode == 1, second.stderr.decode()[-3000:]
        for target in permanent:
            assert server.request_counts[target] > before[target], target
            assert f"{server.url}{target}  " in second.stdout.decode()
        assert "0 of 4 earlier failures recovered" in second.stdout.decode()
        assert failures_in(tmp_path) == {t: 2 for t in permanent}

        # Once the server heals, the failures are fetched and leave the table.
        server.faults = False
        third = crawl(server.url, tmp_path)
        assert third.returncode == 0, third.stdout.decode()[-3000:]
        assert "4 of 4 earlier failures recovered" in third.stdout.decode()
    assert failures_in(tmp_path) == {}
    ids = [r["id"] for r in read_records(tmp_path / "articles.jsonl")]
    assert sorted(ids) == sorted(site.articles)
    assert run(NEWSARC, "verify", str(tmp_path)).returncode == 0


def failures_in(archive):
    """target -> number of runs it failed in, from the catalog."""
    db = sqlite3.connect(archive / "catalog.sqlite")
    rows = db.execute("SELECT url, runs FROM failures").fetchall()
    db.close()
    return {"/" + url.split("/", 3)[3]: runs for url, runs in rows}


# --- storage that cannot be written --------------------------------------------------------

def _file_size_limit(limit):
    def apply():
        # Python ignores SIGXFSZ already; said again so the limit shows as EFBIG, not a kill.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def limited(limit, *command, timeout=120):
    """Run a command whose files cannot grow past `limit` bytes: a disk that fills up."""
    return subprocess.run(list(command), cwd=REPO, capture_output=True, timeout=timeout,
                          preexec_fn=_file_size_limit(limit))


def assert_stopped_cleanly(result, out):
    stderr = result.stderr.decode()
    assert result.returncode == EXIT_STORAGE, (result.returncode, stderr[-3000:])
    assert "Traceback" not in stderr, stderr[-3000:]
    [line] = [line for line in stderr.splitlines() if line.startswith("newsarc crawl: stopped")]
    assert f"cannot write to {out}: " in line
    return line


def assert_next_run_completes(replica, out):
    """The run after a failed one gets every article exactly once, and the archive verifies."""
    again = run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle")
    assert again.returncode == 0, again.stderr.decode()[-3000:]
    counts = Counter(r["id"] for r in read_records(out / "articles.jsonl"))
    assert set(counts) == set(replica.site.articles) and max(counts.values()) == 1
    assert run(NEWSARC, "verify", str(out)).returncode == 0


@pytest.mark.parametrize("limit", [100_000, 400_000])
def test_a_full_disk_stops_the_crawl_cleanly_and_the_next_run_completes(replica, tmp_path,
                                                                       limit):
    result = limited(limit, NEWSARC, "crawl", replica.url, "--out", str(tmp_path),
                     "--no-throttle")
    line = assert_stopped_cleanly(result, tmp_path)
    assert "disk I/O error" in line or "File too large" in line
    if (tmp_path / "warc").is_dir():
        assert not list((tmp_path / "warc").glob("*.open")), "the WARC file was closed"
        verdict = run(NEWSARC, "verify", str(tmp_path))
        assert verdict.returncode == 0, verdict.stdout.decode()[-3000:]
    assert_next_run_completes(replica, tmp_path)


@pytest.mark.parametrize("make_unwritable", [
    lambda d: (d / "warc").write_text("not a directory"),
    lambda d: (d / "articles.jsonl").mkdir(),
], ids=["warc-is-a-file", "corpus-is-a-directory"])
def test_an_unwritable_archive_stops_the_crawl_with_one_line(replica, tmp_path,
                                                             make_unwritable):
    make_unwritable(tmp_path)
    result = crawl(replica.url, tmp_path)
    line = assert_stopped_cleanly(result, tmp_path)
    assert line.endswith(("(EEXIST): warc", "(EISDIR): articles.jsonl")), line


@pytest.mark.parametrize("where", ["a-file", "under-proc"])
def test_an_archive_directory_that_cannot_exist(replica, tmp_path, where):
    out = tmp_path / "file"
    if where == "a-file":
        out.write_text("not a directory")
    else:
        out = Path("/proc/newsarc-cannot-be-here/archive")
    result = crawl(replica.url, out)
    assert_stopped_cleanly(result, out)


# A disk that fills up mid-crawl with ENOSPC (RLIMIT_FSIZE gives EFBIG, and the catalog's
# write-ahead log always reaches it first): the write of the chosen file after `after`
# whole ones writes half its bytes, then fails, as a write(2) on a full disk does.
ENOSPC_AFTER = """
import errno, os, sys
import archive.corpus, archive.warc
from newsarc.cli import main

which, after = sys.argv[1], int(sys.argv[2])
calls = [0]

def full(write):
    def write_then_fill(data):
        calls[0] += 1
        if calls[0] > after:
            write(bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write(data)
    return write_then_fill

class FillingFile:
    def __init__(self, handle):
        self._handle, self.write = handle, full(handle.write)
    def __getattr__(self, name):
        return getattr(self._handle, name)

if which == "warc":
    real = archive.warc._write_all
    archive.warc._write_all = lambda handle, data: real(FillingFile(handle), data)
else:
    real_init = archive.corpus.CorpusWriter.__init__
    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self._handle = FillingFile(self._handle)
    archive.corpus.CorpusWriter.__init__ = init
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.parametrize(("which", "after", "named"), [
    ("warc", 30, "warc/newsarc-"), ("corpus", 10, "articles.jsonl")])
def test_a_disk_filling_mid_write_leaves_nothing_half_written(replica, tmp_path, which, after,
                                                              named):
    result = run(sys.executable, "-c", ENOSPC_AFTER, which, str(after), "crawl", replica.url,
                 "--out", str(tmp_path), "--no-throttle")
    line = assert_stopped_cleanly(result, tmp_path)
    assert f"No space left on device (ENOSPC): {named}" in line, line
    assert not list((tmp_path / "warc").glob("*.open")), "the WARC file was closed"
    data = (tmp_path / "articles.jsonl").read_bytes()
    assert data.endswith(b"\n") or not data, "no half line in the corpus"
    verdict = run(NEWSARC, "verify", str(tmp_path))
    assert verdict.returncode == 0, verdict.stdout.decode()[-3000:]
    assert_next_run_completes(replica, tmp_path)


WRITE_UNTIL_FULL = """
import sys
from pathlib import Path
from archive.corpus import CorpusWriter
from archive.warc import Exchange, WarcWriter
out = Path(sys.argv[1])
warc = WarcWriter(out / "warc", {"software": "test"})
corpus = CorpusWriter(out)
written = []
for i in range(10_000):
    body = ("<p>%d</p>" % i).encode() * 300
    ex = Exchange("http://example.test/news/article.html?no=%d" % i, "GET", [("Host", "x")],
                  200, [("Content-Type", "text/html")], body)
    try:
        loc = warc.write_exchange(ex)
    except OSError as exc:
        warc_error = exc.errno
        break
    written.append(loc.as_dict())
for i in range(100_000):
    try:
        corpus.write({"id": i, "content_hash": "h", "body": "기사 본문 " * 50})
    except OSError as exc:
        corpus_error = exc.errno
        break
warc.close()
corpus.close()
print(warc_error, corpus_error, __import__("json").dumps(written))
"""


def test_writers_take_back_what_a_full_disk_cut_off(tmp_path):
    """Real EFBIG from RLIMIT_FSIZE: the WARC file and the corpus end on whole records."""
    result = limited(150_000, sys.executable, "-c", WRITE_UNTIL_FULL, str(tmp_path))
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    warc_errno, corpus_errno, written = result.stdout.decode().split(" ", 2)
    assert int(warc_errno) == int(corpus_errno) == 27  # EFBIG: the limit was hit
    [path] = warc_files(tmp_path)  # closed: renamed from .open
    assert gzip_complete_end(path) == complete_prefix(path) == path.stat().st_size
    locations = json.loads(written)
    # An exchange may end exactly at the limit (sizes vary by a few bytes per run).
    assert locations and path.stat().st_size <= 150_000
    for location in locations:
        record, _ = read_record_at(tmp_path, location)
        assert record.rec_type == "response"
    data = (tmp_path / "articles.jsonl").read_bytes()
    assert data.endswith(b"\n") and len(data) <= 150_000
    assert len(list(read_records(tmp_path / "articles.jsonl"))) == data.count(b"\n")


def test_a_site_whose_name_does_not_resolve(tmp_path, monkeypatch):
    """No name server is asked: the crawl's resolver (Scrapy's ``TWISTED_DNS_RESOLVER``,
    given with -s like any other setting) answers that the name does not exist.  Every
    start URL is retried, then listed with the reason, and the run exits 1; a second run
    meets the same."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # for tests.resolvers
    monkeypatch.setenv("ASKED_NAMES", str(tmp_path / "asked.txt"))
    command = [NEWSARC, "crawl", "http://news.example.test", "--out", str(tmp_path),
               "--no-throttle", "-s", "TWISTED_DNS_RESOLVER=tests.resolvers.NothingResolves",
               "-s", "NEWSARC_RETRY_BACKOFF=0.05"]
    for _run in range(2):
        result = run(*command)
        output = result.stdout.decode() + result.stderr.decode()
        assert result.returncode == 1, output[-3000:]
        assert "failed            3, to be retried by the next run" in output
        for path in ("/", "/news/article_list_all.html?page=1", "/data/rss/news.xml"):
            assert (f"http://news.example.test{path}  could not connect: DNS lookup failed"
                    in output), output[-3000:]
        assert "Traceback" not in output, output[-3000:]
    assert json.loads(sorted((tmp_path / "runs").glob("*.json"))[-1].read_text())[
        "exit_code"] == 1
    assert set((tmp_path / "asked.txt").read_text().split()) == {"news.example.test"}


def test_a_site_that_is_down_is_reported_without_tracebacks(tmp_path):
    """Nothing listens on the port.  Scrapy's robots.txt middleware logged the failed
    robots.txt at ERROR with sixty lines of traceback, which ``--quiet`` (errors only, for
    cron) printed on top of its one line; now it is one warning, and the pages that fail
    for the same reason are listed by the summary."""
    site = f"http://127.0.0.1:{free_port()}"
    fast = (*FAST, "-s", "NEWSARC_RETRY_BACKOFF=0.05")
    quiet = crawl(site, tmp_path / "quiet", *fast, "--quiet")
    assert quiet.returncode == 1, quiet.stderr.decode()[-3000:]
    assert quiet.stderr == b"", quiet.stderr.decode()[-3000:]
    assert len(quiet.stdout.decode().splitlines()) == 1
    assert "3 errors" in quiet.stdout.decode()

    loud = crawl(site, tmp_path / "loud", *fast)
    log = loud.stderr.decode()
    assert loud.returncode == 1, log[-3000:]
    assert "Traceback" not in log and " ERROR: " not in log, log[-3000:]
    assert f"WARNING: robots.txt of {site[7:]} could not be fetched (Connection was refused" \
        in log, log[-3000:]
    assert "Disabled" not in log, log[-3000:]  # no warning for a setting left at its default
    assert f"{site}/  could not connect: Connection was refused" in loud.stdout.decode()
