"""``newsarc verify``: is an archive sound?

It reads every WARC record and checks its block and payload digests, and checks that
every corpus record's ``warc`` pointer lands on a response record for the record's URL.
A file still being written by a live crawl is read up to what it has flushed; one left
open by a dead process is reported (the next crawl closes it).

Digests are checked on the stored bytes, streamed, whatever their size.  A payload is also
decoded as a replay would (``Content-Encoding``), but only up to a cap, the crawl's own size
limit: a gzip bomb a hostile site sent is stored as sent, and verifying it must not inflate
it.  Such payloads are counted and listed as notes: the archive is sound (its digests
check), it holds a page no reader should inflate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.corpus import CORPUS_NAME
from archive.warc import (
    DEFAULT_PAYLOAD_CAP,
    OPEN_SUFFIX,
    WARC_SUFFIX,
    Prefix,
    describe_error,
    gzip_damage,
    open_file_owner_alive,
    record_headers_at,
    warc_dir,
)


@dataclass
class Report:
    """What verify found: counts, and one line per problem."""

    warc_files: int = 0
    warc_records: int = 0
    corpus_records: int = 0
    pointers_checked: int = 0
    problems: list[str] = field(default_factory=list)
    oversized: list[str] = field(default_factory=list)  # payloads decoded only to the cap

    @property
    def sound(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        verdict = "sound" if self.sound else f"{len(self.problems)} problem(s)"
        capped = (f", {len(self.oversized)} payload(s) over the size cap not decoded past it"
                  if self.oversized else "")
        return (f"{self.warc_files} WARC files, {self.warc_records} records with digests "
                f"checked{capped}; {self.corpus_records} corpus records, "
                f"{self.pointers_checked} WARC pointers resolved: {verdict}")


def verify(archive: Path, max_payload: int = DEFAULT_PAYLOAD_CAP) -> Report:
    """Check the WARC files and the corpus of ``archive``, decoding no payload past
    ``max_payload`` bytes."""
    if not archive.is_dir():
        raise ValueError(f"{archive} is not a directory")
    if not warc_dir(archive).is_dir() and not (archive / CORPUS_NAME).exists():
        raise ValueError(f"{archive} is not a newsarc archive (no warc/ and no {CORPUS_NAME})")
    report = Report()
    _check_warcs(archive, report, max_payload)
    _check_corpus(archive, report)
    return report


def _check_warcs(archive: Path, report: Report, cap: int) -> None:
    directory = warc_dir(archive)
    if not directory.is_dir():
        return
    for path in sorted(directory.iterdir()):
        if path.name.endswith(WARC_SUFFIX + OPEN_SUFFIX):
            if not open_file_owner_alive(path.name):
                report.problems.append(f"{path.name}: left open by a process that is gone "
                                       "(the next crawl closes it)")
            continue
        if path.name.endswith(WARC_SUFFIX):
            report.warc_files += 1
            _check_records(path, report, cap)


def _check_records(path: Path, report: Report, cap: int) -> None:
    damage = gzip_damage(path)
    if damage is not None and damage[1].startswith("truncated"):
        report.problems.append(f"{path.name}: truncated, the record at @{damage[0]} is "
                               "incomplete")
    elif damage is not None:
        report.problems.append(f"{path.name}: not a valid gzip WARC file from @{damage[0]}: "
                               f"{damage[1]}")
    with path.open("rb") as handle:
        # Records up to the damage only: warcio would print what it meets past it.
        records = ArchiveIterator(Prefix(handle, damage[0]) if damage else handle,
                                  check_digests=True)
        try:
            for record in records:
                content = record.content_stream()  # decoded as a replay would: in chunks
                decoded, over = 0, False
                while chunk := content.read(1 << 16):
                    decoded += len(chunk)
                    if decoded > cap and content is not record.raw_stream:
                        over = True
                        break  # the digests need only the stored bytes: read_to_end
                records.read_to_end()
                if over:
                    report.oversized.append(f"{path.name} @{records.get_record_offset()}: "
                                            f"payload decodes to more than {cap} bytes")
                report.warc_records += 1
                checker = record.digest_checker
                if checker.passed is False:
                    report.problems.append(
                        f"{path.name} @{records.get_record_offset()}: "
                        + "; ".join(checker.problems))
        except Exception as exc:  # a torn or corrupt file: say where reading stopped
            report.problems.append(f"{path.name}: unreadable after record "
                                   f"{report.warc_records}: {describe_error(exc, 200)}")


def _check_corpus(archive: Path, report: Report) -> None:
    path = archive / CORPUS_NAME
    if not path.exists():
        return
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
                report.problems.append(f"{CORPUS_NAME}:{number} (id {record.get('id')}): "
                                       + problem)
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
        return f"WARC pointer lands on a {warc_record.rec_type} record, not a response"
    if headers.get_header("WARC-Target-URI") != record.get("url"):
        return (f"WARC pointer lands on {headers.get_header('WARC-Target-URI')}, "
                f"not {record.get('url')}")
    if headers.get_header("WARC-Record-ID") != pointer.get("record_id"):
        return "WARC pointer's record id differs from the record found there"
    return None
