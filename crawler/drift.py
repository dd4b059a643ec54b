"""Template drift: an outlet redesigned its article pages, and extraction quietly degrades.

After a redesign the profile's body selectors find nothing, so pages go through the
whole-page fallback, or fields (date, reporter) stop being found; every page still "works",
so a scheduled crawl would keep exiting 0 while the corpus fills with worse records.  Each
article page's outcome is counted in Scrapy's stats (``note``), and at the end of the run
``assess`` compares the shares with ``NEWSARC_DRIFT_THRESHOLD``: the run report prints a
``warning: template drift`` line, its JSON carries a ``drift`` object, and the crawl exits 1.

Counted per article page extracted (a record, stored or not) or skipped for a missing
headline or body text: the extraction method (``profile`` or ``fallback``), and each of
title, published, reporter (no author) and body found missing.
"""

from __future__ import annotations

from typing import Any

from crawler.skip import Skip

PREFIX = "newsarc/extraction/"
METHODS = ("profile", "fallback")
FIELDS = ("title", "published", "reporter", "body")
# Skips of an article page that mean a field was not found (the page is not stored at all)
# are those whose kind names missing fields (``SkipKind.missing``: no headline, no body
# text, and "not an article page" for want of both, which is what a redesign the fallback
# cannot read looks like on an article URL).
WARNING = "warning: template drift"


def missing_fields(record: dict[str, Any]) -> list[str]:
    """The fields among ``FIELDS`` a record lacks."""
    present = {"title": record.get("title"), "published": record.get("published"),
               "reporter": record.get("authors"), "body": record.get("body")}
    return [name for name in FIELDS if not present[name]]


def note(stats: Any, result: dict[str, Any] | Skip, url: str) -> None:
    """Count one article page's extraction outcome in the crawl's stats (Skips other than
    a missing headline or body say the page is no article, or is broken: not counted)."""
    if isinstance(result, Skip):
        missing = list(result.kind.missing)
        if not missing:
            return
    else:
        method = (result.get("extraction") or {}).get("method") or "profile"
        stats.inc_value(f"{PREFIX}method/{method}")
        if method == "fallback":
            _example(stats, "fallback", url)
        missing = missing_fields(result)
    stats.inc_value(f"{PREFIX}pages")
    for name in missing:
        stats.inc_value(f"{PREFIX}missing/{name}")
    if missing:
        stats.inc_value(f"{PREFIX}incomplete")
        _example(stats, "missing", url)


def _example(stats: Any, kind: str, url: str) -> None:
    key = f"{PREFIX}example/{kind}"
    if stats.get_value(key) is None:
        stats.set_value(key, url)


def counts(values: dict[str, Any]) -> dict[str, Any]:
    """The run's extraction numbers, from its stats: what the JSON report and
    ``newsarc stats`` keep."""
    def get(key: str) -> int:
        return int(values.get(PREFIX + key, 0))

    return {
        "article_pages": get("pages"),
        "methods": {method: get(f"method/{method}") for method in METHODS},
        "missing": {name: get(f"missing/{name}") for name in FIELDS},
        "incomplete": get("incomplete"),
        "examples": {kind: values[PREFIX + f"example/{kind}"] for kind in ("fallback", "missing")
                     if values.get(PREFIX + f"example/{kind}")},
    }


def assess(extraction: dict[str, Any], threshold: float, min_pages: int) -> dict[str, Any] | None:
    """The drift alarm, or None.  It fires when at least ``min_pages`` article pages were
    counted (a run of three pages with one odd one is no trend) and the fallback share or
    the share of pages missing a field reaches ``threshold`` (0 turns the alarm off)."""
    pages = extraction["article_pages"]
    if threshold <= 0 or pages < max(min_pages, 1):
        return None
    fallback_share = extraction["methods"]["fallback"] / pages
    missing_share = extraction["incomplete"] / pages
    reasons = [name for name, share in (("fallback", fallback_share),
                                        ("missing", missing_share)) if share >= threshold]
    if not reasons:
        return None
    examples = extraction["examples"]
    return {
        "reasons": reasons,
        "article_pages": pages,
        "fallback": extraction["methods"]["fallback"],
        "fallback_share": round(fallback_share, 4),
        "incomplete": extraction["incomplete"],
        "missing_share": round(missing_share, 4),
        "missing": dict(extraction["missing"]),
        "threshold": threshold,
        "min_pages": min_pages,
        "example": next((examples[r] for r in reasons if r in examples), None),
    }


def format_warning(drift: dict[str, Any]) -> str:
    """The summary's one line: counts, shares, threshold and an example page."""
    missing = ", ".join(f"{name} {n}" for name, n in drift["missing"].items())
    return (f"{WARNING}: {drift['fallback']} of {drift['article_pages']} article pages "
            f"({drift['fallback_share']:.0%}) extracted by the fallback path, "
            f"{drift['incomplete']} ({drift['missing_share']:.0%}) missing a field "
            f"({missing}); threshold {drift['threshold']:.0%}; "
            f"example {drift['example'] or '-'}")
