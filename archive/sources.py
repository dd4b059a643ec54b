"""WARC and ARC files from anywhere: finding, classifying and reading them.

A researcher holds files from the Internet Archive, Browsertrix, Heritrix, wget or Common
Crawl: WARC 1.0 or 1.1, ARC, stored plain, gzip per record, or gzipped whole.  ``verify``,
``import`` and ``reextract`` read them all through ``iter_records``, which turns every kind
of damage (a cut-off file, garbled gzip, garbage between records, a bad record header) into
one line naming the file and the byte, never an exception, and decodes no payload past a
cap: a file from elsewhere may hold a gzip bomb.

warcio reads per-record gzip and plain files itself; a whole-file gzip (one stream for many
records, as ``gzip FILE.warc`` makes) it refuses, because it cannot seek into one.  Such a
file is inflated once, sequentially, into a temporary file (bounded: a bomb is cut off) and
read as a plain file, so its offsets are offsets in the decompressed stream.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archive.warc import (
    ARCHIVE_SUFFIXES,
    DEFAULT_PAYLOAD_CAP,
    WARC_DIR,
    PayloadTooLarge,
    Prefix,
    describe_error,
    gzip_damage,
    is_archive_file,
    read_capped,
    warc_files,
)

__all__ = [
    "ARCHIVE_SUFFIXES", "DEFAULT_PAYLOAD_CAP", "RecordInfo", "compression", "find_inputs",
    "first_damage", "inflate_whole", "is_archive_file", "iter_records", "passed_over",
    "walk_records",
]

GZIP_MAGIC = b"\x1f\x8b"
# A whole-file gzip is inflated to disk up to this ratio of its size (and at least
# _INFLATE_FLOOR bytes): WARC text compresses some 5 to 10 times, a bomb a thousand.
_INFLATE_RATIO = 100
_INFLATE_FLOOR = 256 * 1024 * 1024
_CHUNK = 1 << 20
_TRUNCATED = "cut off: the record there is truncated"


@dataclass(frozen=True)
class RecordInfo:
    """One record's headers, as a reader of any WARC or ARC file needs them."""

    path: Path
    offset: int  # in the file as stored ("whole" gzip: in the decompressed stream)
    length: int
    rec_type: str  # response / revisit / request / warcinfo / resource / metadata
    uri: str
    date: str  # WARC-Date (ARC dates converted to ISO 8601 by warcio)
    record_id: str | None  # None for ARC records, which have none
    status: int | None  # HTTP status (None without HTTP headers)
    content_type: str | None  # HTTP Content-Type
    payload_digest: str | None
    refers_to: str | None
    refers_to_uri: str | None
    refers_to_date: str | None
    etag: str | None
    last_modified: str | None
    warc_version: str  # "1.0", "1.1", "arc"


def find_inputs(args: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """FILE_OR_DIR arguments -> (archive files, problem lines).

    A file is taken when its name is a WARC/ARC name; a newsarc archive (a folder with
    ``warc/``) gives its finished files; any other folder gives every WARC/ARC file in it
    and below, sorted by path.  Whatever is passed over is named, so nobody takes a file
    that was never looked at for a checked one.
    """
    files: list[Path] = []
    problems: list[str] = []
    for arg in args:
        if arg.is_dir():
            if (arg / WARC_DIR).is_dir():
                files.extend(warc_files(arg))
                continue
            for path in sorted(p for p in arg.rglob("*") if not p.is_dir()):
                if is_archive_file(path.name) and path.is_file():
                    files.append(path)
                else:
                    problems.append(f"{path}: not checked: {_why_not(path)}")
        elif arg.is_file():
            if is_archive_file(arg.name):
                files.append(arg)
            else:
                problems.append(f"{arg}: not checked: {_why_not(arg)}")
        elif arg.exists():
            problems.append(f"{arg}: not checked: not a regular file")
        else:
            problems.append(f"{arg}: no such file or directory")
    return files, problems


def passed_over(line: str) -> bool:
    """True for a ``find_inputs`` line naming a file passed over (not a WARC or ARC file):
    said, but no failure; the other lines name inputs that are missing or unreadable."""
    return ": not checked: " in line


def _why_not(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".open", ".torn")):
        return "an unfinished or torn-off WARC file (not a finished archive file)"
    if not path.is_file():
        return "not a regular file"
    return f"not a WARC or ARC file (names end {', '.join(ARCHIVE_SUFFIXES)})"


def compression(path: Path) -> str:
    """``"none"``, ``"record"`` (a gzip member per record, as WARC files should be) or
    ``"whole"`` (one gzip stream for many records).  Raises ``OSError`` for an unreadable
    file; damaged bytes give the best guess (the reader reports the damage)."""
    with path.open("rb") as handle:
        if handle.read(2) != GZIP_MAGIC:
            return "none"
        handle.seek(0)
        return _gzip_kind(handle)


def _gzip_kind(handle: Any) -> str:
    """Per record or whole: does the first gzip member hold more than one record?"""
    member = zlib.decompressobj(31)
    data = bytearray()
    while not member.eof and len(data) < _CHUNK and (chunk := handle.read(1 << 12)):
        # A megabyte of the first member is plenty to see a second record start.
        out, error, _at = _salvage(member, chunk)
        data += out
        if error is not None:
            break  # garbled: judged on what inflated before the damage
    records = ArchiveIterator(io.BytesIO(bytes(data)), arc2warc=True)
    with contextlib.suppress(Exception), contextlib.redirect_stderr(io.StringIO()):
        next(iter(records))
        records.read_to_end()
        if records.offset < len(data):  # more than one record in the member
            return "whole"
    return "record"


def iter_records(path: Path, problems: list[str], *,
                 payload: Callable[[RecordInfo], bool] | None = None,
                 cap: int = DEFAULT_PAYLOAD_CAP) -> Iterator[tuple[RecordInfo, bytes | None]]:
    """Every record of one file in file order, with its payload when ``payload(info)``.

    The payload is decoded as a replay would (chunked and Content-Encoding undone), at most
    ``cap`` bytes: a larger one adds a line to ``problems`` and comes as None.  A cut-off
    or garbled file adds one line "PATH @OFFSET: damaged: WHAT" and ends the iteration
    there.  Never raises for bad bytes.
    """
    for _record, info, handle in walk_records(path, problems, check_digests=False):
        body = None
        if payload is not None and payload(info):
            body = _payload_at(handle, info, problems, cap)
        yield info, body


def _payload_at(handle: Any, info: RecordInfo, problems: list[str], cap: int) -> bytes | None:
    """Read one record's decoded payload again from its offset (the walk has passed it)."""
    where = f"{info.path} @{info.offset}"
    resume = handle.tell()
    try:
        handle.seek(info.offset)
        records = ArchiveIterator(Prefix(handle, info.offset + info.length), arc2warc=True)
        with contextlib.redirect_stderr(io.StringIO()) as said:
            record = next(iter(records))
            body = read_capped(record.content_stream(), cap)
        if said.getvalue():  # warcio's way to say the Content-Encoding broke off
            problems.append(f"{where}: payload unreadable: its Content-Encoding is garbled")
            return None
        return body
    except PayloadTooLarge:
        problems.append(f"{where}: payload decodes to more than {cap} bytes "
                        "(not inflated further)")
        return None
    except Exception as exc:  # a record that walked fine cannot fail here but for I/O
        problems.append(f"{where}: payload unreadable: {describe_error(exc)}")
        return None
    finally:
        handle.seek(resume)


def walk_records(path: Path, problems: list[str], *, check_digests: bool,
                 inspect: Callable[[Any], None] | None = None,
                 ) -> Iterator[tuple[Any, RecordInfo, Any]]:
    """(warcio record read to its end, its info, the seekable handle it came from) for each
    whole record of ``path`` before its first damage, which adds one line to ``problems``:
    the walk under ``iter_records``, for a reader that wants warcio's record itself (its
    digest checker, with ``check_digests``).

    ``inspect(record)`` runs before the record is read to its end (to stream its payload
    while digests are computed); it must catch its own errors and print nothing.
    """
    try:
        kind = compression(path)
    except OSError as exc:
        problems.append(f"{path}: not checked: cannot read it: {describe_error(exc)}")
        return
    with contextlib.ExitStack() as stack:
        try:
            handle = stack.enter_context(path.open("rb"))
        except OSError as exc:
            problems.append(f"{path}: not checked: cannot read it: {describe_error(exc)}")
            return
        size = os.fstat(handle.fileno()).st_size
        cause: str | None = None  # what ends the readable bytes at ``size``
        if kind == "record":
            found = gzip_damage(path)  # warcio would print what it meets past it
            if found is not None:
                size, cause = found[0], ("cut off: the gzip member there is truncated"
                                         if found[1].startswith("truncated") else
                                         f"garbled: {found[1]}")
        elif kind == "whole":
            plain = stack.enter_context(tempfile.TemporaryFile(prefix="newsarc-inflate-"))
            size, cause = _inflate(handle, plain, _inflate_bound(size))
            handle = plain
        handle.seek(0)
        note = " (a whole-file gzip: offsets count decompressed bytes)" if kind == "whole" else ""
        yield from _records(path, handle, size, cause, problems, check_digests, inspect, note)


def _inflate_bound(size: int) -> int:
    return max(_INFLATE_FLOOR, _INFLATE_RATIO * size)


def inflate_whole(path: Path, out: Path) -> None:
    """A whole-file gzip's content, byte for byte, into the new file ``out``: the one form in
    which pywb, cdxj-indexer and a record's pointer can read its records at an offset.
    ValueError saying what stopped it (damage, the bomb bound); ``out`` is then removed."""
    with path.open("rb") as source, out.open("xb") as target:
        written, cause = _inflate(source, target, _inflate_bound(os.fstat(source.fileno()).st_size))
    if cause is not None:
        out.unlink()
        raise ValueError(f"not used: {cause} (after {written} bytes of content)")


def _inflate(source: Any, target: Any, most: int) -> tuple[int, str | None]:
    """Inflate a whole-file gzip (any number of members) into ``target``, streaming; return
    the bytes written and what stopped it early, if anything."""
    written = 0
    member = zlib.decompressobj(31)
    fed = False  # has the current member been given input?
    pending = b""
    while True:
        if not pending:
            pending = source.read(1 << 16)  # zlib gives nothing of a piece it fails in
            if not pending:
                break
        if not fed and pending[:2] != GZIP_MAGIC[: len(pending[:2])]:
            if not pending.strip(b"\0"):  # zero padding some writers leave
                pending = b""
                continue
            return written, (f"garbage after the gzip data at compressed byte "
                             f"{source.tell() - len(pending)}")
        fed = True
        backup = member.copy()  # zlib gives nothing of a piece it fails in
        try:
            out = member.decompress(pending, _CHUNK)
        except zlib.error:
            out, error, at = _salvage(backup, pending)
            target.write(out)
            return written + len(out), (f"garbled gzip data near compressed byte "
                                        f"{source.tell() - len(pending) + at} ({error})")
        target.write(out)
        written += len(out)
        if written > most:
            return written, f"decompresses to more than {most} bytes (not inflated further)"
        if member.eof:
            pending = member.unused_data
            member, fed = zlib.decompressobj(31), False
        else:
            pending = member.unconsumed_tail
    if fed:
        return written, "cut off: the gzip stream is truncated before its end marker"
    return written, None


def _salvage(member: Any, data: bytes) -> tuple[bytes, zlib.error | None, int]:
    """What ``member`` inflates of ``data`` before any error, the error and about where in
    ``data`` it is, fed in small steps: zlib gives nothing of a piece it fails in, and the
    records before the damage are wanted."""
    out = bytearray()
    for start in range(0, len(data), 64):
        try:
            out += member.decompress(data[start:start + 64])
        except zlib.error as exc:
            return bytes(out), exc, start
        if member.eof:
            break
    return bytes(out), None, len(data)


def _is_arc(handle: Any) -> bool:
    """True for an ARC file: warcio hands ARC records over as WARC ones (with a record id
    made up at each reading), so the file's first bytes tell them apart."""
    handle.seek(0)
    start = handle.read(4096)
    handle.seek(0)
    if start.startswith(GZIP_MAGIC):
        try:
            start = zlib.decompressobj(31).decompress(start, 64)
        except zlib.error:
            return False
    return bool(start.strip()) and not start.lstrip().startswith(b"WARC/")


def _records(path: Path, handle: Any, limit: int, cause: str | None, problems: list[str],
             check_digests: bool, inspect: Callable[[Any], None] | None, note: str = "",
             ) -> Iterator[tuple[Any, RecordInfo, Any]]:
    """The whole records in the first ``limit`` bytes of ``handle``; ``cause`` says what
    ends the readable bytes there (gzip damage, the inflation bound), if anything."""
    arc = _is_arc(handle)
    records = ArchiveIterator(Prefix(handle, limit), arc2warc=True, check_digests=check_digests)
    stream = iter(records)
    damage: tuple[int, str] | None = None
    while True:
        offset = records.offset  # where the next record starts (the last one is read)
        said = io.StringIO()
        try:
            with contextlib.redirect_stderr(said):
                record = next(stream, None)
                if record is None:  # the end, or bytes left too short to make a record
                    if offset < limit or cause is not None:
                        damage = offset, cause or _TRUNCATED
                    break
                if inspect is not None:
                    inspect(record)
                records.read_to_end()
        except ArchiveLoadFailed as exc:
            damage = offset, ("a gzip member holds several records (a whole-file gzip "
                              "mixed in)" if "non-chunked" in str(exc)
                              else f"bad record header: {describe_error(exc)}")
            break
        except Exception as exc:  # whatever garbled or missing bytes make warcio raise
            exhausted = records.reader is None or records.reader.rem_length() == 0
            damage = offset, ((cause or _TRUNCATED) if exhausted and handle.tell() >= limit
                              else f"unreadable: {describe_error(exc)}")
            break
        length = records.get_record_length()
        if said.getvalue():  # warcio's warning: no blank line where the record should end
            damage = offset, ("record not followed by a blank line (its Content-Length is "
                              "wrong, or garbage follows it)")
            break
        if getattr(record.raw_stream, "limit", 0) > 0 or offset + length > limit:
            damage = offset, cause or _TRUNCATED  # warcio hands a short record over
            break
        yield record, _info(path, record, offset, length, arc), handle
    if damage is not None:
        problems.append(f"{path} @{damage[0]}: damaged: {damage[1]}{note}")


def _info(path: Path, record: Any, offset: int, length: int, arc: bool) -> RecordInfo:
    headers = record.rec_headers
    http = record.http_headers if record.rec_type in ("response", "revisit") else None
    status = http.get_statuscode() if http is not None else None
    version = "arc" if arc else (headers.protocol or "").split("/", 1)[-1] or "1.0"
    return RecordInfo(
        path=path, offset=offset, length=length, rec_type=record.rec_type,
        uri=headers.get_header("WARC-Target-URI") or "",
        date=headers.get_header("WARC-Date") or "",
        # ARC has no record ids: warcio makes up a new one at every reading.
        record_id=None if arc else headers.get_header("WARC-Record-ID"),
        status=int(status) if status and status.isdigit() else None,
        content_type=http.get_header("Content-Type") if http is not None else None,
        payload_digest=headers.get_header("WARC-Payload-Digest"),
        refers_to=headers.get_header("WARC-Refers-To"),
        refers_to_uri=headers.get_header("WARC-Refers-To-Target-URI"),
        refers_to_date=headers.get_header("WARC-Refers-To-Date"),
        etag=http.get_header("ETag") if http is not None else None,
        last_modified=http.get_header("Last-Modified") if http is not None else None,
        warc_version=version,
    )


def first_damage(path: Path) -> tuple[int, str] | None:
    """(offset, what) of the first damage of ``path`` (its line without the file name), or
    None when every record of it is whole: the check a packager wants before handing a file
    to a library that would fail half-way (digests are not checked here)."""
    problems: list[str] = []
    for _found in walk_records(path, problems, check_digests=False):
        pass
    if not problems:
        return None
    where, _, what = problems[0].removeprefix(f"{path} ").partition(": ")
    offset = int(where[1:]) if where.startswith("@") and where[1:].isdigit() else 0
    return offset, what.removeprefix("damaged: ")
