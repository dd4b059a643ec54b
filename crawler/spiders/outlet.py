"""The ``outlet`` spider: every article of one mediaOn outlet, each fetched once.

Discovery follows the CMS: the home page, the full list paged until it repeats (the CMS
answers a page past the end with the last page again), every section list the same way,
and the RSS feed.  Every article link, whatever its form (mobile, print, extra parameters,
fragment), becomes a request for the canonical ``/news/article.html?no=N``, so Scrapy's
duplicate filter fetches each article once.

Modes (``-a mode=…``), with the archive's catalog as memory:

- ``full``: everything again (the first crawl of an archive).
- ``incremental`` (the default once the archive has a catalog): the full list newest
  first, stopping at the first page whose articles are all known and older than the last
  finished run; the RSS feed; articles not yet known; and a conditional re-fetch of the
  articles published within ``recheck_days`` of the newest one (an article without a
  date: first captured within as many days of the newest first capture), to catch edits.
- ``backfill``: article numbers ``from_id``..``to_id`` directly, for history the lists
  do not reach.

In every mode, once the crawl runs dry, the numbers missing from the catalog inside the
range the site's own list pages and RSS feed have shown are probed once, a batch at a
time, at most ``NEWSARC_GAP_PROBES_PER_RUN`` a run (the rest: the next runs); soft-404s are
remembered as missing.  A number only linked from a page, however far out, is fetched once
like any link, but never stretches that range (``Catalog.gap_range``).
(A distributed run's seeding worker probes those its archive's catalog shows, with its
seeds: the gaps earlier runs left.)

Every article page's extraction (profile or fallback, fields missing) is counted for the
template drift alarm (``crawler/drift.py``).

Nothing fetched is lost to a failure: a request that fails after its retries (an HTTP
error, a timeout, a cut connection, a redirect loop, a page over the size cap, an article
URL answering an empty or binary 200) is recorded with its reason in the catalog's
``failures`` table, listed in the run's summary, and requested again by the next run in
every mode, until it succeeds.  So is a page whose callback or item pipeline raised, or
whose extraction ran past ``NEWSARC_PAGE_TIMEOUT`` (``crawler/watchdog.py``).  If the
archive itself cannot be written, the crawl stops (``crawler/storage.py``).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from archive.catalog import has_catalog
from archive.timeutil import KST, fetched_at, utc_now_iso
from crawler import drift
from crawler.extract_pool import ExtractionDied, ExtractionPool
from crawler.limit import EnoughArticles
from crawler.modes import MODES
from crawler.profile import load_profile
from crawler.resilience import BadPage, attempts, describe_failure, original_url
from crawler.skip import Skip, SkipKind
from crawler.storage import storage_stopped
from crawler.urls import (
    LIST_ALL_PATH,
    RSS_PATH,
    SECTION_FRONT_PATH,
    SECTION_LIST_PATH,
    article_id,
    canonical_article_url,
    site_root,
)
from crawler.watchdog import PageInterrupted, PageTimeout, time_limit, when_stopping

_DEPTH_MIDDLEWARE = "scrapy.spidermiddlewares.depth.DepthMiddleware"
_HREF_RE = re.compile(r"""href\s*=\s*["']([^"'<>]+)["']""", re.IGNORECASE)
# src of img/script, href of stylesheets: what a browser loads to render the page.  Linear:
# a tag's attributes end at the next < or >, so no character is read by two tags' scans.
_REQUISITE_TAG_RE = re.compile(r"<(img|script|link)(\s[^<>]*)", re.IGNORECASE)
_REQUISITE_REF_RE = re.compile(r"""\s(?:src|href)\s*=\s*["']([^"'<>]+)["']""", re.IGNORECASE)
_STYLESHEET_RE = re.compile(r"""\srel\s*=\s*["']?stylesheet""", re.IGNORECASE)
_LIST_CLASS = "art_list_all"  # the element holding a list page's items (<li>)
_DOWNLOAD_META = ("download_latency", "redirect_urls", "redirect_times", "redirect_ttl",
                  "redirect_reasons")
# Callbacks a failed URL may be requested again with by a later run.
_RETRYABLE_CALLBACKS = ("parse_home", "parse_list", "parse_rss", "parse_article",
                        "parse_requisite")
# Gap probes handed to the engine each time the crawl runs dry: the scheduler never holds
# more, whatever the number of gaps.
_GAP_BATCH = 500


# Links that mean the same on every page of a site (nearly all: menus, lists, skin files).
_PAGE_INDEPENDENT = ("/", "http://", "https://")


@lru_cache(maxsize=4096)
def _join(root: str, href: str) -> str:
    """``urljoin`` remembered, for links that mean the same on every page of a site."""
    return urljoin(root, href)


@lru_cache(maxsize=4096)
def _site_article(root: str, href: str) -> int | None:
    """``_article_on`` remembered, for links that mean the same on every page of a site."""
    return _article_on(_join(root + "/", href.replace("&amp;", "&")), urlsplit(root).netloc)


def _article_on(url: str, netloc: str) -> int | None:
    return article_id(url) if urlsplit(url).netloc == netloc else None


class OutletSpider(scrapy.Spider):
    """Crawl one outlet: ``scrapy crawl outlet -a site=URL -s NEWSARC_OUT=DIR``."""

    name = "outlet"

    def __init__(
        self, site: str | None = None, out: str | None = None, mode: str | None = None,
        recheck_days: str | float = 3, from_id: str | int | None = None,
        to_id: str | int | None = None, **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not site:
            raise ValueError("the outlet spider needs the site's address: -a site=URL")
        if mode is not None and mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
        if mode == "backfill" and (from_id is None or to_id is None):
            raise ValueError("backfill needs from_id and to_id")
        self.root = site_root(site)
        self.netloc = urlsplit(self.root).netloc
        self.allowed_domains = [urlsplit(self.root).hostname or ""]
        self.out = out
        self.mode = mode
        self.recheck_days = float(recheck_days)
        self.id_range = (int(from_id), int(to_id)) if mode == "backfill" else None
        self.listed: tuple[int, int] | None = None  # lowest, highest number lists showed
        self.gap_requests: Iterator[scrapy.Request] | None = None  # probes not yet handed out
        self.enough = False  # set by the pipeline once --max-articles are stored
        # Article numbers this run has asked for by following links.  Pages link to the
        # same articles over and over (about 25 links a page); a number asked for once is
        # not turned into a Request again, which spares each repeat Scrapy's spider
        # middlewares and the duplicate filter's fingerprinting.  One int per article.
        self.asked: set[int] = set()
        self.asked_resources: set[str] = set()  # the same for page requisites (skin files)
        # What the archive remembers (``_remember``), read when the crawl opens.
        self.memory: Any = None
        self.known: set[int] = set()
        self.missing: set[int] = set()
        self.last_run: dict[str, Any] | None = None
        self.failed_before: dict[str, dict[str, Any]] = {}  # url -> failures row

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> OutletSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.out:
            crawler.settings.set("NEWSARC_OUT", spider.out, priority="spider")
        out = crawler.settings.get("NEWSARC_OUT")
        if not out:
            raise ValueError("the outlet spider needs an archive directory: -a out=DIR")
        spider.profile = load_profile(crawler.settings.get("NEWSARC_PROFILE"))
        _warn_depth_limit_off(crawler.settings, spider.logger)
        spider.extraction = None
        spider.page_timeout = crawler.settings.getfloat("NEWSARC_PAGE_TIMEOUT")
        processes = crawler.settings.getint("NEWSARC_EXTRACT_PROCESSES")
        if processes > 0:
            spider.extraction = ExtractionPool(processes, crawler.settings.get("NEWSARC_PROFILE"))
            crawler.signals.connect(spider.extraction.close, signal=signals.spider_closed)
            when_stopping(spider.extraction.interrupt)
        # A distributed worker writes its own shard but remembers with the whole archive.
        archive = Path(crawler.settings.get("NEWSARC_ARCHIVE") or out)
        spider.distributed = bool(crawler.settings.get("NEWSARC_REDIS_KEY"))
        spider.mode = spider.mode or ("incremental" if has_catalog(archive) else "full")
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        # Before the archivist (built after the spider) starts this run in the catalog.
        crawler.signals.connect(spider._remember, signal=signals.spider_opened)
        return spider

    @property
    def archivist(self) -> Any:
        """The crawl's one writer of the archive (``crawler/archivist.py``): the spider
        only reads what the archive remembers and hands over what it learns."""
        return self.crawler.archivist

    def _remember(self) -> None:
        """What the archive (the whole one, for a distributed worker) remembers."""
        self.memory = self.archivist.memory
        if self.memory is None:
            return  # the archive could not be opened: the crawl is stopping
        self.known = self.memory.known_ids() if self.mode != "full" else set()
        self.missing = self.memory.missing_ids()
        self.last_run = self.memory.last_completed_run()
        self.failed_before = {row["url"]: row for row in self.memory.failures()}

    @property
    def catalog(self) -> Any:
        """Where this run writes what it learns (the shard's catalog for a worker)."""
        return self.archivist.catalog

    # --- seeds --------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Seeds by mode (see the module docstring); in a distributed crawl, only the first
        worker seeds, the others take their work from the shared queue."""
        if self.memory is None:
            return  # the archive could not be opened: the crawl is stopping
        if self.distributed:
            from crawler.distributed import claim_seeding  # scrapy-redis is an extra

            if not claim_seeding(self.settings):
                return
        if self.mode == "backfill":
            low, high = self.id_range or (0, -1)
            for number in range(low, high + 1):
                if number not in self.known and number not in self.missing:
                    yield self._article(number)
        else:
            if self.mode == "incremental":
                for request in self._rechecks():
                    yield request
            else:
                yield self._request(self.root + "/", self.parse_home)
            yield self._list_request(LIST_ALL_PATH, {}, page=1)
            yield self._request(self.root + RSS_PATH, self.parse_rss)
            if self.distributed:
                for request in self._gap_probes(self.memory):
                    yield request
        for request in self._retry_failed():
            yield request

    def _gap_probes(self, memory: Any) -> Iterator[scrapy.Request]:
        """Requests for the numbers in ``memory``'s gap range (what lists and feeds vouched
        for) that are neither stored nor known to be missing, made as they are taken, at
        most NEWSARC_GAP_PROBES_PER_RUN; each probed once (a soft-404 is remembered as
        missing).  The stats keep the range, the gaps left for later runs and the stored
        numbers beyond the range, so that a capped or a suspect run says so."""
        ahead = max(0, self.settings.getint("NEWSARC_GAP_MAX_AHEAD"))
        bounds = memory.gap_range(ahead)
        if bounds is None:
            return
        low, high = bounds
        stats = self.crawler.stats
        stats.set_value("newsarc/gaps/range", [low, high])
        stats.set_value("newsarc/gaps/beyond_range", memory.beyond(high))
        cap = max(0, self.settings.getint("NEWSARC_GAP_PROBES_PER_RUN"))
        probed = 0
        for number in memory.iter_gaps(low, high):
            if number in self.asked:  # linked and requested this run already
                continue
            if probed >= cap:
                stats.set_value("newsarc/gaps/left", memory.count_gaps(number, high))
                return
            self.asked.add(number)  # a link to it found later is not asked for again
            probed += 1
            stats.inc_value("newsarc/gaps_probed")
            yield self._article(number)

    def _retry_failed(self) -> Iterator[scrapy.Request]:
        """The URLs earlier runs failed on, requested again with the callback they had."""
        for url, row in list(self.failed_before.items()):  # _succeeded pops meanwhile
            request = self._again(url, row["callback"])
            if request is not None:
                self.crawler.stats.inc_value("newsarc/failures_retried")
                yield request

    def _again(self, url: str, callback: str) -> scrapy.Request | None:
        if callback not in _RETRYABLE_CALLBACKS or urlsplit(url).netloc != self.netloc:
            return None
        if callback == "parse_article":
            number = article_id(url)
            return self._article(number) if number is not None else None
        if callback == "parse_list":
            parts = urlsplit(url)
            params = dict(parse_qsl(parts.query))
            page = params.pop("page", "1")
            return self._list_request(parts.path, params, int(page) if page.isdigit() else 1)
        return self._request(url, getattr(self, callback))

    def _rechecks(self) -> Iterator[scrapy.Request]:
        """Conditional re-fetches of recent articles (``Catalog.recheck_ids``: by publication
        time, or by first capture for an article without a date): a 304 or an identical
        payload becomes a WARC revisit record, an edited body a new version."""
        for number in self.memory.recheck_ids(self.recheck_days):
            last = self.memory.last_capture(number)
            headers = {}
            if last and last.get("etag"):
                headers["If-None-Match"] = last["etag"]
            if last and last.get("last_modified"):
                headers["If-Modified-Since"] = last["last_modified"]
            request = self._article(number, recheck=True, headers=headers)
            if last:
                request.meta["newsarc_refers_to"] = last
            self.crawler.stats.inc_value("newsarc/rechecks")
            yield request

    def on_idle(self) -> None:
        """When the crawl runs dry: probe the next batch of gaps in the article numbers
        (``_gap_probes``), until none are left or the run's cap is reached.  With
        --max-articles reached, the queue has drained of all but page requisites: done.

        Distributed workers do not: no worker knows when the shared queue has run dry for
        all of them, nor what the others found.  Their run's seeding worker probes, among
        its seeds, the gaps the archive's catalog shows (merged from earlier runs), so a gap
        opened by one run is probed by the next."""
        writes = not self.distributed and self.catalog is not None \
            and not storage_stopped(self.crawler)
        if writes and self.listed is not None:  # for the next runs, which walk fewer lists
            self.archivist.vouch(*self.listed)
        if self.enough:
            raise CloseSpider("closespider_itemcount")  # Scrapy's reason for its own limit
        if not writes:
            return
        if self.gap_requests is None:
            self.gap_requests = self._gap_probes(self.catalog)
        probes = list(islice(self.gap_requests, _GAP_BATCH))
        if not probes or storage_stopped(self.crawler):
            return
        for request in probes:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    # --- requests -----------------------------------------------------------------------

    def _request(self, url: str, callback: Any, **kwargs: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.on_error, **kwargs)

    def _article(self, number: int, *, recheck: bool = False,
                 headers: dict[str, str] | None = None) -> scrapy.Request:
        meta = {"handle_httpstatus_list": [304]} if recheck else {}
        return self._request(canonical_article_url(self.root, number), self.parse_article,
                             headers=headers, meta=meta)

    def _list_request(
        self, path: str, params: dict[str, str], page: int, previous: frozenset[int] = frozenset()
    ) -> scrapy.Request:
        query = "&".join(f"{k}={v}" for k, v in {**params, "page": str(page)}.items())
        return self._request(
            f"{self.root}{path}?{query}",
            self.parse_list,
            cb_kwargs={"path": path, "params": params, "page": page, "previous": previous},
        )

    def _article_requests(self, hrefs: Iterable[str], base: str) -> Iterator[scrapy.Request]:
        """Requests for the articles ``hrefs`` link to; known ones are skipped unless full.
        A backfill enumerates its range and follows no links."""
        if self.mode == "backfill":
            return
        for href in dict.fromkeys(hrefs):  # each link once; pages repeat their links
            if "article" not in href:  # every article path has it: skip the rest cheaply
                continue
            number = self._linked_article(href, base)
            if number is not None and number not in self.known and number not in self.asked:
                self.asked.add(number)
                yield self._article(number)

    def _absolute(self, href: str, base: str) -> str:
        """The absolute URL of a link on page ``base``.  Links that do not depend on the
        page (``/path``, ``http://…``), nearly all of them, are resolved once per run:
        every page repeats the same menus, lists and skin files."""
        href = href.replace("&amp;", "&")
        if href.startswith(_PAGE_INDEPENDENT):
            return _join(self.root + "/", href)
        return urljoin(base, href)

    def _linked_article(self, href: str, base: str) -> int | None:
        """The number of the article on this site a link on page ``base`` points to."""
        if href.startswith(_PAGE_INDEPENDENT):
            return _site_article(self.root, href)
        return _article_on(urljoin(base, href.replace("&amp;", "&")), self.netloc)

    def _section_requests(self, hrefs: Iterable[str], base: str) -> Iterator[scrapy.Request]:
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
        self._succeeded(response)
        hrefs = response.css("a::attr(href)").getall()
        yield from self._section_requests(hrefs, response.url)
        yield from self._article_requests(hrefs, response.url)

    def parse_list(
        self, response: Response, path: str, params: dict[str, str], page: int,
        previous: frozenset[int],
    ) -> Iterator[scrapy.Request]:
        """A list page: its articles, then the next page, until the CMS repeats a page or,
        incrementally, until a page holds only known articles older than the last run."""
        self._succeeded(response)
        hrefs, dates = list_items(response.selector.root)
        ids = frozenset(n for n in (self._linked_article(h, response.url) for h in hrefs) if n)
        if not ids or ids == previous:
            self._count("pages/list_end")
            return
        self._count("pages/list")
        self._vouch(ids)
        yield from self._article_requests(hrefs, response.url)
        if self._caught_up(ids, dates):
            self._count("pages/list_caught_up")
            return
        yield self._list_request(path, params, page + 1, previous=ids)

    def _caught_up(self, ids: frozenset[int], dates: list[str]) -> bool:
        if self.mode != "incremental" or not self.last_run or not ids <= self.known:
            return False
        newest = max((_list_date(d) for d in dates), default=None)
        last_start = datetime.fromisoformat(self.last_run["started_at"])
        return newest is not None and newest < last_start

    def parse_rss(self, response: Response) -> Iterator[scrapy.Request]:
        """RSS 2.0 feed: item links."""
        self._count("pages/rss")
        self._succeeded(response)
        links = [link.strip() for link in response.xpath("//item/link/text()").getall()]
        self._vouch(n for n in (self._linked_article(link, response.url) for link in links)
                    if n)
        yield from self._article_requests(links, response.url)

    def _vouch(self, numbers: Iterable[int]) -> None:
        """Article numbers the site's own lists and feed show: the range gaps are probed in
        (numbers only linked from pages, which a hostile page chooses, are not)."""
        numbers = list(numbers)
        if not numbers:
            return
        low, high = min(numbers), max(numbers)
        if self.listed is not None:
            low, high = min(low, self.listed[0]), max(high, self.listed[1])
        self.listed = (low, high)

    async def parse_article(self, response: Response) -> AsyncIterator[Any]:
        """An article URL: a record, or a counted skip; and the article links on the page."""
        self._count("pages/article")
        number = article_id(response.url) or 0
        warc = response.meta.get("warc")
        if response.status == 304:
            self._count("articles/not_modified")
            self._succeeded(response)
            self._capture(number, response, warc)
            self.archivist.seen_unchanged(number, fetched_at(warc["date"]) if warc else "")
            return
        try:
            result = await self._extract(response)
        except ExtractionDied as exc:
            result = Skip(SkipKind.EXTRACTION_DIED, str(exc))
        # Decoded only now: pages waiting for an extraction process hold their bytes alone
        # (Scrapy bounds those, not what a callback makes of them).
        text = response.text if isinstance(response, TextResponse) else ""
        # A skip that says the answer was broken (or the process extracting it died), not
        # that there is no article: retried like a server error, then recorded as a failure.
        if isinstance(result, Skip) and result.retryable:
            for retry in self._bad_page(response, result.reason):
                yield retry
            return
        self._succeeded(response)
        drift.note(self.crawler.stats, result, response.url)
        if isinstance(result, Skip):
            self._count(f"skipped/{result.kind.label}")
            if result.kind is SkipKind.SOFT_404:
                self.archivist.mark_missing(number)
        else:
            result["fetched_at"] = fetched_at(warc["date"]) if warc else utc_now_iso()
            if warc:
                result["warc"] = _payload_record(response, warc)
            self._capture(number, response, warc)
            # Stored unless --max-articles were reached before it (then the pipeline drops
            # it); a stored article's photos are fetched even if it was the last one
            # (crawler/limit.py).  The record goes first: records reach the corpus in the
            # order their pages were fetched, as re-extraction from the WARC files finds them.
            wanted = not self.enough
            yield result
            if self.settings.getbool("NEWSARC_PAGE_REQUISITES") and wanted:
                for request in self._requisite_requests(text, response.url):
                    yield request
        if not self.enough:
            for request in self._article_requests(_HREF_RE.findall(text), response.url):
                yield request

    async def _extract(self, response: Response) -> dict[str, Any] | Skip:
        """The page's record or skip, here or in the extraction pool.  Bytes and their
        Content-Type, as re-extraction from the WARC files sees them: extract() decodes
        legacy encodings (EUC-KR/CP949, declared or not) itself."""
        content_type = _header(response, b"Content-Type")
        if self.extraction is None:
            # Imported here: with extraction processes, the crawl never loads trafilatura.
            from crawler.extract import extract

            with time_limit(self.page_timeout):
                return extract(response.body, response.url, content_type=content_type,
                               profile=self.profile)
        return await self.extraction.extract(response.body, response.url, content_type,
                                             self.page_timeout)

    def _bad_page(self, response: Response, reason: str) -> Iterator[scrapy.Request]:
        """An article URL answered 200 with no page (empty, binary, cut off): a server
        glitch more often than not, so retried like a 500, then recorded as a failure."""
        retry = get_retry_request(response.request, spider=self,
                                  reason=f"bad page: {reason.split(',')[0]}")
        if retry is not None:
            for key in _DOWNLOAD_META:  # what the last download left, not to carry over
                retry.meta.pop(key, None)
            yield retry
            return
        failure = Failure(BadPage(f"{reason.split(':')[0]} (HTTP 200)"))
        failure.request = response.request  # type: ignore[attr-defined]
        self.on_error(failure)

    def _capture(self, number: int, response: Response, warc: dict[str, Any] | None) -> None:
        kind = response.meta.get("warc_kind", "response")
        headers = {"etag": _header(response, b"ETag"),
                   "last_modified": _header(response, b"Last-Modified")}
        location = {**(warc or {}), "payload_digest": response.meta.get("warc_payload_digest")}
        self.archivist.capture(number, kind, response.status, location, headers)

    def _requisite_requests(self, text: str, base: str) -> Iterator[scrapy.Request]:
        """Images, stylesheets and scripts of an article page on the site's own host."""
        for ref in requisite_refs(text):
            url = self._absolute(ref, base)
            if url in self.asked_resources:
                continue
            self.asked_resources.add(url)
            if urlsplit(url).netloc != self.netloc or url.startswith("javascript:"):
                continue
            if self.mode != "full" and self.memory.has_resource(url):
                continue
            # Ahead of other pages, so a page's images are archived close to it.
            yield self._request(url, self.parse_requisite, priority=1)

    def parse_requisite(self, response: Response) -> None:
        """Nothing to extract: the WARC middleware has archived it; the catalog notes it."""
        self._count("pages/requisite")
        self._succeeded(response)
        warc = response.meta.get("warc")
        if warc:
            self.archivist.add_resource(response.url, warc)

    def on_error(self, failure: Failure) -> None:
        """A request that failed for good (after retries): counted, logged, recorded in the
        catalog's failures for the next run, never fatal.  Requests refused on purpose
        (robots.txt, scope) are counted only."""
        if storage_stopped(self.crawler):
            return  # requests cancelled because the archive cannot be written
        if failure.check(EnoughArticles):
            self._count("not_fetched/max_articles")
            return
        category, reason = describe_failure(failure, self.settings)
        request = failure.request  # type: ignore[attr-defined]
        self._failed(request, category, reason)

    def page_failed(self, response: Response, error: BaseException, where: str) -> None:
        """A page whose callback (``where``) or item pipeline raised, or whose parsing the
        watchdog abandoned (``crawler/watchdog.py``): its URL failed, as a download that
        failed for good does.  A page abandoned because the crawl is stopping is no failure
        of the site: counted as skipped, and kept in the catalog for the next run."""
        if storage_stopped(self.crawler):
            return
        request = response.request
        if isinstance(error, PageInterrupted):
            self._count("skipped/interrupted")
            url = original_url(request) if request else response.url
            self.archivist.failed(url, article_id(url),
                                  getattr(request.callback, "__name__", "") if request else "",
                                  "interrupted: the crawl was stopped while parsing it", 1,
                                  listed=False)
            return
        if isinstance(error, PageTimeout):
            category, reason = "parse timeout", str(error)
        else:
            category = "pipeline error" if where == "pipeline" else "callback error"
            reason = f"{type(error).__name__} in {where}: {str(error)[:200]}"
        if request is None:
            self._count(f"errors/{category}")
            self.logger.warning("failed: %s (%s)", response.url, reason)
            return
        self._failed(request, category, reason)

    def _failed(self, request: scrapy.Request, category: str, reason: str | None) -> None:
        """Counted and logged; with a reason, listed in the summary and kept in the
        catalog's failures, which the next run requests again."""
        url = original_url(request)
        self._count(f"errors/{category}")
        self.logger.warning("failed: %s (%s)", url, reason or category)
        if reason is None:
            return
        callback = getattr(request.callback, "__name__", "")
        self.archivist.failed(url, article_id(url), callback, reason, attempts(request))

    def _succeeded(self, response: Response) -> None:
        """A URL an earlier run failed on was fetched at last: it leaves the failures."""
        url = original_url(response.request) if response.request else response.url
        if self.failed_before.pop(url, None) is not None:
            self._count("failures_recovered")
            self.archivist.recovered(url)

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"newsarc/{key}")


def _warn_depth_limit_off(settings: Any, logger: Any) -> None:
    """DEPTH_LIMIT is Scrapy's DepthMiddleware's, which newsarc's settings turn off."""
    depth = settings.getwithbase("SPIDER_MIDDLEWARES").get(_DEPTH_MIDDLEWARE)
    if settings.getint("DEPTH_LIMIT") and depth is None:
        logger.warning("DEPTH_LIMIT has no effect: Scrapy's DepthMiddleware is off "
                       "(-s SPIDER_MIDDLEWARES={} turns it back on)")


def requisite_refs(text: str) -> Iterator[str]:
    """The ``src`` of each ``<img>`` and ``<script>`` and the ``href`` of each stylesheet
    ``<link>`` in a page's text, in order.  Read tag by tag with bounded patterns, in time
    linear in the page: the one pattern it replaces took 77 s on 21 KB of repeated
    ``<link rel=stylesheet`` (issue 19)."""
    for match in _REQUISITE_TAG_RE.finditer(text):
        attributes = match.group(2)
        if match.group(1).lower() == "link" and not _STYLESHEET_RE.search(attributes):
            continue
        ref = _REQUISITE_REF_RE.search(attributes)
        if ref:
            yield ref.group(1)


def list_items(root: Any) -> tuple[list[str], list[str]]:
    """The links (``href``) and dates (``li.date`` texts) of a list page's items: what the
    CSS ``.art_list_all li a::attr(href)`` and ``.art_list_all li li.date::text`` select,
    in document order.

    One walk of the tree, each element's state taken from its parent's: linear.  As CSS
    (XPath ``…/li/descendant-or-self::*/a``) libxml2 merges one node set per item, which is
    quadratic: a 2 MB page of items took 15 s per query, in C, where neither the page time
    limit nor a signal can stop it (issue 19)."""
    boxed: set[Any] = set()  # the element or an ancestor has the class
    inside: set[Any] = set()  # a strict ancestor is an <li> with such an ancestor
    links: list[str] = []
    dates: list[str] = []
    for element in root.iter():
        parent = element.getparent()
        classes = _classes(element)
        if _LIST_CLASS in classes or parent in boxed:
            boxed.add(element)
        if parent is None or not (parent in inside or (
                parent.tag == "li" and parent.getparent() in boxed)):
            continue
        inside.add(element)
        if element.tag == "a" and element.get("href") is not None:
            links.append(element.get("href"))
        elif element.tag == "li" and "date" in classes:
            dates += [t for t in (element.text, *(c.tail for c in element)) if t]
    return links, dates


def _classes(element: Any) -> list[str]:
    """Class names as CSS reads them (split on the four white space characters of XML)."""
    value = element.get("class") if isinstance(element.tag, str) else None
    return value.translate(_XML_SPACES).split(" ") if value else []


_XML_SPACES = str.maketrans("\t\n\r", "   ")


def _list_date(text: str) -> datetime | None:
    """A list item's ``YYYY-MM-DD HH:MM`` (Korea time) as an aware datetime."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=KST)
    except ValueError:
        return None


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _payload_record(response: Response, warc: dict[str, Any]) -> dict[str, Any]:
    """The response record that holds the payload a record was extracted from.

    An unchanged payload (a server that ignores conditional requests) is written as a
    revisit, which stores no payload; when it still extracts to a new version (the profile
    changed), that version points at the earlier response record the revisit refers to.
    """
    original = response.meta.get("newsarc_refers_to")
    if response.meta.get("warc_kind") != "revisit" or not original \
            or response.status == 304:
        return warc
    name = original.get("warc_filename") or ""
    if "/" in name or "\\" in name or name.startswith("."):  # a tampered queue entry's
        return warc
    return {"filename": original["warc_filename"], "offset": original["warc_offset"],
            "length": original["warc_length"], "record_id": original["warc_record_id"],
            "date": original["warc_date"]}
