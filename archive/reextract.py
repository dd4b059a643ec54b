"""``newsarc reextract``: rebuild the corpus from the WARC files alone.

A better extractor can then be applied to an old archive without crawling again.  The
article responses are taken in capture order (WARC-Date), each goes through the one public
extraction function, ``crawler.extract.extract``, and versions are numbered as the crawl
numbers them, so an unchanged archive gives back its ``articles.jsonl`` record for record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from archive.corpus import dumps
from archive.timeutil import fetched_at
from archive.warc import WarcLocation, read_record_at, warc_files

ARTICLE_PATH = "/news/article.html?no="


def _article_captures(archive: Path) -> list[WarcLocation]:
    """Locations of the 200 responses for canonical article URLs, oldest capture first."""
    captures = []
    for path in warc_files(archive):
        with path.open("rb") as handle:
            records = ArchiveIterator(handle)
            for record in records:
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                if record.rec_type != "response" or ARTICLE_PATH not in uri:
                    continue
                status = record.http_headers.get_statuscode() if record.http_headers else ""
                records.read_to_end()
                if status == "200":
                    captures.append(WarcLocation(
                        path.name, records.get_record_offset(), records.get_record_length(),
                        record.rec_headers.get_header("WARC-Record-ID"),
                        record.rec_headers.get_header("WARC-Date"),
                    ))
    return sorted(captures, key=lambda c: (c.date, c.filename, c.offset))


def reextract(archive: Path, profile: str = "newmediatimes") -> Iterator[dict[str, Any]]:
    """Records re-extracted from every article capture, versions numbered as the crawl does."""
    from crawler.extract import Skip, extract  # the one public extraction function

    latest: dict[int, tuple[int, str]] = {}
    for location in _article_captures(archive):
        record, payload = read_record_at(archive, location.as_dict())
        content_type = record.http_headers.get_header("Content-Type")
        url = record.rec_headers.get_header("WARC-Target-URI")
        result = extract(payload, url, content_type=content_type, profile=profile)
        if isinstance(result, Skip):
            continue
        version, digest = latest.get(result["id"], (0, ""))
        if digest == result["content_hash"]:
            continue
        result["version"] = version + 1
        result["fetched_at"] = fetched_at(location.date)
        result["warc"] = location.as_dict()
        latest[result["id"]] = (version + 1, result["content_hash"])
        yield result


def write_reextracted(archive: Path, out: Path, profile: str = "newmediatimes") -> int:
    """Write the re-extracted corpus to ``out`` (never over the crawl's own corpus)."""
    count = 0
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in reextract(archive, profile):
            handle.write(dumps(record))
            count += 1
    tmp.replace(out)
    return count
