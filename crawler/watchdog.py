"""Bounds on what one page may cost the crawl, and on how long a crawl takes to stop.

A page is hostile input: whatever it holds, parsing it must end.  The parsing is linear
(bounded patterns, the lxml tree), and this module is the net under that: a page whose
extraction runs past ``NEWSARC_PAGE_TIMEOUT`` seconds is abandoned and its URL fails
(listed in the summary, kept in the catalog's failures for the next run, exit code 1).

- In the crawl's own process, :func:`time_limit` arms a ``SIGALRM`` timer around the
  extraction: the alarm raises :class:`PageTimeout` in it (Python's regular expression
  engine and trafilatura's Python code both stop for signals).  Only the main thread can
  take signals, so elsewhere (a test's thread) the block runs unbounded.
- In an extraction process (``crawler/extract_pool.py``), the crawl waits at most as long
  for the answer, then kills the worker and starts another.

Stopping: ``newsarc crawl`` installs :func:`install_stop_handlers` in place of Scrapy's own
(``CrawlerProcess.start(install_signal_handlers=False)``).  The first SIGINT or SIGTERM
abandons the page being parsed (:class:`PageInterrupted`: not a failure of the site, the
next run fetches it), tells the extraction processes to let go (:func:`when_stopping`) and
asks Scrapy to stop (``CrawlerProcess.stop()``), which closes the run: corpus, WARC and
catalog consistent, the archive lock released.  A second signal stops the reactor at once;
the next run repairs what that cut short, as after a kill.

Failures: :class:`PageFailures` (a spider middleware, in ``SPIDER_MIDDLEWARES_BASE``) makes
any exception of a callback (a bug, a module missing from the install, a page abandoned
here) and any error of an item pipeline a failure of the page's URL, as a failed download
is: one log line, not Scrapy's traceback (that is logged at DEBUG), never a silent "0
errors".
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider

logger = logging.getLogger(__name__)


class PageTimeout(Exception):
    """A page's parsing ran past ``NEWSARC_PAGE_TIMEOUT`` and was abandoned."""


class PageInterrupted(Exception):
    """The crawl was asked to stop while this page was being parsed."""


class _State:
    """What the signal handlers need to know: is a page being parsed, and is it over."""

    def __init__(self) -> None:
        self.busy = False
        self.limit = 0.0
        self.interrupted = False
        self.on_stop: list[weakref.WeakMethod[Callable[[], None]]] = []


_state = _State()


def when_stopping(callback: Callable[[], None]) -> None:
    """Call the bound method ``callback`` (from the event loop, not the signal handler) once
    a stop is asked, if its object still lives (it is not kept alive for that)."""
    _state.on_stop.append(weakref.WeakMethod(callback))  # type: ignore[arg-type]


def _alarm(signum: int, frame: FrameType | None) -> None:
    # Raised again every second until the block ends, should some library swallow it.
    if _state.busy and _state.interrupted:
        raise PageInterrupted("the crawl is stopping")
    if _state.busy and _state.limit > 0:
        raise PageTimeout(f"parsing took longer than NEWSARC_PAGE_TIMEOUT ({_state.limit:g} s)")


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`PageTimeout` in the block once it has run ``seconds`` (0: no limit),
    and :class:`PageInterrupted` when a stop is asked meanwhile.  No ``await`` or ``yield``
    inside: the block must be the only code running."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _alarm)
    _state.busy, _state.limit, _state.interrupted = True, seconds, False
    started = time.monotonic()
    # Another timer (a test runner's) is put back afterwards, less the time this took.
    other = signal.getitimer(signal.ITIMER_REAL)[0]
    if seconds > 0:
        signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        _state.busy = False  # first: an alarm due now finds nothing to abandon
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if other > 0:
            signal.setitimer(signal.ITIMER_REAL, max(other - (time.monotonic() - started), 0.001))


def install_stop_handlers(stop: Callable[[], Any]) -> None:
    """SIGINT and SIGTERM: the first abandons the page being parsed and calls ``stop``
    (``CrawlerProcess.stop``), the second stops the reactor; both through the reactor,
    never inside the handler (which may have interrupted anything)."""
    from twisted.internet import reactor

    def first(signum: int, frame: FrameType | None) -> None:
        for name in ("SIGINT", "SIGTERM"):
            signal.signal(getattr(signal, name), second)
        reactor.callFromThread(_stop, stop)
        if _state.busy:
            _state.interrupted = True
            signal.setitimer(signal.ITIMER_REAL, 1.0, 1.0)  # again, should it be swallowed
            raise PageInterrupted(f"stopped by {signal.Signals(signum).name}")

    def second(signum: int, frame: FrameType | None) -> None:
        for name in ("SIGINT", "SIGTERM"):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        reactor.callFromThread(_force)

    for name in ("SIGINT", "SIGTERM"):
        signal.signal(getattr(signal, name), first)


def _stop(stop: Callable[[], Any]) -> None:
    logger.warning("stopping: the run ends once the pages being fetched are in "
                   "(a second SIGINT or SIGTERM stops at once)")
    for method in _state.on_stop:
        callback = method()
        if callback is not None:
            callback()
    stop()


def _force() -> None:
    from twisted.internet import reactor

    logger.warning("stopping at once: the next run repairs what this one leaves open")
    if reactor.running:
        reactor.stop()


class PageFailures:
    """A spider middleware: an exception raised by a callback fails the URL of its page.

    The spider's ``page_failed(response, error, where)`` records it (summary, catalog
    failures for the next run, exit code 1) and nothing the callback had still to yield is
    taken.  Item pipeline errors (Scrapy's ``item_error`` signal) go the same way; the
    spider's one line replaces Scrapy's record of them (:class:`BriefItemErrors`).  Scrapy's
    exceptions for closing the spider pass through."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.brief = BriefItemErrors()

    @classmethod
    def from_crawler(cls, crawler: Any) -> PageFailures:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.item_error, signal=signals.item_error)
        crawler.signals.connect(middleware.engine_stopped, signal=signals.engine_stopped)
        logging.getLogger(BriefItemErrors.LOGGER).addFilter(middleware.brief)
        return middleware

    def engine_stopped(self) -> None:
        logging.getLogger(BriefItemErrors.LOGGER).removeFilter(self.brief)

    def process_spider_exception(self, response: Any, exception: Exception) -> list[Any] | None:
        """Recorded as the page's failure; an empty output: the exception is handled."""
        fail = getattr(self.crawler.spider, "page_failed", None)
        if fail is None or isinstance(exception, CloseSpider | DontCloseSpider):
            return None
        request = getattr(response, "request", None)
        fail(response, exception, getattr(getattr(request, "callback", None), "__name__",
                                          "callback"))
        logger.debug("traceback of the failure of %s", response.url,
                     exc_info=(type(exception), exception, exception.__traceback__))
        return []

    def item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        fail = getattr(spider, "page_failed", None)
        if fail is not None and response is not None and hasattr(response, "request"):
            fail(response, failure.value, "pipeline")
            logger.debug("traceback of the failure of %s", response.url,
                         exc_info=(failure.type, failure.value, failure.getTracebackObject()))


class BriefItemErrors(logging.Filter):
    """Scrapy logs a pipeline's error at ERROR with the whole item (an article's body) and
    the traceback; the spider's own line names the URL and the error, so Scrapy's record is
    dropped (the traceback is logged at DEBUG)."""

    LOGGER = "scrapy.core.scraper"

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        return not (record.levelno >= logging.ERROR and record.exc_info
                    and isinstance(args, dict) and "item" in args)
