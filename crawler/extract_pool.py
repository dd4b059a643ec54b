"""Extraction in worker processes, so a crawl running flat out uses a second core.

A crawl with throttling off is CPU-bound in one process: Scrapy, WARC writing and the
catalog on one side, parsing and extraction on the other.  With
``NEWSARC_EXTRACT_PROCESSES = N`` (``--no-throttle`` sets 1) the spider hands each article
page's bytes to a pool of N processes and goes on downloading while they parse; the
record comes back to the spider, which stores it as before.  A polite crawl waits on its
download delay, not on the CPU, and extracts in its own process (the default, 0).

Workers are spawned, not forked: the crawl process runs a reactor, threads and an open
SQLite connection, none of which survives a fork safely.  A worker that dies (killed, out
of memory) breaks the pool: the page it had is reported as :class:`ExtractionDied` (the
spider retries it, then records a failure), and the next page gets a fresh pool.  A crawl
that is killed takes its workers with it (they watch for their parent).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from crawler.extract import Skip, extract
from crawler.profile import load_profile


class ExtractionDied(Exception):
    """The worker process extracting a page died before answering."""


def _start_worker(profile: str, parent: int) -> None:
    """A worker's start: leave with the crawl, and load the profile (and, through it,
    trafilatura and lxml) once."""
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    load_profile(profile)


def _exit_with(parent: int) -> None:
    """A crawl killed outright (SIGKILL, out of memory) cannot stop its workers, and a
    pool's worker holds its own task queue open, so it would wait forever: it checks for
    its parent instead."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _warm(profile: str) -> None:
    load_profile(profile)


def _extract(body: bytes, url: str, content_type: str | None,
             profile: str) -> dict[str, Any] | Skip:
    return extract(body, url, content_type=content_type, profile=load_profile(profile))


class ExtractionPool:
    """``await pool.extract(body, url, content_type)``: :func:`crawler.extract.extract` in
    one of ``processes`` worker processes."""

    def __init__(self, processes: int, profile: str) -> None:
        if processes < 1:
            raise ValueError("an extraction pool needs at least one process")
        self.processes = processes
        self.profile = profile
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        """A pool whose workers start now, while the crawl starts: they are spawned on the
        first task, and importing lxml and trafilatura takes them about a second."""
        executor = ProcessPoolExecutor(
            self.processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(self.profile, os.getpid()))
        executor.submit(_warm, self.profile)
        return executor

    async def extract(self, body: bytes, url: str,
                      content_type: str | None) -> dict[str, Any] | Skip:
        """The record or skip for one page; :class:`ExtractionDied` if its worker died."""
        executor = self._executor
        try:
            future = executor.submit(_extract, body, url, content_type, self.profile)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            if executor is self._executor:  # the first page to see it starts a new pool
                self._executor = self._start()
                executor.shutdown(wait=False, cancel_futures=True)
            raise ExtractionDied("the extraction process died") from exc

    def close(self) -> None:
        """Stop the workers (they finish the page they have)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
