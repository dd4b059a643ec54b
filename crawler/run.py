"""Running crawls in this process: one archive, one worker of a shared crawl, or a pool.

``newsarc crawl``, ``newsarc pool`` and ``newsarc demo`` start crawls through these
functions; ``scrapy crawl outlet`` starts the same spider with the same settings module.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.profile import DEFAULT_PROFILE


@dataclass(frozen=True)
class CrawlOptions:
    """How to crawl, whatever the site: what ``newsarc crawl`` takes besides SITE and DIR."""

    max_articles: int = 0
    no_throttle: bool = False
    profile: str = DEFAULT_PROFILE
    overrides: dict[str, Any] | None = None
    verbose: bool = False
    quiet: bool = False
    spider_args: dict[str, Any] | None = None


def crawl_settings(site: str, out: str | Path, options: CrawlOptions) -> Any:
    """The Scrapy settings of one crawl: the project's, then the options."""
    from scrapy.settings import Settings

    from crawler.profile import load_profile
    from crawler.urls import site_root

    site_root(site)
    load_profile(options.profile)
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if options.no_throttle:
        settings.setdict(settings.getdict("NO_THROTTLE"), priority="cmdline")
    verbose, quiet = options.verbose, options.quiet
    settings.setdict(
        {
            "NEWSARC_OUT": str(out),
            "NEWSARC_PROFILE": options.profile,
            "NEWSARC_MAX_ARTICLES": options.max_articles,
            "LOG_LEVEL": "INFO" if verbose else ("ERROR" if quiet else "WARNING"),
            "NEWSARC_QUIET": quiet,
            "NEWSARC_LOCK_HELD": True,
            **(options.overrides or {}),
        },
        priority="cmdline",
    )
    return settings


def run_crawl(
    site: str, out: str | Path, options: CrawlOptions | None = None, *,
    redis_url: str | None = None, worker: str | None = None,
) -> dict[str, Any]:
    """Run the ``outlet`` spider to completion in this process, holding the archive's lock
    (``ArchiveLocked`` when another run has it); return the run's summary.

    With ``redis_url`` this process is one worker of a distributed crawl: it writes the
    shard ``DIR/shards/<worker>/`` (locked for itself), and the last worker to finish
    merges the shards into ``DIR``."""
    from archive.lock import ArchiveLock

    options = options or CrawlOptions()
    settings = crawl_settings(site, out, options)
    if redis_url:
        _as_worker(settings, site, out, redis_url, worker)
        [stats] = _run_spiders([(settings, site)], options.spider_args)
        return _after_worker(stats, Path(out))
    with ArchiveLock(Path(out)) as lock:
        if lock.took_over:
            print(f"newsarc crawl: took over the lock of pid {lock.previous.get('pid')}, "
                  "which is gone", file=sys.stderr)
        [stats] = _run_spiders([(settings, site)], options.spider_args)
    return stats.get_value("newsarc/summary") or {}


@dataclass(frozen=True)
class PoolSite:
    """One outlet of a pool: its address, its archive, its profile."""

    url: str
    out: Path
    profile: str = DEFAULT_PROFILE


def load_pool(path: Path) -> list[PoolSite]:
    """A pool file: ``[[site]]`` tables with ``url``, ``out`` and optional ``profile``;
    relative ``out`` paths are relative to the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        sites = [PoolSite(s["url"], path.parent / s["out"], s.get("profile", DEFAULT_PROFILE))
                 for s in data.get("site", [])]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"bad pool file {path}: {exc}") from exc
    if not sites:
        raise ValueError(f"pool file {path} lists no [[site]]")
    if len({s.out.resolve() for s in sites}) != len(sites):
        raise ValueError(f"pool file {path}: two sites share an archive directory")
    return sites


def run_pool(sites: list[PoolSite], redis_url: str, worker: str | None,
             options: CrawlOptions) -> list[dict[str, Any]]:
    """One worker for several outlets at once, each crawl into its own archive, all in one
    process (one Scrapy crawler per outlet), each sharing its frontier in Redis."""
    jobs = []
    for site in sites:
        settings = crawl_settings(site.url, site.out,
                                  CrawlOptions(**{**options.__dict__, "profile": site.profile}))
        _as_worker(settings, site.url, site.out, redis_url, worker)
        jobs.append((settings, site.url))
    stats = _run_spiders(jobs, options.spider_args)
    return [_after_worker(s, site.out) for s, site in zip(stats, sites, strict=True)]


def _as_worker(settings: Any, site: str, out: str | Path, redis_url: str,
               worker: str | None) -> None:
    from crawler.distributed import default_worker_name, settings_for

    name = safe_name(worker or default_worker_name())
    settings.setdict(settings_for(site, redis_url, name, Path(out), settings), priority="cmdline")
    settings.set("NEWSARC_LOCK_HELD", False, priority="cmdline")


def _after_worker(stats: Any, out: Path) -> dict[str, Any]:
    """The last worker of a run merges the shards into the archive."""
    summary = stats.get_value("newsarc/summary") or {}
    if stats.get_value("newsarc/last_worker"):
        from archive.merge import merge

        summary["merge"] = merge(out).describe()
        print(f"newsarc: last worker for {out}: {summary['merge']}")
    return summary


# What Scrapy reads from the process's settings, not from each crawler's: the log level,
# the resolver and the reactor's thread pool (DNS lookups run there).
_PROCESS_SETTINGS = ("LOG_LEVEL", "TWISTED_DNS_RESOLVER", "DNS_RESOLVER", "DNS_TIMEOUT",
                     "DNSCACHE_ENABLED", "DNSCACHE_SIZE", "REACTOR_THREADPOOL_MAXSIZE")


def _run_spiders(jobs: list[tuple[Any, str]], spider_args: dict[str, Any] | None) -> list[Any]:
    """Run one ``outlet`` crawler per (settings, site) in one reactor; their stats."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler.watchdog import install_stop_handlers

    # The process's own settings stay at project priority: Scrapy merges them into each
    # crawler, and equal priority would overwrite one outlet's settings with another's.
    shared = Settings()
    shared.setmodule("crawler.settings", priority="project")
    first = jobs[0][0]
    for name in _PROCESS_SETTINGS:  # set for the crawl: the first site's hold for the process
        if (first.getpriority(name) or 0) > (shared.getpriority(name) or 0):
            shared.set(name, first[name], priority="project")
    process = CrawlerProcess(shared)
    crawlers, failures = [], []
    for settings, site in jobs:
        crawler = process.create_crawler(_outlet_spider(settings))
        # A crawl that fails to start (its archive unreadable, a bad setting) fails this
        # deferred, which Scrapy logs nowhere: its error is raised once the reactor stops.
        process.crawl(crawler, site=site, **(spider_args or {})).addErrback(failures.append)
        crawlers.append(crawler)
    # SIGINT and SIGTERM stop within seconds, even while a page is being parsed.
    install_stop_handlers(process.stop)
    process.start(install_signal_handlers=False)
    if failures:
        failures[0].raiseException()
    return [c.stats for c in crawlers]


def _outlet_spider(settings: Any) -> type:
    """The ``outlet`` spider with one crawl's settings: a crawler starts from the process's
    settings and lets its spider class add its own (``Spider.update_settings``), so each
    outlet of a pool crawls with its own; each setting keeps its priority."""
    from crawler.spiders.outlet import OutletSpider

    class Outlet(OutletSpider):
        @classmethod
        def update_settings(cls, target: Any) -> None:
            super().update_settings(target)
            target.update(settings)

    Outlet.__name__ = Outlet.__qualname__ = OutletSpider.__name__
    return Outlet


def safe_name(name: str) -> str:
    """A worker name as it may appear in file names: letters, digits, - and _."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:64]
    if not safe.strip("-_"):
        raise ValueError(f"unusable worker name {name!r}")
    return safe
