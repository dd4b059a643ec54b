"""Import benchmark: ``newsarc import`` of a foreign WARC file, next to reading and extracting it.

The file is a ``wget --warc-file`` crawl (gzip per record, wget's default) of the replica
served by ``newsarc replica --size N`` in a process of its own: the full article list and
every desktop article page it leads to, the most-read box's decorated links and the
soft-404s of deleted numbers included.  It is made once and kept under
``.cache/bench-import/`` (named by size and a digest of the replica's code), never in the
repository.  Then, round by round (the steps taking turns, so a drift of the machine hits
all of them), each measured over the same file:

1. ``newsarc import FILE --out DIR --jobs C`` with C every core, and with ``--jobs 1``: wall
   and CPU seconds of the whole process tree (``os.wait4``: its workers included), into a
   fresh DIR on the file's own filesystem (so the file may be hard-linked, not copied);
2. bare record iteration of the file, each record's payload read and decoded: with
   FastWARC (``ArchiveIterator(auto_decode="all")``, ``record.reader.read()``) and with
   warcio (``ArchiveIterator``, ``record.content_stream().read()``), in this process;
3. extraction alone: ``crawler.extract.extract(payload, url)`` over every article page's
   payload (read into memory beforehand), one process, after a warm-up pass.

Every rate is article pages of the file per wall second, so the rows compare directly:
iteration is the floor of reading, extraction alone the work ``--jobs`` spreads over cores.

Run: ``.venv/bin/python bench/import.py [--size N] [--rounds N] [--fresh] [--out FILE]``
(``make bench-more``; needs wget).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from common import NEWSARC, emit, free_port, wait_for  # noqa: E402
from warcio.archiveiterator import ArchiveIterator  # noqa: E402

from crawler.extract import Skip, extract  # noqa: E402

CACHE = REPO / ".cache" / "bench-import"
ACCEPT = r"/news/(article_list_all|article)\.html"  # the full list and the article pages
ARTICLE = "/news/article.html?no="
WARM_UP = 300  # pages extracted before the timed rounds: the profile compiled, caches filled


def rel(path: Path) -> str:
    """``path`` as seen from the repository: no machine's absolute paths in the report."""
    return os.path.relpath(path, REPO)


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


# --- the foreign WARC file --------------------------------------------------------------

def replica_digest() -> str:
    """Of the replica's code and data: a changed replica makes a new file, not a stale one."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "newsarc" / "replica").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json"):
            digest.update(path.relative_to(REPO).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:10]


def wget_command(url: str, stem: Path) -> list[str]:
    return ["wget", "--quiet", "--recursive", "--level=inf", "--no-directories",
            "--delete-after", f"--accept-regex={ACCEPT}", f"--warc-file={stem}",
            f"{url}/news/article_list_all.html"]


def foreign_warc(size: int, fresh: bool) -> tuple[Path, float | None]:
    """The cached wget crawl of a ``size``-article replica, made first if needed; the
    seconds wget took when it was made now (None when it came from the cache)."""
    path = CACHE / f"wget-replica-{size}-{replica_digest()}.warc.gz"
    if path.exists() and not fresh:
        return path, None
    if not shutil.which("wget"):
        sys.exit("bench/import.py: wget not found (the benchmark's WARC file is a wget crawl)")
    CACHE.mkdir(parents=True, exist_ok=True)
    port = free_port()
    replica = subprocess.Popen([NEWSARC, "replica", "--port", str(port), "--size", str(size)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, 120)
        with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
            stem = Path(scratch) / "site"
            started = time.monotonic()
            result = subprocess.run(wget_command(f"http://127.0.0.1:{port}", stem),
                                    cwd=scratch, capture_output=True, text=True)
            seconds = time.monotonic() - started
            if result.returncode != 0:
                sys.exit(f"bench/import.py: wget exited {result.returncode}: "
                         f"{result.stderr[-2000:]}")
            os.replace(stem.with_suffix(".warc.gz"), path)
    finally:
        replica.terminate()
        replica.wait()
    for stale in CACHE.glob(f"wget-replica-{size}-*.warc.gz"):
        if stale != path:
            stale.unlink()  # made by an older replica: never read again
    return path, seconds


@dataclass
class Contents:
    records: int
    article_pages: list[tuple[str, bytes, str | None]]  # URL, decoded payload, content type


def contents(path: Path) -> Contents:
    """Every record counted; the article pages' payloads kept for extraction alone."""
    records = 0
    pages = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            records += 1
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            if record.rec_type == "response" and ARTICLE in uri:
                pages.append((uri, record.content_stream().read(),
                              record.http_headers.get_header("Content-Type")))
    return Contents(records, pages)


# --- the measured steps -------------------------------------------------------------------

@dataclass
class Step:
    name: str
    processes: str
    run: Callable[[], tuple[float, float]]  # () -> (wall s, CPU s)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)


def in_process(work: Callable[[], object]) -> Callable[[], tuple[float, float]]:
    def measured() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        return time.perf_counter() - wall, time.process_time() - cpu
    return measured


def run_import(path: Path, jobs: int, written: list[int]) -> tuple[float, float]:
    """One ``newsarc import`` into a fresh archive next to the file: (wall s, CPU s of the
    process and every worker it waited for); the records it wrote go to ``written``."""
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        out = Path(scratch) / "archive"
        command = [NEWSARC, "import", str(path), "--out", str(out), "--jobs", str(jobs)]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stderr = process.stderr.read() if process.stderr else b""
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        if status != 0:
            sys.exit(f"bench/import.py: {' '.join(command[1:])} failed (wait status {status}): "
                     f"{stderr.decode(errors='replace')[-2000:]}")
        with (out / "articles.jsonl").open("rb") as corpus:
            written.append(sum(1 for _ in corpus))
    return wall, usage.ru_utime + usage.ru_stime


def iterate_warcio(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            record.content_stream().read()
            count += 1
    return count


def iterate_fastwarc(path: Path) -> int:
    from fastwarc.warc import ArchiveIterator as FastIterator

    count = 0
    for record in FastIterator(str(path), auto_decode="all", fsspec_args=False):
        record.reader.read()
        count += 1
    return count


def article_ids(pages: list[tuple[str, bytes, str | None]]) -> set[int]:
    """The articles the pages hold, each page extracted (soft-404s give a Skip): what an
    import of the file must write, once each."""
    records = (extract(page, url, content_type=ctype) for url, page, ctype in pages)
    return {record["id"] for record in records if not isinstance(record, Skip)}


def fastwarc_available() -> bool:
    try:
        import fastwarc.warc  # noqa: F401
    except ImportError:
        return False
    return True


# --- the report ---------------------------------------------------------------------------

def machine() -> str:
    wget = subprocess.run(["wget", "--version"], capture_output=True, text=True).stdout
    wget_version = wget.split()[2] if wget.startswith("GNU Wget") else "?"
    return (f"{cores()} cores (`nproc`), Python {platform.python_version()}, "
            f"warcio {_version('warcio')}, FastWARC {_version('fastwarc')}, "
            f"lxml {_version('lxml')}, trafilatura {_version('trafilatura')}, "
            f"GNU Wget {wget_version}")


def median_ratio(tops: list[float], bottoms: list[float]) -> float:
    """The median of the rounds' ratios: a minute's drift of the machine moves both sides."""
    return statistics.median(t / b for t, b in zip(tops, bottoms, strict=True))


def report(size: int, rounds: int, fresh: bool, command: str) -> str:
    began = time.monotonic()
    load_before = os.getloadavg()[0]
    path, made = foreign_warc(size, fresh)
    held = contents(path)
    pages = held.article_pages
    n = len(pages)
    jobs = cores()
    written: list[int] = []
    found: list[set[int]] = []
    parallel = Step(f"`newsarc import --jobs {jobs}`", f"1 + {jobs} extracting",
                    lambda: run_import(path, jobs, written))
    single = Step("`newsarc import --jobs 1`", "1", lambda: run_import(path, 1, written))
    fast = Step("FastWARC: every record, payload read", "1",
                in_process(lambda: iterate_fastwarc(path)))
    warcio = Step("warcio: every record, payload read", "1",
                  in_process(lambda: iterate_warcio(path)))
    alone = Step("`crawler.extract.extract` alone, article pages", "1",
                 in_process(lambda: found.append(article_ids(pages))))
    steps = [parallel, single] + ([fast] if fastwarc_available() else []) + [warcio, alone]
    skipped = [] if fast in steps else [
        "FastWARC: not installed (`pip install fastwarc`, in the `bench` extra)"]
    article_ids(pages[:WARM_UP])
    loads = []  # other work on the machine takes cores from the parallel import first
    for _ in range(rounds):
        loads.append(os.getloadavg()[0])
        for step in steps:
            wall, cpu = step.run()
            step.walls.append(wall)
            step.cpus.append(cpu)
    articles = len(found[-1])
    if set(written) != {articles}:
        sys.exit(f"bench/import.py: the imports wrote {sorted(set(written))} records; the "
                 f"file holds {articles} articles")

    rows = []
    for step in steps:
        wall, cpu = statistics.median(step.walls), statistics.median(step.cpus)
        rows.append(f"| {step.name} | {step.processes} | {wall:.2f} | {cpu:.2f} "
                    f"| {n / wall:,.0f} | {1000 * cpu / n:.2f} |")
    cpu_ms = {id(step): 1000 * statistics.median(step.cpus) / n for step in steps}
    busy = median_ratio(alone.walls, alone.cpus)
    lines = [
        "# Import benchmark: a wget WARC file into a newsarc archive", "",
        f"Measured {datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %z')} with "
        f"`{command}` on {machine()}, in {time.monotonic() - began:.0f} s (load average "
        f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after).", "",
        f"The file: `{' '.join(wget_command('http://127.0.0.1:PORT', Path('site')))}` of "
        f"`newsarc replica --size {size}` (served by a process of its own), gzip per record "
        f"(wget's default): {path.stat().st_size / 2**20:.1f} MiB, {held.records:,} records, "
        f"{n:,} article page responses ({articles:,} articles; the rest are the most-read "
        f"box's decorated links to them and soft-404s of deleted numbers); kept as "
        f"`{rel(path)}`" + (f", made in {made:.0f} s by wget this run" if made is not None
                            else ", from an earlier run") + ".", "",
        f"Median of {rounds} rounds, the steps taking turns round by round. Article pages/s: "
        f"the file's {n:,} article pages over the step's wall time, in every row. CPU: user + "
        "system time, an import's extracting workers included (`os.wait4`). Each import "
        f"writes a fresh archive next to the file; every one wrote {articles:,} records, one "
        "per article.", "",
        "| step | processes | wall s | CPU s | article pages/s | CPU ms/page |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
        *rows, "",
        *(f"Skipped: {s}." for s in skipped),
        f"`--jobs {jobs}` imports {median_ratio(single.walls, parallel.walls):.2f}× as fast "
        f"as `--jobs 1` (the median of the rounds' ratios), for "
        f"{cpu_ms[id(parallel)] / cpu_ms[id(single)]:.2f}× its CPU. In one process the "
        f"import spends {cpu_ms[id(single)] - cpu_ms[id(alone)]:.2f} CPU ms per article "
        f"page beyond extracting it ({cpu_ms[id(alone)]:.2f} ms): reading and decoding the "
        f"records (warcio alone: {cpu_ms[id(warcio)]:.2f} ms), versions, the catalog, "
        "the indexes, the start-up. Extraction alone took "
        f"{busy:.2f}× its CPU time in wall time (1.00 on an idle machine).", "",
        "Rounds (wall s): " + "; ".join(
            f"{step.name.replace('`', '')} " + ", ".join(f"{w:.2f}" for w in step.walls)
            for step in steps) + ". Load average at each round's start: "
        + ", ".join(f"{load:.2f}" for load in loads) + ".",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="replica articles")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds")
    parser.add_argument("--fresh", action="store_true",
                        help="crawl the file again with wget, even when one is cached")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    python = Path(sys.executable)
    inside = python.is_relative_to(REPO)  # the repo's venv, as make runs it
    command = f"{rel(python) if inside else 'python'} bench/import.py"
    command += f" --size {args.size}" if args.size != 10_000 else ""
    command += f" --rounds {args.rounds}" if args.rounds != 3 else ""
    command += f" --out {rel(args.out.resolve())}" if args.out else ""
    return emit(report(args.size, args.rounds, args.fresh, command), args.out)


if __name__ == "__main__":
    sys.exit(main())
