"""WARC benchmark: what archiving every exchange costs in bytes and in CPU.

Crawls the replica (served by a separate process, so its CPU is not counted) with WARC
writing on and off, several times each, and reports the crawl process's own CPU time
(user + system, from wait4) and the WARC bytes per article.  Page requisites are fetched
in both runs, so the difference is the cost of writing WARC records and the index.

Run: ``.venv/bin/python bench/warc.py [--size N] [--repeat K] [--out FILE]`` (``make bench``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import NEWSARC, emit, start_replica
from warcio.archiveiterator import ArchiveIterator


def crawl_cpu(url: str, out: Path, warc: bool) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one crawl process."""
    command = [NEWSARC, "crawl", url, "--out", str(out), "--no-throttle",
               "-s", f"NEWSARC_WARC={warc}", "-s", "NEWSARC_PROGRESS_INTERVAL=0"]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"crawl failed: {command}")
    return usage.ru_utime + usage.ru_stime, time.monotonic() - started


def warc_bytes(out: Path) -> tuple[int, int]:
    """(all WARC bytes, bytes of the article response + request records)."""
    total = article = 0
    for path in sorted((out / "warc").glob("*.warc.gz")):
        total += path.stat().st_size
        with path.open("rb") as handle:
            records = ArchiveIterator(handle)
            for record in records:
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                records.read_to_end()
                if "/news/article.html?no=" in uri:
                    article += records.get_record_length()
    return total, article


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=240, help="replica articles")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    replica, url = start_replica(args.size)
    try:
        cpu: dict[bool, list[float]] = {True: [], False: []}
        wall: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.repeat):
            for warc in (False, True):
                with tempfile.TemporaryDirectory() as scratch:
                    seconds, elapsed = crawl_cpu(url, Path(scratch), warc)
                    cpu[warc].append(seconds)
                    wall[warc].append(elapsed)
                    if warc:
                        total, article = warc_bytes(Path(scratch))
    finally:
        replica.terminate()
    off, on = statistics.median(cpu[False]), statistics.median(cpu[True])
    lines = [
        f"Replica of {args.size} articles, median of {args.repeat} crawls each:",
        "",
        "| crawl | CPU s (crawl process) | wall s | CPU ms/article |",
        "| --- | ---: | ---: | ---: |",
        f"| without WARC | {off:.2f} | {statistics.median(wall[False]):.2f} "
        f"| {1000 * off / args.size:.1f} |",
        f"| with WARC + index | {on:.2f} | {statistics.median(wall[True]):.2f} "
        f"| {1000 * on / args.size:.1f} |",
        "",
        f"WARC writing adds {100 * (on - off) / off:.1f} % CPU.",
        f"WARC bytes per article: {total / args.size / 1024:.1f} KiB in all (lists, feeds, "
        f"photos, skin files included); {article / args.size / 1024:.1f} KiB for the "
        "article page's own request and response records (gzip per record).",
    ]
    return emit("\n".join(lines), args.out)


if __name__ == "__main__":
    sys.exit(main())
