"""What extraction answers for a page that yields no record.

A module of its own, apart from :mod:`crawler.extract`: a crawl that extracts in worker
processes (``crawler/extract_pool.py``) receives skips from them, and neither that nor the
spider's checks should load the extractor (trafilatura and what it imports, a tenth of a
second of every start) into the crawl process.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Skip:
    """A page that yields no record, and why (counted in the crawl summary)."""

    reason: str
