"""Replay with pywb: every archived article, Korean URLs, and a real browser; and the
archive's WACZ opened in ReplayWeb.page, the viewer archivists open WACZ files in."""

import shutil
import threading
import time
import urllib.request
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from lxml.html import fromstring

from archive.corpus import read_records
from archive.index import update_index
from archive.warc import Exchange, WarcWriter, warc_dir

from .conftest import NEWSARC, REPO, free_port, run, serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
# ReplayWeb.page's ui.js and sw.js, fetched from npm by `make test` (the Makefile pins it).
REPLAYWEB = next(iter(sorted((REPO / ".cache").glob("replaywebpage-*/sw.js"))), None)


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def replay(archive):
    port = free_port()
    with serving(NEWSARC, "replay", str(archive), "--port", str(port), port=port):
        yield f"http://127.0.0.1:{port}/archive"


def headline(page: str) -> str:
    return fromstring(page).xpath("string(//div[contains(@class,'art_top')]//h2)").strip()


def test_every_archived_article_replays_with_its_headline(archive, replay):
    records = list(read_records(archive / "articles.jsonl"))
    assert records
    for record in records:
        status, page = fetch(f"{replay}/{record['url']}")
        assert status == 200
        assert headline(page) == record["title"]


def test_a_given_capture_by_timestamp(archive, replay):
    record = next(read_records(archive / "articles.jsonl"))
    stamp = "".join(c for c in record["warc"]["date"] if c.isdigit())[:14]
    status, page = fetch(f"{replay}/{stamp}/{record['url']}")
    assert status == 200
    assert headline(page) == record["title"]


def test_korean_urls_are_percent_encoded_and_replay(tmp_path):
    korean = "http://127.0.0.1:9/news/article_list_writer.html?name=안용운"
    encoded = "http://127.0.0.1:9/news/article_list_writer.html?name=" + quote("안용운")
    body = "<html><body><h1>안용운 기자의 기사</h1></body></html>".encode()
    writer = WarcWriter(warc_dir(tmp_path), {"software": "test"})
    writer.write_exchange(Exchange(
        url=encoded, method="GET", request_headers=[("Host", "127.0.0.1:9")], status=200,
        response_headers=[("Content-Type", "text/html; charset=utf-8"),
                          ("Content-Length", str(len(body)))], body=body))
    writer.close()
    update_index(tmp_path)
    assert (Path(tmp_path) / "indexes" / "index.cdxj").read_text().isascii()
    port = free_port()
    with serving(NEWSARC, "replay", str(tmp_path), "--port", str(port), port=port):
        for form in (encoded, korean):
            status, page = fetch(f"http://127.0.0.1:{port}/archive/" + quote(form, safe=":/?=&%"))
            assert status == 200
            assert "안용운 기자의 기사" in page


def test_crawled_target_uris_are_ascii(archive):
    index = (archive / "indexes" / "index.cdxj").read_text(encoding="utf-8")
    assert index.isascii()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by .ci/run")
def test_a_real_browser_renders_a_replayed_article(archive, replay, replica):
    from playwright.sync_api import sync_playwright

    sample = replica.site.articles[replica.site.sample_id]
    url = f"{replay}/{replica.url}/news/article.html?no={sample.id}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url, wait_until="load", timeout=60_000)
            assert page.inner_text("div.art_top h2").strip() == sample.title
            body_text = page.inner_text("#news_body_area")
            assert sample.paragraphs[0] in body_text
            loaded = page.eval_on_selector(
                "#news_body_area img", "img => img.complete && img.naturalWidth > 0")
            assert loaded, "the photo must load from the archive"
        finally:
            browser.close()


@contextmanager
def static_site(directory: Path):
    """A plain static web server (no range requests), as a WACZ is often published."""
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def replayweb_page(tmp_path: Path, wacz: Path, url: str) -> Path:
    """ReplayWeb.page embedded as its documentation shows: ui.js, a service worker under
    /replay/, and a <replay-web-page> element pointing at the WACZ and one URL in it."""
    site = tmp_path / "site"
    (site / "replay").mkdir(parents=True)
    for name in ("ui.js", "sw.js"):  # the replay frame's own page loads ui.js from /replay/
        shutil.copy(REPLAYWEB.parent / name, site / "replay" / name)
    shutil.copy(REPLAYWEB.parent / "ui.js", site / "ui.js")
    shutil.copy(wacz, site / "archive.wacz")
    (site / "index.html").write_text(
        '<!doctype html><html><head><meta charset="utf-8"><script src="ui.js"></script>'
        '</head><body><replay-web-page source="archive.wacz" replayBase="/replay/" '
        f'url="{url}" embed="replayonly" style="display:block;height:900px">'
        "</replay-web-page></body></html>", encoding="utf-8")
    return site


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by .ci/run")
@pytest.mark.skipif(REPLAYWEB is None, reason="make test fetches ReplayWeb.page from npm")
def test_replayweb_page_replays_an_article_from_the_wacz(archive, replica, tmp_path):
    from playwright.sync_api import sync_playwright

    wacz = tmp_path / "archive.wacz"
    result = run(NEWSARC, "wacz", str(archive), "--out", str(wacz))
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    sample = replica.site.articles[replica.site.sample_id]
    url = f"{replica.url}/news/article.html?no={sample.id}"
    with static_site(replayweb_page(tmp_path, wacz, url)) as site, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{site}/index.html", wait_until="load", timeout=60_000)
            frame = replayed_frame(page, url)
            assert frame.inner_text("div.art_top h2").strip() == sample.title
            assert sample.paragraphs[0] in frame.inner_text("#news_body_area")
            frame.wait_for_load_state("load")
            loaded = frame.eval_on_selector(
                "#news_body_area img", "img => img.complete && img.naturalWidth > 0")
            assert loaded, "the photo must load from the WACZ"
            sheets = frame.evaluate("() => Array.from(document.styleSheets)"
                                    ".filter(s => s.href).map(s => s.cssRules.length)")
            assert sheets and all(sheets), "the site's stylesheet must load from the WACZ"
        finally:
            browser.close()


def replayed_frame(page, url: str, views: int = 3, timeout: float = 20, shown=None):
    """The frame ReplayWeb.page replays ``url`` in, once its page has a headline (the
    service worker first loads the WACZ's index), within ``views`` views of the page;
    with ``shown(frame)``, what that says once it says anything but None.

    ReplayWeb.page's loading races its service worker: its replay frame sometimes
    navigates before the worker serves it, and then stays empty (on this machine a first
    view did in about 1 run of 4, a view with the worker already active in about 1 of
    20).  A visitor reloads; so does this test, twice at most, with the same WACZ.
    """
    for view in range(views):
        if view:
            page.reload(wait_until="load", timeout=60_000)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for frame in page.frames:
                if not frame.url.endswith("mp_/" + url):
                    continue
                if shown is not None:
                    answer = shown(frame)
                    if answer is not None:
                        return answer
                elif frame.query_selector("div.art_top h2"):
                    return frame
            page.wait_for_timeout(250)
    raise AssertionError(f"ReplayWeb.page did not replay {url} in {views} views: frames "
                         f"{[frame.url for frame in page.frames]}")
