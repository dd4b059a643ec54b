"""Hostile input: the crawler fetches only the configured site, whatever a page says."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from archive.corpus import read_records
from archive.warc import WarcWriter, new_warc_name, warc_files
from crawler.run import safe_name
from crawler.scope import ScopeMiddleware, is_inward
from crawler.spiders.outlet import OutletSpider
from newsarc.replica import render
from newsarc.replica.content import build_site

from .conftest import NEWSARC, run

SITE = build_site(size=60)


class Recorder(ThreadingHTTPServer):
    """A loopback server that records every path asked of it."""

    daemon_threads = True

    def __init__(self, handler):
        super().__init__(("127.0.0.1", 0), handler)
        self.paths: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()


def bystander():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.server.paths.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    return Recorder(Handler)


def hostile_site(other: str):
    """An outlet whose pages and redirects try to lead the crawler elsewhere."""
    art = next(iter(SITE.articles.values()))
    page = render.article_page(SITE, art).replace(
        "</body>", f'<a href="{other}/news/article.html?no=99">off-site article</a>'
                   f'<img src="{other}/data/photos/x.jpg"><a href="ftp://127.0.0.1/x">x</a>'
                   "</body>")
    listing = ('<html><body><div class="ara_001"><ul class="art_list_all">'
               + "".join(f'<li><a href="/news/article.html?no={n}">t</a></li>'
                         for n in (art.id, 2, 3, 4, 5))
               + f'<li><a href="{other}/news/article.html?no=6">t</a></li></ul></div>'
               "</body></html>")
    redirects = {"2": f"{other}/steal", "3": "file:///etc/passwd",
                 "4": "ftp://127.0.0.1/secret", "5": other.replace("127.0.0.1", "127.0.0.2")}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.server.paths.append(self.path)
            number = self.path.rsplit("no=", 1)[-1] if "no=" in self.path else None
            if number in redirects:
                self.send_response(302)
                self.send_header("Location", redirects[number])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = (page if number == str(art.id) else listing if "list" in self.path
                    else "User-agent: *\nAllow: /\n" if self.path == "/robots.txt"
                    else "<html><body></body></html>").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Recorder(Handler), art


def test_links_and_redirects_never_lead_the_crawler_off_the_site(tmp_path):
    other = bystander()
    site, art = hostile_site(other.url)
    try:
        result = run(NEWSARC, "crawl", site.url, "--out", str(tmp_path), "--no-throttle",
                     "-v")
    finally:
        site.shutdown()
        other.shutdown()
    assert result.returncode in (0, 1), result.stderr.decode()[-2000:]
    assert other.paths == [], "nothing reached the other server"
    assert f"refused {other.url}/steal: another port" in result.stderr.decode()
    # The summary counts the refusals (the other port, the other host at least).
    dropped = re.search(rb"off-site links dropped (\d+)", result.stdout)
    assert dropped and int(dropped.group(1)) >= 2, result.stdout.decode()[-1000:]
    # The redirects themselves are archived; nothing they point to was requested.
    targets, locations = set(), set()
    for path in warc_files(tmp_path):
        for record in ArchiveIterator(path.open("rb")):
            if record.rec_type == "request":
                targets.add(record.rec_headers.get_header("WARC-Target-URI"))
            elif record.rec_type == "response":
                locations.add(record.http_headers.get_header("Location"))
    assert {"file:///etc/passwd", "ftp://127.0.0.1/secret", f"{other.url}/steal"} <= locations
    assert all(t.startswith(site.url + "/") for t in targets), targets - {site.url}
    assert [r["id"] for r in read_records(tmp_path / "articles.jsonl")] == [art.id]


@pytest.mark.parametrize(("url", "allowed"), [
    ("http://127.0.0.1:8000/news/article.html?no=1", True),
    ("http://127.0.0.1:8000/data/photos/a.jpg", True),
    ("http://127.0.0.1:8001/news/article.html?no=1", False),
    ("http://127.0.0.2:8000/", False),
    ("http://localhost:8000/", False),
    ("https://127.0.0.1:8000/", True),
    ("ftp://127.0.0.1:8000/x", False),
    ("file:///etc/passwd", False),
    ("data:text/html,hi", False),
    ("http://sub.127.0.0.1:8000/", False),
])
def test_scope_is_the_exact_host_and_port(url, allowed):
    crawler = get_crawler(OutletSpider, {"NEWSARC_SCOPE": True})
    crawler.spider = type("S", (), {"root": "http://127.0.0.1:8000", "logger": _Quiet()})()
    middleware = ScopeMiddleware.from_crawler(crawler)
    if allowed:
        assert middleware.process_request(Request(url) if url.startswith("http") else None) \
            is None
    else:
        with pytest.raises(IgnoreRequest):
            middleware.process_request(_request(url))


def test_a_public_site_answering_from_inside_is_refused():
    import ipaddress

    crawler = get_crawler(OutletSpider, {"NEWSARC_SCOPE": True})
    crawler.spider = type("S", (), {"root": "https://news.example.org", "logger": _Quiet()})()
    middleware = ScopeMiddleware.from_crawler(crawler)
    request = Request("https://news.example.org/")
    inside = Response(request.url, ip_address=ipaddress.ip_address("10.1.2.3"))
    with pytest.raises(IgnoreRequest):
        middleware.process_response(request, inside)
    outside = Response(request.url, ip_address=ipaddress.ip_address("93.184.216.34"))
    assert middleware.process_response(request, outside) is outside
    assert is_inward("169.254.169.254") and is_inward("::1") and not is_inward("example.org")


def test_output_names_cannot_leave_their_folder(tmp_path):
    assert "/" not in safe_name("../../etc/evil") and ".." not in safe_name("../../x")
    with pytest.raises(ValueError):
        safe_name("../..")
    assert "/" not in new_warc_name("../../escape")
    writer = WarcWriter(tmp_path / "warc", {"software": "test"}, prefix="../../escape")
    writer._current()
    writer.close()
    assert [p.parent for p in tmp_path.rglob("*.warc.gz")] == [tmp_path / "warc"]


class _Quiet:
    def warning(self, *args):
        pass


def _request(url):
    """A Request even for schemes Scrapy's Request refuses to build (data:, file:)."""
    try:
        return Request(url)
    except ValueError:
        request = Request("http://127.0.0.1:8000/")
        return request.replace(url=url) if url.startswith(("ftp", "file", "data")) else request
