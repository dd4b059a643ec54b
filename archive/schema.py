"""The corpus record: schema version, JSON Schema file, validation.

The record shape is the contract with researchers, so it lives on the storage side
(``archive/``) and is shipped as a JSON Schema file, ``archive/schemas/article-v1.json``.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("schemas") / f"article-v{SCHEMA_VERSION}.json"


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
