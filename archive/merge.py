"""``newsarc merge``: fold the shards of distributed workers into their archive.

Each worker wrote ``DIR/shards/<worker>/`` (WARC files, ``articles.jsonl``, a catalog).
Merging, under the archive's lock:

1. skips a shard whose worker is still running (its lock is held), and repairs one whose
   worker died (the torn WARC tail and half-written corpus line are moved aside, as a
   crawl's next run would);
2. moves the WARC files into ``DIR/warc/`` (their names are unique per worker, and the
   records' pointers name them, so nothing is rewritten);
3. stores the shards' records in capture order through the archive's own session, so an
   article version is stored once whichever worker (or earlier run) fetched it, and
   versions are numbered across the whole archive;
4. carries over what the workers learnt: missing ids, captures, page requisites, URLs
   that failed (for the next run to retry), runs;
5. updates the CDXJ index and moves the shard to ``DIR/shards/merged/``.

A symbolic link anywhere in a shard (its folder, lock, corpus, catalog, WARC files) is
refused by name before anything is written (``archive.safeio``): moved into the archive, a
linked WARC file would put an outside file in it, and a linked lock would be truncated.
"""

from __future__ import annotations

import heapq
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.catalog import CATALOG_NAME, Catalog, has_catalog
from archive.corpus import CORPUS_NAME, read_records, repair
from archive.index import update_index
from archive.lock import ArchiveLock, ArchiveLocked
from archive.safeio import refuse_symlinks
from archive.session import ArchiveSession
from archive.timeutil import utc_now_iso
from archive.warc import is_archive_file, repair_open_files, warc_dir

SHARDS = "shards"
MERGED = "merged"


@dataclass
class MergeReport:
    merged: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    duplicates: int = 0

    def describe(self) -> str:
        busy = f"; still running, left for later: {', '.join(self.busy)}" if self.busy else ""
        return (f"merged {len(self.merged)} shard(s): {self.new} new, {self.changed} changed, "
                f"{self.duplicates} already stored{busy}")


def pending_shards(archive: Path) -> list[Path]:
    root = archive / SHARDS
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name != MERGED)


def merge(archive: Path) -> MergeReport:
    """Fold every finished shard of ``archive`` into it (see the module docstring)."""
    if not archive.is_dir():
        raise ValueError(f"{archive}: no such directory")
    report = MergeReport()
    locks, shards = [], []
    try:
        for shard in pending_shards(archive):
            try:
                locks.append(ArchiveLock(shard, root=archive).acquire())
            except ArchiveLocked:
                report.busy.append(shard.name)
                continue
            shards.append(shard)
        for shard in shards:  # every link is refused before the first byte is written
            _refuse_links(shard, archive)
    except BaseException:
        for lock in locks:
            lock.release()
        raise
    session = ArchiveSession(archive)
    try:
        for shard in shards:
            _prepare(shard, archive)
        for record in heapq.merge(*(_records(s) for s in shards),
                                  key=lambda r: r.get("fetched_at") or ""):
            outcome = session.store(record)
            report.new += outcome == "new"
            report.changed += outcome == "changed"
            report.duplicates += outcome == "unchanged"
        for shard in shards:
            _carry_over(shard, session.catalog)
            report.merged.append(shard.name)
    finally:
        session.close()
        for lock in locks:
            lock.release()
    for shard in shards:
        target = archive / SHARDS / MERGED / f"{shard.name}-{utc_now_iso()[:19].replace(':', '')}"
        target.parent.mkdir(parents=True, exist_ok=True)
        refuse_symlinks(target, archive)
        shutil.move(str(shard), target)
    update_index(archive)
    return report


def _refuse_links(shard: Path, archive: Path) -> None:
    """``SymlinkRefused`` for a link among the shard's files that merge writes or moves."""
    refuse_symlinks(shard / CORPUS_NAME, archive)
    refuse_symlinks(shard / (CORPUS_NAME + ".partial"), archive)
    for suffix in ("", "-wal", "-shm", "-journal"):
        refuse_symlinks(shard / (CATALOG_NAME + suffix), archive)
    refuse_symlinks(warc_dir(shard), archive)
    refuse_symlinks(warc_dir(archive), archive)
    for path in sorted(warc_dir(shard).iterdir()) if warc_dir(shard).is_dir() else []:
        refuse_symlinks(path)


def _prepare(shard: Path, archive: Path) -> None:
    """Repair what a dead worker left, and move its WARC files into the archive."""
    repair(shard / CORPUS_NAME, archive)
    source = warc_dir(shard)
    if not source.is_dir():
        return
    repair_open_files(source)
    target = warc_dir(archive)
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if is_archive_file(path.name) or path.name.endswith(".torn"):
            shutil.move(str(path), target / path.name)


def _records(shard: Path) -> Iterator[dict[str, Any]]:
    corpus = shard / CORPUS_NAME
    if corpus.exists():
        yield from read_records(corpus)


def _carry_over(shard: Path, catalog: Catalog) -> None:
    """Missing ids, captures, page requisites and runs the worker recorded."""
    if not has_catalog(shard):
        return
    source = Catalog(shard)
    try:
        known = catalog.known_ids()
        for (number,) in source.db.execute("SELECT id FROM missing"):
            if number not in known:
                catalog.mark_missing(number)
        columns = "id, kind, status, warc_filename, warc_offset, warc_length, warc_record_id, " \
                  "warc_date, payload_digest, etag, last_modified"
        rows = source.db.execute(f"SELECT {columns} FROM captures").fetchall()
        catalog.db.executemany(f"INSERT INTO captures ({columns}) VALUES "
                               f"({', '.join('?' * 11)})", [tuple(r) for r in rows])
        for url, filename, date in source.db.execute(
                "SELECT url, warc_filename, warc_date FROM resources"):
            catalog.add_resource(url, {"filename": filename, "date": date}, None)
        for failure in source.failures():  # the next run of the archive retries them
            catalog.add_failure(failure["url"], failure["article_id"], failure["callback"],
                                failure["reason"], failure["attempts"], None)
        for run in source.runs():
            catalog.db.execute(
                "INSERT INTO runs (site, mode, started_at, finished_at, status, pid, exit_code, "
                "stats) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run["site"], f"{run['mode']}@{shard.name}", run["started_at"],
                 run["finished_at"], "killed" if run["status"] == "running" else run["status"],
                 run["pid"], run["exit_code"], json.dumps(run["stats"], ensure_ascii=False)))
    finally:
        source.close()
