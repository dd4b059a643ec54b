"""Time conventions: article dates in Korea time (+09:00), fetch times in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")


def utc_now_iso() -> str:
    """Now, UTC, ISO 8601 with ``+00:00`` and second precision (the record's ``fetched_at``)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def fetched_at(warc_date: str) -> str:
    """A WARC-Date (``2026-11-29T17:00:00.123456Z``) as a record's ``fetched_at``.

    Taking the fetch time from the WARC record, not the clock, lets re-extraction from the
    WARC files reproduce the corpus exactly.
    """
    parsed = datetime.fromisoformat(warc_date.replace("Z", "+00:00"))
    return parsed.astimezone(UTC).replace(microsecond=0).isoformat()
