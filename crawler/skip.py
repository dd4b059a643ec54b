"""What extraction answers for a page that yields no record.

A module of its own, apart from :mod:`crawler.extract`: a crawl that extracts in worker
processes (``crawler/extract_pool.py``) receives skips from them, and neither that nor the
spider's checks should load the extractor (trafilatura and what it imports, a tenth of a
second of every start) into the crawl process.

A ``Skip`` has a ``kind`` (``SkipKind``), which is what code decides by: whether the page
is retried (``retryable``), which stats counter it goes to (``label``), which fields it
says template drift lost (``missing``).  Its ``reason`` is the text people read (the crawl
log, ``newsarc extract``'s ``{"skipped": reason}``), free to be reworded.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SkipKind(enum.Enum):
    """Why a page yields no record."""

    # The answer is broken, not the article absent: retried like a server error.
    EMPTY = "empty"
    BINARY = "binary"
    TRUNCATED = "truncated"
    EXTRACTION_DIED = "extraction_died"  # the worker process extracting it died
    # The page is no article, or not one extraction can read.
    SOFT_404 = "soft_404"  # the CMS's missing-article stub: the article is recorded missing
    NOT_HTML = "not_html"
    UNPARSEABLE = "unparseable"
    NOT_ARTICLE = "not_article"  # no headline and no body
    LIST_PAGE = "list_page"
    NO_ARTICLE_NUMBER = "no_article_number"
    NO_HEADLINE = "no_headline"
    NO_BODY = "no_body"
    UNREADABLE = "unreadable"  # newsarc extract: the file could not be read

    @property
    def label(self) -> str:
        """The stats counter it is counted under, ``skipped/LABEL`` (two kinds share one)."""
        return _LABELS[self]

    @property
    def retryable(self) -> bool:
        """Whether an article URL answering so is fetched again (then failed), as a server
        error would be, rather than recorded as skipped."""
        return self in _RETRYABLE

    @property
    def missing(self) -> tuple[str, ...]:
        """The record fields (``crawler/drift.py``'s names) such a skip of an article page
        says were not found: a redesign the fallback cannot read looks like this."""
        return _MISSING.get(self, ())


_LABELS = {
    SkipKind.EMPTY: "empty page",
    SkipKind.BINARY: "binary data, not HTML",
    SkipKind.TRUNCATED: "truncated HTML",
    SkipKind.EXTRACTION_DIED: "the extraction process died",
    SkipKind.SOFT_404: "soft-404",
    SkipKind.NOT_HTML: "not HTML",
    SkipKind.UNPARSEABLE: "unparseable HTML",
    SkipKind.NOT_ARTICLE: "not an article page",
    SkipKind.LIST_PAGE: "not an article page",
    SkipKind.NO_ARTICLE_NUMBER: "no article number",
    SkipKind.NO_HEADLINE: "no headline",
    SkipKind.NO_BODY: "no body text",
    SkipKind.UNREADABLE: "unreadable file",
}
_RETRYABLE = frozenset({SkipKind.EMPTY, SkipKind.BINARY, SkipKind.TRUNCATED,
                        SkipKind.EXTRACTION_DIED})
_MISSING = {
    SkipKind.NO_HEADLINE: ("title",),
    SkipKind.NO_BODY: ("body",),
    SkipKind.NOT_ARTICLE: ("title", "body"),
}


@dataclass(frozen=True)
class Skip:
    """A page that yields no record: what kind of skip, and why in words (counted in the
    crawl summary by kind).  ``Skip(kind)`` has the kind's label as its reason."""

    kind: SkipKind
    reason: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.kind, SkipKind):
            raise TypeError(f"Skip(kind, reason): kind must be a SkipKind, not {self.kind!r}")
        if not self.reason:
            object.__setattr__(self, "reason", self.kind.label)

    @property
    def retryable(self) -> bool:
        """See ``SkipKind.retryable``."""
        return self.kind.retryable
