"""The WARC middleware records every response it sees: redirects and errors included."""

from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from archive.warc import warc_files
from crawler.middlewares import WarcMiddleware
from crawler.spiders.outlet import OutletSpider


def records(archive):
    found = []
    for path in warc_files(archive):
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response":
                    found.append((record.rec_headers.get_header("WARC-Target-URI"),
                                  record.http_headers.get_statuscode(),
                                  record.http_headers.get_header("Location"),
                                  record.content_stream().read()))
    return found


def test_redirects_and_error_responses_are_archived(tmp_path):
    crawler = get_crawler(OutletSpider, {"NEWSARC_OUT": str(tmp_path), "NEWSARC_WARC": True})
    middleware = WarcMiddleware.from_crawler(crawler)
    site = "http://127.0.0.1:8000"
    redirect = Request(f"{site}/news/banner_click.php?no=3")
    middleware.process_response(redirect, Response(
        redirect.url, status=302, headers={"Location": "https://ads.example.invalid/x"}))
    error = Request(f"{site}/news/article.html?no=7")
    middleware.process_response(error, HtmlResponse(
        error.url, status=503, body=b"<html>busy</html>", headers={"Retry-After": "30"}))
    assert error.meta["warc"]["offset"] > redirect.meta["warc"]["offset"]
    crawler.archivist.close_warc()
    crawler.archivist.index_warc()
    assert records(tmp_path) == [
        (redirect.url, "302", "https://ads.example.invalid/x", b""),
        (error.url, "503", None, b"<html>busy</html>"),
    ]
    assert (tmp_path / "indexes" / "index.cdxj").exists()


def test_warc_writing_can_be_turned_off(tmp_path):
    import pytest
    from scrapy.exceptions import NotConfigured

    crawler = get_crawler(OutletSpider, {"NEWSARC_OUT": str(tmp_path), "NEWSARC_WARC": False})
    with pytest.raises(NotConfigured):
        WarcMiddleware.from_crawler(crawler)
