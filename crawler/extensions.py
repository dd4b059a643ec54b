"""Extensions: the run's bookkeeping, progress while it runs, its summary when it ends."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from scrapy import signals
from twisted.internet import task

from archive.timeutil import utc_now_iso

EXIT_OK, EXIT_ERRORS = 0, 1


class CrawlReport:
    """Opens the run in the catalog, prints a progress line every
    ``NEWSARC_PROGRESS_INTERVAL`` seconds (stderr), and at the end closes the run with its
    numbers, saves them as ``DIR/runs/<start>.json`` and prints a summary (stdout; one
    line when ``NEWSARC_QUIET`` is set, for cron)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.interval = crawler.settings.getfloat("NEWSARC_PROGRESS_INTERVAL")
        self.quiet = crawler.settings.getbool("NEWSARC_QUIET")
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()
        self.started_at = utc_now_iso()

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlReport:
        report = cls(crawler)
        crawler.signals.connect(report.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        return report

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.started_at = utc_now_iso()
        session = spider.session
        session.run_id = session.catalog.start_run(spider.root, spider.mode)
        if session.lock is not None and session.lock.took_over:
            spider.logger.warning("took over the lock of pid %s, which is gone",
                                  session.lock.previous.get("pid"))
        if session.repaired_bytes:
            spider.logger.warning("articles.jsonl ended in a half-written line (%d bytes); "
                                  "moved to articles.jsonl.partial", session.repaired_bytes)
        if session.reconciled:
            spider.logger.warning("catalog caught up with %d corpus records", session.reconciled)
        if self.interval > 0 and not self.quiet:
            self.loop = task.LoopingCall(self.progress)
            self.loop.start(self.interval, now=False)

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
        return {
            "site": getattr(spider, "root", None),
            "mode": getattr(spider, "mode", None),
            "run_id": getattr(getattr(spider, "session", None), "run_id", None),
            "started_at": self.started_at,
            "finished_at": utc_now_iso() if reason else None,
            "finish_reason": reason,
            "seconds": round(time.monotonic() - self.started, 2),
            "pages_fetched": values.get("downloader/response_count", 0),
            "articles_written": articles.get("written", 0),
            "articles_new": articles.get("new", 0),
            "articles_changed": articles.get("changed", 0),
            "articles_unchanged": articles.get("unchanged", 0) + articles.get("not_modified", 0),
            "rechecked": values.get("newsarc/rechecks", 0),
            "gaps_probed": values.get("newsarc/gaps_probed", 0),
            "pages": _prefixed(values, "newsarc/pages/"),
            "skipped": skipped,
            "skipped_total": sum(skipped.values()),
            "errors": errors,
            "errors_total": sum(errors.values()),
            "warc_records": _prefixed(values, "newsarc/warc/"),
            "robots_forbidden": values.get("robotstxt/forbidden", 0),
            "offsite_filtered": values.get("offsite/filtered", 0),
        }

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        summary = self.summary(reason)
        summary["exit_code"] = EXIT_ERRORS if summary["errors_total"] else EXIT_OK
        status = "finished" if reason == "finished" else (
            "partial" if reason.startswith("closespider") else reason)
        summary["status"] = status
        self.stats.set_value("newsarc/summary", summary)
        session = spider.session
        session.catalog.finish_run(session.run_id, status, summary["exit_code"], summary)
        session.close()
        runs = Path(session.directory) / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        name = summary["started_at"].replace(":", "").replace("+0000", "Z")
        (runs / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
        print(format_line(summary) if self.quiet else format_summary(summary), flush=True)


def _prefixed(values: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix):]: v for k, v in sorted(values.items()) if k.startswith(prefix)}


def format_line(s: dict[str, Any]) -> str:
    """One line for cron mail and logs."""
    return (f"newsarc: run {s['run_id']} ({s['mode']}) {s['status']}: "
            f"{s['articles_new']} new, {s['articles_changed']} changed, "
            f"{s['articles_unchanged']} unchanged, {s['errors_total']} errors; "
            f"{s['pages_fetched']} requests in {s['seconds']:.1f} s")


def format_summary(s: dict[str, Any]) -> str:
    """A human summary: what was fetched, written, skipped and why, and what failed."""
    def detail(counts: dict[str, int]) -> str:
        return ", ".join(f"{k}: {v}" for k, v in counts.items()) or "none"

    return "\n".join([
        f"newsarc crawl of {s['site']} ({s['mode']}, run {s['run_id']}) {s['finish_reason']} "
        f"in {s['seconds']:.1f} s",
        f"  pages fetched     {s['pages_fetched']} ({detail(s['pages'])})",
        f"  articles written  {s['articles_written']} (new: {s['articles_new']}, changed: "
        f"{s['articles_changed']}; unchanged, not rewritten: {s['articles_unchanged']})",
        f"  rechecked         {s['rechecked']}, gaps probed {s['gaps_probed']}",
        f"  skipped           {s['skipped_total']} ({detail(s['skipped'])})",
        f"  errors            {s['errors_total']} ({detail(s['errors'])})",
        f"  robots.txt forbade {s['robots_forbidden']}, off-site links dropped "
        f"{s['offsite_filtered']}",
        format_line(s),
    ])
