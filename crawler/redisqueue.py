"""The scheduler of a distributed worker: scrapy-redis's, taking from the shared queue only
what passes ``crawler.distributed.QueueEntries``.

Anyone who can write to the Redis server can add entries to the queue.  This scheduler
decodes each one with ``QueueEntries`` (bound to the spider's site), so a worker builds
requests only from the whitelisted form of newsarc's own; an entry refused is dropped,
counted and logged, and the next one taken.  Its own module: scrapy-redis is an extra,
which ``crawler.distributed`` does not need to be imported.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from crawler.distributed import QueueEntries, RefusedEntry

# Refused entries skipped in one call before the engine gets control back (a queue full of
# junk must not hold the reactor); the coordinator's heartbeat asks again within a second.
MAX_REFUSED_AT_ONCE = 1000


class Scheduler(RedisScheduler):
    """scrapy-redis's scheduler with the queue's entries checked as they are taken."""

    def open(self, spider: Any) -> Any:
        self.serializer = QueueEntries(
            spider.root, self.serializer, self.stats, spider.logger,
            spider.settings.getfloat("DOWNLOAD_TIMEOUT"))
        return super().open(spider)

    def next_request(self) -> Request | None:
        for _ in range(MAX_REFUSED_AT_ONCE):
            try:
                return super().next_request()
            except RefusedEntry:
                continue  # counted and logged by QueueEntries; the entry is gone
        return None
