"""End-to-end crawls of the replica, as a user runs them."""

import json
from collections import Counter
from urllib.parse import parse_qs, urlsplit

from archive.corpus import read_records
from archive.schema import validation_errors
from crawler import settings as defaults
from newsarc.replica.render import deleted_but_linked

from .conftest import NEWSARC, REPO, run


def crawl(replica, out, *extra):
    result = run(NEWSARC, "crawl", replica.url, "--out", str(out), "--no-throttle", *extra)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    return result.stdout.decode()


def article_fetches(replica):
    counts = Counter()
    for path in replica.request_log:
        parts = urlsplit(path)
        if "article" in parts.path and "list" not in parts.path:
            counts[(parts.path, parts.query)] += 1
    return counts


def test_full_crawl_writes_every_live_article_once_and_nothing_else(replica, tmp_path):
    replica.request_log.clear()
    summary = crawl(replica, tmp_path)
    records = list(read_records(tmp_path / "articles.jsonl"))
    ids = [r["id"] for r in records]
    assert sorted(ids) == sorted(replica.site.articles)
    for record in records:
        art = replica.site.articles[record["id"]]
        assert record["url"] == f"{replica.url}/news/article.html?no={art.id}"
        assert record["title"] == art.title
        assert record["body"] == "\n\n".join(art.paragraphs)
        assert record["published"] == art.published.isoformat()
        assert record["fetched_at"].endswith("+00:00")
        assert validation_errors(record) == []
    # Each article fetched once, only under its canonical URL; soft-404s counted, not written.
    fetches = article_fetches(replica)
    assert all(path == "/news/article.html" for path, _ in fetches)
    assert max(fetches.values()) == 1
    fetched_ids = {int(parse_qs(q)["no"][0]) for _, q in fetches}
    # Live articles, the deleted ones still linked, and every gap probed once.
    assert set(deleted_but_linked(replica.site)) <= replica.site.missing
    assert fetched_ids == set(replica.site.articles) | replica.site.missing
    assert f"soft-404: {len(replica.site.missing)}" in summary
    assert f"gaps probed {len(replica.site.missing) - len(deleted_but_linked(replica.site))}" \
        in summary
    assert f"articles written  {len(replica.site.articles)}" in summary
    # Polite where it matters: robots.txt read first, nothing it disallows fetched.
    assert replica.request_log[0] == "/robots.txt"
    assert not [p for p in replica.request_log if p.startswith(("/member/", "/news/search"))]
    run_files = list((tmp_path / "runs").glob("*.json"))
    saved = json.loads(run_files[0].read_text())
    assert saved["articles_written"] == len(ids)
    # Each request is scheduled once (robots.txt is fetched without the scheduler): links
    # seen again and again on pages do not become requests at all.
    assert saved["requests_scheduled"] == saved["pages_fetched"] - 1
    assert saved["duplicates_filtered"] < len(ids) // 4


def test_full_recrawl_appends_nothing_when_nothing_changed(replica, tmp_path):
    crawl(replica, tmp_path)
    before = (tmp_path / "articles.jsonl").read_bytes()
    summary = crawl(replica, tmp_path, "--mode", "full")
    assert (tmp_path / "articles.jsonl").read_bytes() == before
    assert "articles written  0" in summary
    assert f"unchanged, not rewritten: {len(replica.site.articles)}" in summary


def test_max_articles_is_exact(replica, tmp_path):
    crawl(replica, tmp_path, "--max-articles", "5")
    records = list(read_records(tmp_path / "articles.jsonl"))
    assert len(records) == 5
    assert len({r["id"] for r in records}) == 5


def test_page_requisites_follow_their_setting(replica, tmp_path):
    replica.request_log.clear()
    crawl(replica, tmp_path / "on", "--max-articles", "20")
    assert [p for p in replica.request_log if p.startswith("/data/photos/")]
    replica.request_log.clear()
    crawl(replica, tmp_path / "off", "--max-articles", "20", "-s", "NEWSARC_PAGE_REQUISITES=0")
    assert not [p for p in replica.request_log if p.startswith(("/data/photos/", "/data/skin"))]


def test_scrapy_crawl_works_as_scrapy_users_expect(replica, tmp_path):
    scrapy = str(REPO / ".venv" / "bin" / "scrapy")
    result = run(scrapy, "crawl", "outlet", "-a", f"site={replica.url}",
                 "-s", f"NEWSARC_OUT={tmp_path}", "-s", "CLOSESPIDER_ITEMCOUNT=3",
                 "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                 "-s", "LOG_LEVEL=WARNING")
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert len(list(read_records(tmp_path / "articles.jsonl"))) == 3


def test_bad_site_url_is_a_clear_error(tmp_path):
    result = run(NEWSARC, "crawl", "not-a-url", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "not an http(s) site URL" in result.stderr.decode()


def test_polite_defaults_for_real_sites():
    assert defaults.ROBOTSTXT_OBEY is True
    assert defaults.AUTOTHROTTLE_ENABLED is True
    assert defaults.CONCURRENT_REQUESTS_PER_DOMAIN <= 2
    assert defaults.DOWNLOAD_DELAY >= 1
    assert defaults.USER_AGENT.startswith("newsarc/")
