"""Extensions: the run's bookkeeping, progress while it runs, its summary when it ends."""

from __future__ import annotations

import sys
import time
from typing import Any

from scrapy import signals
from twisted.internet import task

from archive.timeutil import utc_now_iso
from crawler import drift
from crawler.archivist import Archivist
from crawler.storage import EXIT_STORAGE, STAT_KEY

EXIT_OK, EXIT_ERRORS = 0, 1
FAILURES_LISTED = 20  # in the printed summary; the run's JSON file keeps up to FAILURES_KEPT
FAILURES_KEPT = 1000


class CrawlReport:
    """Prints a progress line every ``NEWSARC_PROGRESS_INTERVAL`` seconds (stderr), and at
    the end has the archivist (``crawler/archivist.py``) close the archive with the run's
    numbers (the catalog's run row, ``DIR/runs/<start>.json``) and prints a summary (stdout;
    one line when ``NEWSARC_QUIET`` is set, for cron).

    The summary lists the URLs that failed for good, with their reasons (the catalog keeps
    them for the next run).  A run stopped because the archive cannot be written ends with
    one line on stderr naming the directory and the error, and exit code 74; whatever of
    the run's bookkeeping can still be written is.  A run whose article pages show template
    drift (``crawler/drift.py``: too many extracted by the fallback path, or missing
    fields) says so in a ``warning: template drift`` line and exits 1, so that cron and
    systemd tell the operator that the outlet's pages changed."""

    def __init__(self, crawler: Any, archivist: Archivist) -> None:
        self.crawler = crawler
        self.archivist = archivist
        self.stats = crawler.stats
        self.interval = crawler.settings.getfloat("NEWSARC_PROGRESS_INTERVAL")
        self.quiet = crawler.settings.getbool("NEWSARC_QUIET")
        self.drift_threshold = crawler.settings.getfloat("NEWSARC_DRIFT_THRESHOLD")
        self.drift_min_pages = crawler.settings.getint("NEWSARC_DRIFT_MIN_PAGES")
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()
        self.started_at = utc_now_iso()
        self.responses = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlReport:
        report = cls(crawler, Archivist.of(crawler))
        crawler.signals.connect(report.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(report.response_downloaded,
                                signal=signals.response_downloaded)
        return report

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.started_at = utc_now_iso()
        if self.archivist.session is None:  # the archive could not be opened; it says why
            return
        if self.interval > 0 and not self.quiet:
            self.loop = task.LoopingCall(self.progress)
            self.loop.start(self.interval, now=False)

    def response_downloaded(self) -> None:
        """Count every response the downloader got (Scrapy's DownloaderStats, which also
        counts bytes, is off: see crawler/settings.py)."""
        self.responses += 1

    def progress(self) -> None:
        s = self.summary()
        print(
            f"[newsarc] {s['seconds']:.0f}s: {s['pages_fetched']} pages fetched, "
            f"{s['articles_written']} articles written, {s['skipped_total']} skipped, "
            f"{s['errors_total']} errors",
            file=sys.stderr, flush=True,
        )

    def summary(self, reason: str | None = None) -> dict[str, Any]:
        """The crawl's numbers, from Scrapy's stats and newsarc's own counters."""
        values = self.stats.get_stats()
        spider = self.crawler.spider
        skipped = _prefixed(values, "newsarc/skipped/")
        errors = _prefixed(values, "newsarc/errors/")
        articles = _prefixed(values, "newsarc/articles/")
        failures = list(self.archivist.failures)
        return {
            "site": getattr(spider, "root", None),
            "mode": getattr(spider, "mode", None),
            "run_id": self.archivist.run_id,
            "started_at": self.started_at,
            "finished_at": utc_now_iso() if reason else None,
            "finish_reason": reason,
            "seconds": round(time.monotonic() - self.started, 2),
            "pages_fetched": self.responses,
            "articles_written": articles.get("written", 0),
            "articles_new": articles.get("new", 0),
            "articles_changed": articles.get("changed", 0),
            "articles_unchanged": articles.get("unchanged", 0) + articles.get("not_modified", 0),
            "rechecked": values.get("newsarc/rechecks", 0),
            "gaps_probed": values.get("newsarc/gaps_probed", 0),
            # Gap probing's range (lists and feeds), what the per-run cap left to the next
            # runs, and stored numbers past the range (suspect: never probed around).
            "gaps_range": values.get("newsarc/gaps/range"),
            "gaps_left": values.get("newsarc/gaps/left", 0),
            "gaps_beyond_range": values.get("newsarc/gaps/beyond_range", 0),
            "pages": _prefixed(values, "newsarc/pages/"),
            "skipped": skipped,
            "skipped_total": sum(skipped.values()),
            "errors": errors,
            "errors_total": sum(errors.values()),
            "retries": {k.rsplit(".", 1)[-1]: v  # exception names without their module
                        for k, v in _prefixed(values, "retry/reason_count/").items()},
            "failures_total": len(failures),
            "failures": failures[:FAILURES_KEPT],
            "failures_retried": values.get("newsarc/failures_retried", 0),
            "failures_recovered": values.get("newsarc/failures_recovered", 0),
            "storage_error": values.get(STAT_KEY),
            "extraction": drift.counts(values),
            "warc_records": _prefixed(values, "newsarc/warc/"),
            "robots_forbidden": values.get("robotstxt/forbidden", 0),
            # crawler.scope's refusals and those of Scrapy's offsite filter behind it.
            "offsite_filtered": sum(_prefixed(values, "newsarc/scope/").values())
            + values.get("offsite/filtered", 0),
            # The duplicate filter keeps one fingerprint per request scheduled.
            "requests_scheduled": values.get("scheduler/enqueued", 0),
            "duplicates_filtered": values.get("dupefilter/filtered", 0),
            # Entries of a distributed crawl's shared queue (crawler.distributed.QueueEntries).
            "queue_refused": _prefixed(values, "newsarc/queue/refused/"),
            "queue_stripped": _prefixed(values, "newsarc/queue/stripped/"),
        }

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        summary = self.archivist.close(lambda: self._closing_summary(reason))
        print(format_line(summary) if self.quiet else format_summary(summary), flush=True)
        if self.quiet and summary["drift"]:  # the one stdout line stays one line
            print(drift.format_warning(summary["drift"]), file=sys.stderr, flush=True)
        if summary["storage_error"]:
            print(f"newsarc crawl: stopped: {summary['storage_error']}", file=sys.stderr,
                  flush=True)

    def _closing_summary(self, reason: str) -> dict[str, Any]:
        summary = self.summary(reason)
        summary["drift"] = drift.assess(summary["extraction"], self.drift_threshold,
                                        self.drift_min_pages)
        if summary["storage_error"]:
            summary["exit_code"], status = EXIT_STORAGE, "storage_error"
        else:
            # A run stopped by a signal did not finish its work: never a success.
            failed = (summary["errors_total"] or summary["drift"] or summary["queue_refused"]
                      or reason == "shutdown")
            summary["exit_code"] = EXIT_ERRORS if failed else EXIT_OK
            status = "finished" if reason == "finished" else (
                "partial" if reason.startswith("closespider") else reason)
        summary["status"] = status
        self.stats.set_value("newsarc/summary", summary)
        return summary


def _prefixed(values: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix):]: v for k, v in sorted(values.items()) if k.startswith(prefix)}


def _failure_lines(s: dict[str, Any]) -> list[str]:
    """The URLs that failed for good, with why; the next run requests them again."""
    total = s.get("failures_total", 0)
    earlier = (f"; {s.get('failures_recovered', 0)} of {s['failures_retried']} earlier "
               "failures recovered" if s.get("failures_retried") else "")
    if not total:
        return [f"  failed            0{earlier}"] if earlier else []
    lines = [f"  failed            {total}, to be retried by the next run{earlier}:"]
    lines += [f"    {f['url']}  {f['reason']}" for f in s["failures"][:FAILURES_LISTED]]
    if total > FAILURES_LISTED:
        lines.append(f"    ... and {total - FAILURES_LISTED} more (catalog table failures)")
    return lines


def format_line(s: dict[str, Any]) -> str:
    """One line for cron mail and logs."""
    return (f"newsarc: run {s['run_id'] or '-'} ({s['mode']}) {s['status']}: "
            f"{s['articles_new']} new, {s['articles_changed']} changed, "
            f"{s['articles_unchanged']} unchanged, {s['errors_total']} errors; "
            f"{s['pages_fetched']} requests in {s['seconds']:.1f} s")


def format_summary(s: dict[str, Any]) -> str:
    """A human summary: what was fetched, written, skipped and why, and what failed."""
    def detail(counts: dict[str, int]) -> str:
        return ", ".join(f"{k}: {v}" for k, v in counts.items()) or "none"

    retries = s.get("retries") or {}
    return "\n".join([
        f"newsarc crawl of {s['site']} ({s['mode']}, run {s['run_id'] or '-'}) "
        f"{s['finish_reason']} in {s['seconds']:.1f} s",
        f"  pages fetched     {s['pages_fetched']} ({detail(s['pages'])})",
        f"  articles written  {s['articles_written']} (new: {s['articles_new']}, changed: "
        f"{s['articles_changed']}; unchanged, not rewritten: {s['articles_unchanged']})",
        f"  rechecked         {s['rechecked']}, gaps probed {s['gaps_probed']}",
        *_gap_lines(s),
        f"  skipped           {s['skipped_total']} ({detail(s['skipped'])})",
        f"  retried           {sum(retries.values())} ({detail(retries)})",
        f"  errors            {s['errors_total']} ({detail(s['errors'])})",
        *_failure_lines(s),
        f"  robots.txt forbade {s['robots_forbidden']}, off-site links dropped "
        f"{s['offsite_filtered']}",
        *_queue_lines(s),
        *_extraction_lines(s),
        format_line(s),
    ])


def _gap_lines(s: dict[str, Any]) -> list[str]:
    """What gap probing did not do this run, when there is something: the gaps the per-run
    cap left for later runs, and stored article numbers far past the listed range."""
    left, beyond = s.get("gaps_left", 0), s.get("gaps_beyond_range", 0)
    if not left and not beyond:
        return []
    low, high = s.get("gaps_range") or ("-", "-")
    return [f"  gap range         {low}-{high} (lists and feed): {left} gaps left for later "
            f"runs, {beyond} stored numbers beyond it not probed around"]


def _queue_lines(s: dict[str, Any]) -> list[str]:
    """A distributed worker's refusals of queue entries: a sign of a tampered queue."""
    refused, stripped = s.get("queue_refused") or {}, s.get("queue_stripped") or {}
    if not refused and not stripped:
        return []
    refused_detail = ", ".join(f"{k}: {v}" for k, v in refused.items()) or "none"
    stripped_detail = ", ".join(f"{k}: {v}" for k, v in stripped.items()) or "none"
    return [f"  queue entries     {sum(refused.values())} refused ({refused_detail}), "
            f"{sum(stripped.values())} settings dropped ({stripped_detail})"]


def _extraction_lines(s: dict[str, Any]) -> list[str]:
    """How article pages were extracted, and the drift warning when there is one."""
    e = s.get("extraction")
    if not e or not e["article_pages"]:
        return []
    missing = ", ".join(f"{name} {n}" for name, n in e["missing"].items())
    lines = [f"  extraction        {e['article_pages']} article pages (profile: "
             f"{e['methods']['profile']}, fallback: {e['methods']['fallback']}; "
             f"missing {missing})"]
    if s.get("drift"):
        lines.append(drift.format_warning(s["drift"]))
    return lines


class ContactUserAgent:
    """Add-on (``ADDONS``): the User-Agent names the operator's contact,
    ``newsarc/VERSION (+CONTACT)``, when ``NEWSARC_CONTACT`` is set (``crawler/settings.py``
    reads it from the environment; ``-s NEWSARC_CONTACT=...`` also works).  A User-Agent
    set explicitly (``-s USER_AGENT=...``) is kept as given."""

    def update_settings(self, settings: Any) -> None:
        from scrapy.settings import SETTINGS_PRIORITIES

        from crawler.settings import user_agent

        if (settings.getpriority("USER_AGENT") or 0) > SETTINGS_PRIORITIES["project"]:
            return
        settings.set("USER_AGENT", user_agent(settings.get("NEWSARC_VERSION"),
                                              settings.get("NEWSARC_CONTACT")),
                     priority="project")
