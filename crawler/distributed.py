"""Distributed crawls: several workers, on one machine or many, share one frontier in Redis.

The frontier is scrapy-redis's: its scheduler keeps the request queue and its duplicate
filter keeps the request fingerprints in Redis, so any worker may fetch any request once.
What newsarc adds is small:

- ``settings_for``: the scrapy-redis settings of one site, with keys of its own so several
  outlets can share a Redis;
- ``RedisCoordinator`` (an extension): a heartbeat per worker; the first worker of a run
  seeds the start URLs; a worker stops when the queue has stayed empty for
  ``NEWSARC_REDIS_IDLE_SECONDS``; the last worker to stop clears the run's keys, and
  ``newsarc crawl`` then merges the shards into the archive;
- ``VersionDedupPipeline``: a Redis set of (article id, content hash), so two workers never
  write the same article version, whatever URL they reached it by.

Each worker writes a shard of its own, ``DIR/shards/<worker>/`` (WARC, JSONL, catalog),
so no two processes ever write one file; ``newsarc merge DIR`` folds the shards in.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, DropItem, NotConfigured
from twisted.internet import task

HEARTBEAT_SECONDS = 1
HEARTBEAT_TTL = 20


def site_key(site: str) -> str:
    """The Redis key prefix of one outlet: ``newsarc:<host[:port]>``."""
    return "newsarc:" + urlsplit(site).netloc


def default_worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def settings_for(
    site: str, redis_url: str, worker: str, archive: Path, base: Any
) -> dict[str, Any]:
    """Scrapy settings that make one worker of the shared crawl of ``site`` (``base``: the
    settings they add to, whose extensions and pipelines are kept)."""
    prefix = site_key(site)
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_SERIALIZER": "crawler.redisjson",  # never pickle from a shared server
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        "SCHEDULER_PERSIST": True,  # the last worker clears the run's keys, not the first
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "REDIS_URL": redis_url,
        "NEWSARC_REDIS_KEY": prefix,
        "NEWSARC_WORKER": worker,
        "NEWSARC_ARCHIVE": str(archive),
        "NEWSARC_OUT": str(archive / "shards" / worker),
        "NEWSARC_WARC_PREFIX": f"newsarc-{worker}",
        # A worker stops at once at --max-articles (Scrapy's own limit): finishing its
        # articles' photos (crawler/limit.py) would take requests off the shared queue and
        # drop them, and the other workers would never see those.
        "CLOSESPIDER_ITEMCOUNT": base.getint("NEWSARC_MAX_ARTICLES"),
        "NEWSARC_MAX_ARTICLES": 0,
        "EXTENSIONS": {**base.getdict("EXTENSIONS"),
                       "crawler.distributed.RedisCoordinator": 100},
        "ITEM_PIPELINES": {**base.getdict("ITEM_PIPELINES"),
                           "crawler.distributed.VersionDedupPipeline": 400},
    }


def _server(settings: Any) -> Any:
    from scrapy_redis.connection import get_redis_from_settings

    return get_redis_from_settings(settings)


class RedisCoordinator:
    """Worker liveness, seeding, stopping and the last worker's clean-up."""

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.server = _server(settings)
        self.prefix = settings.get("NEWSARC_REDIS_KEY")
        self.worker = settings.get("NEWSARC_WORKER")
        self.idle_limit = settings.getfloat("NEWSARC_REDIS_IDLE_SECONDS")
        self.idle_since: float | None = None
        self.beat: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedisCoordinator:
        if not crawler.settings.get("NEWSARC_REDIS_KEY"):
            raise NotConfigured("not a distributed crawl")
        coordinator = cls(crawler)
        crawler.signals.connect(coordinator.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(coordinator.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(coordinator.spider_closed, signal=signals.spider_closed)
        return coordinator

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def heartbeat(self) -> None:
        """Say this worker is alive; and when the shared queue holds work, wake the engine.

        An idle Scrapy engine asks its scheduler again only on its own 5 s heartbeat, so a
        worker that found the queue empty would leave new work to the others for seconds.
        """
        self.server.set(self._key(f"worker:{self.worker}"), str(os.getpid()), ex=HEARTBEAT_TTL)
        if self.server.zcard(self._key("requests")):
            nextcall = getattr(getattr(self.crawler.engine, "_slot", None), "nextcall", None)
            if nextcall is not None:  # Scrapy's own wake-up call (private, so guarded)
                nextcall.schedule()

    def spider_opened(self, spider: Any) -> None:
        self.beat = task.LoopingCall(self.heartbeat)
        self.beat.start(HEARTBEAT_SECONDS, now=False)

    def spider_idle(self, spider: Any) -> None:
        """Keep a worker alive while the shared queue may still fill up."""
        if self.server.zcard(self._key("requests")):
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_limit:
            raise DontCloseSpider

    def spider_closed(self, spider: Any, reason: str) -> None:
        """The last worker to stop clears the run's keys and asks for the merge (which the
        ``newsarc crawl`` command runs once this worker has closed its own shard)."""
        if self.beat is not None and self.beat.running:
            self.beat.stop()
        self.server.delete(self._key(f"worker:{self.worker}"))
        if not claim_last(self.server, self.prefix):
            return
        clear_run(self.server, self.prefix)
        self.crawler.stats.set_value("newsarc/last_worker", True)


def seeded_key(prefix: str) -> str:
    """The run's seed flag: set by the worker that seeds it, deleted by the one that ends it."""
    return f"{prefix}:seeded"


def claim_last(server: Any, prefix: str) -> bool:
    """True for the one worker that ends the run: none is left alive, and it is the one
    that deletes the run's seed flag.  Two workers stopping at once both find none alive;
    Redis deletes a key for one caller only, so one merges and the other leaves it to it
    (both merging, the second found the archive locked and failed)."""
    if live_workers(server, prefix):
        return False
    return bool(server.delete(seeded_key(prefix)))


def live_workers(server: Any, prefix: str) -> list[str]:
    """Workers whose heartbeat has not expired."""
    start = f"{prefix}:worker:"
    names = (k.decode() if isinstance(k, bytes) else k for k in server.scan_iter(start + "*"))
    return [n[len(start):] for n in names]


def clear_run(server: Any, prefix: str) -> None:
    """Forget a run: queue, fingerprints, seed flag, written versions."""
    server.delete(*(f"{prefix}:{k}" for k in ("requests", "dupefilter", "seeded", "versions")))


def claim_seeding(settings: Any) -> bool:
    """True for the one worker that seeds this run.  A run whose workers all died left its
    keys behind: with no live worker and an empty queue they are cleared first."""
    server = _server(settings)
    prefix = settings.get("NEWSARC_REDIS_KEY")
    worker = settings.get("NEWSARC_WORKER")
    others = [w for w in live_workers(server, prefix) if w != worker]
    if not others and not server.zcard(f"{prefix}:requests"):
        clear_run(server, prefix)
    server.set(f"{prefix}:worker:{worker}", str(os.getpid()), ex=HEARTBEAT_TTL)
    return bool(server.set(seeded_key(prefix), worker, nx=True))


class VersionDedupPipeline:
    """Drops an article version another worker already wrote in this run."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.server = _server(crawler.settings)
        self.key = crawler.settings.get("NEWSARC_REDIS_KEY") + ":versions"

    @classmethod
    def from_crawler(cls, crawler: Any) -> VersionDedupPipeline:
        if not crawler.settings.get("NEWSARC_REDIS_KEY"):
            raise NotConfigured("not a distributed crawl")
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if not self.server.sadd(self.key, f"{item['id']}:{item['content_hash']}"):
            self.crawler.stats.inc_value("newsarc/articles/written_by_another_worker")
            raise DropItem(f"article {item['id']} version written by another worker")
        return item
