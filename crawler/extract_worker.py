"""The extraction worker process: pages in through a pipe, records (or skips) out.

Kept apart from ``crawler/extract_pool.py``, the crawl's side of the pipe: a spawned worker
imports the module its entry point lives in, and this one needs neither asyncio nor
anything else of the crawl, only the extractor.
"""

from __future__ import annotations

import pickle
from multiprocessing.connection import Connection
from typing import Any


def serve(connection: Connection, profile: str) -> None:
    """Load the profile (and, through it, trafilatura and lxml) once, then extract page
    after page until the crawl closes its end of the pipe."""
    from crawler.extract import extract
    from crawler.profile import load_profile

    compiled = load_profile(profile)
    while True:
        try:
            body, url, content_type = pickle.loads(connection.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            result: Any = extract(body, url, content_type=content_type, profile=compiled)
        except Exception as exc:  # a bug: raised in the crawl, as inline extraction would
            result = exc
        try:
            answer = pickle.dumps(result, pickle.HIGHEST_PROTOCOL)
        except Exception:  # an exception that does not pickle: its name and message do
            answer = pickle.dumps(RuntimeError(f"{type(result).__name__}: {result}"))
        connection.send_bytes(answer)
