"""Downloader middlewares."""

from __future__ import annotations

import logging
from importlib.metadata import version
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from archive.index import WriteTimeIndex, update_index
from archive.warc import (
    DEFAULT_MAX_SIZE,
    Exchange,
    WarcWriter,
    payload_digest,
    repair_open_files,
    warc_dir,
)
from crawler.storage import describe, is_storage_error, stop_for_storage, storage_stopped

logger = logging.getLogger(__name__)


class ArchiveUnwritable(IgnoreRequest):
    """The exchange could not be archived (the crawl is stopping): the response is dropped,
    since a record extracted from it would point at no WARC record."""


class WarcMiddleware:
    """Writes every HTTP exchange to WARC files, the bytes as the server sent them.

    It sits next to the downloader (order 950, after HttpCompressionMiddleware's 590 in
    the response direction), so it sees responses before Scrapy decompresses them, and
    requests with every header Scrapy will send.  robots.txt, lists, articles, feeds,
    redirects and error responses all pass here.  The response record's location is put in
    ``request.meta["warc"]`` for the spider to attach to the record extracted from it.

    If the WARC directory cannot be written (opening it, or any exchange later), the crawl
    stops with a storage error (``crawler/storage.py``) and no response goes on unarchived.
    """

    def __init__(self, crawler: Any, archive: Path) -> None:
        self.crawler = crawler
        self.archive = archive
        self.repaired: list[tuple[str, int]] = []
        self.writer: WarcWriter | None = None
        self.open_error: BaseException | None = None
        self.finished = False
        try:
            self._open(crawler.settings)
        except Exception as exc:
            if not is_storage_error(exc):
                raise
            self.open_error = exc  # reported once the spider is open and can be closed

    def _open(self, settings: Any) -> None:
        directory = warc_dir(self.archive)
        self.repaired = repair_open_files(directory) if directory.is_dir() else []
        self.writer = WarcWriter(
            directory, self._warcinfo(settings),
            prefix=settings.get("NEWSARC_WARC_PREFIX") or "newsarc",
            max_size=settings.getint("NEWSARC_WARC_MAX_SIZE") or DEFAULT_MAX_SIZE,
            index=WriteTimeIndex(self.archive),
        )

    @classmethod
    def from_crawler(cls, crawler: Any) -> WarcMiddleware:
        out = crawler.settings.get("NEWSARC_OUT")
        if not out or not crawler.settings.getbool("NEWSARC_WARC"):
            raise NotConfigured("WARC writing is off")
        middleware = cls(crawler, Path(out))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Any) -> None:
        if self.open_error is not None:
            stop_for_storage(self.crawler, self.open_error, "WARC directory")
        for name, torn in self.repaired:
            spider.logger.warning("closed %s left open by an earlier run (%d torn bytes "
                                  "moved aside)", name, torn)
        self.crawler.stats.set_value("newsarc/warc/repaired_files", len(self.repaired))

    def process_response(self, request: Request, response: Response) -> Response:
        """Archive the exchange; an unchanged re-fetch of a known capture as a revisit."""
        if self.writer is None or storage_stopped(self.crawler):
            raise ArchiveUnwritable(f"not archived, the crawl is stopping: {request.url}")
        try:
            return self._archive(request, response)
        except Exception as exc:
            if not is_storage_error(exc):
                raise
            stop_for_storage(self.crawler, exc, "WARC file")
            raise ArchiveUnwritable(f"not archived: {request.url}") from exc

    def _archive(self, request: Request, response: Response) -> Response:
        exchange = _exchange(request, response)
        digest = payload_digest(response.body)
        refers_to = request.meta.get("newsarc_refers_to")
        unchanged = response.status == 304 or (
            response.status == 200 and digest == (refers_to or {}).get("payload_digest"))
        if refers_to and unchanged:
            location = self.writer.write_revisit(exchange, refers_to)
            request.meta["warc_kind"] = "revisit"
        else:
            location = self.writer.write_exchange(exchange, digest)
            request.meta["warc_kind"] = "response"
        request.meta["warc"] = location.as_dict()
        request.meta["warc_payload_digest"] = digest
        self.crawler.stats.inc_value(f"newsarc/warc/{request.meta['warc_kind']}")
        return response

    def spider_closed(self, spider: Any) -> None:
        """Close the file (if the run report has not already), then index the new files.
        The index is derived data: a file it misses now is indexed by the next run."""
        self.finish()
        if self.writer is None:
            return
        try:
            added = update_index(self.archive)
        except Exception as exc:
            if not is_storage_error(exc):
                raise
            logger.warning("index not updated (the next run does it): %s",
                           describe(exc, self.archive, "index"))
            return
        self.crawler.stats.set_value("newsarc/warc/files_indexed", len(added))

    def finish(self) -> None:
        """Close the current WARC file, once.  The run report calls it before it takes the
        run's numbers and releases the archive, so a full disk at the last write counts;
        a file that could not be finished keeps its ``.open`` name for the next run."""
        if self.writer is None or self.finished:
            return
        self.finished = True
        try:
            self.writer.close()
        except Exception as exc:
            if not is_storage_error(exc):
                raise
            stop_for_storage(self.crawler, exc, "WARC file")

    def _warcinfo(self, settings: Any) -> dict[str, str]:
        return {
            "software": f"newsarc/{settings.get('NEWSARC_VERSION')} "
                        f"(warcio/{version('warcio')}; Scrapy/{version('scrapy')})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                          "warc-format/warc-1.1/",
            "http-header-user-agent": settings.get("USER_AGENT"),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "crawl-settings": ", ".join(
                f"{name}={settings.get(name)}" for name in (
                    "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY",
                    "AUTOTHROTTLE_ENABLED", "NEWSARC_PROFILE", "NEWSARC_PAGE_REQUISITES",
                )
            ),
        }


def _exchange(request: Request, response: Response) -> Exchange:
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
    )


def _pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy headers as (name, value) pairs, every value of a multi-valued header kept."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name in headers
        for value in headers.getlist(name)
    ]
