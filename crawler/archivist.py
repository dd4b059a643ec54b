"""The one component of a crawl that writes the archive.

The archive's parts must stay in agreement (corpus before catalog, WARC record before the
record that points at it, the run's row around them all) and one storage error must stop
every writer.  That is easiest to keep true, and to read, when one component owns them: the
:class:`Archivist` holds the session (lock, corpus, catalog), the WARC writer, the run and
this run's failures.  The spider, the item pipeline and the WARC middleware reach it as
``crawler.archivist`` and hand it what they have; none of them writes a file itself.
"""

from __future__ import annotations

import logging
import sqlite3
from importlib.metadata import version
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem, IgnoreRequest, NotConfigured

from archive.catalog import Catalog, has_catalog
from archive.index import WriteTimeIndex, update_index
from archive.runtable import write_run_file
from archive.session import ArchiveSession
from archive.warc import (
    DEFAULT_MAX_SIZE,
    DEFAULT_WARC_VERSION,
    WARC_VERSIONS,
    Exchange,
    WarcWriter,
    repair_open_files,
    warc_dir,
)
from crawler.storage import (
    describe,
    is_storage_error,
    stop_for_storage,
    storage_guard,
    storage_stopped,
)

logger = logging.getLogger(__name__)


class ArchiveUnwritable(IgnoreRequest):
    """The exchange could not be archived (the crawl is stopping): the response is dropped,
    since a record extracted from it would point at no WARC record."""


class Archivist:
    """Owns the archive for one crawl, from opening to closing.

    Opened when the crawler is built (after the spider, which decides the mode from whether
    the archive has a catalog yet): the session on ``NEWSARC_OUT`` (a distributed worker's
    shard); the WARC writer when the WARC middleware asks for it (:meth:`open_warc`).  An
    archive that cannot be opened (a full disk before the first page) is reported once the
    spider is open, and the crawl stops at once.  A distributed worker remembers with the
    whole archive (``NEWSARC_ARCHIVE``): :attr:`memory` is what the spider asks about known
    articles.

    Every write goes through :func:`crawler.storage.storage_guard`: the first storage error
    stops the crawl, later ones are consequences.  :meth:`close` is the closing order.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        settings = crawler.settings
        out = settings.get("NEWSARC_OUT")
        if not out:
            raise NotConfigured("no archive directory (NEWSARC_OUT)")
        self.directory = Path(out)
        self.session: ArchiveSession | None = None
        self.memory: Any = None
        self.open_error: BaseException | None = None
        self.writer: WarcWriter | None = None
        self.warc_error: BaseException | None = None
        self.warc_repaired: list[tuple[str, int]] = []
        self.warc_opened = False
        self.warc_closed = False
        self.failures: list[dict[str, Any]] = []  # this run's, for the summary
        # An error now is reported once the spider is open and can be closed.
        try:
            self._open_session(settings)
        except Exception as exc:
            if not is_storage_error(exc):
                raise
            self.open_error = exc
            self.memory = None  # nothing to crawl from: the spider seeds nothing

    @classmethod
    def from_crawler(cls, crawler: Any) -> Archivist:
        archivist = cls(crawler)
        crawler.archivist = archivist
        crawler.signals.connect(archivist.spider_opened, signal=signals.spider_opened)
        return archivist

    @classmethod
    def of(cls, crawler: Any) -> Archivist:
        """The crawl's archivist (the extension), or one made now for a crawler built
        without it (a component tested alone)."""
        archivist = getattr(crawler, "archivist", None)
        return archivist if archivist is not None else cls.from_crawler(crawler)

    # --- opening ------------------------------------------------------------------------

    def _open_session(self, settings: Any) -> None:
        self.session = ArchiveSession(self.directory,
                                      lock=not settings.getbool("NEWSARC_LOCK_HELD"))
        self.memory = self.session.catalog
        archive = Path(settings.get("NEWSARC_ARCHIVE") or self.directory)
        if settings.get("NEWSARC_REDIS_KEY") and has_catalog(archive):
            self.memory = Catalog(archive)
            self.session.corpus.latest = self.memory.latest()

    def open_warc(self) -> None:
        """Open the WARC writer, once: for the WARC middleware, so that a crawl without it
        (``NEWSARC_WARC`` off, or the middleware taken out) writes no WARC file."""
        if self.warc_opened:
            return
        self.warc_opened = True
        try:
            self._open_warc(self.crawler.settings)
        except Exception as exc:
            if not is_storage_error(exc):
                raise
            self.warc_error = exc

    def _open_warc(self, settings: Any) -> None:
        directory = warc_dir(self.directory)
        self.warc_repaired = repair_open_files(directory) if directory.is_dir() else []
        self.writer = WarcWriter(
            directory, _warcinfo(settings),
            prefix=settings.get("NEWSARC_WARC_PREFIX") or "newsarc",
            max_size=settings.getint("NEWSARC_WARC_MAX_SIZE") or DEFAULT_MAX_SIZE,
            index=WriteTimeIndex(self.directory),
            warc_version=_warc_version(settings),
        )

    def spider_opened(self, spider: Any) -> None:
        """Say what opening found and start the run; or stop, if the archive is unwritable."""
        if self.open_error is not None:
            stop_for_storage(self.crawler, self.open_error, "archive")
        session = self.session
        if session is not None:
            with storage_guard(self.crawler, "catalog"):
                session.run_id = session.catalog.start_run(spider.root, spider.mode)
            if session.lock is not None and session.lock.took_over:
                spider.logger.warning("took over the lock of pid %s, which is gone",
                                      session.lock.previous.get("pid"))
            if session.repaired_bytes:
                spider.logger.warning("articles.jsonl ended in a half-written line (%d "
                                      "bytes); moved to articles.jsonl.partial",
                                      session.repaired_bytes)
            if session.reconciled:
                spider.logger.warning("catalog caught up with %d corpus records",
                                      session.reconciled)
        if not self.warc_opened:
            return
        if self.warc_error is not None:
            stop_for_storage(self.crawler, self.warc_error, "WARC directory")
        for name, torn in self.warc_repaired:
            spider.logger.warning("closed %s left open by an earlier run (%d torn bytes "
                                  "moved aside)", name, torn)
        self.crawler.stats.set_value("newsarc/warc/repaired_files", len(self.warc_repaired))

    @property
    def catalog(self) -> Any:
        """Where this run writes what it learns (the shard's catalog for a worker)."""
        return self.session.catalog if self.session is not None else None

    @property
    def run_id(self) -> int | None:
        return self.session.run_id if self.session is not None else None

    # --- what the WARC middleware hands over --------------------------------------------

    def archive_exchange(self, exchange: Exchange, digest: str,
                         refers_to: dict[str, Any] | None, unchanged: bool
                         ) -> tuple[dict[str, Any], str]:
        """The exchange as WARC records: a revisit of ``refers_to`` when ``unchanged``, else
        a response.  Returns the record's location and kind; raises
        :class:`ArchiveUnwritable` once the archive cannot be written."""
        url = exchange.url
        if self.writer is None or storage_stopped(self.crawler):
            raise ArchiveUnwritable(f"not archived, the crawl is stopping: {url}")
        with storage_guard(self.crawler, "WARC file",
                           then=lambda exc: ArchiveUnwritable(f"not archived: {url}")):
            if refers_to and unchanged:
                location, kind = self.writer.write_revisit(exchange, refers_to), "revisit"
            else:
                location, kind = self.writer.write_exchange(exchange, digest), "response"
        self.crawler.stats.inc_value(f"newsarc/warc/{kind}")
        return location.as_dict(), kind

    # --- what the item pipeline hands over ----------------------------------------------

    def store(self, item: dict[str, Any]) -> str:
        """The article in corpus and catalog: 'new', 'changed' or 'unchanged'.  Raises
        DropItem if the archive cannot be written (the record is not half-stored: the corpus
        takes its partial line back, SQLite rolls back; the next run fetches it again)."""
        if storage_stopped(self.crawler) or self.session is None:
            raise DropItem("the archive cannot be written", log_level="DEBUG")
        session = self.session
        with storage_guard(
                self.crawler,
                lambda exc: "catalog" if isinstance(exc, sqlite3.Error) else "corpus",
                then=lambda exc: DropItem(f"article {item['id']} not stored: {exc}",
                                          log_level="DEBUG")):
            return session.store(item)

    # --- what the spider hands over -----------------------------------------------------

    def _catalog(self, write: str, *args: Any) -> None:
        """A catalog write; a full disk stops the crawl instead of failing every page."""
        with storage_guard(self.crawler, "catalog"):
            getattr(self.catalog, write)(*args)

    def capture(self, number: int, kind: str, status: int, location: dict[str, Any],
                headers: dict[str, Any]) -> None:
        self._catalog("add_capture", number, kind, status, location, headers, self.run_id)

    def seen_unchanged(self, number: int, fetched_at: str) -> None:
        self._catalog("seen_unchanged", number, fetched_at)

    def mark_missing(self, number: int) -> None:
        self._catalog("mark_missing", number)

    def add_resource(self, url: str, warc: dict[str, Any]) -> None:
        self._catalog("add_resource", url, warc, self.run_id)

    def vouch(self, low: int, high: int) -> None:
        """The range of numbers the site's lists showed, for the next runs' gap probing."""
        self._catalog("vouch", low, high)

    def failed(self, url: str, number: int | None, callback: str, reason: str,
               attempts: int, *, listed: bool = True) -> None:
        """A URL failed for good: kept in the catalog for the next run, and (``listed``)
        in this run's summary."""
        if listed:
            self.failures.append({"url": url, "reason": reason})
        self._catalog("add_failure", url, number, callback, reason, attempts, self.run_id)

    def recovered(self, url: str) -> None:
        """A URL an earlier run failed on was fetched at last."""
        self._catalog("clear_failure", url)

    # --- closing ------------------------------------------------------------------------

    def close(self, summarize: Any) -> dict[str, Any]:
        """Close the archive, in this order, each step done even if one before failed:

        1. the items are flushed already (Scrapy closes the item pipeline before it sends
           ``spider_closed``);
        2. the WARC file, so a full disk at its last write counts in the numbers;
        3. ``summarize()`` takes the run's numbers (the run report's);
        4. the run's row in the catalog, with those numbers;
        5. the session: corpus (fsync), catalog, lock;
        6. ``DIR/runs/<start>.json``;
        7. the numbers again if closing itself hit a storage error (the summary and exit
           code say so);
        8. the WARC index, derived data (a file missed is indexed by the next run).

        Returns the summary to print.
        """
        self.close_warc()
        summary = summarize()
        session = self.session
        if session is not None:
            with storage_guard(self.crawler, "catalog"):
                session.catalog.finish_run(session.run_id, summary["status"],
                                           summary["exit_code"], summary)
            with storage_guard(self.crawler, "corpus"):
                session.close()
            with storage_guard(self.crawler, "run summary"):
                write_run_file(Path(session.directory), summary)
        if storage_stopped(self.crawler) and not summary["storage_error"]:
            summary = summarize()  # closing itself hit the full disk: the numbers say so
        self.index_warc()
        return summary

    def close_warc(self) -> None:
        """Close the current WARC file, once; a file that could not be finished keeps its
        ``.open`` name for the next run."""
        if self.writer is None or self.warc_closed:
            return
        self.warc_closed = True
        with storage_guard(self.crawler, "WARC file"):
            self.writer.close()

    def index_warc(self) -> None:
        """Index the new WARC files.  Derived data: a failure is a warning, not a stop."""
        if self.writer is None:
            return
        try:
            added = update_index(self.directory)
        except Exception as exc:
            if not is_storage_error(exc):
                raise
            logger.warning("index not updated (the next run does it): %s",
                           describe(exc, self.directory, "index"))
            return
        self.crawler.stats.set_value("newsarc/warc/files_indexed", len(added))


def _warc_version(settings: Any) -> str:
    """``NEWSARC_WARC_VERSION``, checked: a crawl must not start writing what was not asked."""
    value = str(settings.get("NEWSARC_WARC_VERSION") or DEFAULT_WARC_VERSION).strip()
    if value not in WARC_VERSIONS:
        raise ValueError(f"NEWSARC_WARC_VERSION={value}: give {' or '.join(WARC_VERSIONS)}")
    return value


def _warcinfo(settings: Any) -> dict[str, str]:
    warc = _warc_version(settings)
    return {
        "software": f"newsarc/{settings.get('NEWSARC_VERSION')} "
                    f"(warcio/{version('warcio')}; Scrapy/{version('scrapy')})",
        "format": f"WARC File Format {warc}",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                      f"warc-format/warc-{warc}/",
        "http-header-user-agent": settings.get("USER_AGENT"),
        "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        "crawl-settings": ", ".join(
            f"{name}={settings.get(name)}" for name in (
                "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY",
                "AUTOTHROTTLE_ENABLED", "NEWSARC_PROFILE", "NEWSARC_PAGE_REQUISITES",
            )
        ),
    }
