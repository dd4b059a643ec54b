"""Item pipelines: where extracted records become the corpus on disk."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from crawler.archivist import Archivist


class CorpusPipeline:
    """Hands each article to the archivist (``crawler/archivist.py``), which stores a new
    version: ``DIR/articles.jsonl`` first, then the catalog.

    A record whose body is already stored for its id (a re-fetch of an unchanged article)
    is dropped; a changed body is stored as the next ``version``.  With a limit
    (``NEWSARC_MAX_ARTICLES``, or Scrapy's own ``CLOSESPIDER_ITEMCOUNT``) the spider is
    told once it is reached (``crawler/limit.py``), and records still in flight then are
    dropped here, so the limit is exact.

    A corpus or catalog write that fails for want of disk stops the crawl
    (``crawler/storage.py``); the record is not half-stored (the corpus takes its partial
    line back, SQLite rolls back), and the next run fetches the article again.
    """

    def __init__(self, crawler: Any, archivist: Archivist) -> None:
        self.crawler = crawler
        self.archivist = archivist
        self.max_articles = (crawler.settings.getint("NEWSARC_MAX_ARTICLES")
                             or crawler.settings.getint("CLOSESPIDER_ITEMCOUNT"))
        self.written = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> CorpusPipeline:
        return cls(crawler, Archivist.of(crawler))

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if self.max_articles and self.written >= self.max_articles:
            raise DropItem("max-articles reached", log_level="DEBUG")  # counted, not logged
        outcome = self.archivist.store(item)  # DropItem if the archive cannot be written
        self.crawler.stats.inc_value(f"newsarc/articles/{outcome}")
        if outcome == "unchanged":
            raise DropItem(f"article {item['id']} unchanged")
        self.written += 1
        self.crawler.stats.inc_value("newsarc/articles/written")
        if self.written == self.max_articles:
            self.crawler.spider.enough = True
        return item
