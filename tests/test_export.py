"""``newsarc export``: round trips through pyarrow, pandas, DuckDB, polars and ``datasets``;
CSV quoting; filters checked against expectations computed from the JSONL corpus; bad
input refused with nothing written."""

import csv
import hashlib
import json
import re
import shutil
import sqlite3
from collections import Counter
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import export as export_module
from archive.query import Filters, open_catalog

from .conftest import NEWSARC, run

RECORD_FIELDS = ("id", "url", "site", "title", "subtitle", "section", "published", "modified",
                 "authors", "body", "images", "language", "fetched_at", "content_hash",
                 "version", "schema_version")
EXTRACTION = ("extraction_profile", "extraction_method")
PROVENANCE = ("warc_filename", "warc_offset", "warc_length", "warc_record_id", "warc_date",
              "replay_path")
TIME_FIELDS = ("published", "modified", "fetched_at", "warc_date")
KST = timedelta(hours=9)
BOM = b"\xef\xbb\xbf"
COPYRIGHT = ("뉴미디어타임즈 모든 콘텐츠(영상,기사,사진)는 저작권법의 보호를 받는 바, "
             "무단 전재, 복사, 배포 등을 금합니다.")
TRICKY_BODY = ('"인용"으로 시작하는 문단, 쉼표와 "따옴표" 그리고 ""두 겹"" 따옴표.\n\n'
               '둘째 문단\r\n셋째 줄, 끝에 따옴표"')


# --- the corpus, read independently of the code under test ------------------------------

def read_corpus(archive):
    with (archive / "articles.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def latest_of(records):
    latest = {}
    for record in records:
        if record["id"] not in latest or record["version"] > latest[record["id"]]["version"]:
            latest[record["id"]] = record
    return [latest[i] for i in sorted(latest)]


def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def expected_row(record):
    """The export row a corpus record should become: its fields, how it was extracted,
    and provenance."""
    warc = record["warc"]
    row = {name: record[name] for name in RECORD_FIELDS}
    extraction = record.get("extraction") or {}
    row.update(extraction_profile=extraction.get("profile"),
               extraction_method=extraction.get("method"))
    row.update(warc_filename=warc["filename"], warc_offset=warc["offset"],
               warc_length=warc["length"], warc_record_id=warc["record_id"],
               warc_date=warc["date"],
               replay_path=f"/archive/{re.sub(r'[^0-9]', '', warc['date'])[:14]}/{record['url']}")
    return row


def typed(row):
    """``expected_row`` with its times as aware datetimes (what Parquet readers return)."""
    return {k: instant(v) if k in TIME_FIELDS else v for k, v in row.items()}


# --- fixtures -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus(archive):
    return read_corpus(archive)


@pytest.fixture(scope="module")
def latest(corpus):
    return latest_of(corpus)


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="module")
def parquet_file(archive, outdir):
    return export_cli(archive, "parquet", outdir / "corpus.parquet")


@pytest.fixture(scope="module")
def versioned(archive, replica, tmp_path_factory):
    """A copy of the archive crawled again after the replica added and edited articles."""
    out = tmp_path_factory.mktemp("versioned") / "archive"
    shutil.copytree(archive, out)
    replica.set_generation(2)
    try:
        result = run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle")
    finally:
        replica.set_generation(0)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert any(r["version"] > 1 for r in read_corpus(out)), "no article changed"
    return out


@pytest.fixture(scope="module")
def tricky(archive, corpus, tmp_path_factory):
    """A copy of the archive with one more record whose title and body are hard on CSV."""
    out = tmp_path_factory.mktemp("tricky") / "archive"
    shutil.copytree(archive, out)
    record = dict(corpus[0])
    record.update(id=max(r["id"] for r in corpus) + 1, title='제목, "쉼표"와 따옴표',
                  subtitle="첫 줄\n둘째 줄", body=TRICKY_BODY,
                  content_hash=hashlib.sha256(TRICKY_BODY.encode()).hexdigest(), version=1)
    record["url"] = re.sub(r"no=\d+$", f"no={record['id']}", record["url"])
    with (out / "articles.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return out


def export_cli(archive, fmt, out, *options):
    result = run(NEWSARC, "export", str(archive), "--format", fmt, "--out", str(out), *options)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().startswith("wrote "), result.stdout
    return out


def exported_keys(archive, out, *options):
    """(id, version) of each row of a JSONL export, in file order."""
    export_cli(archive, "jsonl", out, *options)
    return [(r["id"], r["version"]) for r in read_corpus_file(out)]


def read_corpus_file(path):
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def keys(records):
    return [(r["id"], r["version"]) for r in sorted(records, key=lambda r: (r["id"],
                                                                              r["version"]))]


# --- Parquet ------------------------------------------------------------------------------

def test_parquet_schema_is_typed(parquet_file):
    schema = pq.read_schema(parquet_file)
    assert schema.names == list(RECORD_FIELDS + EXTRACTION + PROVENANCE)
    assert schema.field("id").type == pa.int64()
    for name in ("published", "modified"):
        kind = schema.field(name).type
        assert pa.types.is_timestamp(kind) and kind.tz == "+09:00"
    for name in ("fetched_at", "warc_date"):
        assert schema.field(name).type.tz == "UTC"
    author = schema.field("authors").type
    assert pa.types.is_list(author) and author.value_type == pa.struct(
        [("name", pa.string()), ("email", pa.string())])
    assert schema.field("images").type.value_type == pa.struct(
        [("url", pa.string()), ("caption", pa.string())])
    assert schema.field("warc_offset").type == pa.int64()
    assert pq.read_schema(parquet_file) == export_module.SCHEMA


def test_parquet_round_trip_pyarrow(parquet_file, latest):
    rows = pq.read_table(parquet_file).to_pylist()
    assert rows == [typed(expected_row(r)) for r in latest]
    assert all(r["published"].utcoffset() == KST for r in rows if r["published"])
    assert any(r["modified"] for r in rows) and any(r["modified"] is None for r in rows)
    assert any(len(r["authors"]) > 1 for r in rows)
    assert any(a["email"] is None for r in rows for a in r["authors"])


def test_parquet_round_trip_pandas(parquet_file, latest):
    frame = pd.read_parquet(parquet_file)
    assert isinstance(frame["published"].dtype, pd.DatetimeTZDtype)
    assert frame["published"].dt.tz.utcoffset(None) == KST
    assert str(frame["fetched_at"].dt.tz) == "UTC"
    assert frame["id"].tolist() == [r["id"] for r in latest]
    for row, record in zip(frame.to_dict("records"), latest, strict=True):
        want = typed(expected_row(record))
        for name in TIME_FIELDS:
            assert (pd.isna(row[name]) and want[name] is None) or row[name] == want[name]
        assert [dict(a) for a in row["authors"]] == record["authors"]
        assert [dict(i) for i in row["images"]] == record["images"]
        for name in ("title", "body", "content_hash", "warc_filename", "replay_path"):
            assert row[name] == want[name]
        assert row["warc_offset"] == want["warc_offset"]


def test_parquet_round_trip_duckdb(parquet_file, latest):
    relation = duckdb.sql(
        "SELECT count(*), count(DISTINCT id), epoch(min(published)), epoch(max(published)), "
        "sum(len(authors)), sum(len(images)), sum(warc_offset), sum(length(body)), "
        "typeof(any_value(published)), typeof(any_value(authors)), "
        f"count(modified) FROM '{parquet_file}'")
    [row] = relation.fetchall()
    published = [instant(r["published"]).timestamp() for r in latest if r["published"]]
    assert row[:8] == (
        len(latest), len(latest), min(published), max(published),
        sum(len(r["authors"]) for r in latest), sum(len(r["images"]) for r in latest),
        sum(r["warc"]["offset"] for r in latest), sum(len(r["body"]) for r in latest))
    assert row[8] == "TIMESTAMP WITH TIME ZONE"
    assert row[9].startswith("STRUCT") and row[9].endswith("[]")
    assert row[10] == sum(1 for r in latest if r["modified"])
    titles = duckdb.sql(f"SELECT id, title, authors[1].name FROM '{parquet_file}' ORDER BY id")
    assert titles.fetchall() == [(r["id"], r["title"], r["authors"][0]["name"]) for r in latest]


def test_parquet_round_trip_polars(parquet_file, latest):
    frame = pl.read_parquet(parquet_file)
    assert frame.schema["published"].time_zone is not None
    assert frame.schema["authors"] == pl.List(pl.Struct({"name": pl.String,
                                                         "email": pl.String}))
    assert frame.to_dicts() == [typed(expected_row(r)) for r in latest]


def test_parquet_loads_with_datasets(parquet_file, latest, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets

    data = datasets.load_dataset("parquet", data_files=str(parquet_file), split="train",
                                 cache_dir=str(tmp_path / "cache"))
    assert data.num_rows == len(latest)
    assert data.features["published"].dtype.startswith("timestamp[")
    assert list(data) == [typed(expected_row(r)) for r in latest]


def test_provenance_points_at_the_warc_record(parquet_file, archive):
    rows = pq.read_table(parquet_file, columns=["url", "warc_filename", "warc_offset",
                                                "warc_record_id"]).to_pylist()
    for row in rows[:: max(1, len(rows) // 8)]:
        with (archive / "warc" / row["warc_filename"]).open("rb") as handle:
            handle.seek(row["warc_offset"])
            record = next(iter(ArchiveIterator(handle)))
        assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == row["url"]


def test_dataset_card(parquet_file, archive, latest):
    card = (parquet_file.parent / "README.md").read_text(encoding="utf-8")
    assert COPYRIGHT in card and "research" in card
    assert f"{len(latest)} rows" in card and "articles: " + str(len(latest)) in card
    published = sorted(r["published"] for r in latest if r["published"])
    assert f"{published[0]} to {published[-1]}" in card
    for name in RECORD_FIELDS + EXTRACTION + PROVENANCE:
        assert f"`{name}`" in card
    assert "timestamp[ms, tz=+09:00]" in card
    assert "| 1 | full |" in card  # the crawl run the rows came from
    assert 'data_files: "corpus.parquet"' in card
    assert "language:\n- ko\n" in card and "on the mediaOn CMS" in card  # from the profile


def test_the_card_says_of_the_outlet_only_what_it_is_told(archive, tmp_path):
    """archive/ knows no outlet: the copyright line, the language and how the pages were
    found come from the caller (the command line passes the profiles')."""
    catalog = open_catalog(archive)
    try:
        export_module.export(catalog, "csv", tmp_path / "plain.csv", Filters())
        plain = (tmp_path / "README.md").read_text(encoding="utf-8")
        told = export_module.Outlet("뉴미디어타임즈", "xx", "found somehow", "© them", "(c)")
        export_module.export(catalog, "csv", tmp_path / "told.csv", Filters(), outlets=(told,))
        card = (tmp_path / "README.md").read_text(encoding="utf-8")
    finally:
        catalog.close()
    assert "저작권" not in plain and "mediaOn" not in plain and "language:" not in plain
    assert "its article pages.  Every HTTP exchange" in plain
    assert "language:\n- xx\n" in card and "found somehow." in card
    assert "> © them\n" in card and "((c))" in card


# --- CSV ----------------------------------------------------------------------------------

def csv_cells(record):
    row = expected_row(record)
    row["authors"] = json.dumps(row["authors"], ensure_ascii=False)
    row["images"] = json.dumps(row["images"], ensure_ascii=False)
    return ["" if v is None else str(v) for v in row.values()]


def test_csv_round_trip_with_newlines_and_quotes(tricky, tmp_path):
    out = export_cli(tricky, "csv", tmp_path / "corpus.csv")
    raw = out.read_bytes()
    assert not raw.startswith(BOM)
    assert raw.endswith(b"\r\n")
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, dialect="excel"))
    assert rows[0] == list(RECORD_FIELDS + EXTRACTION + PROVENANCE)
    latest = latest_of(read_corpus(tricky))
    assert rows[1:] == [csv_cells(r) for r in latest]
    last = dict(zip(rows[0], rows[-1], strict=True))
    assert last["body"] == TRICKY_BODY and last["title"] == '제목, "쉼표"와 따옴표'
    assert json.loads(last["authors"]) == latest[-1]["authors"]
    assert (tmp_path / "README.md").exists()


def test_csv_excel_has_bom_and_same_rows(tricky, tmp_path):
    plain = export_cli(tricky, "csv", tmp_path / "plain.csv")
    excel = export_cli(tricky, "csv", tmp_path / "excel.csv", "--excel")
    assert excel.read_bytes().startswith(BOM)
    assert excel.read_bytes()[len(BOM):] == plain.read_bytes()
    with excel.open(encoding="utf-8-sig", newline="") as handle:
        assert next(csv.reader(handle))[0] == "id"


def test_jsonl_is_the_corpus_plus_replay_path(archive, latest, tmp_path):
    rows = read_corpus_file(export_cli(archive, "jsonl", tmp_path / "corpus.jsonl"))
    assert rows == [{**r, "replay_path": expected_row(r)["replay_path"]} for r in latest]
    assert not (tmp_path / "README.md").exists()


def test_the_catalog_keeps_each_body_once_and_exports_whole_records(archive, latest,
                                                                     tmp_path):
    """The ``record`` column holds everything but the body, which is the ``body`` column
    (kept twice, it was two fifths of the catalog); a catalog of an older newsarc, with the
    whole record in ``record``, exports the same records."""
    with sqlite3.connect(archive / "catalog.sqlite") as db:
        rows = db.execute("SELECT json_extract(record, '$.body'), body FROM texts").fetchall()
    assert rows and all(kept == "" and body for kept, body in rows)
    older = tmp_path / "older"
    shutil.copytree(archive, older)
    with sqlite3.connect(older / "catalog.sqlite") as db:
        db.execute("UPDATE texts SET record = json_set(record, '$.body', body)")
    expected = [{**r, "replay_path": expected_row(r)["replay_path"]} for r in latest]
    for where in (archive, older):
        exported = export_cli(where, "jsonl", tmp_path / f"{where.name}.jsonl")
        assert read_corpus_file(exported) == expected


# --- filters, against expectations computed from the JSONL --------------------------------

def day(record):
    return date.fromisoformat(record["published"][:10]) if record["published"] else None


def test_filter_dates(archive, latest, tmp_path):
    days = sorted(day(r) for r in latest)
    low, high = days[len(days) // 4], days[len(days) // 2]
    got = exported_keys(archive, tmp_path / "d.jsonl", "--from", str(low), "--to", str(high))
    want = keys(r for r in latest if low <= day(r) <= high)
    assert got == want and want
    assert any(day(r) == high for r in latest if (r["id"], r["version"]) in want)
    got = exported_keys(archive, tmp_path / "f.jsonl", "--from", str(high))
    assert got == keys(r for r in latest if day(r) >= high)
    got = exported_keys(archive, tmp_path / "t.jsonl", "--to", str(low))
    assert got == keys(r for r in latest if day(r) <= low)


def test_filter_section_and_author(archive, latest, tmp_path):
    section = Counter(r["section"] for r in latest).most_common(1)[0][0]
    got = exported_keys(archive, tmp_path / "s.jsonl", "--section", section)
    assert got == keys(r for r in latest if r["section"] == section)
    author = Counter(a["name"] for r in latest for a in r["authors"]).most_common(2)[1][0]
    got = exported_keys(archive, tmp_path / "a.jsonl", "--author", author)
    assert got == keys(r for r in latest if author in [a["name"] for a in r["authors"]])
    assert got


@pytest.mark.parametrize("query", ["정책", "업무협약", "정책 추진", "phrase"])
def test_filter_query(archive, latest, tmp_path, query):
    if query == "phrase":  # two words of one body, as a quoted phrase
        query = '"' + " ".join(latest[3]["body"].split()[2:4]) + '"'
    words = [a or b for a, b in re.findall(r'"([^"]+)"|(\S+)', query)]
    got = exported_keys(archive, tmp_path / "q.jsonl", "--query", query)
    want = keys(r for r in latest if all(w in r["title"] or w in r["body"] for w in words))
    assert got == want and want


def test_filters_combine(archive, latest, tmp_path):
    section = Counter(r["section"] for r in latest).most_common(1)[0][0]
    since = sorted(day(r) for r in latest)[len(latest) // 3]
    got = exported_keys(archive, tmp_path / "c.jsonl", "--section", section,
                        "--from", str(since), "--query", "정책")
    assert got == keys(r for r in latest if r["section"] == section and day(r) >= since
                       and ("정책" in r["title"] or "정책" in r["body"]))


def test_latest_and_all_versions(versioned, tmp_path):
    records = read_corpus(versioned)
    latest = latest_of(records)
    assert exported_keys(versioned, tmp_path / "l.jsonl") == keys(latest)
    assert exported_keys(versioned, tmp_path / "all.jsonl", "--all-versions") == keys(records)
    changed = {r["id"] for r in records if r["version"] > 1}
    section = next(r["section"] for r in records if r["id"] in changed)
    got = exported_keys(versioned, tmp_path / "as.jsonl", "--all-versions", "--section", section)
    assert got == keys(r for r in records if r["section"] == section)
    table = pq.read_table(export_cli(versioned, "parquet", tmp_path / "all.parquet",
                                     "--all-versions"))
    assert table.num_rows == len(records)
    assert table.to_pylist() == [typed(expected_row(r)) for r in
                                 sorted(records, key=lambda r: (r["id"], r["version"]))]
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "every stored version" in card and "| 2 | incremental |" in card


def test_no_matching_rows_is_an_empty_valid_export(archive, tmp_path):
    out = export_cli(archive, "parquet", tmp_path / "none.parquet", "--author", "아무개없음")
    table = pq.read_table(out)
    assert table.num_rows == 0 and table.schema == export_module.SCHEMA
    assert (tmp_path / "README.md").exists()
    csv_out = export_cli(archive, "csv", tmp_path / "none.csv", "--author", "아무개없음")
    assert csv_out.read_text(encoding="utf-8").strip() == ",".join(
        RECORD_FIELDS + EXTRACTION + PROVENANCE)


# --- bad input: exit 2, one line on stderr, nothing written -------------------------------

def bad_cases(archive, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "articles.jsonl").write_text("")
    plain = tmp_path / "plain"
    plain.mkdir()
    return {
        "bad date": (archive, ["--from", "2024-02-30"], "2024-02-30"),
        "not a date": (archive, ["--to", "yesterday"], "yesterday"),
        "from after to": (archive, ["--from", "2024-01-02", "--to", "2024-01-01"], "after"),
        "unknown section": (archive, ["--section", "없는섹션"], "없는섹션"),
        "blank query": (archive, ["--query", "   "], "empty search"),
        "excel with parquet": (archive, ["--excel"], "--excel"),
        "empty archive": (empty, [], "no articles"),
        "not an archive": (plain, [], "not a newsarc archive"),
        "no such directory": (tmp_path / "nowhere", [], "no such directory"),
    }


@pytest.mark.parametrize("case", ["bad date", "not a date", "from after to",
                                  "unknown section", "blank query", "excel with parquet",
                                  "empty archive", "not an archive", "no such directory"])
def test_bad_input_writes_nothing(archive, tmp_path, case):
    source, options, named = bad_cases(archive, tmp_path)[case]
    target = tmp_path / "out"
    target.mkdir()
    result = run(NEWSARC, "export", str(source), "--format", "parquet",
                 "--out", str(target / "x.parquet"), *options)
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert stderr.startswith("newsarc export: ") and stderr.count("\n") == 1, stderr
    assert named in stderr
    assert list(target.iterdir()) == []


def test_bad_targets_write_nothing(archive, tmp_path):
    notes = tmp_path / "README.md"
    notes.write_text("my own notes\n")
    cases = [(tmp_path / "x.parquet", "not a newsarc dataset card"),
             (tmp_path / "missing" / "x.parquet", "no such directory"),
             (archive / "x.parquet", "inside the archive")]
    before = sorted(p.name for p in archive.iterdir())
    for out, named in cases:
        result = run(NEWSARC, "export", str(archive), "--format", "parquet", "--out", str(out))
        stderr = result.stderr.decode()
        assert result.returncode == 2 and named in stderr and stderr.count("\n") == 1, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]
    assert notes.read_text() == "my own notes\n"
    assert sorted(p.name for p in archive.iterdir()) == before


def test_failure_midway_leaves_nothing_and_keeps_old_file(archive, tmp_path, monkeypatch):
    out = tmp_path / "x.parquet"
    out.write_bytes(b"an older export")
    calls = []

    def failing(record):
        calls.append(record["id"])
        if len(calls) > 10:
            raise OSError("disk full")
        return real(record)

    real = export_module.arrow_row
    monkeypatch.setattr(export_module, "arrow_row", failing)
    catalog = open_catalog(archive)
    try:
        with pytest.raises(OSError, match="disk full"):
            export_module.export(catalog, "parquet", out, Filters())
    finally:
        catalog.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.parquet"]
    assert out.read_bytes() == b"an older export"


def test_record_without_warc_or_times_exports_nulls(corpus, tmp_path):
    """A record from ``newsarc extract`` (no fetch time) of an archive without WARC files."""
    record = {**corpus[0], "published": None, "modified": None, "fetched_at": None}
    del record["warc"]
    out = tmp_path / "one.parquet"
    export_module.write_parquet(out, iter([record]), False)
    [row] = pq.read_table(out).to_pylist()
    assert all(row[name] is None for name in ("published", "fetched_at") + PROVENANCE)
    assert (row["extraction_profile"], row["extraction_method"]) == (
        record["extraction"]["profile"], record["extraction"]["method"])
    assert row["body"] == record["body"] and row["authors"] == record["authors"]
    cells = dict(zip(export_module.HEADER, export_module.csv_row(record), strict=True))
    assert cells["replay_path"] is None and cells["images"] == json.dumps(
        record["images"], ensure_ascii=False)


def test_extraction_columns_are_flat_and_null_for_older_records(corpus, tmp_path):
    """``extraction`` becomes two columns a reader filters on (fallback-extracted rows);
    a record written before newsarc recorded it exports nulls there, not an error."""
    fallback = {**corpus[0], "extraction": {"profile": "other", "method": "fallback"}}
    older = {k: v for k, v in corpus[1].items() if k != "extraction"}
    out = tmp_path / "two.parquet"
    export_module.write_parquet(out, iter([fallback, older]), False)
    rows = pq.read_table(out, columns=list(EXTRACTION)).to_pylist()
    assert rows == [{"extraction_profile": "other", "extraction_method": "fallback"},
                    {"extraction_profile": None, "extraction_method": None}]
    cells = dict(zip(export_module.HEADER, export_module.csv_row(older), strict=True))
    assert cells["extraction_method"] is None
