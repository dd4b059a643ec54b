"""Distributed crawl benchmark: articles per second with 1, 2 and 4 workers.

Starts a real redis-server and the replica (each in its own process) on loopback, then
runs N worker processes of ``newsarc crawl --redis`` (from the ``.venv-distributed``
environment, ``make distributed``) against a fresh archive, without throttling, and
reports wall time until every worker has exited, minus the idle wait a worker makes
before it stops (``NEWSARC_REDIS_IDLE_SECONDS``), and the CPU the workers used.

Run: ``.venv/bin/python bench/distributed.py [--size N] [--workers 1 2 4] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import NEWSARC, emit, free_port, wait_for

REPO = Path(__file__).resolve().parents[1]
WORKER = REPO / ".venv-distributed" / "bin" / "newsarc"
IDLE_SECONDS = 2


def run_workers(url: str, redis_url: str, count: int) -> tuple[float, float, int]:
    """(wall seconds without the idle wait, worker CPU seconds, articles in the archive)."""
    with tempfile.TemporaryDirectory() as scratch:
        started = time.monotonic()
        workers = [subprocess.Popen(
            [str(WORKER), "crawl", url, "--out", scratch, "--redis", redis_url,
             "--worker", f"b{i}", "--no-throttle", "--quiet",
             "-s", f"NEWSARC_REDIS_IDLE_SECONDS={IDLE_SECONDS}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(count)]
        cpu = 0.0
        for worker in workers:
            _pid, status, usage = os.wait4(worker.pid, 0)
            cpu += usage.ru_utime + usage.ru_stime
            if status:
                raise RuntimeError("a worker failed")
        wall = time.monotonic() - started - IDLE_SECONDS
        corpus = Path(scratch) / "articles.jsonl"
        articles = sum(1 for _ in corpus.open()) if corpus.exists() else 0
    return wall, cpu, articles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=480, help="replica articles")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    server = shutil.which("redis-server")
    if server is None or not WORKER.exists():
        print("needs redis-server and `make distributed`", file=sys.stderr)
        return 2
    redis_port, replica_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as redis_dir:
        redis = subprocess.Popen([server, "--port", str(redis_port), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--dir", redis_dir],
                                 stdout=subprocess.DEVNULL)
        replica = subprocess.Popen([NEWSARC, "replica", "--port", str(replica_port),
                                    "--size", str(args.size)], stdout=subprocess.DEVNULL)
        try:
            wait_for(redis_port)
            wait_for(replica_port)
            rows = []
            for count in args.workers:
                wall, cpu, articles = run_workers(f"http://127.0.0.1:{replica_port}",
                                                  f"redis://127.0.0.1:{redis_port}/0", count)
                rows.append(f"| {count} | {articles} | {wall:.1f} | {articles / wall:.1f} "
                            f"| {cpu:.1f} |")
        finally:
            replica.terminate()
            redis.terminate()
    table = "\n".join([
        f"Replica of {args.size} articles (+ page requisites), {os.cpu_count()} cores:",
        "",
        "| workers | articles | wall s | articles/s | worker CPU s |",
        "| ---: | ---: | ---: | ---: | ---: |",
        *rows,
    ])
    return emit(table, args.out)


if __name__ == "__main__":
    sys.exit(main())
