"""``--max-articles N``: stop asking for articles once N are stored, and finish the photos,
stylesheets and scripts of those N, so that each of them replays as it looked.

Scrapy's own ``CLOSESPIDER_ITEMCOUNT`` closes the crawl the moment the Nth item is stored:
requests already queued are dropped, among them the page requisites of the last articles
(in a crawl of 5, four of five articles lost their photos).  With ``NEWSARC_MAX_ARTICLES``
the pipeline tells the spider when it has stored enough (``spider.enough``); from then on
this middleware refuses every request but page requisites, the queue drains, and the
spider closes on going idle, with the same reason Scrapy's limit gives (the run is
"partial").
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured


class EnoughArticles(IgnoreRequest):
    """A request left unfetched because the crawl has stored its N articles."""


class ArticleLimitMiddleware:
    """Once the spider has enough articles, only page requisites are still fetched."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArticleLimitMiddleware:
        if not crawler.settings.getint("NEWSARC_MAX_ARTICLES"):
            # No message: Scrapy logs a NotConfigured that has one as a warning, and a
            # crawl without a limit is the usual case, nothing to warn about.
            raise NotConfigured
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        if getattr(spider, "enough", False) and \
                request.callback != getattr(spider, "parse_requisite", None):
            raise EnoughArticles(f"enough articles stored, not fetched: {request.url}")
