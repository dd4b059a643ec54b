"""Export benchmark: time and peak memory of exporting a large corpus to Parquet.

Makes a synthetic corpus of N articles (records in schema v1, their text drawn with a
seeded RNG from the replica's generated articles, 3 % of them with a second version),
then measures, each step in a subprocess of its own so its peak RSS is its own
(``os.wait4``): building the catalog from ``articles.jsonl`` (what a crawl or merge does
opening an archive without one), exporting the latest versions to Parquet (``newsarc
export``'s code path), filling the full-text index (what a crawl or merge does when it
closes), and a full-text count
(``archive.query.text_condition`` in ``SELECT COUNT(*)``); then the catalog's size over
the corpus's, full-text index included (issue 20: what the catalog costs on disk).  Run
at two sizes, the export's peak RSS shows whether memory stays flat as the corpus grows:
rows are streamed in batches from the SQLite cursor into a ``ParquetWriter``, never held
all at once.

Run: ``.venv/bin/python bench/export.py [--sizes 10000 100000] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import emit

from archive.corpus import CORPUS_NAME, dumps
from newsarc.replica.content import KST, REPORTERS, build_site

SEED = 20240614
SITE = "https://www.nmtimes.example"
QUERY = "업무협약 정책"  # one trigram-indexed term, one two-syllable substring term
EDITED = 0.03


# --- the synthetic corpus ---------------------------------------------------------------

def text_pool() -> dict[str, list[Any]]:
    """Titles, subtitles, paragraphs, captions and sections of the replica's articles."""
    articles = list(build_site(400, seed=SEED).articles.values())
    return {
        "titles": [a.title for a in articles],
        "subtitles": [a.subtitle for a in articles if a.subtitle],
        "paragraphs": [p for a in articles for p in a.paragraphs],
        "captions": [p.caption for a in articles for p in a.photos if p.caption],
        "sections": [a.section.name for a in articles],
    }


def make_record(rng: random.Random, pool: dict[str, list[Any]], number: int,
                published: datetime, version: int, offset: int) -> dict[str, Any]:
    """One article version in schema v1, with a plausible WARC pointer."""
    body = "\n\n".join(rng.sample(pool["paragraphs"], rng.randint(3, 10)))
    fetched = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=number // 4 + version * 9e6)
    authors = [rng.choice(REPORTERS) for _ in range(1 if rng.random() < 0.95 else 2)]
    modified = published + timedelta(minutes=rng.randint(5, 3000)) if version > 1 \
        or rng.random() < 0.3 else None
    stamp = published.strftime("%Y%m")
    images = [{"url": f"{SITE}/data/photos/{stamp}01/art_{number}{k}_{rng.getrandbits(24):06x}"
                      ".jpg", "caption": rng.choice(pool["captions"]) if rng.random() < 0.75
               else None} for k in range(rng.choice((0, 1, 1, 2)))]
    return {
        "id": number, "url": f"{SITE}/news/article.html?no={number}", "site": "뉴미디어타임즈",
        "title": rng.choice(pool["titles"]),
        "subtitle": rng.choice(pool["subtitles"]) if rng.random() < 0.3 else None,
        "section": rng.choice(pool["sections"]),
        "published": published.isoformat(), "modified": modified and modified.isoformat(),
        "authors": [{"name": a.name, "email": a.email} for a in authors], "body": body,
        "images": images, "language": "ko",
        "fetched_at": fetched.replace(microsecond=0).isoformat(),
        "content_hash": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "version": version, "schema_version": 1,
        "warc": {"filename": f"newsarc-bench-{number // 2000:05d}.warc.gz", "offset": offset,
                 "length": 4000 + rng.randint(0, 3000),
                 "record_id": f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128))}>",
                 "date": fetched.strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
    }


def make_corpus(directory: Path, size: int) -> int:
    """Write ``size`` articles (and second versions of some) to DIR/articles.jsonl."""
    rng = random.Random(SEED)
    pool = text_pool()
    start = datetime(2015, 1, 1, 6, tzinfo=KST)
    step = (datetime(2026, 1, 1, tzinfo=KST) - start) / size
    edits, lines = [], 0
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / CORPUS_NAME).open("w", encoding="utf-8") as handle:
        for i in range(size):
            published = (start + step * i + timedelta(seconds=rng.randint(0, 3600))) \
                .replace(microsecond=0)
            handle.write(dumps(make_record(rng, pool, 1000 + i, published, 1, i * 5000)))
            if rng.random() < EDITED:
                edits.append((1000 + i, published))
        for number, published in edits:
            handle.write(dumps(make_record(rng, pool, number, published, 2, number * 7)))
        lines = size + len(edits)
    return lines


# --- the measured steps (each run in a child process) -----------------------------------

def child(task: str, directory: Path) -> dict[str, Any]:
    """Do one step in this process and report what it did and how long it took."""
    started = time.perf_counter()
    from archive.query import Filters, open_catalog, text_condition

    if task == "baseline":  # the interpreter, pyarrow and a catalog connection, no work
        import pyarrow.parquet  # noqa: F401

        from archive.export import SCHEMA  # noqa: F401
    # Writers (a crawl, a merge) build the catalog and its index; readers only read it.
    catalog = _writer_catalog(directory) if task in ("import", "index") else open_catalog(
        directory)
    try:
        if task == "export":
            from archive.export import export

            out = directory.parent / "export" / "corpus.parquet"
            out.parent.mkdir(exist_ok=True)
            result = export(catalog, "parquet", out, Filters())
            note = f"{result.rows} rows, {out.stat().st_size / 2**20:.0f} MiB Parquet"
        elif task == "index":
            added = catalog.update_text_index()
            note = f"{added} texts indexed"
        elif task == "search":
            sql, params = text_condition(QUERY, catalog.indexed_up_to())
            count = catalog.db.execute(f"SELECT COUNT(*) FROM texts t WHERE {sql}",
                                       params).fetchone()[0]
            note = f"{count} matches for {QUERY!r}"
        elif task == "import":
            texts = catalog.db.execute("SELECT COUNT(*) FROM texts").fetchone()[0]
            size = (directory / "catalog.sqlite").stat().st_size
            note = f"{texts} versions, catalog {size / 2**20:.0f} MiB"
        else:
            note = "python, pyarrow, catalog opened"
    finally:
        catalog.close()
    return {"seconds": time.perf_counter() - started, "note": note}


def _writer_catalog(directory: Path) -> Any:
    """The catalog file caught up with the corpus, as a crawl or merge opening the archive
    leaves it (``open_catalog`` never writes: it would catch up a copy in memory)."""
    from archive.catalog import Catalog, corpus_tail

    catalog = Catalog(directory)
    catalog.reconcile(corpus_tail(directory, catalog.corpus_bytes()))
    return catalog


def measure(task: str, directory: Path) -> dict[str, Any]:
    """Run ``task`` in a subprocess; its result plus its own peak RSS in MiB."""
    process = subprocess.Popen([sys.executable, __file__, "--child", task, str(directory)],
                               stdout=subprocess.PIPE)
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{task} on {directory} failed")
    return {**json.loads(output), "rss": usage.ru_maxrss / 1024}  # ru_maxrss is KiB


def bench(size: int, scratch: Path) -> list[dict[str, Any]]:
    directory = scratch / f"corpus-{size}" / "archive"
    started = time.perf_counter()
    lines = make_corpus(directory, size)
    made = time.perf_counter() - started
    corpus_mib = (directory / CORPUS_NAME).stat().st_size / 2**20
    rows = [{"step": "make synthetic corpus (bench process)", "seconds": made, "rss": None,
             "note": f"{lines} records, {corpus_mib:.0f} MiB JSONL"}]
    for task, label in (("import", "import: a writer builds the catalog"),
                        ("baseline", "baseline: start, import pyarrow, open catalog"),
                        ("export", "export to Parquet (latest versions)"),
                        ("index", "the full-text index filled (a writer closing)"),
                        ("search", "search: SELECT COUNT(*) with text_condition")):
        rows.append({"step": label, **measure(task, directory)})
        print(f"{size}: {label}: {rows[-1]['seconds']:.1f} s", file=sys.stderr)
        if task == "index":  # measured here, every connection closed: the WAL is folded in
            stored = catalog_bytes(directory)
            ratio = stored / (directory / CORPUS_NAME).stat().st_size
            rows[-1]["note"] += f", catalog {stored / 2**20:.0f} MiB ({ratio:.2f}× the corpus)"
            rows[-1]["ratio"] = ratio
    for row in rows:
        row["size"] = size
    shutil.rmtree(directory.parent)
    return rows


def catalog_bytes(directory: Path) -> int:
    """The catalog's bytes on disk, its WAL included: what an archive's user stores."""
    return sum(path.stat().st_size for path in directory.glob("catalog.sqlite*"))


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| articles | step | seconds | peak RSS MiB | result |",
             "| ---: | --- | ---: | ---: | --- |"]
    for r in rows:
        rss = f"{r['rss']:.0f}" if r["rss"] is not None else "–"
        lines.append(f"| {r['size']:,} | {r['step']} | {r['seconds']:.2f} | {rss} | "
                     f"{r['note']} |")
    ratios = [f"{r['ratio']:.2f}× at {r['size']:,} articles" for r in rows if "ratio" in r]
    if ratios:
        lines += ["", "Catalog bytes / corpus bytes, full-text index included: "
                  + ", ".join(ratios) + "."]
    exports = {r["size"]: r["rss"] for r in rows if r["step"].startswith("export")}
    if len(exports) > 1:
        (small, low), (large, high) = min(exports.items()), max(exports.items())
        lines += ["", f"Export peak RSS: {low:.0f} MiB at {small:,} articles, {high:.0f} MiB "
                  f"at {large:,} ({large // small}× the corpus, {high / low:.2f}× the memory)."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument("--child", nargs=2, metavar=("TASK", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return 0
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="newsarc-bench-") as scratch:
        for size in args.sizes:
            rows += bench(size, Path(scratch))
    result = (f"Synthetic corpus (seed {SEED}), {os.cpu_count()} CPUs; each measured step in "
              "its own process (peak RSS from wait4).\n\n" + table(rows))
    return emit(result, args.out)


if __name__ == "__main__":
    sys.exit(main())
