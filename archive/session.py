"""One process's hold on an archive: lock, corpus and catalog, kept in agreement.

Opening repairs what a killed run left (a half-written corpus line) and brings the
catalog up to the corpus; ``store`` appends a record to the corpus first and the catalog
second, so after any kill the corpus is never behind the catalog and the next opening
catches the catalog up.  Writers also do what readers must not (readers never write): they
fill the text rows an older catalog lacks, and update the full-text index when they close.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from archive.catalog import Catalog, corpus_tail
from archive.corpus import CorpusWriter, read_records, repair
from archive.lock import ArchiveLock

logger = logging.getLogger(__name__)


class ArchiveSession:
    """The writer's view of an archive directory."""

    def __init__(self, directory: Path, *, lock: bool = True) -> None:
        self.directory = directory
        self.lock = ArchiveLock(directory).acquire() if lock else None
        self.repaired_bytes = repair(directory / "articles.jsonl")
        self.catalog = Catalog(directory)
        self.reconciled = self.catalog.reconcile(
            corpus_tail(directory, self.catalog.corpus_bytes()))
        if self.catalog.texts_behind():  # a catalog of an older newsarc
            self.catalog.fill_texts(read_records(directory / "articles.jsonl"))
        self.corpus = CorpusWriter(directory, latest=self.catalog.latest())
        self.run_id: int | None = None

    def store(self, record: dict[str, Any]) -> str:
        """Append ``record`` if its body is new for its id: 'new', 'changed' or 'unchanged'."""
        version = self.corpus.next_version(record)
        if version is None:
            self.catalog.seen_unchanged(record["id"], record.get("fetched_at") or "")
            return "unchanged"
        record["version"] = version
        self.corpus.write(record)
        self.catalog.add_version(record, self.run_id, corpus_bytes=self.corpus.tell())
        return "new" if version == 1 else "changed"

    def close(self) -> None:
        """Close corpus (fsync), catalog and lock; each is closed even if one before failed
        (a full disk), and the first error is raised afterwards."""
        try:
            self.corpus.close()
            self._index_texts()
        finally:
            try:
                self.catalog.close()
            finally:
                if self.lock is not None:
                    self.lock.release()

    def _index_texts(self) -> None:
        """Bring the full-text index up to the stored texts, in one pass (about 0.3 ms a
        text): readers never write it.  It is derived data, so a failure (a full disk)
        only leaves the rest to the next writer; readers match those texts without it."""
        try:
            self.catalog.update_text_index()
        except sqlite3.OperationalError as exc:  # after a storage error, already reported
            logger.info("full-text index not updated (the next crawl does it): %s", exc)
