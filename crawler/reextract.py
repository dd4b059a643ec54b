"""``newsarc reextract``: rebuild the corpus from the WARC files alone.

A better extractor can then be applied to an old archive without crawling again.  The
article responses are taken in capture order (WARC-Date), each goes through the one public
extraction function, ``crawler.extract.extract``, and versions are numbered as the crawl
numbers them, so an unchanged archive gives back its ``articles.jsonl`` record for record.

WARC files may come from elsewhere, so nothing read is trusted with memory or with the
result: a payload decoding to more than the crawl's own size cap (a gzip bomb a hostile
site sent, which the crawl stored as sent) is flagged and skipped, not inflated; a file cut
off or garbled is named with the byte where the damage starts, its records before that
are used.  Either is a problem of the run (:class:`Report`), so the command exits 1: never
a partial corpus that looks whole.  The output appears whole or not at all.

This lives in ``crawler/``, beside the extractor: ``archive/`` reads WARC files
(``archive.warc.response_captures``) but knows no CMS and imports nothing of the crawler.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.corpus import dumps
from archive.safeio import atomic_writer
from archive.timeutil import fetched_at
from archive.warc import (
    DEFAULT_PAYLOAD_CAP,
    WARC_DIR,
    PayloadTooLarge,
    describe_error,
    read_payload_at,
    response_captures,
)
from crawler import extract as extraction  # its one public function, looked up per call
from crawler.profile import DEFAULT_PROFILE
from crawler.urls import recorded_as_article


@dataclass
class Report:
    """What a re-extraction made, and one line per WARC file or capture it could not use."""

    records: int = 0
    captures: int = 0
    problems: list[str] = field(default_factory=list)


def reextract(archive: Path, profile: str = DEFAULT_PROFILE, *,
              max_payload: int = DEFAULT_PAYLOAD_CAP,
              report: Report | None = None) -> Iterator[dict[str, Any]]:
    """Records re-extracted from every article capture, versions numbered as the crawl does.
    ``report`` collects the counts and problems (damaged files, oversized payloads)."""
    report = report if report is not None else Report()
    latest: dict[int, tuple[int, str]] = {}
    for location in response_captures(archive, recorded_as_article, report.problems):
        report.captures += 1
        where = f"{WARC_DIR}/{location.filename} @{location.offset}"
        try:
            record, payload = read_payload_at(archive, location.as_dict(), max_payload)
        except PayloadTooLarge as exc:
            report.problems.append(f"{where}: not extracted: {exc} (the size cap, "
                                   "--max-payload); not inflated further")
            continue
        except Exception as exc:  # the file changed since it was scanned
            report.problems.append(f"{where}: unreadable: {describe_error(exc)}")
            continue
        content_type = record.http_headers.get_header("Content-Type")
        url = record.rec_headers.get_header("WARC-Target-URI")
        result = extraction.extract(payload, url, content_type=content_type, profile=profile)
        if isinstance(result, extraction.Skip):
            continue
        version, digest = latest.get(result["id"], (0, ""))
        if digest == result["content_hash"]:
            continue
        result["version"] = version + 1
        result["fetched_at"] = fetched_at(location.date)
        result["warc"] = location.as_dict()
        latest[result["id"]] = (version + 1, result["content_hash"])
        yield result


def write_reextracted(archive: Path, out: Path, profile: str = DEFAULT_PROFILE, *,
                      max_payload: int = DEFAULT_PAYLOAD_CAP) -> Report:
    """Write the re-extracted corpus to ``out`` (never over the crawl's own corpus), whole or
    not at all: an error or interrupt leaves no temporary file behind."""
    report = Report()
    with atomic_writer(out, text=True) as handle:
        for record in reextract(archive, profile, max_payload=max_payload, report=report):
            handle.write(dumps(record))
            report.records += 1
    return report
