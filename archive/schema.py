"""The corpus record: its one definition, schema version, JSON Schema file, validation.

The record shape is the contract with researchers, so it lives on the storage side
(``archive/``) and is shipped as a JSON Schema file, ``archive/schemas/article-v1.json``.

``FIELDS`` is the one table of the record's fields, in record order: JSON type, whether it
may be null, whether every record has it, what it means, and the export columns it becomes
(``Column``: name, value type, nullable, meaning).  ``ArticleRecord`` is the same record as
a TypedDict, for type checkers.  From the table come the export columns and the dataset
card's column table (``archive/export.py``) and Datasette's column descriptions
(``archive/browse.py``); ``tests/test_schema.py`` checks that the JSON Schema file, the
TypedDict and the field table of the docs (``docs/schema.md``, else ``README.md``) name
the same fields with the same types.
"""

from __future__ import annotations

import hashlib
import json
import types
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict, get_args, get_origin, get_type_hints

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("schemas") / f"article-v{SCHEMA_VERSION}.json"


# --- the record as a type --------------------------------------------------------------

class Author(TypedDict):
    name: str
    email: str | None


class Image(TypedDict):
    url: str
    caption: str | None


class Extraction(TypedDict):
    profile: str
    method: Literal["profile", "fallback"]


class WarcLocation(TypedDict):
    filename: str
    offset: int
    length: int
    record_id: str
    date: str
    # The record's WARC-Target-URI, only where it differs from the record's ``url`` (an
    # imported capture of a decorated, mobile or print URL): what ``verify`` compares.
    target_uri: NotRequired[str]


class _RequiredFields(TypedDict):
    id: int
    url: str
    site: str
    title: str
    subtitle: str | None
    section: str | None
    published: str | None
    modified: str | None
    authors: list[Author]
    body: str
    images: list[Image]
    language: str
    fetched_at: str | None
    content_hash: str
    version: int
    schema_version: int


class ArticleRecord(_RequiredFields, total=False):
    """One line of ``articles.jsonl`` (``total=False`` here: the fields absent from some
    records, ``extraction`` from those of older newsarc versions and ``warc`` when WARC
    writing is off)."""

    extraction: Extraction
    warc: WarcLocation


# --- the record as a table -------------------------------------------------------------

ColumnType = Literal["int64", "int32", "string", "kst_time", "utc_time", "authors", "images"]


@dataclass(frozen=True)
class Column:
    """One export column: its name, value type (``archive/export.py`` maps it to Arrow's),
    whether it may be null, its meaning (dataset card, Datasette), and for a column of an
    object field the key it is read from (``None``: the field's value itself)."""

    name: str
    type: ColumnType
    nullable: bool
    meaning: str
    key: str | None = None


@dataclass(frozen=True)
class Field:
    """One field of the record.

    ``json_type`` is its JSON Schema type, ``nullable`` whether null is allowed besides,
    ``required`` whether every record has it (the JSON Schema's ``required``), and
    ``in_json_schema`` whether the JSON Schema file describes it (``warc`` is an additional
    property there, whose shape is newsarc's, not the researcher's contract)."""

    name: str
    json_type: Literal["integer", "string", "array", "object"]
    nullable: bool
    description: str
    columns: tuple[Column, ...]
    required: bool = True
    in_json_schema: bool = True


def _one(name: str, json_type: Any, nullable: bool, column_type: ColumnType,
         description: str) -> Field:
    """A field that is one export column of the same name and meaning."""
    return Field(name, json_type, nullable, description,
                 (Column(name, column_type, nullable, description),))


FIELDS: tuple[Field, ...] = (
    _one("id", "integer", False, "int64", "the CMS's article number N (another URL scheme: "
         "the number in the URL, else an id derived from the canonical URL)"),
    _one("url", "string", False, "string", "canonical URL SITE/news/article.html?no=N "
         "(another URL scheme: the page's canonical link or og:url)"),
    _one("site", "string", False, "string", "outlet name"),
    _one("title", "string", False, "string", "headline"),
    _one("subtitle", "string", True, "string", "sub-headline, when there is one"),
    _one("section", "string", True, "string", "section name (정치, 경제, ...)"),
    _one("published", "string", True, "kst_time", "등록 time, Korea time (+09:00)"),
    _one("modified", "string", True, "kst_time",
         "수정 time, Korea time; null when never edited"),
    # A list is never null in the record; its export column is not nullable either.
    _one("authors", "array", False, "authors", "reporters: name, e-mail (null when absent)"),
    _one("body", "string", False, "string",
         "the reporter's paragraphs, separated by one blank line"),
    _one("images", "array", False, "images",
         "photos in the body: absolute URL, caption or null"),
    _one("language", "string", False, "string", "ko"),
    _one("fetched_at", "string", True, "utc_time", "when the page was fetched (UTC)"),
    _one("content_hash", "string", False, "string", "sha256 of body (UTF-8), hex"),
    _one("version", "integer", False, "int32",
         "1 for the first body of an id, +1 for each change"),
    _one("schema_version", "integer", False, "int32", "record schema version (1)"),
    Field("extraction", "object", False,
          "how the record was extracted: profile and method (absent from records of older "
          "newsarc versions)",
          (Column("extraction_profile", "string", True, "outlet profile the record was "
                  "extracted with (null for records of older newsarc versions)", "profile"),
           Column("extraction_method", "string", True, "profile: the profile's body "
                  "selectors found the body; fallback: extracted from the whole page (a "
                  "redesigned template)", "method")),
          required=False),
    Field("warc", "object", False,
          "where the response the record came from lies in the WARC files (absent when "
          "WARC writing is off); target_uri: the response's WARC-Target-URI, present only "
          "when it differs from url",
          (Column("warc_filename", "string", True,
                  "WARC file holding the page's response record", "filename"),
           Column("warc_offset", "int64", True,
                  "byte offset of that record in the WARC file", "offset"),
           Column("warc_length", "int64", True,
                  "its length in bytes (compressed)", "length"),
           Column("warc_record_id", "string", True, "its WARC-Record-ID", "record_id"),
           Column("warc_date", "utc_time", True, "its WARC-Date (UTC)", "date")),
          required=False, in_json_schema=False),
)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}


def export_columns() -> tuple[Column, ...]:
    """The record's export columns, in order: each field's columns in field order."""
    return tuple(column for f in FIELDS for column in f.columns)


def column_meanings() -> dict[str, str]:
    """Export column name -> meaning, for every column the record makes."""
    return {column.name: column.meaning for column in export_columns()}


# --- the record as JSON ----------------------------------------------------------------

def captured_url(record: dict[str, Any]) -> str:
    """The URL the record's page was captured under: what replay and a WACZ page list must
    ask for (an imported mobile or print capture was never captured under ``url``)."""
    return (record.get("warc") or {}).get("target_uri") or record["url"]


def content_hash(body: str) -> str:
    """sha256 of the body text, the identity of one article version."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def json_schema() -> dict[str, Any]:
    """The JSON Schema of a corpus record."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validation_errors(record: dict[str, Any]) -> list[str]:
    """Every way ``record`` breaks the schema, as readable messages (empty when valid)."""
    from jsonschema import Draft202012Validator, FormatChecker

    validator = Draft202012Validator(json_schema(), format_checker=FormatChecker())
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<record>'}: {e.message}"
        for e in validator.iter_errors(record)
    ]


def schema_disagreements(schema: dict[str, Any] | None = None) -> list[str]:
    """How the JSON Schema (default: the file's) and ``FIELDS`` disagree, field for field:
    the properties described, which are required, and each one's type and nullability
    (empty when they agree)."""
    schema = json_schema() if schema is None else schema
    problems: list[str] = []
    properties = schema.get("properties", {})
    described = [f.name for f in FIELDS if f.in_json_schema]
    if list(properties) != described:
        problems.append(f"properties {list(properties)} != fields {described}")
    required = [f.name for f in FIELDS if f.required]
    if list(schema.get("required", [])) != required:
        problems.append(f"required {schema.get('required')} != fields {required}")
    for f in FIELDS:
        if not f.in_json_schema or f.name not in properties:
            continue
        described_field = properties[f.name]
        declared = described_field.get("type")
        expected = [f.json_type, "null"] if f.nullable else f.json_type
        if declared != expected:
            problems.append(f"{f.name}: type {declared!r} != {expected!r}")
        inner = described_field.get("items", {}) if f.json_type == "array" else described_field
        keys = _object_keys(f.name)
        if keys is not None and list(inner.get("properties", {})) != keys:
            problems.append(f"{f.name}: keys {list(inner.get('properties', {}))} != "
                            f"ArticleRecord's {keys}")
    if schema.get("additionalProperties") is not True and not all(
            f.in_json_schema for f in FIELDS):
        problems.append("fields absent from the JSON Schema need additionalProperties: true")
    return problems


_JSON_TYPES = {int: "integer", str: "string", list: "array", dict: "object"}


def _object_keys(name: str) -> list[str] | None:
    """The keys of the TypedDict a field (or each item of a list field) is, else None."""
    hint = get_type_hints(ArticleRecord)[name]
    if get_origin(hint) is list:
        hint = get_args(hint)[0]
    return list(get_type_hints(hint)) if _is_typeddict(hint) else None


def _is_typeddict(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, dict) and hasattr(hint, "__total__")


def typeddict_disagreements() -> list[str]:
    """How ``ArticleRecord`` and ``FIELDS`` disagree: names and their order, which are
    required, and each one's JSON type and nullability (empty when they agree)."""
    problems: list[str] = []
    hints = get_type_hints(ArticleRecord)
    if list(hints) != list(FIELD_NAMES):
        problems.append(f"ArticleRecord {list(hints)} != fields {list(FIELD_NAMES)}")
    required = {f.name for f in FIELDS if f.required}
    if set(ArticleRecord.__required_keys__) != required:
        problems.append(f"required {sorted(ArticleRecord.__required_keys__)} != "
                        f"fields {sorted(required)}")
    for f in FIELDS:
        if f.name not in hints:
            continue
        hint, nullable = hints[f.name], False
        if isinstance(hint, types.UnionType) and type(None) in get_args(hint):
            nullable = True
            hint = next(arg for arg in get_args(hint) if arg is not type(None))
        base = get_origin(hint) or hint
        json_type = "object" if _is_typeddict(base) else _JSON_TYPES.get(base)
        if (json_type, nullable) != (f.json_type, f.nullable):
            problems.append(f"{f.name}: ArticleRecord says {json_type}"
                            f"{' or null' if nullable else ''}, FIELDS {f.json_type}"
                            f"{' or null' if f.nullable else ''}")
    return problems
