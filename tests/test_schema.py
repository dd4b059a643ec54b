"""The record's one definition (``archive/schema.py``) and what is derived from it or checked
against it: the JSON Schema file, the TypedDict, export columns, Datasette's column
descriptions, the docs' field table; and ``Skip`` kinds, by which the crawl decides."""

import asyncio
import copy
import pickle
import re
from pathlib import Path

import pyarrow as pa
import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from archive import browse, export
from archive.catalog import Catalog
from archive.schema import (
    FIELD_NAMES,
    FIELDS,
    ArticleRecord,
    column_meanings,
    export_columns,
    json_schema,
    schema_disagreements,
    typeddict_disagreements,
    validation_errors,
)
from crawler import drift
from crawler.extract import extract
from crawler.skip import Skip, SkipKind
from crawler.spiders.outlet import OutletSpider

ROOT = Path(__file__).resolve().parents[1]
SITE = "http://127.0.0.1:8000"
# The heading the docs' field table follows (any level), and the table's header row.
DOCS_HEADING = re.compile(r"^#+ The record\b.*$", re.MULTILINE)
DOCS_TABLE_HEADER = "| field | type | meaning |"


# --- the JSON Schema and the TypedDict ---------------------------------------------------

def test_json_schema_file_agrees_with_the_table_field_for_field():
    assert schema_disagreements() == []
    schema = json_schema()
    described = [f.name for f in FIELDS if f.in_json_schema]
    assert list(schema["properties"]) == described
    assert schema["required"] == [f.name for f in FIELDS if f.required]
    assert schema["additionalProperties"] is True  # warc is not described, yet allowed


@pytest.mark.parametrize("break_it", [
    lambda s: s["properties"].pop("section"),
    lambda s: s["properties"].__setitem__("extra", {"type": "string"}),
    lambda s: s["required"].remove("body"),
    lambda s: s["properties"]["subtitle"].__setitem__("type", "string"),
    lambda s: s["properties"]["version"].__setitem__("type", ["integer", "null"]),
    lambda s: s["properties"]["images"]["items"]["properties"].pop("caption"),
    lambda s: s["properties"]["extraction"]["properties"].__setitem__("x", {}),
])
def test_a_schema_that_drifts_from_the_table_is_caught(break_it):
    schema = copy.deepcopy(json_schema())
    break_it(schema)
    assert schema_disagreements(schema) != []


def test_typeddict_agrees_with_the_table():
    assert typeddict_disagreements() == []
    assert ArticleRecord.__required_keys__ | ArticleRecord.__optional_keys__ == set(FIELD_NAMES)
    assert ArticleRecord.__optional_keys__ == {"extraction", "warc"}


def _record() -> dict:
    record = extract(
        '<html><head><title>청년 기본소득 - 뉴미디어타임즈</title></head><body>'
        '<div class="arv_001_01"><div class="art_top"><h2>청년 기본소득</h2>'
        '<ul class="art_info"><li>등록 2024.03.05 09:10</li></ul></div>'
        '<div id="news_body_area"><p>경기도는 올해 하반기부터 청년 기본소득 신청을 '
        '온라인으로 받는다고 밝혔다.</p></div></div></body></html>',
        f"{SITE}/news/article.html?no=11")
    assert not isinstance(record, Skip), record
    record["fetched_at"] = "2024-03-05T01:00:00+00:00"
    return record


def test_an_extracted_record_has_exactly_the_tables_fields_and_validates():
    record = _record()
    assert set(record) == {f.name for f in FIELDS if f.name != "warc"}
    assert validation_errors(record) == []
    for f in FIELDS:
        if f.name in record and record[f.name] is None:
            assert f.nullable, f.name


# --- export ------------------------------------------------------------------------------

def test_export_columns_come_from_the_table():
    names = [c.name for c in export_columns()]
    assert [name for name, *_ in export.COLUMNS] == [*names, "replay_path"]
    meanings = column_meanings()
    for name, _kind, nullable, meaning in export.COLUMNS[:-1]:
        assert meaning == meanings[name]
        assert nullable == next(c.nullable for c in export_columns() if c.name == name)
    # A one-column field is nullable in the export exactly when the record allows null.
    for f in FIELDS:
        if [c.name for c in f.columns] == [f.name]:
            assert f.columns[0].nullable == f.nullable, f.name


def test_export_schema_is_unchanged():
    """The Parquet schema researchers' code reads: names, order, types, nullability."""
    kst, utc = pa.timestamp("ms", tz="+09:00"), pa.timestamp("us", tz="UTC")
    author = pa.struct([("name", pa.string()), ("email", pa.string())])
    image = pa.struct([("url", pa.string()), ("caption", pa.string())])
    s = pa.string()
    assert export.SCHEMA == pa.schema([
        pa.field("id", pa.int64(), False), pa.field("url", s, False),
        pa.field("site", s, False), pa.field("title", s, False),
        pa.field("subtitle", s), pa.field("section", s),
        pa.field("published", kst), pa.field("modified", kst),
        pa.field("authors", pa.list_(author), False), pa.field("body", s, False),
        pa.field("images", pa.list_(image), False), pa.field("language", s, False),
        pa.field("fetched_at", utc), pa.field("content_hash", s, False),
        pa.field("version", pa.int32(), False), pa.field("schema_version", pa.int32(), False),
        pa.field("extraction_profile", s), pa.field("extraction_method", s),
        pa.field("warc_filename", s), pa.field("warc_offset", pa.int64()),
        pa.field("warc_length", pa.int64()), pa.field("warc_record_id", s),
        pa.field("warc_date", utc), pa.field("replay_path", s),
    ])


def test_flat_reads_object_fields_by_the_tables_keys():
    record = {**_record(), "warc": {"filename": "a.warc.gz", "offset": 5, "length": 9,
                                    "record_id": "<urn:uuid:1>",
                                    "date": "2024-03-05T01:00:00+00:00"}}
    row = export.flat(record)
    assert list(row) == export.HEADER
    assert (row["warc_filename"], row["warc_offset"], row["warc_length"]) == ("a.warc.gz", 5, 9)
    assert row["extraction_profile"] == record["extraction"]["profile"]
    assert row["extraction_method"] == record["extraction"]["method"]
    older = {k: v for k, v in record.items() if k not in ("warc", "extraction")}
    row = export.flat(older)
    assert row["extraction_method"] is None and row["warc_filename"] is None


# --- browse ------------------------------------------------------------------------------

def test_datasette_describes_record_columns_as_the_table_does(tmp_path):
    described = browse.metadata("x", 1)["databases"]["catalog"]["tables"]
    by_name = {f.name: f for f in FIELDS}
    for table in ("texts", "latest"):
        columns = described[table]["columns"]
        for name in browse.RECORD_COLUMNS:
            assert columns[name] == by_name[name].description
    catalog = Catalog(tmp_path)
    try:
        texts = [row[1] for row in catalog.db.execute("PRAGMA table_info(texts)")]
    finally:
        catalog.close()
    assert set(texts) == set(browse.COLUMNS), "every column of texts is described"
    assert set(browse.RECORD_COLUMNS) == set(texts) & set(FIELD_NAMES)


# --- the docs' field table ---------------------------------------------------------------

def _docs_field_table() -> tuple[Path, dict[str, str]]:
    """The field table after the record's heading: field -> type column."""
    path = ROOT / "docs" / "schema.md"
    if not path.exists():
        path = ROOT / "README.md"
    text = path.read_text(encoding="utf-8")
    heading = DOCS_HEADING.search(text)
    assert heading, f"{path.name}: no heading 'The record ...'"
    start = text.index(DOCS_TABLE_HEADER, heading.end())
    rows = {}
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1]
    return path, rows


def test_docs_field_table_lists_exactly_the_tables_fields():
    path, rows = _docs_field_table()
    assert set(rows) == set(FIELD_NAMES), path
    for f in FIELDS:
        shown = rows[f.name]
        base = {"integer": "int", "string": "string", "array": "list of",
                "object": "object"}[f.json_type]
        assert shown.startswith(base), (f.name, shown)
        assert shown.endswith(" or null") == f.nullable, (f.name, shown)


# --- Skip kinds --------------------------------------------------------------------------

def test_skip_pickles_and_compares_by_kind_and_reason():
    skip = Skip(SkipKind.NO_BODY, "no body text")
    back = pickle.loads(pickle.dumps(skip, pickle.HIGHEST_PROTOCOL))
    assert back == skip and hash(back) == hash(skip) and back.kind is SkipKind.NO_BODY
    assert skip != Skip(SkipKind.NO_HEADLINE, "no body text")
    assert Skip(SkipKind.SOFT_404).reason == "soft-404"
    with pytest.raises(TypeError):
        Skip("no body text", "no body text")  # type: ignore[arg-type]


def test_retryable_kinds():
    assert {k for k in SkipKind if k.retryable} == {
        SkipKind.EMPTY, SkipKind.BINARY, SkipKind.TRUNCATED, SkipKind.EXTRACTION_DIED}


def test_stats_labels_are_the_reasons_first_words():
    """The counters keep the names they had when they were cut from the reason."""
    reasons = {
        SkipKind.SOFT_404: "soft-404: the CMS's missing-article stub",
        SkipKind.NOT_HTML: "not HTML: no markup",
        SkipKind.UNPARSEABLE: "unparseable HTML: Document is empty",
        SkipKind.NOT_ARTICLE: "not an article page: no headline and no body",
        SkipKind.LIST_PAGE: "not an article page: a list page",
        SkipKind.NO_ARTICLE_NUMBER: "no article number: the URL is not an article URL",
        SkipKind.NO_HEADLINE: "no headline",
        SkipKind.NO_BODY: "no body text",
        SkipKind.EMPTY: "empty page",
        SkipKind.BINARY: "binary data, not HTML",
        SkipKind.EXTRACTION_DIED: "the extraction process died",
    }
    for kind, reason in reasons.items():
        assert kind.label == reason.split(":")[0], kind


class _Catalog:
    def __init__(self) -> None:
        self.missing: list[int] = []

    def mark_missing(self, number: int) -> None:
        self.missing.append(number)


def _spider_outcome(skip: Skip) -> tuple[list, dict, list[int]]:
    """What the spider does with ``skip`` for an article URL: requests it yields, stats,
    articles it marks missing."""
    crawler = get_crawler(OutletSpider)
    spider = OutletSpider(site=SITE, out="x")
    spider._set_crawler(crawler)
    catalog = _Catalog()
    crawler.archivist = type("Archivist", (), {"mark_missing": catalog.mark_missing})()

    async def extracted(response):
        return skip

    spider._extract = extracted
    url = f"{SITE}/news/article.html?no=7"
    response = HtmlResponse(url, body=b"<html></html>", request=Request(url))

    async def parse():
        return [item async for item in spider.parse_article(response)]

    return asyncio.run(parse()), crawler.stats.get_stats(), catalog.missing


@pytest.mark.parametrize("kind", list(SkipKind))
def test_a_reworded_reason_is_decided_the_same(kind):
    """Retry or skip, the counter, a missing article, drift: all by kind, not by text."""
    first = _spider_outcome(Skip(kind, "the first wording"))
    second = _spider_outcome(Skip(kind, "something else entirely: reworded"))
    (requests, stats, missing), (requests2, stats2, missing2) = first, second
    assert [r.url for r in requests] == [r.url for r in requests2]
    assert missing == missing2
    strip = {"retry/reason_count/"}  # the retry log names the reason's text
    assert ({k: v for k, v in stats.items() if not k.startswith(tuple(strip))}
            == {k: v for k, v in stats2.items() if not k.startswith(tuple(strip))})
    assert bool(requests) == kind.retryable
    if kind.retryable:
        assert "newsarc/skipped/" + kind.label not in stats
    else:
        assert stats[f"newsarc/skipped/{kind.label}"] == 1
    assert missing == ([7] if kind is SkipKind.SOFT_404 else [])
    assert stats.get(f"{drift.PREFIX}pages", 0) == (1 if kind.missing else 0)
    for name in kind.missing:
        assert stats[f"{drift.PREFIX}missing/{name}"] == 1


def test_drift_counts_by_kind():
    class Stats:
        def __init__(self):
            self.values = {}

        def inc_value(self, key, count=1):
            self.values[key] = self.values.get(key, 0) + count

        def get_value(self, key):
            return self.values.get(key)

        def set_value(self, key, value):
            self.values[key] = value

    stats = Stats()
    drift.note(stats, Skip(SkipKind.NO_BODY, "텍스트 없음"), "http://x/a?no=1")
    drift.note(stats, Skip(SkipKind.NOT_ARTICLE, "reworded"), "http://x/a?no=2")
    drift.note(stats, Skip(SkipKind.LIST_PAGE, "no body text"), "http://x/a?no=3")
    assert drift.counts(stats.values)["missing"] == {
        "title": 1, "published": 0, "reporter": 0, "body": 2}
