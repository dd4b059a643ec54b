"""The JSON Lines corpus, ``DIR/articles.jsonl``: append-only, one record a line, UTF-8.

Append-only means a killed writer can leave at most one half-written last line.  It is
never kept silently: ``repair`` moves it aside to ``articles.jsonl.partial`` (nothing is
lost, an operator can look at it) before anything new is appended.  A write that fails (a
full disk) takes its partial line back at once, so the corpus stays whole lines.  Neither
the corpus nor its ``.partial`` is ever written through a symbolic link (``archive.safeio``).
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archive.errors import DamagedFile
from archive.safeio import open_write, refuse_symlinks

CORPUS_NAME = "articles.jsonl"
# What to do about a malformed line, said with every error naming one.
MALFORMED_REPAIR = ("fix or delete that line (`newsarc reextract DIR --out FILE` rebuilds "
                    "the whole corpus from the WARC files)")


def dumps(record: dict[str, Any]) -> str:
    """One record as one JSON line: UTF-8 text kept readable (no \\uXXXX escapes)."""
    return json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n"


def repair(path: Path, root: Path | None = None) -> int:
    """Cut a half-written last line off ``path`` into ``path.partial``; return bytes moved.
    A link at either is refused before anything is read or cut (``root``: the archive)."""
    refuse_symlinks(path, root)
    if not path.exists() or path.stat().st_size == 0:
        return 0
    with open_write(path, "rb+", root=root) as handle:
        size = handle.seek(0, os.SEEK_END)
        tail_start = _last_newline_end(handle, size)
        if tail_start == size:
            return 0
        handle.seek(tail_start)
        fragment = handle.read()
        with open_write(path.with_name(path.name + ".partial"), "ab", root=root) as aside:
            aside.write(fragment + b"\n")
        handle.truncate(tail_start)
    return len(fragment)


def _last_newline_end(handle: Any, size: int) -> int:
    """Offset just after the last newline in the file (0 when there is none)."""
    position = size
    while position > 0:
        step = min(65536, position)
        position -= step
        handle.seek(position)
        chunk = handle.read(step)
        index = chunk.rfind(b"\n")
        if index >= 0:
            return position + index + 1
    return 0


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Stream the records of a corpus file, naming the line of any malformed one."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DamagedFile(path, f"line {number} is malformed JSON ({exc})",
                                  MALFORMED_REPAIR) from exc
            yield record


class CorpusWriter:
    """Appends records to ``DIR/articles.jsonl`` and knows the latest version of each id."""

    def __init__(self, directory: Path, latest: dict[int, tuple[int, str]] | None = None) -> None:
        """Open for appending (after ``repair``).  ``latest`` (id -> version, hash) comes
        from the catalog when there is one; without it the corpus is read once to learn it."""
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / CORPUS_NAME
        self.repaired_bytes = repair(self.path)
        if latest is None:
            latest = {}
            if self.path.exists():
                for record in read_records(self.path):
                    latest[record["id"]] = (record.get("version", 1), record["content_hash"])
        self.latest = latest
        self._handle = open_write(self.path, "ab", buffering=0)  # one write a line, none held

    def tell(self) -> int:
        """Bytes of the corpus written so far (what the catalog has seen)."""
        return self._handle.tell()

    def next_version(self, record: dict[str, Any]) -> int | None:
        """The version number ``record`` would get, or None when that body is already stored."""
        known = self.latest.get(record["id"])
        if known is None:
            return 1
        version, digest = known
        return None if digest == record["content_hash"] else version + 1

    def write(self, record: dict[str, Any]) -> None:
        """Append one record as a whole line, written at once so a crash loses at most this
        line; a failed write is cut off again before the error is raised."""
        data = memoryview(dumps(record).encode("utf-8"))
        start = self._handle.seek(0, os.SEEK_END)
        try:
            while data:
                written = self._handle.write(data)
                if not written:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
                data = data[written:]
        except OSError as exc:
            os.ftruncate(self._handle.fileno(), start)
            raise OSError(exc.errno, exc.strerror, str(self.path)) from exc
        self.latest[record["id"]] = (record.get("version", 1), record["content_hash"])

    def close(self) -> None:
        """Flush and fsync: the corpus is on disk when the crawl says it is done."""
        if self._handle.closed:
            return
        try:
            os.fsync(self._handle.fileno())
        finally:
            self._handle.close()
