"""``newsarc import``: WARC and ARC files made elsewhere become an archive like a crawl's.

Researchers hold captures of an outlet from the Internet Archive, Browsertrix, Heritrix,
wget or Common Crawl, often older than any crawl of ours.  Imported, they are a newsarc
archive: corpus and catalog filled as a crawl fills them, so ``verify``, ``search``,
``export``, ``show``, ``replay`` and ``wacz`` work on it, and a later ``newsarc crawl`` of
the same site into it continues from there (incremental, conditional rechecks with the
imported ETags, gap probing within the imported article numbers) instead of fetching
again what was imported.

The files themselves are never modified: each is hard-linked (same filesystem) or copied
into ``DIR/warc/`` under its own name, and a record's ``warc`` pointer names it there.  A
whole-file gzip file is the one exception in form, not content: no reader (pywb,
cdxj-indexer, our pointers) can start at an offset inside one gzip stream, so it is stored
decompressed, byte for byte, as ``DIR/warc/<name without .gz>``.  The same file imported
again is skipped; a name taken by other content is a problem of that file only.

Reading and extracting are re-extraction's (``crawler.reextract``: the outlet's captures in
capture order, extracted in worker processes on every core); this module stores: each
record through :meth:`archive.session.ArchiveSession.store` (versions as the crawl numbers
them), each capture in the catalog with its validators, the site's images and stylesheets
as resources, a revisit of an article as an unchanged capture, and a run row of mode
``import``.  Like a crawl it holds the archive's lock throughout.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from archive.index import update_index
from archive.runtable import write_run_file
from archive.session import ArchiveSession
from archive.sources import compression, find_inputs, inflate_whole, passed_over
from archive.timeutil import fetched_at, utc_now_iso
from archive.warc import DEFAULT_PAYLOAD_CAP, describe_error, warc_dir
from crawler.modes import IMPORT_MODE
from crawler.profile import DEFAULT_PROFILE
from crawler.reextract import (
    Report,
    Source,
    default_jobs,
    plain_name,
    plan,
    records,
)
from crawler.skip import Skip, SkipKind
from crawler.urls import article_id

_TEMPORARY = ".importing"  # no archive name: never read as a WARC file while written


def import_files(inputs: Sequence[Path], out: Path, *, site: str | None = None,
                 profile: str = DEFAULT_PROFILE, jobs: int | None = None,
                 max_payload: int = DEFAULT_PAYLOAD_CAP) -> Report:
    """Import the WARC/ARC files ``inputs`` name (files, folders, newsarc archives) into the
    archive ``out``; the report lists what was done and each file or record not used.
    Raises :class:`archive.lock.ArchiveLocked` if another run holds ``out``; ValueError
    if no input is a WARC or ARC file."""
    files, problems = find_inputs(list(inputs))
    if not files:
        raise ValueError(problems[0] if len(problems) == 1
                         else "no WARC or ARC file among the inputs")
    report = Report(problems=[line for line in problems if not passed_over(line)],
                    notes=[line for line in problems if passed_over(line)])
    out.mkdir(parents=True, exist_ok=True)
    started, clock = utc_now_iso(), time.monotonic()
    session = ArchiveSession(out)
    try:
        directory = warc_dir(out)
        directory.mkdir(exist_ok=True)
        known = session.catalog.warc_filenames()
        sources = [s for s in (_store(path, directory, known, report) for path in files) if s]
        chosen = plan(sources, report, site, max_payload)
        catalog = session.catalog
        session.run_id = catalog.start_run(chosen.root or report.site or "", IMPORT_MODE)
        numbers = _store_captures(session, records(chosen, report, profile,
                                                   jobs=jobs or default_jobs(),
                                                   cap=max_payload), report)
        for capture in chosen.resources:
            catalog.add_resource(capture.info.uri, capture.location, session.run_id)
        if chosen.mediaon and numbers:
            catalog.vouch(min(numbers), max(numbers))
        exit_code = 1 if report.problems else 0
        summary = _summary(report, started, time.monotonic() - clock, exit_code)
        catalog.finish_run(session.run_id, "finished", exit_code, summary)
        write_run_file(out, summary)
        update_index(out)
    finally:
        session.close()
    return report


def _store_captures(session: ArchiveSession, results: Any, report: Report) -> set[int]:
    """Store each record and catalog each capture, in capture order; the CMS article numbers
    imported (for gap probing) are returned."""
    catalog, run_id = session.catalog, session.run_id
    articles: dict[tuple[Path, int], int] = {}  # response record -> its article's id
    numbers: set[int] = set()
    for capture, result in results:
        info = capture.info
        headers = {"etag": info.etag, "last_modified": info.last_modified}
        location = {**capture.location, "payload_digest": info.payload_digest}
        if capture.original is not None:
            number = articles.get((capture.original.path, capture.original.offset))
            if number is not None:
                catalog.add_capture(number, "revisit", info.status or 0, location, headers,
                                    run_id)
                catalog.seen_unchanged(number, fetched_at(info.date))
                report.articles["unchanged"] += 1
            continue
        if isinstance(result, Skip):
            if result.kind is SkipKind.SOFT_404 and article_id(info.uri) is not None:
                catalog.mark_missing(article_id(info.uri))
            continue
        if result is None:
            continue
        articles[(info.path, info.offset)] = result["id"]
        if article_id(info.uri) is not None:
            numbers.add(result["id"])
        catalog.add_capture(result["id"], "response", info.status or 200, location, headers,
                            run_id)
        report.articles[session.store(result)] += 1
    return numbers


def _summary(report: Report, started: str, seconds: float, exit_code: int) -> dict[str, Any]:
    """The run's numbers, under the keys ``newsarc runs`` and ``stats`` read."""
    return {
        "mode": IMPORT_MODE, "site": report.site, "started_at": started,
        "status": "finished", "exit_code": exit_code, "seconds": round(seconds, 1),
        "files": report.files, "records": report.records, "pages_fetched": 0,
        "pages_extracted": report.captures, "articles_new": report.articles["new"],
        "articles_changed": report.articles["changed"],
        "articles_unchanged": report.articles["unchanged"],
        "articles_written": report.articles["new"] + report.articles["changed"],
        "skipped": report.skipped, "errors_total": len(report.problems),
        "problems": report.problems[:100],
    }


# --- the files: linked, copied or decompressed into DIR/warc/ ------------------------------

def _store(path: Path, directory: Path, known: set[str], report: Report) -> Source | None:
    """``path`` in ``directory`` under its own name (a whole-file gzip file decompressed,
    without ``.gz``), as a :class:`Source` to read; None when skipped or refused.  A file
    already there (put there by hand) but not in the catalog is read where it is."""
    whole = compression(path) == "whole"
    target = directory / (plain_name(path.name) if whole else path.name)
    if target.exists() or target.is_symlink():
        same = not target.is_symlink() and _same_content(path, target, whole)
        if same and target.name not in known:
            return Source(target, str(path), target.name)
        if same:
            report.notes.append(f"{path}: already imported as {target.parent.name}/"
                                f"{target.name} (same name and content); skipped")
        else:
            report.problems.append(f"{path}: not imported: {target.parent.name}/{target.name} "
                                   "exists with other content; rename the file to import it")
        return None
    temporary = target.with_name(target.name + _TEMPORARY)
    temporary.unlink(missing_ok=True)  # left by an import that was killed
    try:
        if whole:
            inflate_whole(path, temporary)
        else:
            try:
                os.link(path, temporary)
            except OSError:  # another filesystem, or links refused: a copy
                shutil.copyfile(path, temporary)
        os.replace(temporary, target)
    except (ValueError, OSError) as exc:
        report.problems.append(f"{path}: {describe_error(exc)}")
        return None
    if whole:
        report.notes.append(f"{path}: one gzip stream for all its records, which no reader "
                            f"can seek into: stored decompressed as warc/{target.name}")
    return Source(target, str(path), target.name)


def _digest(path: Path, whole: bool = False) -> str:
    """SHA-256 of the file's bytes, of its decompressed content when ``whole``."""
    digest = hashlib.sha256()
    with (gzip.open(path, "rb") if whole else path.open("rb")) as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _same_content(path: Path, target: Path, whole: bool) -> bool:
    try:
        if not whole and path.resolve() == target.resolve():
            return True
        if not whole and os.path.samefile(path, target):
            return True
        if not whole and path.stat().st_size != target.stat().st_size:
            return False
        return _digest(path, whole) == _digest(target)
    except (OSError, ValueError, EOFError, zlib.error):
        return False

