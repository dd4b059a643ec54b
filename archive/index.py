"""The CDXJ index of an archive, ``DIR/indexes/index.cdxj``, made with cdxj-indexer.

The index is kept sorted (the form pywb binary-searches) and updated incrementally: WARC
files not yet listed in ``indexes/indexed.txt`` are indexed on their own, and the result is
merged into the existing index line by line, so an update never holds the index in memory.
The new index replaces the old one atomically.
"""

from __future__ import annotations

import heapq
import os
import tempfile
from pathlib import Path

from cdxj_indexer.main import write_cdx_index

from archive.warc import warc_files

INDEX_DIR = "indexes"
INDEX_NAME = "index.cdxj"
INDEXED_LIST = "indexed.txt"


def index_path(archive: Path) -> Path:
    return archive / INDEX_DIR / INDEX_NAME


def indexed_files(archive: Path) -> set[str]:
    listing = archive / INDEX_DIR / INDEXED_LIST
    if not listing.exists():
        return set()
    return {line.strip() for line in listing.read_text().splitlines() if line.strip()}


def update_index(archive: Path) -> list[str]:
    """Index the archive's finished WARC files that the index does not hold yet.

    Returns the names of the files added.
    """
    directory = archive / INDEX_DIR
    directory.mkdir(parents=True, exist_ok=True)
    done = indexed_files(archive)
    new = [p for p in warc_files(archive) if p.name not in done]
    if not new:
        return []
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        part = Path(scratch) / "new.cdxj"
        write_cdx_index(str(part), [str(p) for p in new],
                        {"sort": True, "dir_root": str(archive / "warc")})
        merged = Path(scratch) / "merged.cdxj"
        _merge_sorted([index_path(archive), part], merged)
        os.replace(merged, index_path(archive))
    listing = directory / INDEXED_LIST
    with listing.open("a") as handle:
        handle.writelines(f"{p.name}\n" for p in new)
    return [p.name for p in new]


def rebuild_index(archive: Path) -> list[str]:
    """Index every WARC file from scratch (after a repair, or to check the incremental one)."""
    (archive / INDEX_DIR / INDEXED_LIST).unlink(missing_ok=True)
    index_path(archive).unlink(missing_ok=True)
    return update_index(archive)


def _merge_sorted(inputs: list[Path], output: Path) -> None:
    handles = [p.open(encoding="utf-8") for p in inputs if p.exists()]
    try:
        with output.open("w", encoding="utf-8") as out:
            out.writelines(heapq.merge(*handles))
    finally:
        for handle in handles:
            handle.close()
