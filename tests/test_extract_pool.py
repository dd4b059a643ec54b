"""Extraction in worker processes (crawler/extract_pool.py): same records, survives deaths."""

import asyncio
import multiprocessing
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from archive.corpus import read_records
from crawler.extract import extract
from crawler.extract_pool import ExtractionDied, ExtractionPool
from newsarc.replica import render
from newsarc.replica.content import build_site
from newsarc.replica.server import Replica

from .conftest import NEWSARC, run

SITE = build_site(12)
PAGES = [(render.article_page(SITE, a).encode(), f"http://127.0.0.1/news/article.html?no={a.id}")
         for a in sorted(SITE.articles.values(), key=lambda a: a.id)[:6]]
CONTENT_TYPE = "text/html; charset=utf-8"


@pytest.fixture
def pool():
    extraction = ExtractionPool(1, "newmediatimes")
    yield extraction
    extraction.close()


def in_pool(pool, page, url):
    return asyncio.run(pool.extract(page, url, CONTENT_TYPE))


def test_pool_gives_the_records_of_inline_extraction(pool):
    for page, url in PAGES:
        assert in_pool(pool, page, url) == extract(page, url, content_type=CONTENT_TYPE)
    assert in_pool(pool, b"", PAGES[0][1]) == extract(b"", PAGES[0][1])  # a Skip, too


def test_a_dead_worker_fails_its_page_and_the_next_page_gets_a_new_pool(pool):
    page, url = PAGES[0]
    assert in_pool(pool, page, url)["body"]
    [worker] = multiprocessing.active_children()
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(timeout=10)
    with pytest.raises(ExtractionDied):
        in_pool(pool, page, url)
    assert in_pool(pool, page, url) == extract(page, url, content_type=CONTENT_TYPE)


def test_a_page_given_up_on_does_not_answer_for_the_next(pool):
    """A crawl that stops waiting for a page (its task cancelled) must not take that
    page's late answer for the next page's."""
    (first, first_url), (second, second_url) = PAGES[:2]

    async def cancel_then_ask():
        task = asyncio.ensure_future(pool.extract(first, first_url, CONTENT_TYPE))
        await asyncio.sleep(0.05)  # sent; not answered: the new worker is still importing
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await pool.extract(second, second_url, CONTENT_TYPE)

    assert asyncio.run(cancel_then_ask()) == extract(second, second_url,
                                                     content_type=CONTENT_TYPE)


def test_pages_get_the_worker_in_the_order_they_asked(pool):
    """First come, first served: with one worker the records come back in download
    order, the WARC files' order, which re-extraction reproduces."""
    order = []

    async def take(name):
        worker = await pool._acquire()
        order.append(name)
        pool._release(worker)

    async def scenario():
        busy = await pool._acquire()
        waiting = asyncio.ensure_future(take("waiting"))
        await asyncio.sleep(0)  # it waits for the worker
        late = asyncio.ensure_future(take("late"))  # ready to run before the waiter wakes
        pool._release(busy)
        await asyncio.gather(waiting, late)

    asyncio.run(scenario())
    assert order == ["waiting", "late"]


def test_an_error_in_extraction_is_raised_in_the_crawl(pool):
    page, _url = PAGES[0]
    with pytest.raises(AttributeError):
        extract(page, 12, content_type=CONTENT_TYPE)  # a caller's bug: no URL string
    with pytest.raises(AttributeError):
        in_pool(pool, page, 12)
    assert in_pool(pool, *PAGES[1]) == extract(*PAGES[1], content_type=CONTENT_TYPE)


def test_pool_needs_a_process():
    with pytest.raises(ValueError, match="at least one process"):
        ExtractionPool(0, "newmediatimes")


def test_crawl_extracting_in_its_own_process_writes_the_same_corpus(replica, tmp_path):
    """``--no-throttle`` extracts in a worker process; 0 processes extracts inline: the
    records are the same but for when they were fetched and where the WARC record is."""
    corpora = []
    for processes in ("0", "1"):
        out = tmp_path / processes
        result = run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle",
                     "-s", f"NEWSARC_EXTRACT_PROCESSES={processes}")
        assert result.returncode == 0, result.stderr.decode()[-3000:]
        records = sorted(read_records(out / "articles.jsonl"), key=lambda r: r["id"])
        corpora.append([{k: v for k, v in r.items() if k not in ("fetched_at", "warc")}
                        for r in records])
    assert corpora[0] == corpora[1]
    assert len(corpora[0]) == len(replica.site.articles)


def children(pid):
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def alive(pid):
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited, whoever reaps it


def test_a_killed_crawl_takes_its_extraction_process_with_it(tmp_path):
    with Replica(size=30, latency=0.5) as slow:  # a crawl that lasts
        crawl = subprocess.Popen([NEWSARC, "crawl", slow.url, "--out", str(tmp_path),
                                  "--no-throttle", "-s", "NEWSARC_EXTRACT_PROCESSES=1"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        workers = []
        while not workers and time.monotonic() < deadline:
            workers = [p for p in children(crawl.pid)
                       if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text()]
            time.sleep(0.1)
        assert workers, "the crawl started an extraction process"
        crawl.kill()
        crawl.wait()
        while any(alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(alive(p) for p in workers)
