"""Item pipelines: where extracted records become the corpus on disk."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem


class CorpusPipeline:
    """Stores each new article version: ``DIR/articles.jsonl`` first, then the catalog.

    A record whose body is already stored for its id (a re-fetch of an unchanged article)
    is dropped; a changed body is stored as the next ``version``.  Scrapy's own
    ``CLOSESPIDER_ITEMCOUNT`` stops the crawl after that many stored records; records
    still in flight when it fires are dropped here, so the limit is exact.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.max_articles = crawler.settings.getint("CLOSESPIDER_ITEMCOUNT")
        self.written = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> CorpusPipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if self.max_articles and self.written >= self.max_articles:
            raise DropItem("max-articles reached")
        outcome = self.crawler.spider.session.store(item)
        self.crawler.stats.inc_value(f"newsarc/articles/{outcome}")
        if outcome == "unchanged":
            raise DropItem(f"article {item['id']} unchanged")
        self.written += 1
        self.crawler.stats.inc_value("newsarc/articles/written")
        return item
