"""A tampered Redis queue, for real: entries planted in a redis-server before a worker of a
distributed crawl starts, each one an attack of issue 19; the worker crawls the site as if
they were not there, and counts and reports them."""

import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from archive.corpus import read_records
from crawler import redisjson
from newsarc.replica.content import build_site
from newsarc.replica.server import route

from .conftest import NEWSARC, REPO, run, run_measured
from .test_distributed import WORKER, pytestmark, redis_url  # noqa: F401

SITE = build_site(size=12)
CAP = 1_000_000  # the worker's DOWNLOAD_MAXSIZE
BIG = 300 * 1024 * 1024  # the in-scope page a lifted cap would let through
TIMEOUT = 120  # seconds a worker may take
MEMORY = 400 * 1024  # kB of peak memory a worker may use (it reads 300 MB if uncapped)


class Server(ThreadingHTTPServer):
    """A loopback HTTP server that notes every connection made to it."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.connections: list[tuple[str, int]] = []
        self.paths: list[str] = []
        self.big_sent = 0
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def verify_request(self, request, client_address) -> bool:
        self.connections.append(client_address)
        return True


class Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Bystander(Quiet):
    def do_GET(self):  # noqa: N802
        self.server.paths.append(self.path)
        self._answer(b"bystander")

    do_CONNECT = do_POST = do_GET  # noqa: N815

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Outlet(Quiet):
    """The replica's pages of a small site, and one huge page in scope: ``/big``."""

    def do_GET(self):  # noqa: N802
        self.server.paths.append(self.path)
        if self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(BIG))
            self.end_headers()
            chunk = b"<p>" + b"x" * (64 * 1024 - 3)
            try:
                while self.server.big_sent < BIG:
                    self.wfile.write(chunk)
                    self.server.big_sent += len(chunk)
            except OSError:  # the worker gave up on it, as it should
                pass
            return
        answer = route(SITE, self.path, dict(self.headers), self.server.url)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)


def plant(redis_url: str, key: str, texts: list[str]) -> None:  # noqa: F811
    """Entries written into the queue with redis-cli, as anyone reaching Redis could."""
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    for text in texts:
        result = run("redis-cli", "-p", port, "ZADD", key, "-10", text)
        assert result.stdout.strip() == b"1", result.stdout + result.stderr


def entry(url: str, callback: str = "parse_article", **fields) -> str:
    return redisjson.dumps({"url": url, "callback": callback, "errback": "on_error",
                            "method": "GET", "priority": 10, **fields})


def test_a_tampered_queue_steers_no_worker(redis_url, tmp_path):  # noqa: F811
    outlet, bystander = Server(Outlet), Server(Bystander)
    canary = tmp_path / "canary"
    canary.mkdir()
    marker = tmp_path / "canary-imported"
    (canary / "newsarc_canary.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('x')\n")
    first, second = sorted(SITE.articles)[:2]
    article = f"{outlet.url}/news/article.html?no=%d"
    planted = {
        "proxy": entry(article % first, meta={"proxy": bystander.url}),
        "size cap lifted": entry(f"{outlet.url}/big", "parse_requisite",
                                 meta={"download_maxsize": 0, "download_warnsize": 0,
                                       "download_timeout": 3600}),
        "class": entry(article % second, _class="newsarc_canary.Evil"),
        "another port": entry(f"{bystander.url}/stolen", "parse_requisite"),
        "another scheme": entry(bystander.url.replace("http", "ftp") + "/x", "parse_requisite"),
        "spider method": entry(article % first, "_remember"),
        "not json": "not json",
        "deep nesting": "[" * 20000 + "]" * 20000,
    }
    plant(redis_url, f"newsarc:{outlet.url.split('://')[1]}:requests", list(planted.values()))
    out = tmp_path / "archive"
    env = {**os.environ, "PYTHONPATH": str(canary)}
    log, err = (tmp_path / "stdout").open("w+b"), (tmp_path / "stderr").open("w+b")
    started = time.monotonic()
    try:
        code, peak = run_measured(
            [str(WORKER), "crawl", outlet.url, "--out", str(out), "--redis", redis_url,
             "--worker", "w0", "--no-throttle", "-s", "NEWSARC_REDIS_IDLE_SECONDS=2",
             "-s", f"DOWNLOAD_MAXSIZE={CAP}"],
            tmp_path / "peak", TIMEOUT, cwd=REPO, stdout=log, stderr=err, env=env)
    finally:
        outlet.shutdown()
        bystander.shutdown()
    seconds = time.monotonic() - started
    log.seek(0)
    err.seek(0)
    summary, stderr = log.read().decode(), err.read().decode()
    assert seconds < TIMEOUT, "the worker ended in time"
    # A failure was recorded (the capped page) and entries refused: exit code 1.
    assert code == 1, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert 0 < peak < MEMORY, f"peak memory {peak} kB"

    # Nothing outside the archive changed: no connection reached the bystander (neither
    # as a proxy nor as a target), and no module was imported.
    assert bystander.connections == [] and bystander.paths == []
    assert not marker.exists()
    # The size cap held: the huge page was given up on at its Content-Length.
    assert outlet.paths.count("/big") >= 1 and outlet.big_sent < 50 * 1024 * 1024
    assert re.search(rf"{outlet.url}/big +larger than DOWNLOAD_MAXSIZE \({CAP} bytes\)",
                     summary), summary
    # Every attack counted and reported in the summary.
    assert "queue entries     3 refused (callback: 1, malformed: 2), 3 settings dropped " \
           "(class: 1, meta: 2)" in summary, summary
    dropped = re.search(r"off-site links dropped (\d+)", summary)
    assert dropped and int(dropped.group(1)) >= 2, summary
    assert f"refused a queue entry: {bystander.url}/stolen: another port" in stderr

    # And the crawl went on as if nothing had been planted: every article, from the site.
    records = {r["id"]: r for r in read_records(out / "articles.jsonl")}
    assert set(records) == set(SITE.articles)
    assert all(r["url"].startswith(outlet.url + "/") for r in records.values())
    for number in (first, second):
        assert records[number]["title"] == SITE.articles[number].title
    assert run(NEWSARC, "verify", str(out)).returncode == 0
