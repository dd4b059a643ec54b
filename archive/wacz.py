"""``newsarc wacz``: package an archive as one WACZ file (the ``wacz`` library).

The package holds the WARC files, their index and a page list (``pages.jsonl``) of every
archived article with its headline and capture time, so ReplayWeb.page opens it on a list
of articles rather than a bare URL prompt.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

from archive.corpus import CORPUS_NAME, read_records
from archive.warc import warc_files


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
    with tempfile.TemporaryDirectory() as scratch:
        pages = Path(scratch) / "pages.jsonl"
        count = _pages(archive, pages)
        args = ["create", "-o", str(out), "-p", str(pages), "--copy-pages",
                "--title", title or f"newsarc archive {archive.name}",
                *map(str, warcs)]
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            status = wacz_main(args)
        if status:
            raise ValueError(f"wacz could not package {archive}: {log.getvalue().strip()}")
    with contextlib.redirect_stdout(io.StringIO()):
        if wacz_main(["validate", "-f", str(out)]):
            raise ValueError(f"{out} did not validate as WACZ")
    return count
