"""Template drift: the alarm a run raises when its article pages stop matching the profile.

The threshold logic on its own, then real crawls of the replica: with the bundled profile
the alarm stays quiet; with a profile whose body selectors match nothing (what an outlet's
redesign does to a profile), every article page goes through the whole-page fallback, and
the run says so, records it and exits 1.
"""

import hashlib
import json
import re

import pytest

from archive.schema import content_hash, validation_errors
from crawler import drift
from crawler.profile import PROFILE_DIR
from crawler.skip import Skip, SkipKind

from .conftest import NEWSARC, run

WARNING = "warning: template drift"


class Stats:
    """The part of Scrapy's stats collector ``drift.note`` uses."""

    def __init__(self):
        self.values = {}

    def inc_value(self, key, count=1):
        self.values[key] = self.values.get(key, 0) + count

    def get_value(self, key, default=None):
        return self.values.get(key, default)

    def set_value(self, key, value):
        self.values[key] = value


def record(method="profile", **fields):
    return {"title": "제목", "published": "2024-06-14T07:40:01+09:00",
            "authors": [{"name": "홍길동", "email": None}], "body": "본문",
            "extraction": {"profile": "newmediatimes", "method": method}, **fields}


def extraction(pages, fallback=0, incomplete=0, examples=None):
    return {"article_pages": pages, "methods": {"profile": pages - fallback,
                                                "fallback": fallback},
            "missing": {"title": 0, "published": incomplete, "reporter": 0, "body": 0},
            "incomplete": incomplete, "examples": examples or {}}


# --- counting and the threshold, without a crawl -------------------------------------------

def test_each_article_page_is_counted_by_method_and_missing_field():
    stats = Stats()
    drift.note(stats, record(), "http://x/news/article.html?no=1")
    drift.note(stats, record("fallback", published=None, authors=[]), "http://x/a?no=2")
    drift.note(stats, Skip(SkipKind.NO_BODY, "no body text"), "http://x/a?no=3")
    drift.note(stats, Skip(SkipKind.NO_HEADLINE, "no headline"), "http://x/a?no=4")
    drift.note(stats, Skip(SkipKind.SOFT_404,
                                "soft-404: the CMS's missing-article stub"), "http://x/a?no=5")
    drift.note(stats, Skip(SkipKind.LIST_PAGE, "not an article page: a list page"), "http://x/a?no=6")
    drift.note(stats, Skip(
        SkipKind.NOT_ARTICLE, "not an article page: no headline and no body"), "http://x/a?no=7")
    counts = drift.counts(stats.values)
    assert counts == {
        "article_pages": 5,  # soft-404 and list pages are no article pages
        "methods": {"profile": 1, "fallback": 1},
        "missing": {"title": 2, "published": 1, "reporter": 1, "body": 2},
        "incomplete": 4,
        "examples": {"fallback": "http://x/a?no=2", "missing": "http://x/a?no=2"},
    }


def test_alarm_fires_at_the_threshold_not_below():
    assert drift.assess(extraction(100, fallback=9), 0.1, 10) is None
    fired = drift.assess(extraction(100, fallback=10, examples={"fallback": "u"}), 0.1, 10)
    assert fired["reasons"] == ["fallback"] and fired["fallback_share"] == 0.1
    assert fired["example"] == "u"
    missing = drift.assess(extraction(100, incomplete=50, examples={"missing": "m"}), 0.1, 10)
    assert missing["reasons"] == ["missing"] and missing["example"] == "m"
    both = drift.assess(extraction(20, fallback=20, incomplete=20,
                                   examples={"fallback": "f", "missing": "m"}), 0.5, 10)
    assert both["reasons"] == ["fallback", "missing"] and both["example"] == "f"


def test_small_runs_and_a_zero_threshold_do_not_cry_wolf():
    assert drift.assess(extraction(3, fallback=1), 0.1, 10) is None
    assert drift.assess(extraction(9, fallback=9), 0.1, 10) is None
    assert drift.assess(extraction(10, fallback=10), 0.1, 10) is not None
    assert drift.assess(extraction(100, fallback=100), 0, 10) is None
    assert drift.assess(extraction(0), 0.1, 0) is None


def test_warning_line_names_counts_threshold_and_an_example():
    fired = drift.assess(extraction(40, fallback=30, incomplete=4,
                                    examples={"fallback": "http://x/news/article.html?no=7"}),
                         0.1, 10)
    line = drift.format_warning(fired)
    assert line == ("warning: template drift: 30 of 40 article pages (75%) extracted by the "
                    "fallback path, 4 (10%) missing a field (title 0, published 4, reporter 0, "
                    "body 0); threshold 10%; example http://x/news/article.html?no=7")


def test_schema_documents_extraction_and_other_url_schemes():
    body = "본문"
    full = {"id": 1234, "url": "https://x.example/news/article.html?no=1234", "site": "x",
            "title": "제목", "subtitle": None, "section": None, "published": None,
            "modified": None, "authors": [], "body": body, "images": [], "language": "ko",
            "fetched_at": None, "content_hash": content_hash(body), "version": 1,
            "schema_version": 1, "extraction": {"profile": "newmediatimes", "method": "profile"}}
    assert validation_errors(full) == []
    older = {k: v for k, v in full.items() if k != "extraction"}
    assert validation_errors(older) == [], "records written before extraction stay valid"
    url = "https://other.example/2024/06/14/a-slug-without-a-number"
    other = {**full, "url": url, "id": int(hashlib.sha256(url.encode()).hexdigest()[:13], 16),
             "extraction": {"profile": "newmediatimes", "method": "fallback"}}
    assert validation_errors(other) == []
    assert validation_errors({**full, "extraction": {"profile": "x", "method": "guess"}})
    assert validation_errors({**full, "extraction": {"method": "profile"}})
    assert validation_errors({**full, "url": "ftp://x.example/1"})


# --- real crawls of the replica -------------------------------------------------------------

def run_file(out, number=0):
    """The JSON report of the archive's ``number``-th run."""
    return json.loads(sorted((out / "runs").glob("*.json"))[number].read_text())


def test_normal_replica_raises_no_alarm(archive, replica):
    report = run_file(archive)
    assert report["exit_code"] == 0 and report["drift"] is None
    pages = len(replica.site.articles)
    assert report["extraction"]["article_pages"] == pages
    assert report["extraction"]["methods"] == {"profile": pages, "fallback": 0}
    assert report["extraction"]["incomplete"] == 0


@pytest.fixture
def redesigned_profile(tmp_path):
    """The bundled profile with body selectors that match nothing: to it, every article
    page looks like a template it was not written for."""
    text = (PROFILE_DIR / "newmediatimes.toml").read_text(encoding="utf-8")
    text, replaced = re.subn(r"^body = \[\n.*?\n\]", "body = [\"//div[@id='no-such-body']\"]",
                             text, count=1, flags=re.M | re.S)
    assert replaced == 1
    path = tmp_path / "redesigned.toml"
    path.write_text(text, encoding="utf-8")
    return path


def crawl(replica, out, *extra):
    return run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle", *extra)


def test_fallback_pages_raise_the_alarm(replica, redesigned_profile, tmp_path):
    out = tmp_path / "archive"
    result = crawl(replica, out, "--profile", str(redesigned_profile))
    stdout = result.stdout.decode()
    assert result.returncode == 1, stdout[-3000:] + result.stderr.decode()[-3000:]
    [line] = [line for line in stdout.splitlines() if line.startswith(WARNING)]
    report = run_file(out)
    pages = report["extraction"]["article_pages"]
    assert pages == len(replica.site.articles)
    assert report["extraction"]["methods"] == {"profile": 0, "fallback": pages}
    found = report["drift"]
    assert "fallback" in found["reasons"] and found["fallback_share"] == 1.0
    assert found["threshold"] == 0.1 and found["min_pages"] == 10
    assert re.fullmatch(rf"{re.escape(replica.url)}/news/article\.html\?no=\d+", found["example"])
    assert line == drift.format_warning(found)
    assert f"{pages} of {pages} article pages (100%) extracted by the fallback path" in line
    assert report["exit_code"] == 1 and report["status"] == "finished"
    records = [json.loads(x) for x in (out / "articles.jsonl").read_text().splitlines()]
    assert {r["extraction"]["method"] for r in records} == {"fallback"}
    assert {r["extraction"]["profile"] for r in records} == {"redesigned"}
    # newsarc stats shows the run's extraction health from the stored numbers.
    stats = run(NEWSARC, "stats", str(out))
    assert stats.returncode == 0, stats.stderr.decode()
    table = stats.stdout.decode().split("\nExtraction per run")[1]
    assert re.search(rf"^ +1 +{pages} +{pages} +100% .*  yes$", table, re.M), table


def test_quiet_run_warns_on_stderr_and_the_settings_turn_the_alarm(replica,
                                                                   redesigned_profile,
                                                                   tmp_path):
    quiet = crawl(replica, tmp_path / "quiet", "--profile", str(redesigned_profile), "--quiet")
    assert quiet.returncode == 1
    assert quiet.stdout.decode().count("\n") == 1, "cron's one line stays one line"
    assert [line for line in quiet.stderr.decode().splitlines() if line.startswith(WARNING)]
    lenient = crawl(replica, tmp_path / "lenient", "--profile", str(redesigned_profile),
                    "-s", "NEWSARC_DRIFT_MIN_PAGES=1000")
    assert lenient.returncode == 0, lenient.stderr.decode()[-3000:]
    assert WARNING not in lenient.stdout.decode()
    assert run_file(tmp_path / "lenient")["drift"] is None
