"""``newsarc stats``: the numbers, the text tables, the figure, and bad input.

The expected numbers are computed here from the replica's ground truth and from the
corpus file, not from the catalog the command reads.
"""

import hashlib
import json
import os
import re
from collections import Counter
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from archive.query import open_catalog
from archive.stats import _month_range, _nice_step, _width, collect, format_stats, plot

from .conftest import NEWSARC, run, usage_error

KST = timezone(timedelta(hours=9))


@pytest.fixture(scope="module")
def numbers(archive):
    catalog = open_catalog(archive)
    try:
        return collect(catalog)
    finally:
        catalog.close()


@pytest.fixture(scope="module")
def truth(replica):
    """Per month, section and reporter counts of the replica's articles."""
    articles = list(replica.site.articles.values())
    return {
        "articles": len(articles),
        "month": Counter(a.published.astimezone(KST).strftime("%Y-%m") for a in articles),
        "section": Counter(a.section.name for a in articles),
        "reporter": Counter(name for a in articles for name in {r.name for r in a.reporters}),
    }


@pytest.fixture(scope="module")
def figure(archive, tmp_path_factory):
    """``newsarc stats DIR --plot FILE.png``, run once: (result, path of the figure)."""
    path = tmp_path_factory.mktemp("figure") / "stats.png"
    return run(NEWSARC, "stats", str(archive), "--plot", str(path)), path


def test_counts_match_the_replica(numbers, truth):
    assert numbers["articles"] == truth["articles"] == 60
    assert numbers["outlet"] == "뉴미디어타임즈"
    assert {m: n for m, n in numbers["per_month"].items() if n} == dict(truth["month"])
    assert numbers["per_section"] == dict(truth["section"])
    assert numbers["per_reporter"] == dict(truth["reporter"])
    assert numbers["no_reporter"] == 0


def test_months_run_without_gaps(numbers, truth):
    months = list(numbers["per_month"])
    assert months == _month_range(min(truth["month"]), max(truth["month"]))
    assert sum(numbers["per_month"].values()) == truth["articles"]


def test_tables_are_largest_first(numbers):
    for table in ("per_section", "per_reporter"):
        counts = list(numbers[table].values())
        assert counts == sorted(counts, reverse=True)


def test_body_lengths_match_the_corpus(numbers, archive):
    bodies = [json.loads(line)["body"] for line in (archive / "articles.jsonl").open()]
    lengths = sorted(len(body) for body in bodies)
    assert numbers["body_lengths"] == lengths
    summary = numbers["body_chars"]
    assert (summary["min"], summary["max"]) == (lengths[0], lengths[-1])
    assert sum(n for _, _, n in summary["bins"]) == len(lengths)
    for low, high, n in summary["bins"]:
        assert n == sum(low <= x <= high for x in lengths)


def test_runs_come_from_the_runs_table(numbers):
    assert len(numbers["runs"]) == 1
    only = numbers["runs"][0]
    assert (only["mode"], only["status"], only["new"], only["changed"]) == (
        "full", "finished", 60, 0)
    assert only["extraction"] == {
        "article_pages": 60, "methods": {"profile": 60, "fallback": 0},
        "missing": {"title": 0, "published": 0, "reporter": 0, "body": 0}, "incomplete": 0,
        "drift": False}


def test_cli_prints_readable_tables(figure, truth):
    result, _ = figure
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert out.startswith("뉴미디어타임즈: 60 articles published ")
    for title in ("Articles per month", "Articles per section", "Articles per reporter",
                  "Body length", "Crawl runs (1)", "Extraction per run"):
        assert f"\n{title}" in out
    for name, n in [*truth["section"].items(), *truth["reporter"].items(),
                    *truth["month"].items()]:
        assert re.search(rf"^  {re.escape(name)} +{n} ", out, re.M), (name, n)
    assert re.search(r"^ +1 +full +finished +\S+ +60 +0 ", out, re.M)
    extraction = out.split("\nExtraction per run")[1]
    assert re.search(r"^ +1 +60 +0 +0% +0 +0 +0 +0  no$", extraction, re.M), extraction


def test_table_columns_line_up_with_hangul(numbers):
    """Hangul takes two terminal columns: the counts must still end in one column."""
    text = format_stats(numbers)
    section = text.split("Articles per section\n")[1].split("\n\n")[0].splitlines()[1:]
    ends = {_width(line.split("%")[0]) for line in section}
    assert len(ends) == 1, section


def test_plot_is_a_large_colourful_png(figure):
    result, path = figure
    assert result.returncode == 0, result.stderr.decode()
    assert f"figure: {path}" in result.stdout.decode()
    assert "missing from font" not in result.stderr.decode()  # no tofu: Hangul has a font
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width >= 1200 and image.height >= 800
        colours = image.convert("RGB").getcolors(image.width * image.height)
    total = image.width * image.height
    commonest = max(n for n, _ in colours)
    assert len(colours) >= 100
    assert commonest / total < 0.9  # not blank
    assert sum(n / total >= 0.003 for n, _ in colours) >= 6  # several filled bar colours


def test_plot_replaces_the_file_atomically(numbers, tmp_path):
    path = tmp_path / "stats.png"
    path.write_bytes(b"old")
    plot(numbers, path)
    assert path.read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in tmp_path.iterdir()] == ["stats.png"]


def _fails(*args: str) -> str:
    return usage_error("stats", *args)


@pytest.mark.parametrize("where, message", [
    ("missing/stats.png", "no such directory"),
    ("a-file/stats.png", "is not a directory"),
    (".", "is a directory"),
    ("stats.txt", "unknown image type"),
    ("stats", "unknown image type"),
])
def test_bad_plot_path_writes_nothing(archive, tmp_path, where, message):
    (tmp_path / "a-file").write_text("x")
    before = sorted(tmp_path.rglob("*"))
    assert message in _fails(str(archive), "--plot", str(tmp_path / where))
    assert sorted(tmp_path.rglob("*")) == before


def test_unwritable_plot_folder(archive, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o555)
    if os.access(folder, os.W_OK):
        pytest.skip("running as a user who can write anywhere (root)")
    try:
        assert "cannot write" in _fails(str(archive), "--plot", str(folder / "stats.png"))
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


# --- a small corpus written by hand: edits, co-bylines, no byline, no runs ---------------


def _record(article_id: int, version: int, published: str, section: str | None,
            reporters: list[str], body: str) -> dict:
    return {
        "id": article_id, "version": version, "url": f"http://x/news/article.html?no={article_id}",
        "site": "테스트신문", "title": f"기사 {article_id}", "subtitle": None,
        "section": section, "published": published, "modified": None,
        "authors": [{"name": n, "email": None} for n in reporters], "body": body,
        "images": [], "language": "ko", "fetched_at": None, "schema_version": 1,
        "content_hash": hashlib.sha256(body.encode()).hexdigest(),
    }


@pytest.fixture
def handmade(tmp_path: Path) -> dict:
    records = [
        _record(1, 1, "2023-11-30T23:30:00+09:00", "정치", ["김기자"], "가" * 100),
        _record(1, 2, "2023-11-30T23:30:00+09:00", "정치", ["김기자"], "가" * 150),
        _record(2, 1, "2024-02-01T09:00:00+09:00", "경제", ["김기자", "이기자"], "나" * 40),
        _record(3, 1, "2024-02-02T09:00:00+09:00", None, [], "다" * 1000),
    ]
    with (tmp_path / "articles.jsonl").open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    catalog = open_catalog(tmp_path)
    try:
        return collect(catalog)
    finally:
        catalog.close()


def test_edited_articles_count_once_as_their_latest_version(handmade):
    assert (handmade["articles"], handmade["versions"], handmade["edited"]) == (3, 4, 1)
    assert handmade["body_lengths"] == [40, 150, 1000]
    assert handmade["outlet"] == "테스트신문"


def test_months_gaps_bylines_and_sections(handmade):
    assert handmade["per_month"] == {"2023-11": 1, "2023-12": 0, "2024-01": 0, "2024-02": 2}
    assert handmade["per_reporter"] == {"김기자": 2, "이기자": 1}
    assert handmade["no_reporter"] == 1
    assert handmade["per_section"] == {"(none)": 1, "경제": 1, "정치": 1}
    assert handmade["runs"] == []
    assert "Crawl runs\n  none recorded" in format_stats(handmade)
    assert "Extraction per run\n  none recorded" in format_stats(handmade)


def test_plot_without_runs_or_bylines(handmade, tmp_path):
    handmade = {**handmade, "per_reporter": {}}
    plot(handmade, tmp_path / "small.png")
    with Image.open(tmp_path / "small.png") as image:
        assert image.size == (1600, 900)


def test_helpers():
    assert _month_range("2023-11", "2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert [_nice_step(x) for x in (0.5, 3, 176.6, 250, 1000)] == [1, 5, 200, 500, 1000]
    assert _width("IT·과학") == 7


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_plot_into_a_place_no_one_can_write(archive):
    """/proc takes no new files, not even from root: the write itself fails."""
    assert "cannot write" in _fails(str(archive), "--plot", "/proc/newsarc-stats.png")
