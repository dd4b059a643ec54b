"""Fault tolerance of the crawl: retries with backoff, redirect loops, failures explained.

Servers of small outlets answer 500, 502 and 503 under load, 429 when asked too fast,
stall, or cut connections mid-answer.  Scrapy's RetryMiddleware retries those at once;
:class:`BackoffRetryMiddleware` waits first, as long as the server's ``Retry-After`` asks
(capped by ``NEWSARC_RETRY_AFTER_MAX``) or an exponential backoff
(``NEWSARC_RETRY_BACKOFF`` seconds, doubled per attempt, capped by
``NEWSARC_RETRY_BACKOFF_MAX``), so a struggling server gets room to recover.

A redirect loop (``A -> B -> A``) is stopped by :class:`RedirectLoopMiddleware` as soon as
it closes: left to Scrapy, the repeated URL would be dropped silently by the duplicate
filter and the page would vanish from the crawl without a trace.

:func:`describe_failure` turns what reached a request's errback into a short category (for
the run's counters) and a reason (for the failures table and the summary), or says that the
request was refused on purpose (robots.txt, scope) and is no failure to retry.

A robots.txt that cannot be downloaded is one line (:class:`BriefRobotsTxtErrors`), not
Scrapy's traceback: the same cause fails the site's pages, and the summary lists those.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer
from twisted.internet import error as net_error
from twisted.internet.task import deferLater
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

from crawler.watchdog import when_stopping

logger = logging.getLogger(__name__)
REDIRECT_CODES = (301, 302, 303, 307, 308)


class RedirectLoop(IgnoreRequest):
    """A redirect that leads back to a URL of its own chain."""


class BadPage(Exception):
    """A 200 answer that cannot be the page (empty, binary, cut off), after retries."""


class BriefRobotsTxtErrors(logging.Filter):
    """An extension: a robots.txt that could not be downloaded is logged as one warning.

    Scrapy's RobotsTxtMiddleware logs it at ERROR with the whole traceback (sixty lines
    of Twisted and asyncio frames), which is noise where it is most often seen: a site
    that is down, whose pages then fail too and are listed in the summary, or a cron job
    that wants nothing but that summary (``--quiet`` keeps errors).  Scrapy then crawls
    the site as if it had no robots.txt; the warning says so.  Taken out of ``EXTENSIONS``,
    Scrapy's own record comes back.
    """

    LOGGER = "scrapy.downloadermiddlewares.robotstxt"

    @classmethod
    def from_crawler(cls, crawler: Any) -> BriefRobotsTxtErrors:
        brief = cls()
        logging.getLogger(cls.LOGGER).addFilter(brief)
        crawler.signals.connect(brief.engine_stopped, signal=signals.engine_stopped)
        return brief

    def engine_stopped(self) -> None:
        logging.getLogger(self.LOGGER).removeFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (record.levelno < logging.ERROR or not record.exc_info
                or not isinstance(args, dict) or "request" not in args):
            return True
        url = getattr(args["request"], "url", "")
        record.msg = "robots.txt of %s could not be fetched (%s): crawled as if it had none"
        record.args = (url.split("://", 1)[-1].split("/", 1)[0] or url, record.exc_info[1])
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.exc_info = record.exc_text = None
        return True


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting before each retry (see the module docstring).

    The wait happens in this middleware's coroutine: the download slot is free meanwhile,
    so other pages of the site keep coming; only one unit of ``CONCURRENT_REQUESTS`` is
    held, which is the point when a server asks us to slow down.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.after_max = settings.getfloat("NEWSARC_RETRY_AFTER_MAX", 60.0)
        self.backoff = settings.getfloat("NEWSARC_RETRY_BACKOFF", 1.0)
        self.backoff_max = settings.getfloat("NEWSARC_RETRY_BACKOFF_MAX", 30.0)
        self.waits: set[defer.Deferred[None]] = set()
        self.stopping = False
        when_stopping(self.stop_waiting)

    async def process_response(self, request: Request, response: Response  # type: ignore[override]
                               ) -> Request | Response:
        """A retryable status: wait (Retry-After, else backoff), then the retry request."""
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, _status_reason(response.status))
        if retry is None:
            return response
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        return retry if await self._wait(request, asked) else response

    async def process_exception(self, request: Request, exception: Exception  # type: ignore[override]
                                ) -> Request | Response | None:
        """A transient network error (timeout, cut, refused): wait with backoff, retry."""
        if request.meta.get("dont_retry", False) \
                or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None and not await self._wait(request, None):
            return None  # the crawl is stopping: failed as it stands, retried next run
        return retry

    def delay(self, attempt: int, asked: float | None) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if asked is not None:
            return min(asked, self.after_max)
        return min(self.backoff * 2 ** (attempt - 1), self.backoff_max)

    async def _wait(self, request: Request, asked: float | None) -> bool:
        """Wait before a retry; False if the crawl was asked to stop meanwhile (a stop does
        not wait for a minute's Retry-After: the URL fails and the next run asks again)."""
        seconds = self.delay(request.meta.get("retry_times", 0) + 1, asked)
        if self.stopping:
            return False
        if seconds > 0:
            from twisted.internet import reactor  # the one Scrapy installed, not a default

            self.crawler.stats.inc_value("newsarc/retry_wait_seconds", seconds)
            waiting = deferLater(reactor, seconds)
            self.waits.add(waiting)
            try:
                await maybe_deferred_to_future(waiting)
            except defer.CancelledError:
                return False
            finally:
                self.waits.discard(waiting)
        return True

    def stop_waiting(self) -> None:
        """SIGINT or SIGTERM (``crawler/watchdog.py``): the waits end now, without retry,
        and no new one starts."""
        self.stopping = True
        for waiting in list(self.waits):
            waiting.cancel()


def _status_reason(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


class RedirectLoopMiddleware:
    """Stops a redirect that returns to a URL already in its chain (see module docstring).

    It sits just outside RedirectMiddleware (600), so it sees the 3xx first.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if response.status not in REDIRECT_CODES or not location:
            return response
        target = urljoin(request.url, safe_url_string(location.decode("latin-1")))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        bare = [url.split("#")[0] for url in chain]
        goal = target.split("#")[0]
        if goal in bare:
            raise RedirectLoop(" -> ".join([*chain[bare.index(goal):], target]))
        return response


def original_url(request: Request) -> str:
    """The URL a request was made for, before any redirect."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def attempts(request: Request) -> int:
    return request.meta.get("retry_times", 0) + 1


def describe_failure(failure: Failure, settings: Any) -> tuple[str, str | None]:
    """(counter category, reason to record) of an errback's failure.

    The reason is None for requests refused on purpose (robots.txt, scope, offsite):
    those are no fetch failures and are not retried by later runs.
    """
    exc = failure.value
    request = failure.request  # type: ignore[attr-defined]
    tries = f"{attempts(request)} attempt{'s' if attempts(request) > 1 else ''}"
    if isinstance(exc, HttpError) and exc.response is not None:
        status = exc.response.status
        return f"HTTP {status}", f"HTTP {_status_reason(status)}, {tries}"
    if isinstance(exc, RedirectLoop):
        return "redirect loop", f"redirect loop: {exc}"
    if isinstance(exc, DownloadCancelledError) or (
            isinstance(exc, IgnoreRequest) and "DOWNLOAD_MAXSIZE" in str(exc)):
        cap = request.meta.get("download_maxsize") or settings.getint("DOWNLOAD_MAXSIZE")
        how = "once decompressed" if isinstance(exc, IgnoreRequest) else "by its Content-Length"
        return "too large", f"larger than DOWNLOAD_MAXSIZE ({cap} bytes) {how}; not kept"
    if isinstance(exc, IgnoreRequest):
        if "max redirections" in str(exc):
            return "too many redirects", ("more than REDIRECT_MAX_TIMES "
                                          f"({settings.getint('REDIRECT_MAX_TIMES')}) redirects")
        return type(exc).__name__, None
    if isinstance(exc, BadPage):
        return "bad page", f"{exc}, {tries}"
    return _network_failure(exc, settings, tries)


def _network_failure(exc: BaseException, settings: Any, tries: str) -> tuple[str, str]:
    if isinstance(exc, DownloadTimeoutError | net_error.TimeoutError):
        timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        return "timeout", f"no complete answer within DOWNLOAD_TIMEOUT ({timeout:g} s), {tries}"
    if isinstance(exc, ResponseDataLossError | net_error.ConnectionLost
                  | net_error.ConnectionDone):
        return "connection cut", f"connection cut before the answer was complete, {tries}"
    if isinstance(exc, DownloadConnectionRefusedError | CannotResolveHostError
                  | net_error.ConnectError):
        return "connection failed", f"could not connect: {exc or type(exc).__name__}, {tries}"
    name = type(exc).__name__
    return name, f"{name}: {str(exc)[:200]}, {tries}"
