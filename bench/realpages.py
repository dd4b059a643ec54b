"""newsarc and trafilatura on real article pages of other Korean outlets, and their speed.

The replica only shows how newsarc does on markup it was written for. ``../shared/realpages``
holds 13 real pages of other outlets with hand-written truth and a scorer (``score.py``):
markup newsarc has never seen, which its fallback path must handle. This writes:

1. **Quality**: ``newsarc extract <pages> | python3 score.py``, exactly as that folder's
   README says, and ``trafilatura.extract(page_bytes, output_format="json",
   with_metadata=True)`` turned into the scorer's records, scored by the same ``score.py``;
   the totals and every page's row, as the scorer printed them.
2. **Speed**: CPU ms per page in this process (median of ``--rounds`` rounds after a warm-up
   round, the tools interleaved) of ``crawler.extract.extract`` on each of its two paths
   (the outlet's profile on the replica's pages; the whole-page fallback on the real pages
   and on the replica's redesigned skin) next to ``trafilatura.extract(with_metadata=True)``
   on the same bytes; the issue's bar: both paths under trafilatura's ms/page.

Without ``../shared/realpages`` (a fresh clone elsewhere) the real-page parts are skipped.

Run: ``.venv/bin/python bench/realpages.py [--size N] [--rounds N] [--out FILE]``
(``make bench-more``).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import trafilatura

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from common import NEWSARC, emit  # noqa: E402

from crawler.extract import Skip, extract  # noqa: E402
from newsarc.replica import render  # noqa: E402
from newsarc.replica.content import build_site  # noqa: E402

REALPAGES = Path(__file__).resolve().parents[1].parent / "shared" / "realpages"
ROOT = "http://127.0.0.1:8000"
NEWSARC_COMMAND = "newsarc extract"
MIN_CALLS = 100  # extractions per round at least: a round of 13 pages repeats them
ROW_RE = re.compile(
    r"^(?P<key>\S+)\s+F1 (?P<f1>[\d.]+) P (?P<p>[\d.]+) R (?P<r>[\d.]+) leak (?P<leak>\d+) "
    r"title (?P<title>ok|--) published (?P<published>ok|--) author (?P<author>ok|--)"
    r" ?(?P<why>.*)$")
TOTAL_RE = re.compile(
    r"^real pages: (?P<n>\d+), mean F1 (?P<mean>[\d.]+), lowest (?P<lowest>[\d.]+), pages "
    r"with boilerplate (?P<leaks>\d+), title (?P<title>\d+)/\d+, published "
    r"(?P<published>\d+)/\d+, first author (?P<author>\d+)/\d+: (?P<verdict>meets|below)")

Page = tuple[str, bytes, str | None]  # label (page file or article), its bytes, its URL


@dataclass
class Scored:
    """What ``score.py`` printed for one extractor's records, parsed for the tables."""

    extractor: str
    output: str
    exit_code: int
    rows: list[dict[str, str]]
    total: dict[str, str]
    methods: dict[str, str] = field(default_factory=dict)  # page key -> newsarc's path


def rel(path: Path) -> str:
    """``path`` as seen from the repository: no machine's absolute paths in the report."""
    return os.path.relpath(path, REPO)


def page_files(realpages: Path) -> list[Path]:
    """The real pages, in the order the README's shell glob gives them."""
    return sorted(realpages.glob("*/*.html"))


def newsarc_lines(files: list[Path]) -> list[str]:
    """``newsarc extract <pages>``'s JSON lines, run as the README runs it (from the repo)."""
    result = subprocess.run([NEWSARC, "extract", *(rel(f) for f in files)], cwd=REPO,
                            capture_output=True, text=True, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if len(lines) != len(files):
        raise RuntimeError(f"newsarc extract printed {len(lines)} records for {len(files)} "
                           f"pages: {result.stderr[-2000:]}")
    return lines


def trafilatura_record(page: bytes, source: str) -> dict[str, Any]:
    """trafilatura's JSON output in the scorer's record shape (as the README's row was
    measured): its ``text`` is the body, ``date`` the published time, ``author`` split on
    ``;`` and ``,`` the authors; an empty record (``skipped``) when it returns nothing."""
    output = trafilatura.extract(page, output_format="json", with_metadata=True)
    if not output:
        return {"source": source, "skipped": "trafilatura returned nothing"}
    got = json.loads(output)
    names = [n.strip() for n in re.split(r"[;,]", got.get("author") or "") if n.strip()]
    return {
        "source": source,
        "title": got.get("title"),
        "body": got.get("text") or "",
        "published": got.get("date"),
        "authors": [{"name": n} for n in names],
    }


def trafilatura_lines(files: list[Path]) -> list[str]:
    """One scorer record per page, bytes in: trafilatura detects the encoding itself."""
    return [json.dumps(trafilatura_record(f.read_bytes(), rel(f)), ensure_ascii=False)
            for f in files]


def score(extractor: str, lines: list[str], realpages: Path) -> Scored:
    """Run ``score.py`` itself on the records, so every number is the scorer's."""
    result = subprocess.run([sys.executable, str(realpages / "score.py")], cwd=REPO,
                            input="\n".join(lines) + "\n", capture_output=True, text=True,
                            check=False)
    rows, total = [], None
    for line in result.stdout.splitlines():
        if (row := ROW_RE.match(line)):
            rows.append(row.groupdict())
        elif (summary := TOTAL_RE.match(line)):
            total = summary.groupdict()
    if total is None or len(rows) != int(total["n"]):
        raise RuntimeError(f"score.py printed what this script cannot read:\n"
                           f"{result.stdout}{result.stderr[-2000:]}")
    methods = {}
    for line in lines:
        record = json.loads(line)
        key = next((r["key"] for r in rows if record["source"].endswith(r["key"])), None)
        if key and "extraction" in record:
            methods[key] = record["extraction"]["method"]
        elif key and "skipped" in record:
            methods[key] = "skipped"
    return Scored(extractor, result.stdout, result.returncode, rows, total, methods)


def score_both(realpages: Path) -> list[Scored]:
    """newsarc's and trafilatura's records for every real page, each scored."""
    files = page_files(realpages)
    return [score("newsarc", newsarc_lines(files), realpages),
            score(f"trafilatura {trafilatura.__version__}", trafilatura_lines(files), realpages)]


def quality_table(scored: list[Scored]) -> str:
    """The scorer's totals, one row per extractor."""
    rows = ["| extractor | mean body F1 | lowest F1 | pages with boilerplate | title "
            "| published (minute) | first author | bar (score.py exit 0) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for s in scored:
        t, n = s.total, s.total["n"]
        rows.append(f"| {s.extractor} | {t['mean']} | {t['lowest']} | {t['leaks']} / {n} "
                    f"| {t['title']} / {n} | {t['published']} / {n} | {t['author']} / {n} "
                    f"| {'meets' if s.exit_code == 0 else 'below'} |")
    return "\n".join(rows)


def page_table(s: Scored, ms: dict[str, float], versus: dict[str, float] | None = None) -> str:
    """Each page's row as the scorer printed it, with newsarc's path and the page's ms (and
    its ratio to ``versus``, trafilatura's ms, where a page costs newsarc more)."""
    mark = {"ok": "ok", "--": "**no**"}
    path = " | newsarc's path" if s.methods else ""
    ratio = " | / trafilatura" if versus else ""
    rows = [f"| page{path} | F1 | P | R | boilerplate | title | published | first author "
            f"| CPU ms{ratio} |",
            "| --- " + ("| --- " if s.methods else "") + "| ---: " * 4 + "| --- " * 3
            + "| ---: " * (2 if versus else 1) + "|"]
    for r in s.rows:
        key = r["key"]
        method = f" | {s.methods.get(key, '-')}" if s.methods else ""
        timing = f"{ms[key]:.1f}" if key in ms else "-"
        if versus:
            timing += f" | {ms[key] / versus[key]:.2f}" if key in ms and key in versus else " | -"
        why = f" ({r['why']})" if r["why"] else ""
        rows.append(f"| {key}{why}{method} | {r['f1']} | {r['p']} | {r['r']} | {r['leak']} "
                    f"| {mark[r['title']]} | {mark[r['published']]} | {mark[r['author']]} "
                    f"| {timing} |")
    return "\n".join(rows)


# --- speed ------------------------------------------------------------------------------

def replica_pages(size: int, skin: str | None = None) -> list[Page]:
    """The replica's desktop article pages as it serves them (bytes), with their URLs."""
    site = build_site(size) if skin is None else build_site(size, skin=skin)
    articles = sorted(site.articles.values(), key=lambda a: a.id)
    return [(f"no={a.id}", render.article_page(site, a).encode(),
             f"{ROOT}/news/article.html?no={a.id}") for a in articles]


def real_pages(realpages: Path) -> list[Page]:
    """The real pages' bytes, without a URL: ``newsarc extract`` is given none either."""
    return [(f.relative_to(realpages).as_posix(), f.read_bytes(), None)
            for f in page_files(realpages)]


def skins_supported() -> bool:
    """Whether this replica has the redesigned skin (``build_site(skin=...)``)."""
    return "skin" in inspect.signature(build_site).parameters


def newsarc_tool(page: bytes, url: str | None) -> Any:
    """newsarc's extractor as the crawler calls it: the response's bytes and URL."""
    return extract(page, url)


def trafilatura_tool(page: bytes, url: str | None) -> Any:
    """The bar's call (bench/results.py): the page's bytes, its URL, with metadata."""
    return trafilatura.extract(page, url=url, with_metadata=True)


TOOLS: dict[str, Callable[[bytes, str | None], Any]] = {
    "newsarc": newsarc_tool,
    "trafilatura": trafilatura_tool,
}


def methods(pages: list[Page]) -> Counter[str]:
    """Which of newsarc's paths each page took (``record["extraction"]["method"]``)."""
    taken: Counter[str] = Counter()
    for _label, page, url in pages:
        result = extract(page, url)
        taken["skipped" if isinstance(result, Skip) else result["extraction"]["method"]] += 1
    return taken


def timed(pages: list[Page], rounds: int) -> dict[str, dict[str, Any]]:
    """Per tool: CPU ms per page, median of ``rounds`` rounds after one warm-up round (the
    first calls pay one-time set-up: dateparser's locales for trafilatura), the tools
    interleaved round by round so a drift of the machine hits both; and each page's median."""
    repeat = max(1, math.ceil(MIN_CALLS / len(pages)))
    per_round: dict[str, list[float]] = {name: [] for name in TOOLS}
    per_page: dict[str, dict[str, list[float]]] = {name: {} for name in TOOLS}
    # The pages and the site are a large heap a full collection would rescan: not the tools'.
    gc.collect()
    gc.freeze()
    try:
        for round_no in range(rounds + 1):
            for name, tool in TOOLS.items():
                total = 0.0
                for _ in range(repeat):
                    for label, page, url in pages:
                        started = time.process_time()
                        tool(page, url)
                        spent = time.process_time() - started
                        total += spent
                        if round_no:
                            per_page[name].setdefault(label, []).append(1000 * spent)
                if round_no:
                    per_round[name].append(1000 * total / (repeat * len(pages)))
    finally:
        gc.unfreeze()
    return {name: {"ms": statistics.median(per_round[name]), "rounds": per_round[name],
                   "pages": {k: statistics.median(v) for k, v in per_page[name].items()}}
            for name in TOOLS}


@dataclass
class SpeedRow:
    """One page set's timings: newsarc's path(s) on it, and both tools' ms/page."""

    pages: str
    count: int
    taken: Counter[str]
    times: dict[str, dict[str, Any]]


def speed(sets: list[tuple[str, list[Page]]], rounds: int) -> list[SpeedRow]:
    """Every page set timed, with the paths newsarc took on it."""
    return [SpeedRow(name, len(pages), methods(pages), timed(pages, rounds))
            for name, pages in sets]


def speed_table(rows: list[SpeedRow], skipped: list[str]) -> str:
    """ms/page of both tools per page set, and newsarc's ratio to trafilatura."""
    lines = ["| pages | count | newsarc's path taken | newsarc CPU ms/page "
             "| trafilatura CPU ms/page | newsarc / trafilatura | under trafilatura |",
             "| --- | ---: | --- | ---: | ---: | ---: | --- |"]
    for row in rows:
        ours, theirs = row.times["newsarc"]["ms"], row.times["trafilatura"]["ms"]
        taken = ", ".join(f"{m} {n}" for m, n in row.taken.most_common())
        lines.append(f"| {row.pages} | {row.count} | {taken} | {ours:.2f} | {theirs:.2f} "
                     f"| {ours / theirs:.2f} | {'yes' if ours < theirs else '**no**'} |")
    lines += [f"| {name} | - | skipped | - | - | - | - |" for name in skipped]
    spread = "; ".join(
        f"{row.pages}: newsarc " + ", ".join(f"{ms:.2f}" for ms in row.times["newsarc"]["rounds"])
        + " / trafilatura "
        + ", ".join(f"{ms:.2f}" for ms in row.times["trafilatura"]["rounds"])
        for row in rows)
    return "\n".join(lines) + ("\n\nRounds (ms/page): " + spread + "." if rows else "")


# --- report -----------------------------------------------------------------------------

def machine() -> str:
    """What the numbers were measured on."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{cores} cores (`nproc`), Python {platform.python_version()}, "
            f"trafilatura {trafilatura.__version__}, lxml {_version('lxml')}")


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def report(realpages: Path, size: int, rounds: int, command: str) -> str:
    """The whole Markdown report; every number in it measured by this call."""
    began = time.monotonic()
    here = rel(realpages)
    present = (realpages / "score.py").is_file() and bool(page_files(realpages))
    sections: list[str] = []
    sets: list[tuple[str, list[Page]]] = [
        ("replica, mediaOn skins (profile path)", replica_pages(size))]
    skipped = []
    if present:
        scored = score_both(realpages)
        sets.append(("real pages of other outlets (fallback path)", real_pages(realpages)))
    else:
        scored = []
        skipped.append(f"real pages of other outlets: `{here}` not found")
    if skins_supported():
        sets.append(("replica, redesigned skin (fallback path)",
                     replica_pages(size, skin="redesign")))
    else:
        skipped.append("replica, redesigned skin: this replica's `build_site` has no `skin`")
    timings = speed(sets, rounds)
    real = next((row for row in timings if row.pages.startswith("real")), None)
    if scored:
        ms = [real.times[t]["pages"] if real else {} for t in ("newsarc", "trafilatura")]
        sections += [
            "## Quality on real pages", "",
            f"The {scored[0].total['n']} pages of `{here}`, scored by its `score.py` "
            f"(`{NEWSARC_COMMAND} {here}/*/*.html | python3 {here}/score.py`; trafilatura's "
            "`extract(page_bytes, output_format=\"json\", with_metadata=True)` turned into "
            "records: `text` as body, `date` as published, `author` split on `;` and `,`):", "",
            quality_table(scored), "",
            "The scorer's last lines:", "", "```",
            *(f"{s.extractor}: {s.output.strip().splitlines()[-1]}" for s in scored), "```", ""]
        for s, page_ms, versus in zip(scored, ms, [ms[1], None], strict=True):
            sections += [f"### {s.extractor}, page by page", "",
                         "CPU ms: the page's median in the speed rounds below.", "",
                         page_table(s, page_ms, versus), ""]
    else:
        sections += ["## Quality on real pages", "",
                     f"`{here}` not found: the real pages were not scored.", ""]
    sections += [
        "## Speed", "",
        "`crawler.extract.extract(page_bytes, url)` next to "
        "`trafilatura.extract(page_bytes, url=url, with_metadata=True)` (no URL on the real "
        "pages, as `newsarc extract` has none), in one process: CPU ms per page, median of "
        f"{rounds} rounds after a warm-up round, the two tools taking turns round by round, "
        f"each round at least {MIN_CALLS} extractions (a small set repeated). Replica: "
        f"{size} articles, their desktop pages. The bar: both of newsarc's paths under "
        "trafilatura's ms/page.", "",
        speed_table(timings, skipped), ""]
    head = [
        "# newsarc on real pages, and the speed of its two extraction paths", "",
        f"Measured {datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %z')} with "
        f"`{command}` on {machine()}, in {time.monotonic() - began:.0f} s.", ""]
    return "\n".join(head + sections).rstrip()



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=300, help="replica articles")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (after a warm-up)")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    python = Path(sys.executable)
    inside = python.is_relative_to(REPO)  # the repo's venv, as make runs it
    command = f"{rel(python) if inside else 'python'} bench/realpages.py"
    command += f" --size {args.size}" if args.size != 300 else ""
    command += f" --rounds {args.rounds}" if args.rounds != 5 else ""
    command += f" --out {rel(args.out.resolve())}" if args.out else ""
    if not (REALPAGES / "score.py").is_file():
        print(f"{rel(REALPAGES)} not found: the real-page parts are skipped", file=sys.stderr)
    return emit(report(REALPAGES, args.size, args.rounds, command), args.out)


if __name__ == "__main__":
    sys.exit(main())
