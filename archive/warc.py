"""WARC files: the archive's source of truth, written and repaired with warcio.

Every HTTP exchange becomes a WARC/1.1 ``request`` and ``response`` pair (WARC/1.0 for older
readers, ``WarcWriter(warc_version="1.0")``), gzip per record, in ``DIR/warc/``.  The HTTP
heads are written as they crossed the wire when the crawler hands them over (``raw_head``).

A file being written is named ``….warc.gz.open`` and renamed when closed, so a reader
never takes a growing file for a finished one, and names carry time, host, process id and
a random token, so concurrent writers never collide.  A crash leaves an ``.open`` file
whose records are complete up to the last flush; ``repair_open_files`` keeps that readable
prefix, moves any torn tail aside, and closes the file.

A write that fails (a full disk, a file-size limit) leaves nothing half-written either: each
exchange is assembled in memory and written in one go, and on an ``OSError`` the file is cut
back to where the exchange began before the error is raised.

Nothing here writes through a symbolic link (``archive.safeio``): a linked ``warc/`` folder or
``.open`` file is refused by name.  Readers take a payload only up to a cap (the crawl's
``DOWNLOAD_MAXSIZE``): a WARC file from elsewhere may hold a gzip bomb, which is flagged,
never inflated whole.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import secrets
import socket
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.warcwriter import WARCWriter

from archive.safeio import open_write, refuse_symlinks

WARC_DIR = "warc"
OPEN_SUFFIX = ".open"
WARC_SUFFIX = ".warc.gz"
DEFAULT_MAX_SIZE = 1_000_000_000
# The most a reader decodes of one payload: crawler/settings.py's DOWNLOAD_MAXSIZE, the most
# a crawl itself would have taken (archive/ does not import crawler/, so it is repeated).
DEFAULT_PAYLOAD_CAP = 16 * 1024 * 1024
WARC_VERSIONS = ("1.0", "1.1")
DEFAULT_WARC_VERSION = "1.1"
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
# Each version names its revisit profiles under its own URI (warcio picks the
# identical-payload-digest one by version; server-not-modified is set here).
_SERVER_NOT_MODIFIED = {
    "1.0": "http://netpreserve.org/warc/1.0/revisit/server-not-modified",
    "1.1": SERVER_NOT_MODIFIED,
}
# The body we are given was de-chunked by the HTTP client; a Transfer-Encoding header
# kept as is would make the stored block unreadable, so it is renamed (as wpull does).
_HOP_HEADERS = {"transfer-encoding": "X-Archive-Orig-Transfer-Encoding"}
# The most a head may take: a wire head larger than this is no head newsarc keeps.
MAX_HEAD = 256 * 1024


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and the response to it, as they crossed the wire.

    ``raw_head`` is the response's status line and header block as received, blank line
    included, and ``raw_request_head`` the request's as sent: written byte for byte (but a
    ``Transfer-Encoding`` header renamed, since ``body`` is de-chunked).  Without them (or
    when they do not parse) the heads are rebuilt from ``status``, ``response_headers`` and
    ``request_headers``, as an HTTP client that re-cases and reorders headers gives them.
    """

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    protocol: str = "HTTP/1.1"
    request_body: bytes = b""
    ip_address: str | None = None
    raw_head: bytes | None = None
    raw_request_head: bytes | None = None


class RecordIndex(Protocol):
    """What a writer tells an index as it writes (``archive.index.WriteTimeIndex``)."""

    def add(self, filename: str, record: Any, offset: int, length: int) -> None: ...

    def finish(self, filename: str) -> None: ...


@dataclass(frozen=True)
class WarcLocation:
    """Where a record lies: what a corpus record's ``warc`` field holds."""

    filename: str
    offset: int
    length: int
    record_id: str
    date: str

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))  # flat: asdict's deep copy is for nested fields


def warc_dir(archive: Path) -> Path:
    return archive / WARC_DIR


def _host() -> str:
    return "".join(c if c.isalnum() or c == "-" else "-" for c in socket.gethostname())[:32]


def new_warc_name(prefix: str = "newsarc") -> str:
    """A file name no other writer can pick: time, host, pid and a random token."""
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
    prefix = "".join(c if c.isalnum() or c in "-_" else "-" for c in prefix)[:64] or "newsarc"
    return f"{prefix}-{stamp}-{_host()}-{os.getpid()}-{secrets.token_hex(3)}{WARC_SUFFIX}"


def open_file_owner_alive(name: str) -> bool:
    """True when the ``.open`` file ``name`` belongs to a live process on this host.

    Such a file is being written and must be left alone; any other ``.open`` file was left
    by a writer that died.  Files of other hosts (a shared disk) count as live.
    """
    stem = name.split(WARC_SUFFIX, 1)[0]
    rest, pid, _token = (stem.rsplit("-", 2) + ["", ""])[:3]
    if not rest.endswith("-" + _host()):
        return True
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


class WarcWriter:
    """Writes exchanges to rotating gzip WARC/1.1 files in one directory.

    ``warc_version`` "1.0" writes WARC/1.0 instead, for readers that know no other (hanzo
    warctools, warc-knot): 1.0's revisit profile URIs and whole-second WARC-Dates.
    ``info`` goes into the ``warcinfo`` record that opens every file (software, version,
    crawl settings).  Each exchange is written to the OS as soon as it is complete, so a
    killed process loses at most the exchange in progress, and a failed write is taken
    back (see the module docstring), so the file always ends on a complete record.
    """

    def __init__(
        self, directory: Path, info: dict[str, str], *, prefix: str = "newsarc",
        max_size: int = DEFAULT_MAX_SIZE, index: RecordIndex | None = None,
        warc_version: str = DEFAULT_WARC_VERSION,
    ) -> None:
        if warc_version not in WARC_VERSIONS:
            raise ValueError(f"WARC version {warc_version!r}: newsarc writes "
                             f"{' or '.join(WARC_VERSIONS)}")
        self.warc_version = warc_version
        self.directory = directory
        # Told of each record once it is in the file, and of each file once it is closed.
        self.index = index
        self._written: list[tuple[Any, WarcLocation]] = []  # records of the exchange
        self.info = info
        self.prefix = prefix
        self.max_size = max_size
        self.closed_files: list[str] = []
        self._handle: Any = None  # the open file, unbuffered: bytes go out per exchange
        self._end = 0  # where the file's last complete exchange ends
        self._buffer = BytesIO()  # the exchange being assembled
        self._writer = WARCWriter(self._buffer, gzip=True, warc_version=warc_version)
        self._name = ""
        refuse_symlinks(directory)  # a linked warc/ would put every file elsewhere
        directory.mkdir(parents=True, exist_ok=True)

    def write_exchange(self, exchange: Exchange, digest: str | None = None) -> WarcLocation:
        """Write a request/response pair; return the response record's location.

        ``digest``: the body's ``payload_digest``, when the caller has it already (it is
        how a crawl tells an unchanged page): warcio does not hash the body again.
        """
        writer = self._current()
        response = self._response_record(writer, exchange, digest)
        return self._write_pair(response, self._request_record(writer, exchange, response))

    def _write_pair(self, response: Any, request: Any) -> WarcLocation:
        """Write a response (or revisit) record and its request as one exchange; rotate
        the file once it is full.  Returns the response record's location."""
        location = self._write(response)
        self._write(request)
        self._commit()
        if self._end >= self.max_size:
            self.close()
        return location

    def _commit(self) -> None:
        """Write the assembled exchange; on failure cut the file back and re-raise."""
        data = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        written, self._written = self._written, []
        try:
            _write_all(self._handle, data)
        except OSError as exc:
            os.ftruncate(self._handle.fileno(), self._end)
            self._handle.seek(self._end)
            path = self.directory / (self._name + OPEN_SUFFIX)
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        self._end = self._handle.tell()
        if self.index is not None:
            for record, location in written:
                self.index.add(self._name, record, location.offset, location.length)

    def write_revisit(self, exchange: Exchange, refers_to: dict[str, Any]) -> WarcLocation:
        """Write an unchanged re-fetch as a ``revisit`` record and its request.

        A 304 answer is a revisit of profile server-not-modified; a 200 whose payload
        equals the earlier capture's is one of profile identical-payload-digest.  Either
        way the payload is not stored twice; ``refers_to`` names the earlier capture
        (``warc_record_id``, ``warc_date``, ``payload_digest``).
        """
        writer = self._current()
        not_modified = exchange.status == 304
        http_headers = _response_headers(exchange)
        warc_headers = {"WARC-Refers-To": refers_to.get("warc_record_id") or ""}
        if exchange.ip_address:
            warc_headers["WARC-IP-Address"] = exchange.ip_address
        digest = refers_to.get("payload_digest") if not_modified else payload_digest(exchange.body)
        refers_date = refers_to.get("warc_date") or ""
        if self.warc_version == "1.0":  # 1.0 dates are whole seconds, an earlier capture's too
            refers_date = _whole_seconds(refers_date)
        revisit = writer.create_revisit_record(
            exchange.url, digest or payload_digest(b""), exchange.url,
            refers_date, http_headers=http_headers,
            warc_headers_dict=warc_headers)
        if not_modified:
            revisit.rec_headers.replace_header("WARC-Profile",
                                               _SERVER_NOT_MODIFIED[self.warc_version])
        return self._write_pair(revisit, self._request_record(writer, exchange, revisit))

    def close(self) -> None:
        """Finish the current file: fsync, then drop the ``.open`` suffix.

        A file whose fsync fails keeps its ``.open`` name: the next run checks it record by
        record (``repair_open_files``) instead of trusting it.
        """
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        open_path = self.directory / (self._name + OPEN_SUFFIX)
        try:
            os.fsync(handle.fileno())
        finally:
            handle.close()
        if self._end == 0:  # not even the warcinfo record made it
            open_path.unlink(missing_ok=True)
            return
        open_path.rename(self.directory / self._name)
        self.closed_files.append(self._name)
        if self.index is not None:
            self.index.finish(self._name)

    def _current(self) -> WARCWriter:
        """The record writer, with a file open for it (a new file starts with warcinfo)."""
        self._buffer.seek(0)
        self._buffer.truncate()  # whatever a failed exchange left assembled
        self._written = []
        if self._handle is None:
            self._name = new_warc_name(self.prefix)
            self._handle = open_write(self.directory / (self._name + OPEN_SUFFIX), "xb",
                                      buffering=0)
            self._end = 0
            self._writer.write_record(self._writer.create_warcinfo_record(self._name, self.info))
            try:
                self._commit()
            except OSError:
                self.close()  # removes the empty file
                raise
        return self._writer

    def _write(self, record: Any) -> WarcLocation:
        offset = self._buffer.tell()
        self._writer.write_record(record)
        headers = record.rec_headers
        location = WarcLocation(
            filename=self._name,
            offset=self._end + offset,
            length=self._buffer.tell() - offset,
            record_id=headers.get_header("WARC-Record-ID"),
            date=headers.get_header("WARC-Date"),
        )
        self._written.append((record, location))
        return location

    @staticmethod
    def _response_record(writer: WARCWriter, exchange: Exchange, digest: str | None) -> Any:
        http_headers = _response_headers(exchange)
        warc_headers = {"WARC-IP-Address": exchange.ip_address} if exchange.ip_address else {}
        if digest:
            warc_headers["WARC-Payload-Digest"] = digest
        return writer.create_warc_record(
            exchange.url, "response", payload=BytesIO(exchange.body),
            length=len(exchange.body), http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )

    @staticmethod
    def _request_record(writer: WARCWriter, exchange: Exchange, response: Any) -> Any:
        http_headers = _raw_headers(exchange.raw_request_head, request=True)
        if http_headers is None:
            target = _request_target(exchange.url)
            http_headers = StatusAndHeaders(
                f"{exchange.method} {target} {exchange.protocol}", exchange.request_headers,
                is_http_request=True,
            )
        rec_headers = response.rec_headers
        warc_headers = {
            "WARC-Concurrent-To": rec_headers.get_header("WARC-Record-ID"),
            "WARC-Date": rec_headers.get_header("WARC-Date"),
        }
        if exchange.ip_address:
            warc_headers["WARC-IP-Address"] = exchange.ip_address
        return writer.create_warc_record(
            exchange.url, "request", payload=BytesIO(exchange.request_body),
            length=len(exchange.request_body), http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )


def _write_all(handle: Any, data: bytes) -> None:
    """Write every byte to an unbuffered file (a full disk first shows as a short write)."""
    view = memoryview(data)
    while view:
        written = handle.write(view)
        if not written:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest of a body, as warcio writes it (sha1, base32)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def _response_headers(exchange: Exchange) -> StatusAndHeaders:
    """The response's head: as received when the exchange has it, else rebuilt."""
    raw = _raw_headers(exchange.raw_head, request=False)
    if raw is not None:
        return raw
    headers = [
        (_HOP_HEADERS.get(name.lower(), name), value) for name, value in exchange.response_headers
    ]
    reason = _reason(exchange.status)
    return StatusAndHeaders(f"{exchange.status} {reason}".strip(), headers,
                            protocol=exchange.protocol)


class _WireHead(StatusAndHeaders):
    """A head parsed for warcio and readers (status, headers by name) that is written as
    the bytes it was parsed from: warcio would write its parse again, ``Name: value`` with
    non-ASCII values %-encoded, no longer what crossed the wire."""

    def __init__(self, raw: bytes, parsed: StatusAndHeaders) -> None:
        super().__init__(parsed.statusline, parsed.headers, protocol=parsed.protocol,
                         total_len=len(raw))
        self.raw = raw

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        self.headers_buff = self.raw  # what warcio writes and digests as the head


def parse_http_head(raw: bytes, *, request: bool = False) -> StatusAndHeaders:
    """A wire head (status or request line, header lines, the blank line) parsed by
    warcio's parser, which keeps names' case, order and repeats; ``ValueError`` for bytes
    that are no single whole head (a record must not hold half a head, or two)."""
    if not raw or len(raw) > MAX_HEAD:
        raise ValueError(f"a head of {len(raw)} bytes")
    lines = raw.split(b"\n")  # the last is what follows the final newline
    blank = next((n for n, line in enumerate(lines[1:], 1) if line in (b"", b"\r")), 0)
    if blank != len(lines) - 2 or lines[-1]:
        raise ValueError("not one head ending in a blank line")
    try:
        parsed = StatusAndHeadersParser([], verify=False).parse(BytesIO(raw))
    except Exception as exc:  # whatever odd bytes make warcio's parser raise
        raise ValueError(f"unparsable head: {exc}") from None
    if request:
        target, _, protocol = parsed.statusline.rpartition(" ")
        if not parsed.protocol or not target or not protocol.upper().startswith("HTTP/"):
            raise ValueError(f"no request line: {parsed.protocol} {parsed.statusline}"[:80])
    elif not (parsed.protocol.upper().startswith("HTTP/")
              and parsed.get_statuscode().isdigit() and len(parsed.get_statuscode()) == 3):
        raise ValueError(f"no status line: {parsed.protocol} {parsed.statusline}"[:80])
    return parsed


def _raw_headers(raw: bytes | None, *, request: bool) -> StatusAndHeaders | None:
    """The head to write as received, hop headers renamed; None to rebuild it instead."""
    if raw is None:
        return None
    if not request:
        raw = _rename_hop_headers(raw)
    try:
        return _WireHead(raw, parse_http_head(raw, request=request))
    except ValueError:
        return None


def _rename_hop_headers(raw: bytes) -> bytes:
    """``raw`` with each hop header's name replaced, the rest of its line as received."""
    lines = raw.split(b"\n")  # lines as an HTTP parser takes them (a lone CR ends none)
    for number, line in enumerate(lines[1:], 1):
        name, colon, rest = line.partition(b":")
        if not colon or line[:1] in (b" ", b"\t"):
            continue  # a continuation line, or no header line at all
        renamed = _HOP_HEADERS.get(name.strip().decode("latin-1").lower())
        if renamed:
            lines[number] = renamed.encode("ascii") + colon + rest
    return b"\n".join(lines)


def _whole_seconds(date: str) -> str:
    """A WARC-Date without its fraction of a second (``…T01:02:03.456Z`` → ``…T01:02:03Z``)."""
    stem, dot, fraction = date.partition(".")
    return f"{stem}Z" if dot and fraction.endswith("Z") else date


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _request_target(url: str) -> str:
    """The request line's target: path and query, exactly as requested."""
    rest = url.split("://", 1)[-1]
    slash = rest.find("/")
    target = rest[slash:] if slash >= 0 else "/"
    return target.split("#", 1)[0]


# --- reading and repair -----------------------------------------------------------------

# Names of finished WARC and ARC files (ours are ".warc.gz"; imported ones may be any).
ARCHIVE_SUFFIXES = (".warc.gz", ".warc", ".arc.gz", ".arc")


def is_archive_file(name: str) -> bool:
    """True for a WARC or ARC file name; ``.open`` and ``.torn`` files are not finished."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def warc_files(archive: Path) -> list[Path]:
    """Finished WARC and ARC files of an archive, oldest name first (imported files too)."""
    directory = warc_dir(archive)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if is_archive_file(p.name) and p.is_file())


_INFLATE_STEP = 1 << 20  # bytes of output at most per decompression call


def gzip_complete_end(path: Path) -> int:
    """Offset where the last complete gzip member of ``path`` ends.

    Each record is its own gzip member, so a torn record is a member without its end; a
    reader of a truncated member would silently get a short record, so this is checked
    with zlib directly, streaming (memory stays flat whatever the file size).  Raises
    ``zlib.error`` for bytes that are no gzip data.
    """
    good, error = _gzip_scan(path)
    if error is not None:
        raise error
    return good


def gzip_damage(path: Path) -> tuple[int, str] | None:
    """(offset, what is wrong) of the first gzip member of ``path`` that is cut off or no
    gzip data at all, or None when the file is whole members to its end."""
    good, error = _gzip_scan(path)
    if error is not None:
        return good, f"not gzip data ({error})"
    if good < path.stat().st_size:
        return good, "truncated: the record there is incomplete"
    return None


def _gzip_scan(path: Path) -> tuple[int, zlib.error | None]:
    """End of the last complete gzip member, and the error that stopped the scan if any."""
    good = position = 0
    member = zlib.decompressobj(31)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            while chunk:
                # Output discarded (only boundaries matter here) and bounded: a megabyte of
                # well-compressed input can stand for a gigabyte.
                try:
                    member.decompress(chunk, _INFLATE_STEP)
                except zlib.error as exc:
                    return good, exc
                if member.eof:
                    position += len(chunk) - len(member.unused_data)
                    good = position
                    chunk = member.unused_data
                    member = zlib.decompressobj(31)
                else:
                    position += len(chunk) - len(member.unconsumed_tail)
                    chunk = member.unconsumed_tail
    return good, None


def complete_prefix(path: Path) -> int:
    """Bytes of ``path`` holding whole records whose digests check (the rest is torn)."""
    try:
        limit = gzip_complete_end(path)
    except zlib.error:
        limit = 0
    good = 0
    with path.open("rb") as handle:
        records = ArchiveIterator(handle, check_digests="raise")
        try:
            for _record in records:
                records.read_to_end()
                end = records.get_record_offset() + records.get_record_length()
                if end > limit:
                    break
                good = end
        except Exception:  # any failure to read on ends the readable prefix
            pass
    return good


def repair_open_files(directory: Path) -> list[tuple[str, int]]:
    """Close every ``.open`` file a crashed writer left: keep its complete records, move a
    torn tail to ``NAME.torn`` (nothing is thrown away), and drop the suffix.

    Returns (closed file name, bytes moved aside) for each repaired file.  A linked folder
    or ``.open`` file is refused (``SymlinkRefused``) before anything is cut.
    """
    repaired = []
    refuse_symlinks(directory)
    for path in sorted(directory.glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        if open_file_owner_alive(path.name):
            continue
        refuse_symlinks(path)
        good = complete_prefix(path)
        size = path.stat().st_size
        final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
        if good < size:
            with open_write(path, "rb+") as handle:
                handle.seek(good)
                with open_write(final.with_name(final.name + ".torn"), "ab") as aside:
                    while chunk := handle.read(1 << 20):  # a torn tail may be large
                        aside.write(chunk)
                handle.truncate(good)
        if good == 0:
            path.unlink()
        else:
            path.rename(final)
        repaired.append((final.name, size - good))
    return repaired


def _pointed_file(archive: Path, location: dict[str, Any]) -> Path:
    """The file a pointer names, in ``DIR/warc/`` only: a damaged or tampered pointer naming
    a path elsewhere is refused."""
    name = str(location["filename"])
    if not name or name != Path(name).name or name.startswith("."):
        raise ValueError(f"a WARC pointer names {name!r}, not a file of {WARC_DIR}/")
    path = warc_dir(archive) / name
    if not path.exists():  # still being written by a running crawl
        path = path.with_name(path.name + OPEN_SUFFIX)
    return path


def record_headers_at(archive: Path, location: dict[str, Any]) -> Any:
    """The record a ``warc`` pointer names, its headers read and its payload not: a
    pointer's length is not trusted with memory (a damaged one could say gigabytes)."""
    with _pointed_file(archive, location).open("rb") as handle:
        handle.seek(location["offset"])
        return next(iter(ArchiveIterator(handle, arc2warc=True)))  # ARC too


class Prefix:
    """The first ``limit`` bytes of an open file, as warcio reads a file: the records of a
    damaged file up to its damage, without warcio meeting (and printing) the garbage."""

    def __init__(self, handle: Any, limit: int) -> None:
        self.handle, self.limit = handle, limit

    def read(self, size: int = -1) -> bytes:
        left = max(0, self.limit - self.handle.tell())
        return self.handle.read(left if size is None or size < 0 else min(size, left))

    def tell(self) -> int:
        return self.handle.tell()


def describe_error(exc: BaseException, limit: int = 120) -> str:
    """One printable line for a reader's error: garbled files put their raw bytes into
    warcio's messages, which must not reach a terminal as control characters."""
    return printable(f"{type(exc).__name__}: {exc}", limit)


def printable(text: str, limit: int = 120) -> str:
    """``text`` cut to ``limit`` characters, anything unprintable escaped: what a damaged
    file says (a URI, a header) is shown, never sent to a terminal raw."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text[:limit])


class PayloadTooLarge(ValueError):
    """A payload decodes to more than the cap: flagged, not inflated further."""


def read_capped(stream: Any, cap: int) -> bytes:
    """All of ``stream`` if it holds at most ``cap`` bytes, else ``PayloadTooLarge`` as soon
    as it has given more (a decoding stream inflates one input block at a time)."""
    parts, size = [], 0
    while chunk := stream.read(1 << 16):
        size += len(chunk)
        if size > cap:
            raise PayloadTooLarge(f"its payload decodes to more than {cap} bytes")
        parts.append(chunk)
    return b"".join(parts)


def read_payload_at(archive: Path, location: dict[str, Any],
                    cap: int = DEFAULT_PAYLOAD_CAP) -> tuple[Any, bytes]:
    """The record a ``warc`` pointer names and its decoded payload, read from the file as a
    stream and at most ``cap`` bytes of it (``PayloadTooLarge`` beyond)."""
    with _pointed_file(archive, location).open("rb") as handle:
        handle.seek(location["offset"])
        record = next(iter(ArchiveIterator(handle, arc2warc=True)))
        return record, read_capped(record.content_stream(), cap)


def read_record_at(archive: Path, location: dict[str, Any]) -> Any:
    """Open the record a ``warc`` pointer names; returns (record, payload bytes), the payload
    capped like every reader's (``read_payload_at``)."""
    return read_payload_at(archive, location)


def response_captures(archive: Path, wanted: Callable[[str], bool],
                      problems: list[str]) -> list[WarcLocation]:
    """Locations of the HTTP 200 ``response`` records whose target URI ``wanted`` accepts,
    in every finished WARC file, oldest capture first.

    Files may come from elsewhere: a file cut off or garbled is read up to the byte where
    the damage starts, and a line naming that byte is added to ``problems``."""
    captures: list[WarcLocation] = []
    for path in warc_files(archive):
        _scan_responses(archive, path, wanted, captures, problems)
    return sorted(captures, key=lambda c: (c.date, c.filename, c.offset))


def _scan_responses(archive: Path, path: Path, wanted: Callable[[str], bool],
                    captures: list[WarcLocation], problems: list[str]) -> None:
    """Add ``path``'s wanted captures up to the first damage, which is reported."""
    from archive.sources import compression, iter_records  # sources reads through this

    try:
        whole = compression(path) == "whole"
    except OSError as exc:
        problems.append(f"{WARC_DIR}/{path.name}: unreadable: {describe_error(exc)}")
        return
    if whole:  # offsets in it would be decompressed bytes no pointer can seek to
        problems.append(f"{WARC_DIR}/{path.name}: not used: one gzip stream for all its "
                        "records; `newsarc import` stores such a file decompressed")
        return
    found: list[str] = []
    for info, _payload in iter_records(path, found):
        if info.rec_type == "response" and info.status == 200 and wanted(info.uri):
            captures.append(WarcLocation(path.name, info.offset, info.length,
                                         info.record_id or "", info.date))
    for line in found:
        problems.append(
            f"{WARC_DIR}/{line.removeprefix(str(path.parent) + '/')}; its records before "
            f"that byte were used, the rest of the file was not (newsarc verify {archive} "
            "lists the damage)")
