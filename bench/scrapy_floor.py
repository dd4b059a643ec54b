"""Scrapy alone: the same URLs newsarc fetched, with a spider that does nothing.

The framework's own cost per request (scheduler, middlewares, Twisted's HTTP client) on
this machine: the floor under any Scrapy-based crawler.  Same concurrency as
``newsarc crawl --no-throttle`` and ``CONCURRENT_ITEMS = 1`` as newsarc sets it, and the
same Scrapy components off (``scrapy_components``: newsarc's settings turn off middlewares
it has no use for); cookies and robots.txt off, no pipeline, no WARC, no extraction.

Run: ``.venv/bin/python bench/scrapy_floor.py INDEX.cdxj`` (an archive's CDXJ index: its
response records' URLs are fetched again), as ``bench/results.py`` does.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess


def urls(index: str) -> list[str]:
    """The distinct URLs of the response records of a CDXJ index."""
    found: dict[str, None] = {}
    with open(index, encoding="utf-8") as handle:
        for line in handle:
            fields = json.loads(line.split(" ", 2)[2])
            if fields.get("mime") != "warc/revisit" and "status" in fields:
                found[fields["url"]] = None
    return list(found)


def scrapy_components() -> dict[str, Any]:
    """The settings with which newsarc turns Scrapy's own components off."""
    from crawler import settings

    return {
        "DOWNLOADER_MIDDLEWARES": {name: order for name, order
                                   in settings.DOWNLOADER_MIDDLEWARES.items()
                                   if name.startswith("scrapy.") and order is None},
        "SPIDER_MIDDLEWARES": settings.SPIDER_MIDDLEWARES,
        "METAREFRESH_ENABLED": settings.METAREFRESH_ENABLED,
        "DOWNLOADER_STATS": settings.DOWNLOADER_STATS,
        "URLLENGTH_LIMIT": settings.URLLENGTH_LIMIT,
    }


class NothingSpider(scrapy.Spider):
    """Fetches every URL it is given and keeps nothing (but their count)."""

    name = "nothing"

    def __init__(self, targets: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets = targets
        self.fetched = 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.targets:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response: Any) -> None:
        self.fetched += 1


def main() -> int:
    targets = urls(sys.argv[1])
    if not targets:
        sys.exit(f"no response records in {sys.argv[1]}")
    process = CrawlerProcess({
        "LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
        "COOKIES_ENABLED": False, "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "CONCURRENT_ITEMS": 1, **scrapy_components(),
    })
    crawler = process.create_crawler(NothingSpider)
    process.crawl(crawler, targets=targets)
    process.start()
    fetched = crawler.spider.fetched
    print(fetched)
    return 0 if fetched == len(targets) else 1


if __name__ == "__main__":
    sys.exit(main())
