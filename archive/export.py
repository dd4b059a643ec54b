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
import shlex
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from archive.catalog import Catalog, full_record_sql
from archive.corpus import dumps
from archive.formats import FORMATS
from archive.query import Filters, replay_path, where
from archive.runtable import format_runs, run_summary
from archive.safeio import staged
from archive.schema import FIELDS, Column, export_columns
from archive.timeutil import utc_now_iso

BATCH_ROWS = 1000  # rows fetched and converted at a time
ROW_GROUP_ROWS = 5000  # rows per Parquet row group
CARD_NAME = "README.md"
CARD_MARK = "<!-- newsarc dataset card -->"

KST_TIME = pa.timestamp("ms", tz="+09:00")  # Parquet has no second unit; ms keeps it exact
UTC_TIME = pa.timestamp("us", tz="UTC")  # WARC-Date carries microseconds
AUTHOR = pa.struct([("name", pa.string()), ("email", pa.string())])
IMAGE = pa.struct([("url", pa.string()), ("caption", pa.string())])

# Arrow type of each column type of the record table (archive/schema.py).
ARROW_TYPES: dict[str, pa.DataType] = {
    "int64": pa.int64(), "int32": pa.int32(), "string": pa.string(),
    "kst_time": KST_TIME, "utc_time": UTC_TIME,
    "authors": pa.list_(AUTHOR), "images": pa.list_(IMAGE),
}
# Made by the export from the record's warc location, not a field of the record.
REPLAY_COLUMN = Column("replay_path", "string", True,
                       "path replaying the capture on `newsarc replay DIR`")
# (column, Arrow type, nullable, meaning) of an export row: the record's columns, from the
# one table of its fields (archive/schema.py), then the replay path.
COLUMNS: tuple[tuple[str, pa.DataType, bool, str], ...] = tuple(
    (c.name, ARROW_TYPES[c.type], c.nullable, c.meaning)
    for c in (*export_columns(), REPLAY_COLUMN))
SCHEMA = pa.schema([pa.field(name, kind, nullable=null) for name, kind, null, _ in COLUMNS])
HEADER = SCHEMA.names
# (column, record field, key in that field's object or None for the value itself): where
# each record column is read from; warc and extraction become flat columns, which every
# reader filters on.
SOURCES = tuple((c.name, f.name, c.key) for f in FIELDS for c in f.columns)
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


@dataclass(frozen=True)
class Outlet:
    """What a dataset card says of an outlet beyond its records.  archive/ knows no CMS and
    no outlet: the command line passes these in, from the crawl's outlet profiles."""

    name: str  # as the records give it (their ``site``)
    language: str | None = None  # ISO 639-1 code, for the card's metadata
    collection: str | None = None  # how its article pages were found, one clause
    copyright: str | None = None  # the outlet's own copyright line, quoted verbatim
    copyright_en: str | None = None  # that line in English


def export(catalog: Catalog, fmt: str, out: Path, filters: Filters, *,
           excel: bool = False, outlets: tuple[Outlet, ...] = ()) -> ExportResult:
    """Write the records ``filters`` select to ``out`` in ``fmt``, plus a dataset card
    (which says what ``outlets`` tell of the outlets the rows come from).

    Everything is checked (format, target, filters) before any file is created, and files
    appear under their names only once complete; a ValueError names what was wrong.
    """
    card = check_target(catalog.archive, fmt, out, excel)
    clause, params = where(catalog, filters)
    tally = Tally()
    with staged([out, card] if card else [out]) as temps:
        WRITERS[fmt](temps[0], _records(catalog, clause, params, tally), excel)
        if card:
            temps[1].write_text(card_text(catalog, fmt, out, filters, tally, excel, outlets),
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
    row: dict[str, Any] = {}
    for column, name, key in SOURCES:
        value = record.get(name)
        row[column] = value if key is None else (value or {}).get(key)
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


# --- the dataset card -------------------------------------------------------------------

def card_text(catalog: Catalog, fmt: str, out: Path, filters: Filters, tally: Tally,
              excel: bool, outlets: tuple[Outlet, ...] = ()) -> str:
    """The dataset card: what the file holds, where it came from, whose text it is."""
    site = ", ".join(sorted(tally.sites)) or _run_sites(catalog) or "the outlet"
    known = {outlet.name: outlet for outlet in outlets}
    matched = [known[name] for name in sorted(tally.sites or {site}) if name in known]
    parts = [
        _front_matter(site, out.name, matched),
        CARD_MARK,
        f"# {site}: news articles (newsarc export)\n",
        _summary(out, fmt, filters, tally, excel),
        _sections_table(tally),
        _schema_table(fmt),
        _collection(catalog, site, matched),
        _runs_table(catalog, tally),
        _licence(tally.sites or {site}, matched),
    ]
    return "\n".join(parts)


def _front_matter(site: str, data_file: str, outlets: list[Outlet]) -> str:
    """YAML metadata as the Hugging Face Hub reads it (JSON strings are valid YAML)."""
    languages = sorted({o.language for o in outlets if o.language})
    return "\n".join([
        "---", *(["language:", *(f"- {code}" for code in languages)] if languages else []),
        "license: other",
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


def _collection(catalog: Catalog, site: str, outlets: list[Outlet]) -> str:
    sites = _run_sites(catalog) or "the outlet's site"
    how = "; ".join(o.collection for o in outlets if o.collection) or "its article pages"
    return f"""## How it was collected

newsarc crawled {sites} ({site}), {how}.  Every HTTP exchange was stored in WARC
files (`DIR/warc/`) before the text was extracted: headline, dates, reporters, photos and
the reporter's paragraphs, without bylines, captions, ads, related-article boxes,
signatures or the site footer.  A changed body became a new version of the article;
unchanged ones were not stored again.

Each row names its source: `url` and `version`, the WARC record it was extracted from
(`warc_filename`, `warc_offset`, `warc_length`, `warc_record_id`, `warc_date`), and
`replay_path`, which shows that capture on `newsarc replay DIR` (pywb).
"""


def _run_sites(catalog: Catalog) -> str:
    return ", ".join(sorted({r["site"] for r in catalog.runs() if r["site"]}))


def _runs_table(catalog: Catalog, tally: Tally) -> str:
    """The crawl runs that stored the exported versions (from the catalog's ``runs``)."""
    lines = ["## Crawl runs\n"]
    runs = [run_summary(r) for r in catalog.runs() if r["run_id"] in tally.runs]
    if runs:
        lines += format_runs(runs, markdown=True)
    else:
        lines.append("No logged crawl run stored these rows.")
    if tally.unrun:
        lines.append(f"\n{tally.unrun} rows came into the catalog from the corpus file "
                     "rather than from a logged run.")
    return "\n".join(lines) + "\n"


def _licence(sites: set[str], outlets: list[Outlet]) -> str:
    lines = ["## Licence\n",
             "The text, photos and captions are the outlet's work, not newsarc's: "
             f"{', '.join(sorted(sites))} holds the rights.\n"]
    for outlet in outlets:
        if outlet.copyright:
            lines += [f"{outlet.name}'s copyright line reads:\n", f"> {outlet.copyright}\n"]
            if outlet.copyright_en:
                lines.append(f"({outlet.copyright_en})\n")
    lines.append("This export is for research use (text and data analysis); it grants no "
                 "right to republish the articles.  newsarc's MIT licence covers the "
                 "software only.")
    return "\n".join(lines) + "\n"
