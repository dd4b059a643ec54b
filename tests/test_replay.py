"""Replay with pywb: every archived article, Korean URLs, and a real browser."""

import shutil
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from lxml.html import fromstring

from archive.corpus import read_records
from archive.index import update_index
from archive.warc import Exchange, WarcWriter, warc_dir

from .conftest import NEWSARC, free_port, serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


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
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
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
