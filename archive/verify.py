"""``newsarc verify``: is an archive, or a WARC/ARC file from anywhere, sound?

It reads every WARC record and checks its block and payload digests, and checks that
every corpus record's ``warc`` pointer lands on a response record for the record's URL
(``warc.target_uri`` when the capture was of another URL than the record's ``url``).
A file still being written by a live crawl is left alone; one left open by a dead process
is reported (the next crawl closes it).

Any WARC or ARC file, or folder of them, is checked the same way (``archive.sources``
reads every kind: plain, gzip per record, whole-file gzip, WARC 1.0 and 1.1, ARC).  ARC
records carry no digests: they are counted as read, not checked.  Every file passed over
is named, and a run that checked no file at all fails: "0 files, sound" would be a lie.

Digests are checked on the stored bytes, streamed, whatever their size.  A payload is also
decoded as a replay would (``Content-Encoding``), but only up to a cap, the crawl's own size
limit: a gzip bomb a hostile site sent is stored as sent, and verifying it must not inflate
it.  Such payloads are counted and listed as notes: the archive is sound (its digests
check), it holds a page no reader should inflate.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.corpus import CORPUS_NAME
from archive.sources import find_inputs, is_archive_file, passed_over, walk_records
from archive.warc import (
    DEFAULT_PAYLOAD_CAP,
    OPEN_SUFFIX,
    describe_error,
    open_file_owner_alive,
    printable,
    record_headers_at,
    warc_dir,
)


@dataclass
class Report:
    """What verify found: counts, and one line per problem."""

    warc_files: int = 0
    warc_records: int = 0  # records whose digests were checked
    unchecked_records: int = 0  # records read whole but carrying no digest (ARC records)
    corpus_records: int = 0
    pointers_checked: int = 0
    corpus_files: int = 0
    archives: int = 0  # newsarc archives checked (an empty one is sound, not "nothing")
    problems: list[str] = field(default_factory=list)
    oversized: list[str] = field(default_factory=list)  # payloads decoded only to the cap
    not_checked: list[str] = field(default_factory=list)  # files passed over, each named

    @property
    def checked_anything(self) -> bool:
        return bool(self.warc_files or self.corpus_files or self.archives)

    @property
    def sound(self) -> bool:
        return not self.problems and self.checked_anything

    def summary(self) -> str:
        verdict = ("sound" if self.sound else f"{len(self.problems)} problem(s)"
                   if self.problems else "nothing checked")
        capped = (f", {len(self.oversized)} payload(s) over the size cap not decoded past it"
                  if self.oversized else "")
        bare = (f", {self.unchecked_records} records without digests (as in ARC) read, "
                "not checked"
                if self.unchecked_records else "")
        skipped = f", {len(self.not_checked)} file(s) not checked" if self.not_checked else ""
        return (f"{self.warc_files} WARC files, {self.warc_records} records with digests "
                f"checked{bare}{capped}{skipped}; {self.corpus_records} corpus records, "
                f"{self.pointers_checked} WARC pointers resolved: {verdict}")


def is_archive(path: Path) -> bool:
    """A newsarc archive: a folder with ``warc/`` or a corpus."""
    return path.is_dir() and (warc_dir(path).is_dir() or (path / CORPUS_NAME).exists())


def verify(archive: Path, max_payload: int = DEFAULT_PAYLOAD_CAP) -> Report:
    """Check the WARC files and the corpus of ``archive``, decoding no payload past
    ``max_payload`` bytes."""
    if not archive.is_dir():
        raise ValueError(f"{archive} is not a directory")
    if not is_archive(archive):
        raise ValueError(f"{archive} is not a newsarc archive (no warc/ and no {CORPUS_NAME})")
    report = Report(archives=1)
    _check_warcs(archive, report, max_payload)
    _check_corpus(archive, report)
    return report


def verify_inputs(inputs: Sequence[Path], max_payload: int = DEFAULT_PAYLOAD_CAP) -> Report:
    """Check each of ``inputs``: a newsarc archive (its WARC files and corpus), a WARC or
    ARC file, or a folder of them (searched below).  Paths passed over are named in
    ``not_checked``; missing ones are problems."""
    report = Report()
    seen: set[Path] = set()
    for path in inputs:
        if is_archive(path):
            report.archives += 1
            _check_warcs(path, report, max_payload, seen)
            _check_corpus(path, report)
            continue
        files, lines = find_inputs([path])
        if path.is_dir() and not files:
            lines.append(f"{path}: no WARC or ARC file in it or below")
        for line in lines:
            (report.not_checked if passed_over(line) else report.problems).append(line)
        for file in files:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                _check_file(file, str(file), report, max_payload)
    return report


def _check_warcs(archive: Path, report: Report, cap: int,
                 seen: set[Path] | None = None) -> None:
    directory = warc_dir(archive)
    if not directory.is_dir():
        return
    for path in sorted(directory.iterdir()):
        if path.name.endswith(OPEN_SUFFIX) and is_archive_file(path.name[:-len(OPEN_SUFFIX)]):
            if not open_file_owner_alive(path.name):
                report.problems.append(f"{path.name}: left open by a process that is gone "
                                       "(the next crawl closes it)")
            else:
                report.not_checked.append(f"{path.name}: not checked: being written by a "
                                          "running crawl")
            continue
        if is_archive_file(path.name) and path.is_file():
            if seen is not None:
                if path.resolve() in seen:
                    continue
                seen.add(path.resolve())
            _check_file(path, path.name, report, cap)
        else:
            what = ("the torn tail of a repaired file, moved aside"
                    if path.name.endswith(".torn") else "not a WARC or ARC file")
            report.not_checked.append(f"{path.name}: not checked: {what}")


def _check_file(path: Path, name: str, report: Report, cap: int) -> None:
    """Read every record of ``path``, checking digests; ``name`` is how lines call it."""
    problems: list[str] = []
    over: list[bool] = []

    def inspect(record: Any) -> None:
        """Decode the payload as a replay would, in chunks, never past the cap."""
        content = record.content_stream()
        decoded = 0
        with contextlib.redirect_stderr(io.StringIO()):  # warcio prints decoding errors
            try:
                while chunk := content.read(1 << 16):
                    decoded += len(chunk)
                    if decoded > cap and content is not record.raw_stream:
                        over.append(True)
                        break  # the digests need only the stored bytes: read_to_end
            except Exception:  # a garbled Content-Encoding: the stored bytes still check
                pass

    for record, info, _handle in walk_records(path, problems, check_digests=True,
                                                 inspect=inspect):
        if over:
            over.clear()
            report.oversized.append(f"{name} @{info.offset}: payload decodes to more than "
                                    f"{cap} bytes")
        checker = record.digest_checker
        if checker.passed is None:
            report.unchecked_records += 1
            continue
        report.warc_records += 1
        if checker.passed is False:
            report.problems.append(f"{name} @{info.offset}: "
                                   + printable("; ".join(checker.problems), 300))
    if not (problems and passed_over(problems[0])):  # it could be opened
        report.warc_files += 1
    for line in problems:  # an unreadable file is a problem: nobody can vouch for it
        report.problems.append(name + line[len(str(path)):] if line.startswith(str(path))
                               else line)


def _check_corpus(archive: Path, report: Report) -> None:
    path = archive / CORPUS_NAME
    if not path.exists():
        return
    report.corpus_files += 1
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.endswith(b"\n"):
                report.problems.append(f"{CORPUS_NAME}:{number}: half-written last line "
                                       "(the next crawl moves it aside)")
                break
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as exc:
                report.problems.append(f"{CORPUS_NAME}:{number}: malformed JSON: {exc}")
                continue
            report.corpus_records += 1
            problem = _check_pointer(archive, record)
            if problem:
                which = printable(str(record.get("id")), 40)
                report.problems.append(f"{CORPUS_NAME}:{number} (id {which}): {problem}")
            else:
                report.pointers_checked += 1


def _check_pointer(archive: Path, record: dict) -> str | None:
    pointer = record.get("warc")
    if not pointer:
        return "no WARC pointer"
    try:
        warc_record = record_headers_at(archive, pointer)
    except Exception as exc:  # whatever lies at a wrong offset, it is not our record
        return f"WARC pointer does not resolve: {describe_error(exc)}"
    headers = warc_record.rec_headers
    if warc_record.rec_type != "response":
        kind = printable(str(warc_record.rec_type))
        return f"WARC pointer lands on a {kind} record, not a response"
    # A capture of a decorated, mobile or print URL names the URL it was fetched from.
    expected = pointer.get("target_uri") or record.get("url")
    found = headers.get_header("WARC-Target-URI")
    if found != expected:
        return (f"WARC pointer lands on {printable(str(found))}, "
                f"not {printable(str(expected))}")
    if str(pointer.get("filename", "")).lower().endswith((".arc", ".arc.gz")):
        # ARC records have no ids (warcio makes one up at each reading): the date tells.
        if headers.get_header("WARC-Date") != pointer.get("date"):
            return "WARC pointer's date differs from the ARC record found there"
    elif headers.get_header("WARC-Record-ID") != pointer.get("record_id"):
        return "WARC pointer's record id differs from the record found there"
    return None
