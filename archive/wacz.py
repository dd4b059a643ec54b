"""``newsarc wacz``: package an archive as one WACZ file (the ``wacz`` library).

The package holds the WARC files, their index and a page list (``pages.jsonl``) of every
archived article with its headline and capture time, so ReplayWeb.page opens it on a list
of articles rather than a bare URL prompt.

The WARC files are checked first: one cut off or garbled stops the packaging with a line
naming it, rather than a package that fails validation half-way.  The package is written
under a temporary name beside ``out`` and renamed once it validates: whole or not at all.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

from archive.corpus import CORPUS_NAME, read_records
from archive.errors import DamagedFile
from archive.safeio import staged
from archive.warc import gzip_damage, warc_files


def _pages(archive: Path, out: Path) -> int:
    """Write ``pages.jsonl``: the latest capture of every article in the corpus."""
    latest: dict[int, dict] = {}
    corpus = archive / CORPUS_NAME
    if corpus.exists():
        for record in read_records(corpus):
            if record.get("warc"):
                latest[record["id"]] = record
    with out.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps({"format": "json-pages-1.0", "id": "pages",
                                 "title": "Archived articles"}) + "\n")
        for record in sorted(latest.values(), key=lambda r: r["id"]):
            handle.write(json.dumps({
                "id": f"article-{record['id']}-v{record.get('version', 1)}",
                "url": record["url"],
                "ts": record["warc"]["date"],
                "title": record["title"],
            }, ensure_ascii=False) + "\n")
    return len(latest)


def package(archive: Path, out: Path, title: str | None = None) -> int:
    """Create ``out`` from the archive's WARC files; return the number of pages listed."""
    from wacz.main import main as wacz_main

    warcs = warc_files(archive)
    if not warcs:
        raise ValueError(f"{archive} has no finished WARC files to package")
    for path in warcs:
        damage = gzip_damage(path)
        if damage is not None:
            raise DamagedFile(path, f"damaged at byte {damage[0]} ({damage[1]})",
                              f"`newsarc verify {archive}` lists the damage; package a "
                              "sound copy, or move the file out of the archive to package "
                              "the rest")
    with staged([out]) as (temp,), tempfile.TemporaryDirectory() as scratch:
        pages = Path(scratch) / "pages.jsonl"
        count = _pages(archive, pages)
        args = ["create", "-o", str(temp), "-p", str(pages), "--copy-pages",
                "--title", title or f"newsarc archive {archive.name}", *map(str, warcs)]
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            status = wacz_main(args)
        if status:
            raise ValueError(f"wacz could not package {archive}: {log.getvalue().strip()}")
        with contextlib.redirect_stdout(io.StringIO()):
            if wacz_main(["validate", "-f", str(temp)]):
                raise ValueError(f"{out} did not validate as WACZ")
    return count
