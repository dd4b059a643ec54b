"""The crawl runs of an archive as one table: ``newsarc runs``, ``newsarc stats`` and an
export's dataset card show the same columns, from the catalog's ``runs`` table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archive.safeio import atomic_write

# (heading, key of a run summary, right-aligned): the one definition of a run-table row.
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("run", "run_id", True),
    ("mode", "mode", False),
    ("status", "status", False),
    ("started (UTC)", "started_at", False),
    ("new", "new", True),
    ("changed", "changed", True),
    ("unchanged", "unchanged", True),
    ("requests", "requests", True),
    ("errors", "errors", True),
    ("secs", "seconds", True),
)


def run_summary(run: dict[str, Any]) -> dict[str, Any]:
    """A run as the catalog holds it (``Catalog.runs()``: its statistics a dict) reduced to
    the numbers a table shows; None where the run recorded none (a run still going, or one
    that was killed)."""
    stats = run.get("stats") or {}
    return {
        "run_id": run["run_id"], "mode": run["mode"], "status": run["status"],
        "started_at": run["started_at"], "finished_at": run["finished_at"],
        "new": stats.get("articles_new"), "changed": stats.get("articles_changed"),
        "unchanged": stats.get("articles_unchanged"), "errors": stats.get("errors_total"),
        "requests": stats.get("pages_fetched"), "seconds": stats.get("seconds"),
    }


def format_runs(runs: list[dict[str, Any]], *, markdown: bool = False,
                indent: str = "") -> list[str]:
    """Run summaries (:func:`run_summary`) as table lines: aligned text for a terminal (a
    heading line, then one line per run), or a Markdown table."""
    cells = [[_cell(run.get(key)) for _, key, _ in COLUMNS] for run in runs]
    headings = [heading for heading, _, _ in COLUMNS]
    if markdown:
        rule = ["---:" if right else "---" for _, _, right in COLUMNS]
        return [f"| {' | '.join(row)} |" for row in (headings, rule, *cells)]
    widths = [max(len(c) for c in column) for column in zip(headings, *cells, strict=True)]
    return [indent + "  ".join(c.rjust(w) if right else c.ljust(w)
                               for c, w, (_, _, right) in zip(row, widths, COLUMNS, strict=True))
            .rstrip() for row in (headings, *cells)]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def write_run_file(archive: Path, summary: dict[str, Any]) -> Path:
    """``DIR/runs/<start>.json``, the whole summary of one run (a crawl's, an import's),
    written under a temporary name and renamed when whole, never through a symbolic link
    (``archive.safeio``)."""
    runs = archive / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    name = summary["started_at"].replace(":", "").replace("+0000", "Z")
    path = runs / f"{name}.json"
    atomic_write(path, json.dumps(summary, indent=2) + "\n", root=archive)
    return path
