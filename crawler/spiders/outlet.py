"""The ``outlet`` spider: every article of one mediaOn outlet, each fetched once.

Discovery follows the CMS: the home page, the full list paged until it repeats (the CMS
answers a page past the end with the last page again), every section list the same way,
and the RSS feed.  Every article link, whatever its form (mobile, print, extra parameters,
fragment), becomes a request for the canonical ``/news/article.html?no=N``, so Scrapy's
duplicate filter fetches each article once.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from archive.timeutil import fetched_at, utc_now_iso
from crawler.extract import Skip, extract
from crawler.profile import load_profile
from crawler.urls import (
    LIST_ALL_PATH,
    RSS_PATH,
    SECTION_FRONT_PATH,
    SECTION_LIST_PATH,
    canonicalize,
    site_root,
)

_HREF_RE = re.compile(r"""href\s*=\s*["']([^"'<>]+)["']""", re.IGNORECASE)
# src of img/script, href of stylesheets: what a browser loads to render the page.
_REQUISITE_RE = re.compile(
    r"""<(?:img|script|link[^>]*?rel=["']?stylesheet["']?)[^>]*?\s(?:src|href)\s*=\s*["']"""
    r"""([^"'<>]+)["']""",
    re.IGNORECASE,
)
_LIST_LINKS = "ul.art_list_all li a::attr(href), .art_list_all a::attr(href)"


class OutletSpider(scrapy.Spider):
    """Crawl one outlet: ``scrapy crawl outlet -a site=URL -s NEWSARC_OUT=DIR``."""

    name = "outlet"

    def __init__(self, site: str | None = None, out: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not site:
            raise ValueError("the outlet spider needs the site's address: -a site=URL")
        self.root = site_root(site)
        self.netloc = urlsplit(self.root).netloc
        self.allowed_domains = [urlsplit(self.root).hostname or ""]
        self.out = out

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> OutletSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.out:
            crawler.settings.set("NEWSARC_OUT", spider.out, priority="spider")
        spider.profile = load_profile(crawler.settings.get("NEWSARC_PROFILE"))
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Seeds: home page, the full list's first page, the RSS feed."""
        yield self._request(self.root + "/", self.parse_home)
        yield self._list_request(LIST_ALL_PATH, {}, page=1)
        yield self._request(self.root + RSS_PATH, self.parse_rss)

    # --- requests -----------------------------------------------------------------------

    def _request(self, url: str, callback: Any, **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.on_error, **kwargs)

    def _list_request(
        self, path: str, params: dict[str, str], page: int, previous: frozenset[int] = frozenset()
    ) -> scrapy.Request:
        query = "&".join(f"{k}={v}" for k, v in {**params, "page": str(page)}.items())
        return self._request(
            f"{self.root}{path}?{query}",
            self.parse_list,
            cb_kwargs={"path": path, "params": params, "page": page, "previous": previous},
        )

    def _article_requests(self, hrefs: Iterator[str], base: str) -> Iterator[scrapy.Request]:
        for href in hrefs:
            url = urljoin(base, href.replace("&amp;", "&"))
            if urlsplit(url).netloc != self.netloc:
                continue
            canonical = canonicalize(url, self.root)
            if canonical:
                yield self._request(canonical, self.parse_article)

    def _section_requests(self, hrefs: Iterator[str], base: str) -> Iterator[scrapy.Request]:
        for href in hrefs:
            parts = urlsplit(urljoin(base, href.replace("&amp;", "&")))
            if parts.netloc != self.netloc:
                continue
            if parts.path in (SECTION_LIST_PATH, SECTION_FRONT_PATH):
                sec = parse_qs(parts.query).get("sec_no", [""])[0]
                if sec:
                    yield self._list_request(SECTION_LIST_PATH, {"sec_no": sec}, page=1)

    # --- callbacks ----------------------------------------------------------------------

    def parse_home(self, response: Response) -> Iterator[scrapy.Request]:
        """Home page: its article links and its section menu."""
        self._count("pages/home")
        hrefs = response.css("a::attr(href)").getall()
        yield from self._section_requests(iter(hrefs), response.url)
        yield from self._article_requests(iter(hrefs), response.url)

    def parse_list(
        self, response: Response, path: str, params: dict[str, str], page: int,
        previous: frozenset[int],
    ) -> Iterator[scrapy.Request]:
        """A list page: its articles, then the next page, until the CMS repeats a page."""
        hrefs = response.css(_LIST_LINKS).getall()
        ids = frozenset(
            int(c.rsplit("=", 1)[1])
            for c in (canonicalize(urljoin(response.url, h), self.root) for h in hrefs)
            if c
        )
        if not ids or ids == previous:
            self._count("pages/list_end")
            return
        self._count("pages/list")
        yield from self._article_requests(iter(hrefs), response.url)
        yield self._list_request(path, params, page + 1, previous=ids)

    def parse_rss(self, response: Response) -> Iterator[scrapy.Request]:
        """RSS 2.0 feed: item links."""
        self._count("pages/rss")
        links = response.xpath("//item/link/text()").getall()
        yield from self._article_requests(iter(link.strip() for link in links), response.url)

    def parse_article(self, response: Response) -> Iterator[Any]:
        """An article URL: a record, or a counted skip; and the article links on the page."""
        self._count("pages/article")
        text = response.text if isinstance(response, TextResponse) else ""
        result = extract(text or response.body, response.url, profile=self.profile)
        if isinstance(result, Skip):
            self._count(f"skipped/{result.reason.split(':')[0]}")
        else:
            warc = response.meta.get("warc")
            result["fetched_at"] = fetched_at(warc["date"]) if warc else utc_now_iso()
            if warc:
                result["warc"] = warc
            yield result
            if self.settings.getbool("NEWSARC_PAGE_REQUISITES"):
                yield from self._requisite_requests(text, response.url)
        yield from self._article_requests(iter(_HREF_RE.findall(text)), response.url)

    def _requisite_requests(self, text: str, base: str) -> Iterator[scrapy.Request]:
        """Images, stylesheets and scripts of an article page on the site's own host."""
        for ref in _REQUISITE_RE.findall(text):
            url = urljoin(base, ref.replace("&amp;", "&"))
            if urlsplit(url).netloc == self.netloc and not url.startswith("javascript:"):
                # Ahead of other pages, so a page's images are archived close to it.
                yield self._request(url, self.parse_requisite, priority=1)

    def parse_requisite(self, response: Response) -> None:
        """Nothing to extract: the WARC middleware has archived it."""
        self._count("pages/requisite")

    def on_error(self, failure: Failure) -> None:
        """A request that failed for good (after retries): counted and logged, never fatal."""
        reason = failure.type.__name__ if failure.type else "Error"
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}"
        self._count(f"errors/{reason}")
        self.logger.warning("failed: %s (%s)", failure.request.url, reason)

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"newsarc/{key}")
