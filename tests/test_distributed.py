"""Distributed crawls for real: a redis-server, three worker processes, the replica."""

import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from archive.catalog import Catalog
from archive.corpus import read_records
from newsarc.replica.server import Replica

from .conftest import NEWSARC, REPO, free_port, run

REDIS_SERVER = shutil.which("redis-server")
WORKER = REPO / ".venv-distributed" / "bin" / "newsarc"
pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None or not WORKER.exists(),
    reason="needs Debian's redis-server (.ci/run installs it) and `make distributed`",
)


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server on a free loopback port, nothing saved to disk."""
    port = free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while run(shutil.which("redis-cli") or "redis-cli", "-p", str(port), "ping").stdout.strip() \
            != b"PONG":
        assert time.monotonic() < deadline, "redis-server did not start"
        time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def site():
    with Replica(size=60) as server:
        yield server


def start_worker(site, out: Path, redis_url: str, name: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(WORKER), "crawl", site.url, "--out", str(out), "--redis", redis_url,
         "--worker", name, "--no-throttle", "-s", "NEWSARC_REDIS_IDLE_SECONDS=3", *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def shard_ids(out: Path) -> Counter:
    """How often each article id was written across every worker's shard."""
    counts = Counter()
    for corpus in out.glob("shards/**/articles.jsonl"):
        counts.update(r["id"] for r in read_records(corpus))
    return counts


def test_three_workers_share_one_frontier(redis_url, tmp_path):
    with Replica(size=150) as site:
        three_workers(site, redis_url, tmp_path)


def three_workers(site, redis_url, tmp_path):
    # A delay per request makes the crawl outlast a worker's start (a second or two) and
    # the Scrapy engine's 5 s heartbeat, at which an idle worker asks the queue again.
    workers = [start_worker(site, tmp_path, redis_url, f"w{i}", "-s", "DOWNLOAD_DELAY=0.04")
               for i in range(3)]
    outputs = [w.communicate(timeout=180) for w in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err.decode()[-3000:]
    # newsarc's own queue entries pass whole: nothing refused or dropped on the way.
    assert not any("queue entries" in o.decode() for o, _ in outputs)
    merged_by_last = [o.decode() for o, _ in outputs if "last worker for" in o.decode()]
    assert len(merged_by_last) == 1, "the last worker to finish merges"
    counts = shard_ids(tmp_path)
    assert set(counts) == set(site.site.articles)
    assert max(counts.values()) == 1, "every live article exactly once across shards"
    busy = [p for p in (tmp_path / "shards" / "merged").iterdir()
            if (p / "articles.jsonl").exists() and (p / "articles.jsonl").stat().st_size]
    assert len(busy) >= 2, "the work was shared"
    records = list(read_records(tmp_path / "articles.jsonl"))
    assert sorted(r["id"] for r in records) == sorted(site.site.articles)
    verdict = run(NEWSARC, "verify", str(tmp_path))
    assert verdict.returncode == 0, verdict.stdout.decode()[-3000:]
    runs = run(NEWSARC, "runs", str(tmp_path)).stdout.decode()
    assert runs.count("full@w") == 3


def test_a_killed_worker_loses_nothing_after_merge_and_one_incremental_run(
        redis_url, tmp_path):
    with Replica(size=200) as site:
        killed_mid_crawl(site, redis_url, tmp_path)


def killed_mid_crawl(site, redis_url, tmp_path):
    workers = {f"w{i}": start_worker(site, tmp_path, redis_url, f"w{i}",
                                     "-s", "DOWNLOAD_DELAY=0.03") for i in range(3)}
    victim = None
    deadline = time.monotonic() + 60
    while victim is None:  # the first worker well into writing its shard is the one killed
        assert time.monotonic() < deadline, "no worker got going"
        for name, worker in workers.items():
            written = sum(p.stat().st_size for p in (tmp_path / "shards" / name).glob("warc/*"))
            if written > 30_000 and worker.poll() is None:
                victim = name
                break
        time.sleep(0.01)
    workers[victim].send_signal(signal.SIGKILL)
    workers[victim].wait()
    assert workers[victim].returncode == -signal.SIGKILL
    for name, worker in workers.items():
        if name != victim:
            _out, err = worker.communicate(timeout=180)
            assert worker.returncode == 0, err.decode()[-3000:]
    merged = run(NEWSARC, "merge", str(tmp_path))
    assert merged.returncode == 0, merged.stderr.decode()
    incremental = run(NEWSARC, "crawl", site.url, "--out", str(tmp_path), "--no-throttle")
    assert incremental.returncode == 0, incremental.stderr.decode()[-3000:]
    ids = Counter(r["id"] for r in read_records(tmp_path / "articles.jsonl"))
    assert set(ids) == set(site.site.articles), "nothing is missing"
    assert max(ids.values()) == 1
    verdict = run(NEWSARC, "verify", str(tmp_path))
    assert verdict.returncode == 0, verdict.stdout.decode()[-3000:]


def test_gaps_a_distributed_run_leaves_are_probed_by_the_next(redis_url, tmp_path):
    """No worker can probe the gaps when its run goes dry (none knows the shared queue is
    empty for all, nor what the others stored), and a crawl run by workers alone never
    probed them.  The next run's seeding worker probes those the merged catalog shows."""
    with Replica(size=60) as site:
        ids = sorted(site.site.articles)
        gaps = {n for n in site.site.missing if ids[0] < n < ids[-1]}
        assert gaps
        summaries = []
        for number in (1, 2):
            workers = [start_worker(site, tmp_path, redis_url, f"run{number}-{i}")
                       for i in range(2)]
            for worker in workers:
                out, err = worker.communicate(timeout=180)
                assert worker.returncode == 0, err.decode()[-3000:]
                summaries.append(out.decode())
            assert run(NEWSARC, "merge", str(tmp_path)).returncode == 0
            if number == 1:  # left: those no page links to (a deleted article may be linked)
                left = set(Catalog(tmp_path).gaps())
                assert left and left <= gaps, "the first run probes none"
        catalog = Catalog(tmp_path)
        assert catalog.gaps() == []
        assert gaps <= catalog.missing_ids()
        assert sum(f"gaps probed {len(left)}" in summary for summary in summaries[2:]) == 1
        assert set(r["id"] for r in read_records(tmp_path / "articles.jsonl")) == set(ids)


def test_a_pool_of_workers_crawls_several_outlets_into_their_own_archives(redis_url, tmp_path):
    with Replica(size=30) as first, Replica(size=45, generation=1) as second:
        pool = tmp_path / "pool.toml"
        pool.write_text(f'[[site]]\nurl = "{first.url}"\nout = "a"\n\n'
                        f'[[site]]\nurl = "{second.url}"\nout = "b"\n', encoding="utf-8")
        command = [str(WORKER), "pool", str(pool), "--redis", redis_url, "--no-throttle",
                   "-s", "NEWSARC_REDIS_IDLE_SECONDS=3"]
        workers = [subprocess.Popen([*command, "--worker", f"p{i}"], cwd=REPO,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                   for i in range(2)]
        for worker in workers:
            _out, err = worker.communicate(timeout=180)
            assert worker.returncode == 0, err.decode()[-3000:]
        run(NEWSARC, "merge", str(tmp_path / "a"))
        run(NEWSARC, "merge", str(tmp_path / "b"))
        for out, server in ((tmp_path / "a", first), (tmp_path / "b", second)):
            ids = Counter(r["id"] for r in read_records(out / "articles.jsonl"))
            assert set(ids) == set(server.site.articles) and max(ids.values()) == 1
            assert run(NEWSARC, "verify", str(out)).returncode == 0
            assert all(server.url in r["url"] for r in read_records(out / "articles.jsonl"))


def test_merge_refuses_what_is_not_an_archive(tmp_path):
    result = run(NEWSARC, "merge", str(tmp_path / "nothing"))
    assert result.returncode == 2 and "no such directory" in result.stderr.decode()


def test_one_worker_ends_a_run_when_two_stop_at_once(redis_url):
    """Two workers stopping together both found no worker alive, both merged, and the second
    found the archive locked (exit 75): only the one that takes the run's seed flag ends it."""
    script = f"""
import redis
from crawler.distributed import claim_last
server = redis.Redis.from_url({redis_url!r})
prefix = "newsarc:test"
server.set(prefix + ":seeded", "w0")
server.set(prefix + ":worker:w1", "1")
print(claim_last(server, prefix))  # a worker still alive: not the last
server.delete(prefix + ":worker:w1")
print(claim_last(server, prefix), claim_last(server, prefix))  # both see none alive
"""
    result = run(str(WORKER.with_name("python")), "-c", script)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split() == ["False", "True", "False"]
