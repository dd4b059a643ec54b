"""Downloader middlewares."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archive.warc import Exchange, payload_digest
from crawler.archivist import ArchiveUnwritable, Archivist
from crawler.rawhttp import WireHeads, take_wire_heads

__all__ = ["ArchiveUnwritable", "WarcMiddleware"]


class WarcMiddleware:
    """Hands every HTTP exchange to the archivist (``crawler/archivist.py``), which writes
    it to WARC files, the bytes as the server sent them.

    The heads are those the download handler recorded on the wire (``crawler/rawhttp.py``):
    status line, header names, case, order and repeats as they were.  A head it could not
    record (another download handler, a Scrapy without the private parts) is rebuilt from
    Scrapy's headers, and counted: ``newsarc/warc/response_head_rebuilt`` and
    ``newsarc/warc/request_head_rebuilt``.  The body is Scrapy's: de-chunked, still
    content-encoded.

    It sits next to the downloader (order 950, after HttpCompressionMiddleware's 590 in
    the response direction), so it sees responses before Scrapy decompresses them, and
    requests with every header Scrapy will send.  robots.txt, lists, articles, feeds,
    redirects and error responses all pass here.  The response record's location is put in
    ``request.meta["warc"]`` for the spider to attach to the record extracted from it.

    If the WARC directory cannot be written (opening it, or any exchange later), the crawl
    stops with a storage error (``crawler/storage.py``) and no response goes on unarchived
    (:class:`ArchiveUnwritable`).
    """

    def __init__(self, crawler: Any, archivist: Archivist) -> None:
        self.crawler = crawler
        self.archivist = archivist

    @classmethod
    def from_crawler(cls, crawler: Any) -> WarcMiddleware:
        out = crawler.settings.get("NEWSARC_OUT")
        if not out or not crawler.settings.getbool("NEWSARC_WARC"):
            raise NotConfigured("WARC writing is off")
        archivist = Archivist.of(crawler)
        archivist.open_warc()
        return cls(crawler, archivist)

    def process_response(self, request: Request, response: Response) -> Response:
        """Archive the exchange; an unchanged re-fetch of a known capture as a revisit."""
        digest = payload_digest(response.body)
        refers_to = request.meta.get("newsarc_refers_to")
        unchanged = response.status == 304 or (
            response.status == 200 and digest == (refers_to or {}).get("payload_digest"))
        heads = take_wire_heads(request, response)
        location, kind = self.archivist.archive_exchange(
            _exchange(request, response, heads), digest, refers_to, unchanged)
        for head, name in ((heads.response, "response"), (heads.request, "request")):
            if head is None:
                self.crawler.stats.inc_value(f"newsarc/warc/{name}_head_rebuilt")
        request.meta["warc_kind"] = kind
        request.meta["warc"] = location
        request.meta["warc_payload_digest"] = digest
        return response


def _exchange(request: Request, response: Response, heads: WireHeads) -> Exchange:
    host = request.url.split("://", 1)[-1].split("/", 1)[0]
    request_headers = [("Host", host)] + _pairs(request.headers)
    return Exchange(
        url=request.url,
        method=request.method,
        request_headers=request_headers,
        request_body=request.body or b"",
        status=response.status,
        response_headers=_pairs(response.headers),
        body=response.body,
        protocol=response.protocol or "HTTP/1.1",
        ip_address=str(response.ip_address) if response.ip_address else None,
        raw_head=heads.response,
        raw_request_head=heads.request,
    )


def _pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy headers as (name, value) pairs, every value of a multi-valued header kept."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name in headers
        for value in headers.getlist(name)
    ]
