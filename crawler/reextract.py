"""Records from WARC and ARC files: the pipeline ``newsarc reextract`` and ``newsarc import``
share (captures, then extraction in capture order, then versions).

A better extractor can then be applied to an old archive without crawling again, and an
outlet's history captured by other tools (the Internet Archive, Browsertrix, Heritrix, wget,
Common Crawl) becomes records like the crawl's own.  The files are read in two passes:

1. their record headers (``archive.sources.iter_records``, payloads not read): which host
   the outlet is (``--site``, else the most frequent host of the HTTP 200 HTML responses),
   which responses are its article pages (any form of a mediaOn article URL, desktop,
   mobile, print or decorated; on another CMS every HTML page, extract() decides), which
   revisit records repeat which response (across files too);
2. the article pages' payloads, read at their offsets by worker processes (``jobs``) that
   run the one public extraction function, ``crawler.extract.extract``; results come back
   in capture order (WARC-Date), so versions are numbered as the crawl numbers them and an
   unchanged archive gives back its ``articles.jsonl`` record for record.

WARC files may come from elsewhere, so nothing read is trusted with memory or with the
result: a payload decoding to more than the crawl's own size cap (a gzip bomb) is flagged
and skipped, not inflated; a file cut off or garbled is named with the byte where the
damage starts, its records before that are used.  Either is a problem of the run
(:class:`Report`), so the command exits 1: never a partial corpus that looks whole.  The
output appears whole or not at all.

This lives in ``crawler/``, beside the extractor: ``archive/`` reads WARC files but knows
no CMS and imports nothing of the crawler.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive.corpus import dumps
from archive.safeio import atomic_writer
from archive.sources import (
    RecordInfo,
    compression,
    find_inputs,
    inflate_whole,
    iter_records,
    passed_over,
)
from archive.timeutil import fetched_at
from archive.warc import (
    DEFAULT_PAYLOAD_CAP,
    WARC_DIR,
    PayloadTooLarge,
    describe_error,
    read_capped,
)
from crawler import extract as extraction  # its one public function, looked up per call
from crawler.profile import DEFAULT_PROFILE
from crawler.skip import Skip
from crawler.urls import article_id

# Pages handed to a worker at once, and chunks in flight per worker: enough to keep every
# core busy, few enough that memory stays bounded whatever the number of captures.
CHUNK = 8
IN_FLIGHT_PER_JOB = 4
# A worker's start (imports, profile) costs about as much as extracting this many pages:
# fewer pages per worker, and fewer workers are started.
PAGES_PER_WORKER = 100
_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Source:
    """One WARC or ARC file as the pipeline reads it."""

    path: Path  # where its bytes are read (on import, the stored copy)
    name: str  # how problem lines name it: ``warc/NAME`` in an archive, else its path
    filename: str  # what a record's ``warc`` pointer names


@dataclass(frozen=True)
class Capture:
    """A response to extract, or a revisit that repeats one; ``original`` for a revisit."""

    info: RecordInfo
    source: Source
    original: RecordInfo | None = None

    @property
    def location(self) -> dict[str, Any]:
        """The record's ``warc`` pointer (a corpus record's, a catalog capture's)."""
        info = self.info
        # An ARC record has no id: the one warcio makes up differs at every reading.
        arc = info.warc_version == "arc" or self.source.filename.endswith((".arc", ".arc.gz"))
        record_id = None if arc else info.record_id
        return {"filename": self.source.filename, "offset": info.offset,
                "length": info.length, "record_id": record_id, "date": info.date}

    def where(self) -> str:
        return f"{self.source.name} @{self.info.offset}"


@dataclass
class Report:
    """What a run read and made, and one line per file or record it could not use."""

    files: int = 0
    records: int = 0  # WARC/ARC records read
    captures: int = 0  # responses extracted
    written: int = 0  # records written (reextract)
    skipped: int = 0
    articles: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said, not failures (a file skipped)
    site: str | None = None
    site_captures: int = 0
    html_captures: int = 0
    seconds: float = 0.0

    def site_line(self) -> str:
        if self.site is None:
            return "site: none (no HTTP 200 HTML response in the inputs)"
        return f"site: {self.site} ({self.site_captures} of {self.html_captures} captures)"

    def summary(self) -> str:
        rate = self.captures / self.seconds if self.seconds > 0 else 0.0
        return (f"{self.files} file(s), {self.records} records, articles "
                f"{self.articles['new']} new, {self.articles['changed']} changed; "
                f"{self.articles['unchanged']} more captures of them unchanged (other forms "
                f"of a URL, revisits), {self.skipped} pages skipped, "
                f"{len(self.problems)} problem(s), {rate:.1f} pages/s")


@dataclass
class Plan:
    """What the headers showed: the captures of the outlet, in capture order."""

    captures: list[Capture] = field(default_factory=list)  # responses and revisits
    resources: list[Capture] = field(default_factory=list)  # the site's other 200s
    root: str | None = None  # scheme://host of the site
    mediaon: bool = False


# --- inputs -------------------------------------------------------------------------------

def sources_of(args: Sequence[Path], report: Report, scratch: Path) -> list[Source]:
    """The WARC/ARC files named by ``args`` (files, folders, newsarc archives), a whole-file
    gzip one decompressed into ``scratch`` (no reader can seek into it)."""
    files, problems = find_inputs(list(args))
    if not files:
        raise ValueError(problems[0] if len(problems) == 1 else
                         f"no WARC or ARC file in {', '.join(str(a) for a in args)}")
    report.notes += [line for line in problems if passed_over(line)]
    report.problems += [line for line in problems if not passed_over(line)]
    sources = []
    for path in files:
        name = _display(path)
        if compression(path) == "whole":
            plain = scratch / f"{len(sources)}" / plain_name(path.name)
            plain.parent.mkdir()
            try:
                inflate_whole(path, plain)
            except ValueError as exc:
                report.problems.append(f"{name}: {exc}")
                continue
            sources.append(Source(plain, name, plain.name))
        else:
            sources.append(Source(path, name, path.name))
    return sources


def _display(path: Path) -> str:
    """``warc/NAME`` for a file of a newsarc archive (the name its lines have always had),
    else the path as given."""
    if path.parent.name == WARC_DIR and path.parent.parent.joinpath(WARC_DIR).is_dir() and (
            (path.parent.parent / "articles.jsonl").exists()
            or (path.parent.parent / "catalog.sqlite").exists()):
        return f"{WARC_DIR}/{path.name}"
    return str(path)


def plain_name(name: str) -> str:
    """A whole-file gzip file's name once decompressed: without ``.gz``."""
    return name[:-3] if name.endswith(".gz") else name


# --- pass 1: headers ----------------------------------------------------------------------

def _when(date: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(date.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return _EPOCH
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _host(uri: str) -> str:
    try:
        return urlsplit(uri).netloc.lower()
    except ValueError:
        return ""


def _is_html(info: RecordInfo) -> bool:
    kind = (info.content_type or "").lower()
    return "html" in kind or (not kind and article_id(info.uri) is not None)


def _matches(host: str, site: str) -> bool:
    """``--site`` given as HOST, HOST:PORT or a URL: a host alone matches every port."""
    wanted = _host(site) if "://" in site else site.lower().rstrip("/")
    return host == wanted or (":" not in wanted and host.rsplit(":", 1)[0] == wanted)


def plan(sources: Sequence[Source], report: Report, site: str | None = None,
         cap: int = DEFAULT_PAYLOAD_CAP) -> Plan:
    """Read every record's headers; choose the site; pair revisits with their originals."""
    kept: list[tuple[RecordInfo, Source]] = []
    hosts: Counter[str] = Counter()
    for source in sources:
        report.files += 1
        problems: list[str] = []
        for info, _ in iter_records(source.path, problems, cap=cap):
            report.records += 1
            if info.rec_type not in ("response", "revisit"):
                continue
            host = _host(info.uri)
            if info.rec_type == "response" and info.status == 200 and _is_html(info):
                hosts[host] += 1
            # With --site, other hosts' records are counted only: a file of many hosts
            # (a Common Crawl segment) is not held in memory.
            if not site or _matches(host, site):
                kept.append((info, source))
        report.problems += [_renamed(line, source) for line in problems]
    report.html_captures = sum(hosts.values())
    if site:
        chosen = {h for h in hosts if _matches(h, site)} or {
            _host(i.uri) for i, _ in kept if _matches(_host(i.uri), site)}
        report.site = site
        report.site_captures = sum(hosts[h] for h in chosen)
        if not chosen:
            seen = ", ".join(h for h, _ in hosts.most_common(3)) or "none"
            report.problems.append(f"--site {site}: no record of that host in the inputs "
                                   f"(most frequent hosts: {seen})")
    elif hosts:
        top = hosts.most_common(1)[0][0]
        chosen, report.site, report.site_captures = {top}, top, hosts[top]
    else:
        chosen = set()
    ours = sorted(((i, s) for i, s in kept if _host(i.uri) in chosen),
                  key=lambda pair: _when(pair[0].date))  # stable: file order on a tie
    result = Plan(mediaon=any(article_id(i.uri) is not None for i, _ in ours
                              if i.rec_type == "response"))
    originals = _Originals()
    for info, source in ours:
        if info.rec_type == "response":
            originals.add(info)  # whatever its status: a revisit may repeat a 404 too
            if info.status != 200:
                continue
            if result.root is None:
                result.root = f"{urlsplit(info.uri).scheme}://{_host(info.uri)}"
            if _is_html(info) and (not result.mediaon or article_id(info.uri) is not None):
                result.captures.append(Capture(info, source))
            elif not _is_html(info):
                result.resources.append(Capture(info, source))
            continue
        original = originals.find(info)
        if original is None:
            report.problems.append(
                f"{source.name} @{info.offset}: revisit of {info.uri} whose original "
                f"({info.refers_to or info.refers_to_date or info.payload_digest or 'unnamed'})"
                " is in none of the inputs; not used")
            continue
        result.captures.append(Capture(info, source, original))
    return result


def _renamed(line: str, source: Source) -> str:
    """A reader's line named by the file's display name, not by its (temporary) path."""
    path = str(source.path)
    return source.name + line[len(path):] if line.startswith(path) else line


class _Originals:
    """Responses a revisit may repeat, found as WARC 1.1 says: by WARC-Refers-To, else by
    WARC-Refers-To-Target-URI and -Date, else an earlier response with the same URI and
    payload digest (what wget and older tools write)."""

    def __init__(self) -> None:
        self.by_id: dict[str, RecordInfo] = {}
        self.by_uri_date: dict[tuple[str, datetime], RecordInfo] = {}
        self.by_digest: dict[tuple[str, str], RecordInfo] = {}

    def add(self, info: RecordInfo) -> None:
        if info.record_id:
            self.by_id[info.record_id] = info
        self.by_uri_date.setdefault((info.uri, _when(info.date)), info)
        if info.payload_digest:
            self.by_digest.setdefault((info.uri, info.payload_digest), info)

    def find(self, revisit: RecordInfo) -> RecordInfo | None:
        if revisit.refers_to and revisit.refers_to in self.by_id:
            return self.by_id[revisit.refers_to]
        if revisit.refers_to_uri and revisit.refers_to_date:
            found = self.by_uri_date.get((revisit.refers_to_uri, _when(revisit.refers_to_date)))
            if found is not None:
                return found
        if revisit.payload_digest:
            return self.by_digest.get((revisit.refers_to_uri or revisit.uri,
                                       revisit.payload_digest))
        return None


# --- pass 2: extraction, in capture order -----------------------------------------------

class Unread(str):
    """Why a capture's payload was not read (a problem line's tail)."""


Task = tuple[str, int, str, str | None]  # path, offset, URI, Content-Type


def _read_payload(path: str, offset: int, cap: int) -> bytes:
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as handle:
        handle.seek(offset)
        record = next(iter(ArchiveIterator(handle, arc2warc=True)))
        return read_capped(record.content_stream(), cap)


def _extract_one(task: Task, profile: Any, cap: int) -> dict[str, Any] | Skip | Unread:
    path, offset, uri, content_type = task
    try:
        payload = _read_payload(path, offset, cap)
    except PayloadTooLarge as exc:
        return Unread(f"not extracted: {exc} (the size cap, --max-payload); not inflated "
                      "further")
    except Exception as exc:  # the file changed since it was scanned, or garbled bytes
        return Unread(f"unreadable: {describe_error(exc)}")
    return extraction.extract(payload, uri, content_type=content_type, profile=profile)


_WORKER: dict[str, Any] = {}


def _start_worker(profile: str, cap: int) -> None:
    """Load the profile (and, through it, trafilatura and lxml) once per worker process."""
    from crawler.profile import load_profile

    _WORKER.update(profile=load_profile(profile), cap=cap)


def _extract_chunk(tasks: list[Task]) -> list[Any]:
    return [_extract_one(task, _WORKER["profile"], _WORKER["cap"]) for task in tasks]


def extracted(captures: Iterable[Capture], profile: str = DEFAULT_PROFILE, *, jobs: int = 1,
              cap: int = DEFAULT_PAYLOAD_CAP) -> Iterator[tuple[Capture, Any]]:
    """Each response capture with its record, ``Skip`` or :class:`Unread`, in the order
    given; revisits pass through with None.  ``jobs`` > 1: in that many spawned worker
    processes (the parent's reactor-free, but spawn is the one start method every platform
    and every open SQLite connection survive), at most ``jobs * IN_FLIGHT_PER_JOB`` chunks
    of ``CHUNK`` pages out at a time; 1: in this process."""
    if jobs <= 1:
        from crawler.profile import load_profile

        compiled = load_profile(profile)
        for capture in captures:
            yield capture, None if capture.original else _extract_one(
                _task(capture), compiled, cap)
        return
    context = get_context("spawn")
    pending: deque[tuple[list[Capture], Future[list[Any]] | None]] = deque()
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                             initargs=(profile, cap)) as pool:
        try:
            for chunk in _chunks(captures):
                work = [_task(c) for c in chunk if c.original is None]
                pending.append((chunk, pool.submit(_extract_chunk, work) if work else None))
                while len(pending) >= jobs * IN_FLIGHT_PER_JOB:
                    yield from _collect(*pending.popleft())
            while pending:
                yield from _collect(*pending.popleft())
        except BaseException:
            for _, future in pending:
                if future is not None:
                    future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _task(capture: Capture) -> Task:
    info = capture.info
    return str(capture.source.path), info.offset, info.uri, info.content_type


def _chunks(captures: Iterable[Capture]) -> Iterator[list[Capture]]:
    chunk: list[Capture] = []
    for capture in captures:
        chunk.append(capture)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _collect(chunk: list[Capture], future: Future[list[Any]] | None
             ) -> Iterator[tuple[Capture, Any]]:
    results = iter(future.result() if future is not None else ())
    for capture in chunk:
        yield capture, None if capture.original else next(results)


def with_pointer(record: dict[str, Any], capture: Capture) -> dict[str, Any]:
    """``fetched_at`` from the WARC-Date and the ``warc`` pointer to the response record,
    with ``target_uri`` when the capture's URI is not the record's URL (a mobile, print or
    decorated URL): ``verify`` compares the record found there with it."""
    record["fetched_at"] = fetched_at(capture.info.date)
    location = capture.location
    if capture.info.uri != record["url"]:
        location["target_uri"] = capture.info.uri
    record["warc"] = location
    return record


def records(chosen: Plan, report: Report, profile: str = DEFAULT_PROFILE, *,
            jobs: int = 1, cap: int = DEFAULT_PAYLOAD_CAP) -> Iterator[tuple[Capture, Any]]:
    """The plan's captures with their extraction results, counted in ``report``; an
    unreadable payload is a problem line and comes as None.  At most ``jobs`` workers,
    one per ``PAGES_PER_WORKER`` captures."""
    started = time.monotonic()
    jobs = min(jobs, max(1, len(chosen.captures) // PAGES_PER_WORKER))
    for capture, result in extracted(chosen.captures, profile, jobs=jobs, cap=cap):
        if isinstance(result, Unread):
            report.problems.append(f"{capture.where()}: {result}")
            result = None
        elif capture.original is None:
            report.captures += 1
            if isinstance(result, Skip):
                report.skipped += 1
            else:
                with_pointer(result, capture)
        report.seconds = time.monotonic() - started
        yield capture, result


# --- newsarc reextract --------------------------------------------------------------------

def reextract(archive: Path | Sequence[Path], profile: str = DEFAULT_PROFILE, *,
              max_payload: int = DEFAULT_PAYLOAD_CAP, report: Report | None = None,
              jobs: int = 1, site: str | None = None) -> Iterator[dict[str, Any]]:
    """Records re-extracted from every article capture of ``archive`` (a newsarc archive,
    or WARC/ARC files and folders of them), versions numbered as the crawl does.
    ``report`` collects the counts and problems (damaged files, oversized payloads)."""
    report = report if report is not None else Report()
    inputs = [archive] if isinstance(archive, (str, Path)) else list(archive)
    latest: dict[int, tuple[int, str]] = {}
    with tempfile.TemporaryDirectory(prefix="newsarc-reextract-") as scratch:
        sources = sources_of([Path(p) for p in inputs], report, Path(scratch))
        chosen = plan(sources, report, site, max_payload)
        for _capture, result in records(chosen, report, profile, jobs=jobs, cap=max_payload):
            if not isinstance(result, dict):
                continue
            version, digest = latest.get(result["id"], (0, ""))
            if digest == result["content_hash"]:
                report.articles["unchanged"] += 1
                continue
            result["version"] = version + 1
            report.articles["new" if version == 0 else "changed"] += 1
            latest[result["id"]] = (version + 1, result["content_hash"])
            yield result


def write_reextracted(archive: Path | Sequence[Path], out: Path,
                      profile: str = DEFAULT_PROFILE, *,
                      max_payload: int = DEFAULT_PAYLOAD_CAP, jobs: int = 1,
                      site: str | None = None) -> Report:
    """Write the re-extracted corpus to ``out`` (never over the crawl's own corpus), whole or
    not at all: an error or interrupt leaves no temporary file behind."""
    report = Report()
    with atomic_writer(out, text=True) as handle:
        for record in reextract(archive, profile, max_payload=max_payload, report=report,
                                jobs=jobs, site=site):
            handle.write(dumps(record))
            report.written += 1
    return report


def default_jobs() -> int:
    """Every core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
