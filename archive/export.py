"""``newsarc export``: the corpus as Parquet, CSV or JSON Lines for research tools.

One row per article (its latest version) or, with ``--all-versions``, per stored version,
read from the catalog's ``texts`` table in id order and streamed in batches, so memory does
not grow with the corpus.  Every row carries its provenance: canonical URL, version, the
WARC record it was extracted from and the path that replays that capture.

Parquet columns are typed (time-zone-aware timestamps, lists of structs) so that pandas,
polars, DuckDB and Hugging Face ``datasets`` read the file as it is; CSV follows the
``csv`` module's excel dialect.  A Parquet or CSV export gets a dataset card, ``README.md``
in its folder.  Every file is written under a temporary name in the target folder and
renamed at the end: an export that fails, or is refused, leaves nothing behind.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shlex
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from archive.catalog import Catalog, full_record_sql
from archive.corpus import dumps
from archive.query import Filters, replay_path, where
from archive.timeutil import utc_now_iso

FORMATS = ("parquet", "csv", "jsonl")
BATCH_ROWS = 1000  # rows fetched and converted at a time
ROW_GROUP_ROWS = 5000  # rows per Parquet row group
CARD_NAME = "README.md"
CARD_MARK = "<!-- newsarc dataset card -->"
COPYRIGHT = {  # the outlet's own footer line, quoted verbatim in the card
    "뉴미디어타임즈": "뉴미디어타임즈 모든 콘텐츠(영상,기사,사진)는 저작권법의 보호를 받는 바, "
                      "무단 전재, 복사, 배포 등을 금합니다.",
}
COPYRIGHT_EN = ("All content of the outlet (video, articles, photos) is protected by copyright "
                "law; unauthorised reproduction, copying and distribution are prohibited.")

KST_TIME = pa.timestamp("ms", tz="+09:00")  # Parquet has no second unit; ms keeps it exact
UTC_TIME = pa.timestamp("us", tz="UTC")  # WARC-Date carries microseconds
AUTHOR = pa.struct([("name", pa.string()), ("email", pa.string())])
IMAGE = pa.struct([("url", pa.string()), ("caption", pa.string())])

# (column, Arrow type, nullable, meaning): the one definition of an export row.
COLUMNS: tuple[tuple[str, pa.DataType, bool, str], ...] = (
    ("id", pa.int64(), False, "the CMS's article number N (another URL scheme: the number "
     "in the URL, else an id derived from the canonical URL)"),
    ("url", pa.string(), False, "canonical URL SITE/news/article.html?no=N (another URL "
     "scheme: the page's canonical link or og:url)"),
    ("site", pa.string(), False, "outlet name"),
    ("title", pa.string(), False, "headline"),
    ("subtitle", pa.string(), True, "sub-headline, when there is one"),
    ("section", pa.string(), True, "section name (정치, 경제, ...)"),
    ("published", KST_TIME, True, "등록 time, Korea time (+09:00)"),
    ("modified", KST_TIME, True, "수정 time, Korea time; null when never edited"),
    ("authors", pa.list_(AUTHOR), False, "reporters: name, e-mail (null when absent)"),
    ("body", pa.string(), False, "the reporter's paragraphs, separated by one blank line"),
    ("images", pa.list_(IMAGE), False, "photos in the body: absolute URL, caption or null"),
    ("language", pa.string(), False, "ko"),
    ("fetched_at", UTC_TIME, True, "when the page was fetched (UTC)"),
    ("content_hash", pa.string(), False, "sha256 of body (UTF-8), hex"),
    ("version", pa.int32(), False, "1 for the first body of an id, +1 for each change"),
    ("schema_version", pa.int32(), False, "record schema version (1)"),
    ("extraction_profile", pa.string(), True, "outlet profile the record was extracted with "
     "(null for records of older newsarc versions)"),
    ("extraction_method", pa.string(), True, "profile: the profile's body selectors found the "
     "body; fallback: extracted from the whole page (a redesigned template)"),
    ("warc_filename", pa.string(), True, "WARC file holding the page's response record"),
    ("warc_offset", pa.int64(), True, "byte offset of that record in the WARC file"),
    ("warc_length", pa.int64(), True, "its length in bytes (compressed)"),
    ("warc_record_id", pa.string(), True, "its WARC-Record-ID"),
    ("warc_date", UTC_TIME, True, "its WARC-Date (UTC)"),
    ("replay_path", pa.string(), True, "path replaying the capture on `newsarc replay DIR`"),
)
SCHEMA = pa.schema([pa.field(name, kind, nullable=null) for name, kind, null, _ in COLUMNS])
HEADER = SCHEMA.names
WARC_KEYS = {"warc_filename": "filename", "warc_offset": "offset", "warc_length": "length",
             "warc_record_id": "record_id", "warc_date": "date"}  # column -> record["warc"]
# column -> record["extraction"]: two flat columns, which every reader filters on.
EXTRACTION_KEYS = {"extraction_profile": "profile", "extraction_method": "method"}
RECORD_FIELDS = tuple(name for name in HEADER[:HEADER.index("warc_filename")]
                      if name not in EXTRACTION_KEYS)
TIMES = {f.name for f in SCHEMA if pa.types.is_timestamp(f.type)}
LISTS = {f.name for f in SCHEMA if pa.types.is_list(f.type)}


@dataclass
class Tally:
    """What the dataset card reports, gathered while the rows stream past (bounded)."""

    rows: int = 0
    articles: int = 0
    last_id: int | None = None
    first_published: str | None = None
    last_published: str | None = None
    first_fetched: str | None = None
    last_fetched: str | None = None
    sections: Counter = field(default_factory=Counter)
    authors: set[str] = field(default_factory=set)
    sites: set[str] = field(default_factory=set)
    runs: set[int] = field(default_factory=set)
    unrun: int = 0  # rows the catalog learned from the corpus, not from a logged run

    def add(self, record: dict[str, Any], run_id: int | None) -> None:
        self.rows += 1
        if record["id"] != self.last_id:
            self.articles += 1
            self.last_id = record["id"]
        self.first_published, self.last_published = _span(
            self.first_published, self.last_published, record.get("published"))
        self.first_fetched, self.last_fetched = _span(
            self.first_fetched, self.last_fetched, record.get("fetched_at"))
        self.sections[record.get("section") or "(none)"] += 1
        self.authors.update(a["name"] for a in record.get("authors") or [])
        self.sites.add(record["site"])
        if run_id is None:
            self.unrun += 1
        else:
            self.runs.add(run_id)


def _span(low: str | None, high: str | None, value: str | None) -> tuple[str | None, ...]:
    """Widen (low, high) by ``value``; ISO strings of one offset sort as times do."""
    if not value:
        return low, high
    return min(low or value, value), max(high or value, value)


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote; ``describe`` is the CLI's one-line report."""

    path: Path
    fmt: str
    rows: int
    articles: int
    all_versions: bool
    card: Path | None

    def describe(self) -> str:
        if self.all_versions:
            what = f"{self.rows} article versions ({self.articles} articles)"
        else:
            what = f"{self.rows} article{'s' if self.rows != 1 else ''}"
        card = f" (dataset card: {self.card})" if self.card else ""
        return f"wrote {what} to {self.path}{card}"


def export(catalog: Catalog, fmt: str, out: Path, filters: Filters, *,
           excel: bool = False) -> ExportResult:
    """Write the records ``filters`` select to ``out`` in ``fmt``, plus a dataset card.

    Everything is checked (format, target, filters) before any file is created, and files
    appear under their names only once complete; a ValueError names what was wrong.
    """
    card = check_target(catalog.archive, fmt, out, excel)
    clause, params = where(catalog, filters)
    tally = Tally()
    with _staged([out, card] if card else [out]) as temps:
        WRITERS[fmt](temps[0], _records(catalog, clause, params, tally), excel)
        if card:
            temps[1].write_text(card_text(catalog, fmt, out, filters, tally, excel),
                                encoding="utf-8")
    return ExportResult(out, fmt, tally.rows, tally.articles, filters.all_versions, card)


def check_target(archive: Path, fmt: str, out: Path, excel: bool) -> Path | None:
    """Refuse exports that cannot or should not be written; the card's path, if any."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})")
    if excel and fmt != "csv":
        raise ValueError("--excel goes with --format csv")
    folder = out.parent
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such directory for --out")
    if out.is_dir():
        raise ValueError(f"--out {out} is a directory; give a file name")
    if folder.resolve() == archive.resolve():
        raise ValueError(f"--out {out} is inside the archive directory; export elsewhere")
    if fmt == "jsonl":
        return None
    card = out.with_name(CARD_NAME)
    if out.name == CARD_NAME:
        raise ValueError(f"--out {out} would be overwritten by the dataset card {CARD_NAME}")
    if card.exists() and CARD_MARK not in card.read_text(encoding="utf-8", errors="replace"):
        raise ValueError(f"{card} exists and is not a newsarc dataset card; export elsewhere")
    return card


def _records(catalog: Catalog, clause: str, params: list[Any],
             tally: Tally) -> Iterator[dict[str, Any]]:
    """The selected records in (id, version) order, fetched in batches and tallied."""
    cursor = catalog.db.execute(
        f"SELECT {full_record_sql('t')}, "
        "(SELECT v.run_id FROM versions v WHERE v.id = t.id "
        f"AND v.version = t.version) {clause} ORDER BY t.id, t.version", params)
    while batch := cursor.fetchmany(BATCH_ROWS):
        for text, run_id in batch:
            record = json.loads(text)
            tally.add(record, run_id)
            yield record


def flat(record: dict[str, Any]) -> dict[str, Any]:
    """A record as an export row: its fields, how it was extracted, then provenance; times
    still ISO strings."""
    warc = record.get("warc") or {}
    extraction = record.get("extraction") or {}
    row = {name: record.get(name) for name in RECORD_FIELDS}
    row.update({column: extraction.get(key) for column, key in EXTRACTION_KEYS.items()})
    row.update({column: warc.get(key) for column, key in WARC_KEYS.items()})
    row["replay_path"] = replay_path(record)
    return row


def arrow_row(record: dict[str, Any]) -> dict[str, Any]:
    """An export row with its times as aware datetimes, ready for Arrow."""
    row = flat(record)
    for name in TIMES:
        if row[name]:
            row[name] = datetime.fromisoformat(row[name])
    return row


def csv_row(record: dict[str, Any]) -> list[Any]:
    """An export row as CSV cells: times as in the record, lists as JSON text."""
    row = flat(record)
    for name in LISTS:
        row[name] = json.dumps(row[name] or [], ensure_ascii=False)
    return [row[name] for name in HEADER]


def write_parquet(path: Path, records: Iterator[dict[str, Any]], excel: bool) -> None:
    """Rows become Arrow in small batches (Python objects are the costly part) and are
    written a row group at a time: memory holds a row group, never the corpus."""
    with pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
        pending: list[pa.RecordBatch] = []
        for batch in _batches(records):
            pending.append(pa.RecordBatch.from_pylist([arrow_row(r) for r in batch],
                                                      schema=SCHEMA))
            if sum(b.num_rows for b in pending) >= ROW_GROUP_ROWS:
                writer.write_table(pa.Table.from_batches(pending))
                pending = []
        if pending:
            writer.write_table(pa.Table.from_batches(pending))


def write_csv(path: Path, records: Iterator[dict[str, Any]], excel: bool) -> None:
    """Excel dialect (CRLF rows; quotes, commas and newlines in quoted cells); BOM for Excel."""
    with path.open("w", encoding="utf-8-sig" if excel else "utf-8", newline="") as handle:
        writer = csv.writer(handle, dialect="excel")
        writer.writerow(HEADER)
        for record in records:
            writer.writerow(csv_row(record))


def write_jsonl(path: Path, records: Iterator[dict[str, Any]], excel: bool) -> None:
    """The records as the corpus holds them, each with its replay path added."""
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(dumps({**record, "replay_path": replay_path(record)}))


WRITERS: dict[str, Callable[[Path, Iterator[dict[str, Any]], bool], None]] = {
    "parquet": write_parquet, "csv": write_csv, "jsonl": write_jsonl,
}


def _batches(records: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) == BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def _staged(targets: list[Path]) -> Iterator[list[Path]]:
    """Temporary paths beside ``targets``, renamed to them when the block succeeds and
    removed when it fails, so no half-written export ever carries a target's name."""
    temps: list[Path] = []
    try:
        for target in targets:
            temps.append(target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp"))
            with open(temps[-1], "xb"):  # the user's umask applies, not mkstemp's 0600
                pass
        yield temps
        for temp in temps:
            _fsync(temp)
        for temp, target in zip(temps, targets, strict=True):
            os.replace(temp, target)
    except BaseException:
        for temp in temps:
            with suppress(FileNotFoundError):
                temp.unlink()
        raise


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


# --- the dataset card -------------------------------------------------------------------

def card_text(catalog: Catalog, fmt: str, out: Path, filters: Filters, tally: Tally,
              excel: bool) -> str:
    """The dataset card: what the file holds, where it came from, whose text it is."""
    site = ", ".join(sorted(tally.sites)) or _run_sites(catalog) or "the outlet"
    parts = [
        _front_matter(site, out.name),
        CARD_MARK,
        f"# {site}: news articles (newsarc export)\n",
        _summary(out, fmt, filters, tally, excel),
        _sections_table(tally),
        _schema_table(fmt),
        _collection(catalog, site),
        _runs_table(catalog, tally),
        _licence(tally.sites or {site}),
    ]
    return "\n".join(parts)


def _front_matter(site: str, data_file: str) -> str:
    """YAML metadata as the Hugging Face Hub reads it (JSON strings are valid YAML)."""
    return "\n".join([
        "---", "language:", "- ko", "license: other",
        f"pretty_name: {json.dumps(site + ' news articles', ensure_ascii=False)}",
        "configs:", "- config_name: default", f"  data_files: {json.dumps(data_file)}",
        "---",
    ])


def _summary(out: Path, fmt: str, filters: Filters, tally: Tally, excel: bool) -> str:
    kind = "every stored version of each article" if filters.all_versions \
        else "the latest version of each article"
    encoding = " (UTF-8 with byte-order mark, for Excel)" if excel else ""
    lines = [
        f"`{out.name}`: {fmt.upper()}{encoding}, {tally.rows} rows, {kind}.", "",
        f"- articles: {tally.articles}",
        f"- rows (article versions): {tally.rows}",
        f"- reporters: {len(tally.authors)}",
        f"- published: {_range(tally.first_published, tally.last_published)} (Korea time)",
        f"- fetched: {_range(tally.first_fetched, tally.last_fetched)} (UTC)",
        f"- selection: {_describe_filters(filters)}",
        f"- exported: {utc_now_iso()} by `newsarc export`",
    ]
    if fmt == "parquet":
        lines += ["", "```python", "from datasets import load_dataset",
                  f'ds = load_dataset("parquet", data_files="{out.name}", split="train")',
                  "# or: pandas.read_parquet, polars.read_parquet, "
                  f"duckdb.sql(\"SELECT * FROM '{out.name}'\")", "```"]
    return "\n".join(lines) + "\n"


def _range(first: str | None, last: str | None) -> str:
    return f"{first} to {last}" if first else "none"


def _describe_filters(filters: Filters) -> str:
    options = [("--from", filters.date_from), ("--to", filters.date_to),
               ("--section", filters.section), ("--author", filters.author),
               ("--query", filters.query)]
    shown = [f"`{name} {shlex.quote(str(value))}`" for name, value in options
             if value is not None]
    if filters.all_versions:
        shown.append("`--all-versions`")
    return ", ".join(shown) or "the whole corpus"


def _sections_table(tally: Tally) -> str:
    lines = ["## Sections\n", "| section | rows |", "| --- | ---: |"]
    lines += [f"| {name} | {count} |" for name, count in sorted(tally.sections.items())]
    return "\n".join(lines) + "\n"


def _schema_table(fmt: str) -> str:
    """Columns with their Parquet types, or how CSV writes them."""
    lines = ["## Columns\n", "| column | type | meaning |", "| --- | --- | --- |"]
    for name, kind, nullable, meaning in COLUMNS:
        shown = str(kind) if fmt == "parquet" else _csv_type(name, kind)
        lines.append(f"| `{name}` | {shown}{', nullable' if nullable else ''} | {meaning} |")
    if fmt == "csv":
        lines.append("\nCSV: the `csv` module's excel dialect (comma, double quotes, CRLF); "
                     "an empty cell is a null.")
    return "\n".join(lines) + "\n"


def _csv_type(name: str, kind: pa.DataType) -> str:
    if name in TIMES:
        return "ISO 8601 text"
    if name in LISTS:
        return "JSON array of objects"
    return "integer" if pa.types.is_integer(kind) else "text"


def _collection(catalog: Catalog, site: str) -> str:
    sites = _run_sites(catalog) or "the outlet's site"
    return f"""## How it was collected

newsarc crawled {sites}, a newspaper ({site}) on the mediaOn CMS: its article pages
(`/news/article.html?no=N`), found through the home page, section lists, RSS and probes of
unseen numbers.  Every HTTP exchange was stored in WARC files (`DIR/warc/`) before the text
was extracted: headline, dates, reporters, photos and the reporter's paragraphs, without
bylines, captions, ads, related-article boxes, signatures or the site footer.  A changed
body became a new version of the article; unchanged ones were not stored again.

Each row names its source: `url` and `version`, the WARC record it was extracted from
(`warc_filename`, `warc_offset`, `warc_length`, `warc_record_id`, `warc_date`), and
`replay_path`, which shows that capture on `newsarc replay DIR` (pywb).
"""


def _run_sites(catalog: Catalog) -> str:
    return ", ".join(sorted({r["site"] for r in catalog.runs() if r["site"]}))


def _runs_table(catalog: Catalog, tally: Tally) -> str:
    """The crawl runs that stored the exported versions (from the catalog's ``runs``)."""
    lines = ["## Crawl runs\n"]
    runs = [r for r in catalog.runs() if r["run_id"] in tally.runs]
    if runs:
        lines += ["| run | mode | started (UTC) | finished (UTC) | status | new | changed | "
                  "written |", "| ---: | --- | --- | --- | --- | ---: | ---: | ---: |"]
        lines += [_run_line(r) for r in runs]
    else:
        lines.append("No logged crawl run stored these rows.")
    if tally.unrun:
        lines.append(f"\n{tally.unrun} rows came into the catalog from the corpus file "
                     "rather than from a logged run.")
    return "\n".join(lines) + "\n"


def _run_line(run: dict[str, Any]) -> str:
    stats = run["stats"]
    return (f"| {run['run_id']} | {run['mode']} | {run['started_at']} | "
            f"{run['finished_at'] or ''} | {run['status']} | {stats.get('articles_new', '')} | "
            f"{stats.get('articles_changed', '')} | {stats.get('articles_written', '')} |")


def _licence(sites: set[str]) -> str:
    lines = ["## Licence\n",
             "The text, photos and captions are the outlet's work, not newsarc's: "
             f"{', '.join(sorted(sites))} holds the rights.\n"]
    for site in sorted(sites):
        if site in COPYRIGHT:
            lines += [f"{site}'s copyright line reads:\n", f"> {COPYRIGHT[site]}\n",
                      f"({COPYRIGHT_EN})\n"]
    lines.append("This export is for research use (text and data analysis); it grants no "
                 "right to republish the articles.  newsarc's MIT licence covers the "
                 "software only.")
    return "\n".join(lines) + "\n"
