"""The download handler that keeps each HTTP exchange's heads as they crossed the wire.

A WARC record is the exchange as it was: the status line with its reason phrase, the header
names as the server cased and ordered them, repeated headers, and the connection headers
(``Connection``, ``Keep-Alive``, ``Transfer-Encoding``) that Twisted keeps to itself.  Scrapy
gives none of that: its response headers come out of Twisted's parser re-cased (``ETag`` →
``Etag``) and regrouped.  So this handler, Scrapy's HTTP/1.1 handler otherwise, has its
connections record the bytes of each response head as received and each request head as
sent (``crawler.scrapy_compat.tee_wire_heads``, the private part) and keeps them beside the
response for the WARC middleware (:func:`take_wire_heads`).  The response itself goes on
unchanged: no header, attribute or meta key is added for other components to see.

Both heads are checked before use (one whole head that parses, the response's status and
the request's method those Scrapy saw); a head missing or refused leaves the WARC middleware
to rebuild it from Scrapy's headers, as before, and a stat counts it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Response

from archive.warc import parse_http_head
from crawler.scrapy_compat import pop_wire_heads, tee_wire_heads

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WireHeads:
    """A response's head as received and its request's as sent; None where not recorded."""

    response: bytes | None = None
    request: bytes | None = None


# Kept beside each response, not on it: it goes when the response goes, whoever drops it.
_heads: WeakKeyDictionary[Response, WireHeads] = WeakKeyDictionary()


class WireHeadsDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler, keeping each exchange's heads as on the wire
    (``DOWNLOAD_HANDLERS`` for http and https, ``crawler/settings.py``).  With WARC writing
    off (``NEWSARC_WARC``) it records nothing: nothing would read the heads."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.teeing = crawler.settings.getbool("NEWSARC_WARC") and tee_wire_heads(self)

    async def download_request(self, request: Request) -> Response:
        response = await super().download_request(request)
        response_head, request_head = pop_wire_heads(response.headers)
        if response_head or request_head:
            _heads[response] = WireHeads(response_head, request_head)
        return response


def take_wire_heads(request: Request, response: Response) -> WireHeads:
    """The heads recorded for ``response`` (taken: asked twice, the second answer is empty),
    each only if it is one whole head agreeing with what Scrapy saw."""
    heads = _heads.pop(response, None)
    if heads is None:
        return WireHeads()
    return WireHeads(_checked(heads.response, response.url, str(response.status), False),
                     _checked(heads.request, response.url, request.method, True))


def _checked(head: bytes | None, url: str, expected: str, request: bool) -> bytes | None:
    """``head`` if it parses and has the status (response) or method (request) expected."""
    if head is None:
        return None
    what = "request" if request else "response"
    try:
        parsed = parse_http_head(head, request=request)
    except ValueError as exc:
        logger.debug("%s head of %s not kept as received: %s", what, url, exc)
        return None
    found = parsed.protocol if request else parsed.get_statuscode()
    if found != expected:
        logger.debug("%s head of %s not kept as received: it says %s, Scrapy %s",
                     what, url, found, expected)
        return None
    return head
