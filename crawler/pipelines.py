"""Item pipelines: where extracted records become the corpus on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.exceptions import DropItem, NotConfigured

from archive.corpus import CorpusWriter


class CorpusPipeline:
    """Appends each new article version to ``DIR/articles.jsonl``, once.

    A record whose body is already stored for its id (a re-crawl of an unchanged article)
    is dropped; a changed body is stored as the next ``version``.  Scrapy's own
    ``CLOSESPIDER_ITEMCOUNT`` stops the crawl after that many written records; records
    still in flight when it fires are dropped here, so the limit is exact.
    """

    def __init__(self, out: str, max_articles: int, crawler: Any) -> None:
        self.out = Path(out)
        self.max_articles = max_articles
        self.crawler = crawler
        self.writer: CorpusWriter | None = None
        self.written = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> CorpusPipeline:
        out = crawler.settings.get("NEWSARC_OUT")
        if not out:
            raise NotConfigured("NEWSARC_OUT is not set")
        return cls(out, crawler.settings.getint("CLOSESPIDER_ITEMCOUNT"), crawler)

    def open_spider(self) -> None:
        self.writer = CorpusWriter(self.out)
        if self.writer.repaired_bytes:
            self.crawler.spider.logger.warning(
                "articles.jsonl ended in a half-written line (%d bytes); moved to %s.partial",
                self.writer.repaired_bytes, self.writer.path.name,
            )
            self.crawler.stats.set_value("newsarc/repaired_bytes", self.writer.repaired_bytes)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        assert self.writer is not None
        if self.max_articles and self.written >= self.max_articles:
            raise DropItem("max-articles reached")
        version = self.writer.next_version(item)
        if version is None:
            self.crawler.stats.inc_value("newsarc/articles/unchanged")
            raise DropItem(f"article {item['id']} unchanged")
        item["version"] = version
        self.writer.write(item)
        self.written += 1
        self.crawler.stats.inc_value("newsarc/articles/written")
        return item

    def close_spider(self) -> None:
        if self.writer is not None:
            self.writer.close()
