"""Scheduled incremental crawls: new and edited articles, little else; lock; runs; backfill."""

import json
import re
import sqlite3
import subprocess
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.catalog import Catalog
from archive.corpus import read_records
from archive.schema import content_hash
from archive.warc import warc_files
from newsarc.replica import server
from newsarc.replica.server import Replica

from .conftest import NEWSARC, REPO, run


@pytest.fixture
def site():
    """A replica of its own: these tests move it forward in time."""
    with Replica(size=60) as server:
        yield server


def crawl(server, out, *extra, expect=0):
    result = run(NEWSARC, "crawl", server.url, "--out", str(out), "--no-throttle", *extra)
    assert result.returncode == expect, result.stderr.decode()[-3000:]
    return result.stdout.decode()


def recheck_window(server, days=3):
    """Ids the run must re-check: published within `days` of the newest article it knew."""
    articles = server.site.articles.values()
    newest = max(a.published for a in articles)
    return {a.id for a in articles if a.published >= newest - timedelta(days=days)}


def requests_of_run(server):
    articles, lists, other = Counter(), [], []
    for target in server.request_log:
        parts = urlsplit(target)
        if parts.path == "/news/article.html":
            articles[int(parse_qs(parts.query)["no"][0])] += 1
        elif "list" in parts.path or parts.path.endswith(".xml"):
            lists.append(target)
        else:
            other.append(target)
    return articles, lists, other


def corpus(out):
    return list(read_records(out / "articles.jsonl"))


def test_nothing_changed_fetches_first_list_page_and_recheck_window(site, tmp_path):
    crawl(site, tmp_path)
    before = (tmp_path / "articles.jsonl").read_bytes()
    window = recheck_window(site)
    site.request_log.clear()
    summary = crawl(site, tmp_path)
    articles, lists, other = requests_of_run(site)
    assert set(articles) == window and max(articles.values()) == 1
    assert sorted(lists) == ["/data/rss/news.xml", "/news/article_list_all.html?page=1"]
    assert other == ["/robots.txt"], "no home page, no sections, no requisites again"
    assert (tmp_path / "articles.jsonl").read_bytes() == before
    assert "(incremental, run 2)" in summary
    revisits = [r for p in warc_files(tmp_path) for r in ArchiveIterator(p.open("rb"))
                if r.rec_type == "revisit"]
    assert len(revisits) == len(window), "an unchanged re-fetch is a revisit record"
    assert all(r.rec_headers.get_header("WARC-Profile").endswith("server-not-modified")
               for r in revisits)
    assert run(NEWSARC, "verify", str(tmp_path)).returncode == 0


def test_new_and_edited_articles_after_the_site_moves_on(site, tmp_path):
    crawl(site, tmp_path)
    old = dict(site.site.articles)
    site.set_generation(1)
    new = site.site.articles
    added = set(new) - set(old)
    edited = {i for i in old if new[i].paragraphs != old[i].paragraphs}
    assert len(added) == 5 and len(edited) == 3
    site.request_log.clear()
    crawl(site, tmp_path)
    records = corpus(tmp_path)
    versions = Counter((r["id"], r["version"]) for r in records)
    assert max(versions.values()) == 1, "each article once per version"
    latest = {}
    for record in records:
        latest[record["id"]] = record
    for number in added:
        assert latest[number]["version"] == 1
        assert latest[number]["body"] == "\n\n".join(new[number].paragraphs)
    for number in edited:
        assert latest[number]["version"] == 2
        assert latest[number]["body"] == "\n\n".join(new[number].paragraphs)
        assert latest[number]["modified"] == new[number].modified.isoformat()
    assert len(records) == len(old) + len(added) + len(edited)
    # What it cost: the recheck window, the new articles, the new gaps, a few list pages.
    articles, lists, _ = requests_of_run(site)
    new_gaps = {n for n in site.site.missing if n > max(old)}
    assert set(articles) <= recheck_window(site) | added | new_gaps
    assert edited <= set(articles)
    assert len(lists) <= 4
    assert run(NEWSARC, "verify", str(tmp_path)).returncode == 0


def test_gaps_are_probed_once_and_remembered(site, tmp_path):
    crawl(site, tmp_path)
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    missing = {r[0] for r in db.execute("SELECT id FROM missing")}
    db.close()
    assert missing == set(site.site.missing)
    site.request_log.clear()
    crawl(site, tmp_path)
    articles, _, _ = requests_of_run(site)
    assert not set(articles) & missing


def test_backfill_enumerates_article_numbers(site, tmp_path):
    numbers = sorted(set(site.site.articles) | site.site.missing)[:25]
    low, high = numbers[0], numbers[-1]
    site.request_log.clear()
    crawl(site, tmp_path, "--mode", "backfill", "--from-id", str(low), "--to-id", str(high),
          "-s", "NEWSARC_PAGE_REQUISITES=0")
    got = {r["id"] for r in corpus(tmp_path)}
    assert got == {n for n in site.site.articles if low <= n <= high}
    articles, lists, _ = requests_of_run(site)
    assert set(articles) == set(range(low, high + 1)) and not lists


def test_backfill_needs_its_range(site, tmp_path):
    result = run(NEWSARC, "crawl", site.url, "--out", str(tmp_path), "--mode", "backfill")
    assert result.returncode == 2
    assert "--from-id" in result.stderr.decode()


def test_a_second_run_on_the_same_archive_refuses(site, tmp_path):
    slow = [NEWSARC, "crawl", site.url, "--out", str(tmp_path), "-s", "DOWNLOAD_DELAY=0.2",
            "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY_JITTER=0"]
    first = subprocess.Popen(slow, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lock = tmp_path / ".lock"
        deadline = time.monotonic() + 30
        while not (lock.exists() and lock.read_text()):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        second = run(NEWSARC, "crawl", site.url, "--out", str(tmp_path), "--no-throttle")
        assert second.returncode == 75
        message = second.stderr.decode()
        assert "in use by another newsarc process" in message
        assert f"pid {first.pid}" in message
        assert first.poll() is None, "the first run is left untouched"
    finally:
        first.kill()
        first.wait()
    # The first run died holding the lock: the next one takes it over and says so.
    third = run(NEWSARC, "crawl", site.url, "--out", str(tmp_path), "--no-throttle")
    assert third.returncode == 0, third.stderr.decode()[-2000:]
    assert f"took over the lock of pid {first.pid}" in third.stderr.decode()


def test_runs_lists_every_run_and_quiet_prints_one_line(site, tmp_path):
    crawl(site, tmp_path)
    line = crawl(site, tmp_path, "--quiet").strip()
    assert "\n" not in line and line.startswith("newsarc: run 2 (incremental) finished:")
    listing = run(NEWSARC, "runs", str(tmp_path))
    assert listing.returncode == 0
    rows = listing.stdout.decode().splitlines()
    assert len(rows) == 3 and rows[1].split()[:3] == ["1", "full", "finished"]
    as_json = run(NEWSARC, "runs", str(tmp_path), "--json").stdout.splitlines()
    runs = [json.loads(line) for line in as_json]
    assert runs[0]["stats"]["articles_new"] == len(site.site.articles)
    assert runs[1]["stats"]["articles_new"] == 0
    empty = run(NEWSARC, "runs", str(tmp_path / "nothing"))
    assert empty.returncode == 2


_DATES = re.compile(r"<li>(?:등록|수정)[^<]*</li>|<meta property=\"article:published_time\"[^>]*>")


@pytest.fixture
def undated(site, monkeypatch):
    """The replica with article pages that show no date (header items and meta tag gone)."""
    route = server.route

    def without_dates(replica_site, target, headers, base):
        response = route(replica_site, target, headers, base)
        if urlsplit(target).path == "/news/article.html" and response.status == 200:
            response.body = _DATES.sub("", response.body.decode("utf-8")).encode("utf-8")
        return response

    monkeypatch.setattr(server, "route", without_dates)
    return site


def test_articles_without_a_date_are_rechecked_by_their_capture_time(undated, tmp_path):
    """A page without a date has no publication time to place it in the recheck window;
    its first capture stands in for it, so an edit to it is still picked up.  (A run of
    60 pages without a date raises the template drift alarm, exit 1; the next run, 3
    edited pages, is too small to.)"""
    summary = crawl(undated, tmp_path, expect=1)
    assert {r["published"] for r in corpus(tmp_path)} == {None}, "the pages show no date"
    assert "\nwarning: template drift: " in summary and "published 60" in summary
    old = dict(undated.site.articles)
    undated.set_generation(1)
    new = undated.site.articles
    edited = {i for i in old if new[i].paragraphs != old[i].paragraphs}
    assert edited
    undated.request_log.clear()
    crawl(undated, tmp_path)
    articles, _, _ = requests_of_run(undated)
    assert set(old) <= set(articles), "every article first captured within the window"
    latest = {}
    for record in corpus(tmp_path):
        latest[record["id"]] = record
    for number in edited:
        assert latest[number]["version"] == 2
        assert latest[number]["body"] == "\n\n".join(new[number].paragraphs)
        assert latest[number]["published"] is None


def test_recheck_window_of_undated_articles_counts_from_the_newest_first_capture(tmp_path):
    def stored(number, published, fetched):
        body = f"본문 {number}"
        return {"id": number, "url": f"http://x/news/article.html?no={number}", "site": "x",
                "title": "t", "subtitle": None, "section": None, "published": published,
                "modified": None, "authors": [], "body": body, "images": [], "language": "ko",
                "fetched_at": fetched, "content_hash": content_hash(body), "version": 1,
                "schema_version": 1}

    catalog = Catalog(tmp_path)
    try:
        for record in (
            stored(1, "2024-06-01T09:00:00+09:00", "2026-11-01T00:00:00+00:00"),
            stored(2, "2024-06-10T09:00:00+09:00", "2026-11-01T00:00:00+00:00"),
            stored(3, None, "2026-11-01T00:00:00+00:00"),  # first captured long ago
            stored(4, None, "2026-11-28T01:00:00+00:00"),
            stored(5, "2024-01-01T09:00:00+09:00", "2026-11-30T00:00:00+00:00"),
        ):
            catalog.add_version(record, None)
        # A later capture of article 3 (a recheck) does not move it into the window.
        catalog.seen_unchanged(3, "2026-11-30T00:00:00+00:00")
        assert catalog.recheck_ids(3) == [2, 4]
        assert catalog.recheck_ids(40) == [1, 2, 3, 4]
    finally:
        catalog.close()
