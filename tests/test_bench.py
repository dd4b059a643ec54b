"""The baselines ``make bench`` measures newsarc against do the job they stand for.

Timings are not asserted anywhere (they belong to ``bench/results.md``); these tests only
keep the baselines honest: the plain script gets every article, Scrapy alone fetches
every URL it is given.
"""

import importlib
import json
import os
import shutil
import sys

import pytest

from archive.index import index_path

from .conftest import REPO, run

BENCH = REPO / "bench"
_REALPAGES = REPO.parent / "shared" / "realpages"


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


def _bench_module(name: str):
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH))


def test_memory_of_a_process_tree_is_measured():
    tree_rss = _bench_module("results").tree_rss
    assert 10 < tree_rss(os.getpid()) < 4096  # MiB: this pytest process, and its children


def test_the_cpu_bar_warms_up_on_pages_it_does_not_measure():
    results = _bench_module("results")
    measured = results.sample_pages(40, 500)
    warm = results.sample_pages(40, 500, half=1)
    assert len(measured) == len(warm) == 20
    assert not {url for _page, url in measured} & {url for _page, url in warm}
    assert all(page.startswith(b"<!DOCTYPE html>") or b"<html" in page[:500]
               for page, _url in measured + warm)


@pytest.mark.skipif(not shutil.which("valgrind"), reason="needs valgrind")
def test_instruction_counts_repeat_and_grow_with_the_work(tmp_path):
    """What bench/instructions.py rests on: a count that does not move between runs."""
    instructions = _bench_module("instructions").instructions
    small = [instructions([sys.executable, "-c", "sum(range(100_000))"], tmp_path, f"s{i}")
             for i in range(2)]
    large = instructions([sys.executable, "-c", "sum(range(3_000_000))"], tmp_path, "large")
    assert abs(small[0] - small[1]) < 0.01 * small[0]
    assert large > small[0] + 20_000_000  # ~3M more additions, many instructions each


def _article_html(authors: str) -> bytes:
    paragraphs = "".join(f"<p>시장은 {i}일 기자회견에서 시민의 안전을 가장 먼저 챙기겠다고 "
                         "말했다. 그는 예산을 늘리겠다고 밝혔다.</p>" for i in range(8))
    return (f'<html><head><title>시장 "안전이 먼저"</title><meta name="author" '
            f'content="{authors}"><meta property="article:published_time" '
            f'content="2024-06-14T07:40:00+09:00"></head><body><article>'
            f'<h1>시장 "안전이 먼저"</h1>{paragraphs}</article></body></html>').encode()


def test_realpages_turns_trafilatura_output_into_the_scorers_records():
    """bench/realpages.py scores trafilatura with the real pages' scorer: its records must
    carry the fields score.py reads, authors as name dicts split on ; and ,."""
    realpages = _bench_module("realpages")
    page = _article_html("김철수 기자; 이영희 기자, 박민수")
    record = realpages.trafilatura_record(page, "a.html")
    assert set(record) == {"source", "title", "body", "published", "authors"}
    assert record["source"] == "a.html"
    assert record["title"] == '시장 "안전이 먼저"'
    assert "시장은 7일 기자회견에서" in record["body"]
    assert record["published"].startswith("2024-06-14")
    assert [a["name"] for a in record["authors"]] == ["김철수 기자", "이영희 기자", "박민수"]
    assert realpages.trafilatura_record(b"", "b.html") == {
        "source": "b.html", "skipped": "trafilatura returned nothing"}


def test_realpages_report_without_the_real_pages_still_times_both_paths(tmp_path):
    realpages = _bench_module("realpages")
    report = realpages.report(tmp_path / "realpages", size=3, rounds=1, command="python x")
    assert "`../" in report and "not found: the real pages were not scored" in report
    assert f"`{tmp_path}" not in report  # paths relative to the repository, not absolute
    assert "| replica, mediaOn skins (profile path) | 3 | profile 3 |" in report
    assert "| replica, redesigned skin (fallback path) | 3 | fallback 3 |" in report
    assert "| real pages of other outlets: `../" in report


@pytest.mark.skipif(not (_REALPAGES / "score.py").is_file(), reason="../shared/realpages missing")
def test_realpages_scores_both_extractors_with_the_scorer():
    realpages = _bench_module("realpages")
    truth = {json.loads(f.read_text(encoding="utf-8"))["file"]
             for f in (_REALPAGES / "truth").glob("*.json")}
    scored = realpages.score_both(_REALPAGES)
    assert [s.extractor.split()[0] for s in scored] == ["newsarc", "trafilatura"]
    for s in scored:
        assert {row["key"] for row in s.rows} == truth
        assert int(s.total["n"]) == len(truth)
    assert set(scored[0].methods) == truth
    assert set(scored[0].methods.values()) <= {"profile", "fallback", "skipped"}
    table = realpages.quality_table(scored).splitlines()
    assert [row.split(" | ")[0] for row in table[2:]] == ["| newsarc", f"| {scored[1].extractor}"]
