"""Extraction in worker processes, so a crawl running flat out uses a second core.

A crawl with throttling off is CPU-bound in one process: Scrapy, WARC writing and the
catalog on one side, parsing and extraction on the other.  With
``NEWSARC_EXTRACT_PROCESSES = N`` the spider hands each article page's bytes to one of N
worker processes and goes on downloading while it parses; the record comes back to the
spider, which stores it as before.  It is a trade, so not the default (0, in the crawl's
own process): it costs 7-20 % more CPU (the worker's own start-up, pages through a pipe)
and 60 % more memory, and saves wall time only where the second core is really spare; a
polite crawl waits on its download delay, not on the CPU.

Each worker has a pipe of its own, which the crawl's event loop watches: no threads in the
crawl process (``concurrent.futures``' pool needs three, and their contention for the
interpreter lock cost the crawl more CPU than the pages' transfer itself), one page at a
time per worker.  Workers are spawned, not forked: the crawl process runs a reactor and an
open SQLite connection, neither of which survives a fork safely.  A worker that dies
(killed, out of memory) fails the page it had with :class:`ExtractionDied` (the spider
retries it, then records a failure), and a new worker takes its place.  A worker still
parsing a page after ``timeout`` seconds (``NEWSARC_PAGE_TIMEOUT``) is killed the same way
and the page fails with :class:`~crawler.watchdog.PageTimeout`; once the crawl is asked to
stop (:meth:`ExtractionPool.interrupt`), pages still being parsed are abandoned with
:class:`~crawler.watchdog.PageInterrupted` and their workers killed, so the crawl does not
wait for them.  A crawl that is killed takes its workers with it: its end of their pipes
closes, and they stop.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
from collections import deque
from typing import Any

from crawler.extract_worker import serve
from crawler.skip import Skip
from crawler.watchdog import PageInterrupted, PageTimeout


class ExtractionDied(Exception):
    """The worker process extracting a page died before answering."""


class _Worker:
    """One worker process, its end of the pipe, and the answer it is expected to give."""

    def __init__(self, profile: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=serve, args=(theirs, profile), daemon=True,
                                       name="newsarc-extract")
        self.process.start()  # imports run now, while the crawl starts
        theirs.close()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.answer: asyncio.Future[None] | None = None

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Be told by ``loop`` when the worker has written (or died)."""
        if self.loop is not loop:
            self.unwatch()
            loop.add_reader(self.connection.fileno(), self._readable)
            self.loop = loop

    def unwatch(self) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.remove_reader(self.connection.fileno())
        self.loop = None

    def _readable(self) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(None)
        elif self.answer is None:
            self.unwatch()  # nothing asked: the worker died; the next page finds out

    def stop(self, kill: bool = False) -> None:
        """Close the pipe and wait for the worker to finish its page; ``kill``: at once."""
        self.unwatch()
        if kill and self.process.is_alive():
            self.process.kill()
        self.connection.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class ExtractionPool:
    """``await pool.extract(body, url, content_type)``: :func:`crawler.extract.extract` in
    one of ``processes`` worker processes."""

    def __init__(self, processes: int, profile: str) -> None:
        if processes < 1:
            raise ValueError("an extraction pool needs at least one process")
        self.profile = profile
        self._workers = [_Worker(profile) for _ in range(processes)]
        self._idle: list[_Worker] = list(self._workers)
        self._waiting: deque[asyncio.Future[_Worker]] = deque()
        self.stopping = False

    async def extract(self, body: bytes, url: str, content_type: str | None,
                      timeout: float = 0.0) -> dict[str, Any] | Skip:
        """The record or skip for one page; :class:`ExtractionDied` if its worker died,
        :class:`PageTimeout` if it took more than ``timeout`` seconds (0: no limit),
        :class:`PageInterrupted` if the crawl was asked to stop meanwhile."""
        if self.stopping:
            raise PageInterrupted("the crawl is stopping")
        worker = await self._acquire()
        try:
            return await self._ask(worker, pickle.dumps((body, url, content_type),
                                                        pickle.HIGHEST_PROTOCOL), timeout)
        except (EOFError, OSError) as exc:
            worker = self._replace(worker)
            raise ExtractionDied("the extraction process died") from exc
        except (PageTimeout, PageInterrupted):
            worker = self._replace(worker)  # still parsing: killed, its answer never read
            raise
        except asyncio.CancelledError:
            worker = self._replace(worker)  # its answer would be taken for the next page's
            raise
        finally:
            self._release(worker)

    async def _ask(self, worker: _Worker, message: bytes,
                   timeout: float) -> dict[str, Any] | Skip:
        loop = asyncio.get_running_loop()
        worker.watch(loop)
        answer = worker.answer = loop.create_future()
        late = loop.call_later(timeout, _give_up, answer, PageTimeout(
            f"parsing took longer than NEWSARC_PAGE_TIMEOUT ({timeout:g} s)")) if timeout > 0 \
            else None
        try:
            worker.connection.send_bytes(message)
            await answer
            result = pickle.loads(worker.connection.recv_bytes())
        finally:
            worker.answer = None
            if late is not None:
                late.cancel()
        if isinstance(result, Exception):
            raise result
        return result

    async def _acquire(self) -> _Worker:
        """A worker, first come first served: with one worker, records come back in the
        order the pages were downloaded (the WARC files' order, which re-extraction
        reproduces)."""
        if self._idle and not self._waiting:
            return self._idle.pop()
        waiter: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over, then cancelled
                self._release(waiter.result())
            raise

    def _release(self, worker: _Worker) -> None:
        """Hand ``worker`` to the longest waiting page, or keep it idle."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        self._idle.append(worker)

    def _replace(self, dead: _Worker) -> _Worker:
        dead.stop(kill=True)
        if self.stopping:
            return dead  # no new worker for a crawl that is ending
        fresh = _Worker(self.profile)
        self._workers[self._workers.index(dead)] = fresh
        return fresh

    def interrupt(self) -> None:
        """The crawl is stopping: pages being parsed are abandoned, no new page is taken."""
        self.stopping = True
        for worker in self._workers:
            if worker.answer is not None:
                _give_up(worker.answer, PageInterrupted("the crawl is stopping"))
        for waiter in self._waiting:
            _give_up(waiter, PageInterrupted("the crawl is stopping"))

    def close(self) -> None:
        """Stop the workers (each finishes the page it has)."""
        for worker in self._workers:
            worker.stop()


def _give_up(future: asyncio.Future[Any], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)
