"""The baselines ``make bench`` measures newsarc against do the job they stand for.

Timings are not asserted anywhere (they belong to ``bench/results.md``); these tests only
keep the baselines honest: the plain script gets every article, Scrapy alone fetches
every URL it is given.
"""

import json
import os
import sys

from archive.index import index_path

from .conftest import REPO, run

BENCH = REPO / "bench"


def test_plain_script_gets_every_article_with_trafilatura(replica, tmp_path):
    out = tmp_path / "plain.jsonl"
    before = len(replica.request_log)
    result = run(sys.executable, str(BENCH / "plain_script.py"), replica.url, str(out))
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert int(result.stdout) == len(records) == len(replica.site.articles)
    assert all(r["text"] and r["title"] for r in records)
    fetched = [p for p in replica.request_log[before:] if p.startswith("/news/article.html")]
    assert sorted(fetched) == sorted(f"/news/article.html?no={n}" for n in replica.site.articles)


def test_scrapy_alone_fetches_every_url_of_an_archive(archive, replica):
    before = len(replica.request_log)
    result = run(sys.executable, str(BENCH / "scrapy_floor.py"), str(index_path(archive)))
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    urls = {json.loads(line.split(" ", 2)[2])["url"]
            for line in index_path(archive).read_text(encoding="utf-8").splitlines()}
    assert int(result.stdout) == len(urls)
    assert len(replica.request_log) - before == len(urls)


def test_memory_of_a_process_tree_is_measured():
    sys.path.insert(0, str(BENCH))
    try:
        from results import tree_rss
    finally:
        sys.path.remove(str(BENCH))
    assert 10 < tree_rss(os.getpid()) < 4096  # MiB: this pytest process, and its children
