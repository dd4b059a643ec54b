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
  write the same article version, whatever URL they reached it by;
- ``QueueEntries``: what a worker takes from the shared queue (``crawler/redisqueue.py``'s
  scheduler decodes with it) is a whitelisted form of newsarc's own requests for the site:
  whoever can write to Redis can add entries, and an entry's fields (``meta``'s ``proxy``,
  ``download_maxsize``, ``_class``, a callback) would otherwise steer the worker.

Each worker writes a shard of its own, ``DIR/shards/<worker>/`` (WARC, JSONL, catalog),
so no two processes ever write one file; ``newsarc merge DIR`` folds the shards in.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, DropItem, NotConfigured
from twisted.internet import task

from crawler import redisjson
from crawler.scope import origin, refusal
from crawler.scrapy_compat import wake_engine
from crawler.urls import LIST_ALL_PATH, SECTION_LIST_PATH, article_id

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
        "SCHEDULER": "crawler.redisqueue.Scheduler",  # scrapy-redis's, checking what it takes
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
            wake_engine(self.crawler.engine)

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


# --- what a worker takes from the shared queue ---------------------------------------------

# The spider methods newsarc's requests name; any other name would have Scrapy call
# whatever method of the spider an entry names.
QUEUE_CALLBACKS = frozenset({"parse_home", "parse_list", "parse_rss", "parse_article",
                             "parse_requisite"})
QUEUE_ERRBACKS = frozenset({"on_error"})
QUEUE_METHODS = ("GET", "HEAD")
MAX_ENTRY_BYTES = 64 * 1024  # newsarc's own entries take a few hundred bytes
MAX_URL_LENGTH = 4096
MAX_PRIORITY = 1000  # newsarc's are 0 and 1, moved a little by retries and redirects
MAX_ITEMS = 1000  # items of a list in an entry (a list page's article numbers: about 25)
MAX_STEPS = 100  # retries or redirects of one request
MAX_TEXT = 1024
MAX_LOGGED = 20  # refusals and strips logged one by one per run; the rest counted only
# Meta keys Scrapy and newsarc set again on every download: dropped without a word.
_RESET_META = frozenset({"download_slot", "download_latency", "warc", "warc_kind",
                         "warc_payload_digest", "_scheme_proxy", "_auth_proxy"})
# Headers Scrapy sets again from its settings on every download: dropped without a word.
_RESET_HEADERS = frozenset({"user-agent", "accept", "accept-language", "accept-encoding"})
_KEPT_HEADERS = {"if-none-match": "If-None-Match", "if-modified-since": "If-Modified-Since",
                 "referer": "Referer"}
# Request fields a worker never needs from the queue: dropped without a word.
_IGNORED_FIELDS = frozenset({"dont_filter", "flags", "encoding"})
_FIELDS = frozenset({"url", "callback", "errback", "method", "priority", "meta", "cb_kwargs",
                     "headers", "body", "cookies", "_class"}) | _IGNORED_FIELDS
# A recheck's earlier capture (``Catalog.last_capture``): what its revisit record names.
_REFERS_TO_INTS = frozenset({"id", "status", "warc_offset", "warc_length", "run_id"})
_REFERS_TO_TEXTS = frozenset({"kind", "warc_filename", "warc_record_id", "warc_date",
                              "payload_digest", "etag", "last_modified"})
_URL_CHARS = re.compile(r"[\x21-\x7e]+")  # Scrapy's URLs are escaped: printable ASCII
_HEADER_CHARS = re.compile(r"[\x20-\x7e]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RefusedEntry(Exception):
    """A queue entry that is not one of newsarc's requests for this site: dropped."""

    def __init__(self, stat: str, reason: str) -> None:
        super().__init__(reason)
        self.stat = stat  # the counter: newsarc/queue/refused/<why> or newsarc/scope/<kind>


def _refused(why: str, reason: str) -> RefusedEntry:
    return RefusedEntry(f"newsarc/queue/refused/{why}", reason)


def _is_int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_text(value: Any, limit: int = MAX_TEXT) -> bool:
    return isinstance(value, str) and len(value) <= limit and not _CONTROL.search(value)


def _short(value: Any) -> str:
    return repr(value)[:200]


class QueueEntries:
    """The serializer of a worker's scheduler: ``dumps`` is ``crawler.redisjson``'s, and
    ``loads`` returns only a whitelisted form of an entry, or raises ``RefusedEntry``.

    JSON alone keeps a tampered queue from running code through pickle, but Scrapy builds a
    request from every field of an entry: ``meta`` sends it through a proxy
    (``proxy``), lifts its size cap (``download_maxsize: 0``) or its timeout, ``_class``
    imports any module, the callback calls any spider method.  What passes is what newsarc's
    own requests hold: an http(s) URL on the site's host and port, GET or HEAD, a bounded
    priority, a callback and errback of the spider's by name, newsarc's meta keys and
    Scrapy's retry and redirect counts with their types checked, a list page's arguments,
    and the conditional headers of a recheck.  Settings an entry carries beyond those are
    dropped and counted (``newsarc/queue/stripped/<what>``); an entry that fails a check is
    refused whole and counted (``newsarc/queue/refused/<why>``, or
    ``newsarc/scope/<kind>`` for another site, like the scope middleware's refusals).
    """

    def __init__(self, site: str, serializer: Any = redisjson, stats: Any = None,
                 logger: Any = None, download_timeout: float | None = None) -> None:
        site_origin = origin(site)
        if site_origin is None:
            raise ValueError(f"not an http(s) site: {site!r}")
        self.site = site_origin
        self.serializer = serializer
        self.stats = stats
        self.logger = logger
        self.download_timeout = download_timeout  # the setting, which retries carry along
        self.logged = 0

    def dumps(self, obj: Any) -> Any:
        return self.serializer.dumps(obj)

    def loads(self, text: str | bytes) -> dict[str, Any]:
        """The whitelisted entry, for ``request_from_dict``; refusals counted and logged."""
        try:
            return self._whitelisted(self._parse(text))
        except RefusedEntry as refused:
            self._note(refused.stat, f"refused a queue entry: {refused}")
            raise

    def _parse(self, text: str | bytes) -> dict[str, Any]:
        if len(text) > MAX_ENTRY_BYTES:
            raise _refused("too large", f"{len(text)} bytes")
        try:
            entry = self.serializer.loads(text)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            raise _refused("malformed", f"{type(exc).__name__}: {str(exc)[:200]}") from None
        if not isinstance(entry, dict):
            raise _refused("malformed", f"a {type(entry).__name__}, not an object")
        return entry

    def _whitelisted(self, entry: dict[str, Any]) -> dict[str, Any]:
        stripped: dict[str, list[str]] = {}
        url = self._url(entry.get("url"))
        method = entry.get("method", "GET")
        if method not in QUEUE_METHODS:
            raise _refused("method", f"{_short(method)} for {url}")
        callback, errback = entry.get("callback"), entry.get("errback")
        if not isinstance(callback, str) or callback not in QUEUE_CALLBACKS:
            raise _refused("callback", f"{_short(callback)} for {url}")
        if errback is not None and (not isinstance(errback, str)
                                    or errback not in QUEUE_ERRBACKS):
            raise _refused("callback", f"errback {_short(errback)} for {url}")
        priority = entry.get("priority", 0)
        if not _is_int(priority, -MAX_PRIORITY, MAX_PRIORITY):
            raise _refused("priority", f"{_short(priority)} for {url}")
        cb_kwargs = self._cb_kwargs(callback, entry.get("cb_kwargs") or {}, url)
        meta = self._meta(entry.get("meta") or {}, url, stripped)
        headers = self._headers(entry.get("headers") or {}, stripped)
        for field, what in (("body", "body"), ("cookies", "cookies"), ("_class", "class")):
            if entry.get(field):
                stripped.setdefault(what, []).append(_short(entry[field]))
        unknown = [_short(k) for k in entry if k not in _FIELDS]
        if unknown:
            stripped["fields"] = unknown
        for what, names in sorted(stripped.items()):
            self._note(f"newsarc/queue/stripped/{what}",
                       f"dropped from a queue entry for {url}: {what} {', '.join(names)}")
        return {"url": url, "callback": callback, "errback": errback, "method": method,
                "priority": priority, "meta": meta, "headers": headers, "cb_kwargs": cb_kwargs}

    def _url(self, url: Any, why: str = "url") -> str:
        if not isinstance(url, str) or len(url) > MAX_URL_LENGTH \
                or not _URL_CHARS.fullmatch(url):
            raise _refused(why, f"not a URL newsarc queues: {_short(url)}")
        refused = refusal(url, self.site)
        if refused is not None:
            kind, reason = refused
            if why != "url":
                raise _refused(why, f"{url}: {reason}")
            raise RefusedEntry(f"newsarc/scope/{kind}", f"{url}: {reason}")
        return url

    def _meta(self, raw: Any, url: str, stripped: dict[str, list[str]]) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise _refused("meta", f"a {type(raw).__name__} for {url}")
        meta: dict[str, Any] = {}
        for key, value in raw.items():
            if key in _RESET_META or (key == "download_timeout"
                                      and value == self.download_timeout):
                continue
            check = _META_CHECKS.get(key) if isinstance(key, str) else None
            if check is None:
                stripped.setdefault("meta", []).append(_short(key))
                continue
            if not check(self, value):
                raise _refused("meta", f"{key} {_short(value)} for {url}")
            meta[key] = value if not isinstance(value, list) else list(value)
        refers_to = meta.get("newsarc_refers_to")
        first = (meta.get("redirect_urls") or [url])[0]
        if refers_to and refers_to.get("id") not in (None, article_id(first)):
            raise _refused("meta", f"newsarc_refers_to names article {refers_to['id']}"
                                   f" for {url}")
        return meta

    def _urls(self, value: Any) -> bool:
        if not isinstance(value, list) or len(value) > MAX_STEPS:
            return False
        for url in value:
            self._url(url, "meta")
        return True

    def _headers(self, raw: Any, stripped: dict[str, list[str]]) -> dict[str, str]:
        if not isinstance(raw, dict):
            stripped.setdefault("headers", []).append(type(raw).__name__)
            return {}
        headers: dict[str, str] = {}
        for key, value in raw.items():
            name = key.decode("latin-1") if isinstance(key, bytes) else key
            if isinstance(name, str) and name.lower() in _RESET_HEADERS:
                continue
            values = value if isinstance(value, list) else [value]
            text = values[0] if len(values) == 1 else None  # newsarc sends each one once
            if isinstance(text, bytes):
                text = text.decode("latin-1")
            canonical = _KEPT_HEADERS.get(name.lower()) if isinstance(name, str) else None
            if canonical is None or not isinstance(text, str) or len(text) > MAX_URL_LENGTH \
                    or not _HEADER_CHARS.fullmatch(text) \
                    or (canonical == "Referer" and refusal(text, self.site) is not None):
                stripped.setdefault("headers", []).append(_short(name))
                continue
            headers[canonical] = text
        return headers

    def _cb_kwargs(self, callback: str, raw: Any, url: str) -> dict[str, Any]:
        """A list page's arguments (``OutletSpider._list_request``); none for the rest."""
        if callback != "parse_list":
            if raw:
                raise _refused("cb_kwargs", f"{_short(raw)} for {callback} of {url}")
            return {}
        if not isinstance(raw, dict) or set(raw) != {"path", "params", "page", "previous"}:
            raise _refused("cb_kwargs", f"{_short(raw)} for {url}")
        params, previous = raw["params"], raw["previous"]
        if raw["path"] not in (LIST_ALL_PATH, SECTION_LIST_PATH) \
                or not _is_int(raw["page"], 1, 10**7) \
                or not isinstance(params, dict) or len(params) > 8 \
                or not all(_is_text(k, 64) and _is_text(v) for k, v in params.items()) \
                or not isinstance(previous, (list, frozenset, set)) \
                or len(previous) > MAX_ITEMS \
                or not all(_is_int(n, 0, 10**12) for n in previous):
            raise _refused("cb_kwargs", f"{_short(raw)} for {url}")
        return {"path": raw["path"], "params": dict(params), "page": raw["page"],
                "previous": frozenset(previous)}

    def _note(self, stat: str, message: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(stat)
        if self.logger is None:
            return
        self.logged += 1
        if self.logged <= MAX_LOGGED:
            self.logger.warning(message)
        elif self.logged == MAX_LOGGED + 1:
            self.logger.warning("more queue entries refused or stripped: counted only "
                                "(newsarc/queue/… and newsarc/scope/… in the run's stats)")


def _refers_to(value: Any) -> bool:
    return isinstance(value, dict) and all(
        (k in _REFERS_TO_INTS and (v is None or _is_int(v, 0, 2**62)))
        or (k in _REFERS_TO_TEXTS and (v is None or _is_text(v)))
        for k, v in value.items())


def _reasons(value: Any) -> bool:
    return isinstance(value, list) and len(value) <= MAX_STEPS and all(
        _is_int(r, 300, 399) or _is_text(r, 64) for r in value)


# newsarc's own meta keys, and Scrapy's that its queued retries and redirects carry.
_META_CHECKS: dict[str, Callable[[QueueEntries, Any], bool]] = {
    "handle_httpstatus_list": lambda _, v: isinstance(v, list) and len(v) <= 1
    and all(_is_int(s, 304, 304) for s in v),  # a recheck's 304 alone
    "newsarc_refers_to": lambda _, v: _refers_to(v),
    "retry_times": lambda _, v: _is_int(v, 0, MAX_STEPS),
    "redirect_times": lambda _, v: _is_int(v, 0, MAX_STEPS),
    "redirect_ttl": lambda _, v: _is_int(v, 0, MAX_STEPS),
    "redirect_urls": QueueEntries._urls,
    "redirect_reasons": lambda _, v: _reasons(v),
    "depth": lambda _, v: _is_int(v, 0, 10**6),  # with Scrapy's DepthMiddleware back on
    "is_start_request": lambda _, v: isinstance(v, bool),  # Scrapy's mark on seeds
}
