"""Gap probing stays inside what the site's lists and feed vouch for, in bounded batches.

A page linking to ``no=999999999999`` or ``no=3000000`` once made the crawl list every
number up to it (MemoryError, or millions of queued probes and gigabytes); here such a
number is fetched once like any link and never stretches the probed range, gaps are
generated lazily, and a per-run cap leaves the rest, counted, to later runs.
"""

import json
import os
import random
import resource
import subprocess
import time
import tracemalloc
from itertools import islice
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from archive.catalog import Catalog
from archive.corpus import read_records
from newsarc.replica.server import Replica

from .conftest import NEWSARC

FAR = 999_999_999_999
PLANTED = (FAR, 3_000_000)
CRAWL_MEMORY = 1024 * 1024 * 1024  # address space a crawl may take (the bug took 2.8 GB)
CRAWL_SECONDS = 120


def store(catalog: Catalog, *numbers: int) -> None:
    """Articles in the catalog, as a crawl stores them (only what gaps look at)."""
    with catalog._transaction():
        catalog.db.executemany(
            "INSERT INTO articles (id, url, latest_version, first_seen, last_seen) "
            "VALUES (?, 'u', 1, 'x', 'x')", ((n,) for n in numbers))


def test_stored_articles_reaching_the_vouched_range_widen_it(tmp_path):
    """An incremental run vouches only for the newest list pages it walked; the older
    articles below them (stored by earlier runs or by distributed workers) still have their
    gaps probed, while a number far from every stored one does not stretch the range."""
    catalog = Catalog(tmp_path)
    store(catalog, *range(1000, 1100, 3), *range(1180, 1201), FAR)
    catalog.vouch(1180, 1200)
    assert catalog.gap_range(max_ahead=100) == (1000, 1200)
    assert 1001 in catalog.gaps()
    assert catalog.gap_range(max_ahead=50) == (1180, 1200), "a step of 82 breaks the reach"


def test_a_far_number_leaves_gaps_bounded_lazy_and_flat(tmp_path):
    catalog = Catalog(tmp_path)
    store(catalog, *(n for n in range(1, 11) if n not in (4, 7)), FAR)
    catalog.mark_missing(7)
    # No list has vouched yet (an older archive): the run of stored numbers, not the far one.
    assert catalog.gap_range() == (1, 10)
    assert catalog.gaps() == [4]
    catalog.vouch(1, 12)
    catalog.vouch(5, 8)  # only ever widened
    assert catalog.vouched() == (1, 12)
    assert catalog.gap_range() == (1, 12)
    assert catalog.gaps() == [4, 11, 12]
    assert catalog.beyond(12) == 1
    # Even asked for the whole range, gaps come lazily: 5,000 of them fast and in little memory.
    tracemalloc.start()
    started = time.perf_counter()
    first = list(islice(catalog.iter_gaps(1, FAR), 5000))
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert first[:4] == [4, 11, 12, 13] and first[-1] == 5009
    assert seconds < 1 and peak < 2 * 1024 * 1024, (seconds, peak)
    assert catalog.count_gaps(1, FAR) == FAR - 10  # 1..10 and FAR taken, but for 4
    catalog.close()


def test_stored_numbers_stretch_the_range_only_a_little_past_the_lists(tmp_path):
    catalog = Catalog(tmp_path)
    store(catalog, 1000, 1005)
    catalog.vouch(1000, 1005)
    store(catalog, 1400)  # published after the list walk: within reach
    assert catalog.gap_range(max_ahead=1000) == (1000, 1400)
    store(catalog, 9000)  # far past the newest listed: suspect
    assert catalog.gap_range(max_ahead=1000) == (1000, 1400)
    assert catalog.beyond(1400) == 1
    assert catalog.gap_range(max_ahead=10) == (1000, 1005)
    catalog.close()


def test_gaps_come_in_batches_equal_to_the_plain_answer(tmp_path):
    catalog = Catalog(tmp_path)
    rng = random.Random(19)
    stored = set(rng.sample(range(100, 400), 120))
    missing = set(rng.sample(range(50, 450), 60))
    store(catalog, *stored)
    for number in missing:
        catalog.mark_missing(number)
    for low, high in ((100, 399), (50, 449), (150, 151), (300, 299)):
        plain = [n for n in range(low, high + 1) if n not in stored | missing]
        assert list(catalog.iter_gaps(low, high, batch=7)) == plain
        assert catalog.count_gaps(low, high) == len(plain)
    catalog.close()


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CRAWL_MEMORY, CRAWL_MEMORY))


def crawl(server: Replica, out: Path, *extra: str) -> tuple[str, dict]:
    """A crawl with its memory capped: past the cap it fails instead of taking the machine."""
    started = time.monotonic()
    result = subprocess.run([NEWSARC, "crawl", server.url, "--out", str(out), "--no-throttle",
                             *extra], capture_output=True, timeout=CRAWL_SECONDS,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            preexec_fn=_limit_memory)
    assert time.monotonic() - started < CRAWL_SECONDS
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr and "Error caught" not in stderr, stderr[-3000:]
    newest = max((out / "runs").glob("*.json"))
    return result.stdout.decode(), json.loads(newest.read_text())


def probed_numbers(server: Replica) -> list[int]:
    numbers = []
    for target in server.request_log:
        parts = urlsplit(target)
        if parts.path == "/news/article.html":
            numbers.append(int(parse_qs(parts.query)["no"][0]))
    return numbers


@pytest.fixture
def planted():
    """The replica with one article page linking to two far numbers that answer articles."""
    with Replica(size=60, planted=PLANTED) as server:
        yield server


def test_far_links_are_fetched_once_and_never_widen_the_probes(planted, tmp_path):
    site = planted.site
    low, high = min(site.articles), max(site.articles)
    summary, report = crawl(planted, tmp_path)
    # The whole replica is archived, and the two far pages once each, like any link.
    ids = sorted(r["id"] for r in read_records(tmp_path / "articles.jsonl"))
    assert ids == sorted(set(site.articles) | set(PLANTED))
    fetched = probed_numbers(planted)
    assert sorted(fetched) == sorted(set(fetched)), "each number asked once"
    outside = {n for n in fetched if not low <= n <= high}
    assert outside == set(PLANTED), "nothing probed towards the far numbers"
    # Probes: every gap inside the listed range, and only those.
    assert set(fetched) == set(site.articles) | site.missing | set(PLANTED)
    assert report["gaps_range"] == [low, high]
    assert report["gaps_left"] == 0
    assert report["gaps_beyond_range"] == 2
    assert f"gaps probed {report['gaps_probed']}" in summary
    assert f"gap range         {low}-{high} (lists and feed): 0 gaps left for later runs, " \
        "2 stored numbers beyond it not probed around" in summary
    assert Catalog(tmp_path).vouched() == (low, high)
    # The next run remembers the range: nothing to probe, the far numbers still ignored.
    planted.request_log.clear()
    summary, report = crawl(planted, tmp_path)
    assert report["gaps_probed"] == 0 and report["gaps_beyond_range"] == 2
    assert not set(probed_numbers(planted)) & set(PLANTED)


def test_the_cap_leaves_the_rest_counted_for_the_next_run(planted, tmp_path):
    """A range the lists really vouch for may be wide (here 3 million numbers, set in the
    catalog as if the lists had shown them): each run probes its cap, in batches, and says
    how many are left; the next run goes on past them."""
    site = planted.site
    catalog = Catalog(tmp_path)
    catalog.vouch(min(site.articles), 3_000_000)
    catalog.close()
    summary, report = crawl(planted, tmp_path, "--mode", "full",
                            "-s", "NEWSARC_GAP_PROBES_PER_RUN=600")
    newest = max(site.articles)
    first = [n for n in probed_numbers(planted) if n > newest and n not in PLANTED]
    assert report["gaps_probed"] == 600
    catalog = Catalog(tmp_path)
    left = catalog.count_gaps(*report["gaps_range"])
    assert report["gaps_range"] == [min(site.articles), 3_000_000]
    assert report["gaps_left"] == left > 2_990_000
    assert f"3000000 (lists and feed): {left} gaps left for later runs" in summary
    planted.request_log.clear()
    _, report = crawl(planted, tmp_path, "-s", "NEWSARC_GAP_PROBES_PER_RUN=600")
    second = [n for n in probed_numbers(planted) if n > newest and n not in PLANTED]
    assert report["gaps_probed"] == 600
    assert report["gaps_left"] == catalog.count_gaps(*report["gaps_range"]) == left - 600
    assert len(second) == 600 and min(second) > max(first)
    catalog.close()
