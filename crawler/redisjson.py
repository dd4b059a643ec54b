"""JSON in place of pickle for the requests scrapy-redis keeps in Redis.

scrapy-redis serializes queued requests with pickle by default, so anyone who can write to
the Redis server could make every worker run code of their choosing when it unpickles a
request.  Requests are plain data (``request_to_dict``); this module, set as
``SCHEDULER_SERIALIZER``, writes them as JSON, tagging the few types JSON lacks (bytes,
byte-keyed dicts such as headers, sets).  JSON alone does not make an entry harmless:
Scrapy would still build a request from every field of it (a proxy, a lifted size cap, a
class to import), so a worker decodes entries through ``crawler.distributed.QueueEntries``,
which keeps only the whitelisted form of newsarc's own requests for the site.
"""

from __future__ import annotations

import base64
import json
from typing import Any


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, (set, frozenset)):
        return {"__set__": [_encode(v) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not any(k.startswith("__") for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"__items__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"a queued request holds a {type(value).__name__}, which is not data")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__bytes__" in value:
        return base64.b64decode(value["__bytes__"])
    if "__set__" in value:
        return frozenset(_decode(v) for v in value["__set__"])
    if "__items__" in value:
        return {_decode(k): _decode(v) for k, v in value["__items__"]}
    return {k: _decode(v) for k, v in value.items()}


def dumps(obj: Any) -> str:
    """A request dict as JSON text."""
    return json.dumps(_encode(obj), ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """The request dict back from JSON text."""
    return _decode(json.loads(text))
