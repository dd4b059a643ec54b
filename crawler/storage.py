"""When the archive cannot be written: stop the crawl cleanly and say why in one line.

A full disk, a file-size limit, a directory that turned read-only or vanished: writing a
WARC file, the corpus or the catalog fails with an ``OSError`` (SQLite says
``OperationalError``).  Carrying on would only fail again on every page and bury the cause
under tracebacks, so the first such error stops the crawl: the spider closes with reason
``storage_error``, every writer refuses further work, each writer has already taken back
its half-written bytes (``archive/warc.py``, ``archive/corpus.py``; SQLite rolls back on its
own), and the run ends with one line on stderr naming the directory and the error, and exit
code :data:`EXIT_STORAGE`.  ``newsarc verify`` then finds a sound archive, and the next run
fetches what this one could not store.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scrapy.utils.defer import deferred_from_coro

logger = logging.getLogger(__name__)

EXIT_STORAGE = 74  # EX_IOERR (sysexits.h): the archive could not be written
STOP_REASON = "storage_error"
STAT_KEY = "newsarc/storage_error"


def is_storage_error(exc: BaseException) -> bool:
    """True for errors of the disk or of SQLite's files, not of the program."""
    return isinstance(exc, OSError | sqlite3.OperationalError)


def describe(exc: BaseException, directory: str | Path | None, what: str = "archive") -> str:
    """"cannot write to DIR: No space left on device (ENOSPC): warc/….warc.gz.open"; `what`
    ("corpus", "WARC file") names the file when the error does not."""
    where = f"cannot write to {directory}" if directory else "cannot write the archive"
    if isinstance(exc, sqlite3.Error):
        return f"{where}: {exc} (catalog.sqlite)"
    if isinstance(exc, OSError) and exc.errno is not None:
        name = errno.errorcode.get(exc.errno, str(exc.errno))
        file = _relative(exc.filename, directory) if exc.filename else f"the {what}"
        return f"{where}: {exc.strerror or name} ({name}): {file}"
    return f"{where}: {type(exc).__name__}: {exc} (the {what})"


def _relative(filename: Any, directory: str | Path | None) -> str:
    path = Path(str(filename))
    if directory and path != Path(directory):
        try:
            return str(path.relative_to(Path(directory)))
        except ValueError:
            pass
    return str(path)


def storage_stopped(crawler: Any) -> bool:
    """True once a storage error has stopped this crawl: writers must write nothing more."""
    return bool(crawler.stats.get_value(STAT_KEY))


def stop_for_storage(crawler: Any, exc: BaseException, what: str) -> None:
    """Record the first storage error of the crawl and close the spider because of it.

    `what` names what was being written ("WARC file", "corpus", "catalog"); later errors,
    consequences of the first, are only logged at debug level.
    """
    if storage_stopped(crawler):
        logger.debug("after the storage error, %s failed too: %s", what, exc)
        return
    message = describe(exc, crawler.settings.get("NEWSARC_OUT"), what)
    crawler.stats.set_value(STAT_KEY, message)
    logger.info("stopping the crawl: %s", message)
    from twisted.internet import reactor  # the one Scrapy installed, not a default

    reactor.callLater(0, _close_spider, crawler)


@contextmanager
def storage_guard(crawler: Any, what: str | Callable[[BaseException], str],
                  then: Callable[[BaseException], BaseException] | None = None) -> Iterator[None]:
    """Where a storage error stops the crawl, for every writer alike: an error of the disk
    or of SQLite's files inside the block stops the crawl (:func:`stop_for_storage`) and
    goes no further, unless ``then`` makes of it the exception the caller's caller expects
    (a dropped item, an ignored response); any other error is the program's and propagates.
    ``what`` names what was being written, or tells it from the error."""
    try:
        yield
    except Exception as exc:
        if not is_storage_error(exc):
            raise
        stop_for_storage(crawler, exc, what(exc) if callable(what) else what)
        if then is not None:
            raise then(exc) from exc


def _close_spider(crawler: Any) -> None:
    engine = getattr(crawler, "engine", None)
    if engine is None or getattr(engine, "spider", None) is None:
        return
    closing = deferred_from_coro(engine.close_spider_async(reason=STOP_REASON))
    closing.addErrback(lambda failure: logger.debug("closing after a storage error: %s",
                                                    failure.value))
