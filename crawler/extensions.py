"""Extensions: progress while a crawl runs, and its summary when it ends."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from scrapy import signals
from twisted.internet import task

from archive.timeutil import utc_now_iso


class CrawlReport:
    """Prints a progress line every ``NEWSARC_PROGRESS_INTERVAL`` seconds (stderr) and a
    summary at the end (stdout); saves the summary as ``DIR/runs/<start>.json``."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.interval = crawler.settings.getfloat("NEWSARC_PROGRESS_INTERVAL")
        self.out = crawler.settings.get("NEWSARC_OUT")
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
        if self.interval > 0:
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
        skipped = _prefixed(values, "newsarc/skipped/")
        errors = _prefixed(values, "newsarc/errors/")
        return {
            "site": getattr(self.crawler.spider, "root", None),
            "started_at": self.started_at,
            "finished_at": utc_now_iso() if reason else None,
            "finish_reason": reason,
            "seconds": round(time.monotonic() - self.started, 2),
            "pages_fetched": values.get("downloader/response_count", 0),
            "articles_written": values.get("newsarc/articles/written", 0),
            "articles_unchanged": values.get("newsarc/articles/unchanged", 0),
            "pages": _prefixed(values, "newsarc/pages/"),
            "skipped": skipped,
            "skipped_total": sum(skipped.values()),
            "errors": errors,
            "errors_total": sum(errors.values()),
            "robots_forbidden": values.get("robotstxt/forbidden", 0),
            "offsite_filtered": values.get("offsite/filtered", 0),
        }

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        summary = self.summary(reason)
        self.stats.set_value("newsarc/summary", summary)
        if self.out:
            runs = Path(self.out) / "runs"
            runs.mkdir(parents=True, exist_ok=True)
            name = summary["started_at"].replace(":", "").replace("+0000", "Z")
            (runs / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
        print(format_summary(summary), flush=True)


def _prefixed(values: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix):]: v for k, v in sorted(values.items()) if k.startswith(prefix)}


def format_summary(s: dict[str, Any]) -> str:
    """A human summary: what was fetched, written, skipped and why, and what failed."""
    def detail(counts: dict[str, int]) -> str:
        return ", ".join(f"{k}: {v}" for k, v in counts.items()) or "none"

    return "\n".join([
        f"newsarc crawl of {s['site']} {s['finish_reason']} in {s['seconds']:.1f} s",
        f"  pages fetched     {s['pages_fetched']} ({detail(s['pages'])})",
        f"  articles written  {s['articles_written']}"
        f" (unchanged, not rewritten: {s['articles_unchanged']})",
        f"  skipped           {s['skipped_total']} ({detail(s['skipped'])})",
        f"  errors            {s['errors_total']} ({detail(s['errors'])})",
        f"  robots.txt forbade {s['robots_forbidden']}, off-site links dropped "
        f"{s['offsite_filtered']}",
    ])
