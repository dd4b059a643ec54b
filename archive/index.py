"""The CDXJ index of an archive, ``DIR/indexes/index.cdxj``, made with cdxj-indexer.

The index is kept sorted (the form pywb binary-searches) and updated incrementally: WARC
files not yet listed in ``indexes/indexed.txt`` are indexed on their own, and the result is
merged into the existing index line by line, so an update never holds the index in memory.
The new index replaces the old one atomically.

A crawl does not read its WARC files back to index them: ``WriteTimeIndex`` runs
cdxj-indexer's own per-record code on each record as the writer puts it in the file, into
``indexes/pending/NAME.cdxj.open``, renamed ``NAME.cdxj`` once the WARC file is closed
cleanly.  ``update_index`` sorts such a finished side file instead of reading ``NAME``;
any other file (a crawl killed mid-file, a repaired file, files merged from elsewhere) is
read and indexed by cdxj-indexer as before.  Both ways give the same lines (tested).
Nothing under ``indexes/`` is written through a symbolic link (``archive.safeio``).
"""

from __future__ import annotations

import contextlib
import heapq
import io
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, TextIO

from cdxj_indexer.main import CDXJIndexer, write_cdx_index

from archive.safeio import open_write, refuse_symlinks, staged
from archive.sources import compression
from archive.warc import OPEN_SUFFIX, WARC_DIR, describe_error, warc_files

logger = logging.getLogger(__name__)

INDEX_DIR = "indexes"
INDEX_NAME = "index.cdxj"
INDEXED_LIST = "indexed.txt"
PENDING_DIR = "pending"  # side files of write-time indexing, one per WARC file
SIDE_SUFFIX = ".cdxj"


def index_path(archive: Path) -> Path:
    return archive / INDEX_DIR / INDEX_NAME


def indexed_files(archive: Path) -> set[str]:
    listing = archive / INDEX_DIR / INDEXED_LIST
    if not listing.exists():
        return set()
    return {line.strip() for line in listing.read_text().splitlines() if line.strip()}


def update_index(archive: Path, problems: list[str] | None = None) -> list[str]:
    """Index the archive's finished WARC and ARC files that the index does not hold yet.

    Returns the names of the files added.  A file cdxj-indexer cannot read (a whole-file
    gzip a researcher copied into ``warc/``, a garbled file) is left out, not marked as
    indexed, and named in a line added to ``problems`` and logged: the index is derived
    data, and one bad file must not keep the others out of it.
    """
    directory = archive / INDEX_DIR
    directory.mkdir(parents=True, exist_ok=True)
    pending = directory / PENDING_DIR
    for path in (index_path(archive), directory / INDEXED_LIST, pending):
        refuse_symlinks(path, archive)
    done = indexed_files(archive)
    _drop_stale_side_files(archive, done)
    new = [p for p in warc_files(archive) if p.name not in done]
    if not new:
        return []
    sides = {p.name: pending / (p.name + SIDE_SUFFIX) for p in new}
    to_read = [p for p in new if not sides[p.name].exists()]
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        parts = [index_path(archive)]
        for number, side in enumerate(s for s in sides.values() if s.exists()):
            parts.append(Path(scratch) / f"side-{number}.cdxj")
            with side.open(encoding="utf-8") as lines:
                parts[-1].write_text("".join(sorted(lines)), encoding="utf-8")
        for number, path in enumerate(to_read):
            part = Path(scratch) / f"read-{number}.cdxj"
            problem = _index_file(archive, path, part)
            if problem is None:
                parts.append(part)
            else:
                new.remove(path)
                logger.warning("%s", problem)
                if problems is not None:
                    problems.append(problem)
        if not new:
            return []
        with staged([index_path(archive)], root=archive) as (merged,):
            _merge_sorted(parts, merged)
    listing = directory / INDEXED_LIST
    with open_write(listing, "a", root=archive) as handle:
        handle.writelines(f"{p.name}\n" for p in new)
    for side in sides.values():
        side.unlink(missing_ok=True)
    return [p.name for p in new]


def _index_file(archive: Path, path: Path, part: Path) -> str | None:
    """Index one WARC or ARC file into ``part``; a line saying why not, if it cannot be."""
    try:
        if compression(path) == "whole":
            return (f"{WARC_DIR}/{path.name}: not indexed: one gzip stream for all its "
                    "records, which no index or replay can seek into; `newsarc import` "
                    "stores such a file decompressed")
        with contextlib.redirect_stderr(io.StringIO()):  # warcio prints what it skips
            write_cdx_index(str(part), [str(path)],
                            {"sort": True, "dir_root": str(archive / WARC_DIR)})
    except Exception as exc:  # whatever garbled bytes make warcio raise
        part.unlink(missing_ok=True)
        return (f"{WARC_DIR}/{path.name}: not indexed: {describe_error(exc)} "
                f"(`newsarc verify {archive}` lists the damage)")
    return None


class _Position:
    """Where a record lies, as cdxj-indexer asks an ``ArchiveIterator`` for it."""

    def __init__(self, offset: int, length: int) -> None:
        self.offset, self.length = offset, length

    def get_record_offset(self) -> int:
        return self.offset

    def get_record_length(self) -> int:
        return self.length


class WriteTimeIndex:
    """Index lines for records as they are written (``WarcWriter(index=...)``).

    The lines are cdxj-indexer's: its ``CDXJIndexer`` picks the records and fields, from
    the record objects the writer has just serialized instead of from the file read back.
    A side file that cannot be written is dropped, and its WARC file is read at the next
    ``update_index``: the index is derived data, never a reason to stop a crawl.
    """

    def __init__(self, archive: Path) -> None:
        self.archive = archive
        self.directory = archive / INDEX_DIR / PENDING_DIR
        self._indexer = CDXJIndexer(None, [])
        self._name: str | None = None
        self._handle: TextIO | None = None
        self._broken = False

    def add(self, filename: str, record: Any, offset: int, length: int) -> None:
        if not self._indexer.filter_record(record):
            return
        try:
            if filename != self._name:
                self._start(filename)
            if self._broken:
                return
            self._indexer.curr_filename = filename
            self._indexer.process_index_entry(_Position(offset, length), record, filename,
                                              self._handle)
        except OSError:
            self._abandon()

    def finish(self, filename: str) -> None:
        """The WARC file is closed: its side file is complete (durably, then renamed)."""
        try:
            if filename != self._name:
                self._start(filename)  # a file with nothing to index: an empty side file
            if self._broken or self._handle is None:
                return
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None
            os.replace(self._open_path(filename), self.directory / (filename + SIDE_SUFFIX))
        except OSError:
            self._abandon()

    def _start(self, filename: str) -> None:
        self._close()
        self._name, self._broken = filename, False
        self.directory.mkdir(parents=True, exist_ok=True)
        self._handle = open_write(self._open_path(filename), "w", root=self.archive)

    def _open_path(self, filename: str) -> Path:
        return self.directory / (filename + SIDE_SUFFIX + OPEN_SUFFIX)

    def _abandon(self) -> None:
        self._broken = True
        self._close()
        if self._name:
            try:
                self._open_path(self._name).unlink(missing_ok=True)
            except OSError:
                pass  # left for update_index to drop

    def _close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            try:
                handle.close()
            except OSError:
                pass


def _drop_stale_side_files(archive: Path, done: set[str]) -> None:
    """Side files no one will use: unfinished ones of WARC files no writer has open any
    more (a killed crawl's), and finished ones of files indexed already."""
    pending = archive / INDEX_DIR / PENDING_DIR
    if not pending.is_dir():
        return
    for side in pending.glob("*" + SIDE_SUFFIX + OPEN_SUFFIX):
        warc_name = side.name.removesuffix(SIDE_SUFFIX + OPEN_SUFFIX)
        if not (archive / WARC_DIR / (warc_name + OPEN_SUFFIX)).exists():
            side.unlink(missing_ok=True)
    for side in pending.glob("*" + SIDE_SUFFIX):
        if side.name.removesuffix(SIDE_SUFFIX) in done:
            side.unlink(missing_ok=True)


def _merge_sorted(inputs: list[Path], output: Path) -> None:
    handles = [p.open(encoding="utf-8") for p in inputs if p.exists()]
    try:
        with output.open("w", encoding="utf-8") as out:
            out.writelines(heapq.merge(*handles))
    finally:
        for handle in handles:
            handle.close()
