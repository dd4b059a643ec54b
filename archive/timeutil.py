"""Time conventions: article dates in Korea time (+09:00), fetch times in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")


def utc_now_iso() -> str:
    """Now, UTC, ISO 8601 with ``+00:00`` and second precision (the record's ``fetched_at``)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()
