"""End-to-end crawls of the replica, as a user runs them."""

import json
import os
import subprocess
import sys
from collections import Counter
from urllib.parse import parse_qs, urlsplit

from archive.corpus import read_records
from archive.schema import validation_errors
from crawler import settings as defaults
from newsarc.replica.render import deleted_but_linked
from newsarc.replica.server import Replica

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
    # Every response is counted (Scrapy's DownloaderStats is off; the report counts them).
    assert saved["pages_fetched"] == len(replica.request_log)
    assert saved["duplicates_filtered"] < len(ids) // 4


def test_full_recrawl_appends_nothing_when_nothing_changed(replica, tmp_path):
    crawl(replica, tmp_path)
    before = (tmp_path / "articles.jsonl").read_bytes()
    summary = crawl(replica, tmp_path, "--mode", "full")
    assert (tmp_path / "articles.jsonl").read_bytes() == before
    assert "articles written  0" in summary
    assert f"unchanged, not rewritten: {len(replica.site.articles)}" in summary


def test_max_articles_is_exact_and_keeps_what_its_articles_show(replica, tmp_path):
    """Exactly N articles, each with its photos archived (Scrapy's own item limit stops
    at once, and the last articles' photos were lost), and the run reported partial."""
    replica.request_log.clear()
    output = crawl(replica, tmp_path, "--max-articles", "5")
    records = list(read_records(tmp_path / "articles.jsonl"))
    assert len(records) == 5
    assert len({r["id"] for r in records}) == 5
    photos = [urlsplit(i["url"]).path for r in records for i in r["images"]]
    assert photos and set(photos) <= set(replica.request_log)
    assert "partial: 5 new" in output


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


_CRAWL_AND_REPORT = """
import json, sys

from newsarc.cli import main
status = main(["crawl", sys.argv[1], "--out", sys.argv[2], "--no-throttle",
               "-s", "NEWSARC_EXTRACT_PROCESSES=" + sys.argv[3]])
loaded = [name for name in ("trafilatura",) if name in sys.modules]
print(json.dumps({"loaded": loaded}))
sys.exit(status)
"""


def crawl_and_report(replica, out, processes):
    """A crawl in a process of its own: which heavy modules the crawl process loaded."""
    result = run(sys.executable, "-c", _CRAWL_AND_REPORT, replica.url, str(out),
                 str(processes))
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    return json.loads(result.stdout.decode().splitlines()[-1])


def test_crawl_process_loads_no_extractor_it_does_not_use(replica, tmp_path):
    """With an extraction process, trafilatura is the worker's alone."""
    report = crawl_and_report(replica, tmp_path / "a", 1)
    assert report["loaded"] == []
    assert crawl_and_report(replica, tmp_path / "b", 0)["loaded"] == ["trafilatura"]


def test_depth_limit_is_said_to_have_no_effect_while_its_middleware_is_off():
    from scrapy.settings import Settings

    from crawler.spiders.outlet import _warn_depth_limit_off

    class Logger:
        def __init__(self):
            self.lines = []

        def warning(self, message, *args):
            self.lines.append(message % args)

    def warned(**overrides):
        settings = Settings()
        settings.setmodule(defaults, priority="project")
        settings.setdict(overrides, priority="cmdline")
        logger = Logger()
        _warn_depth_limit_off(settings, logger)
        return logger.lines

    assert warned() == []
    assert ["DEPTH_LIMIT has no effect" in line for line in warned(DEPTH_LIMIT=2)] == [True]
    assert warned(DEPTH_LIMIT=2, SPIDER_MIDDLEWARES="{}") == []


CONTACT = "mailto:archive-ops@example.org"


def test_user_agent_names_the_contact_from_the_environment(tmp_path, monkeypatch):
    """NEWSARC_CONTACT in the environment: every request, robots.txt included, says
    ``newsarc/VERSION (+CONTACT)``, as polite crawlers do."""
    from importlib.metadata import version

    from newsarc.replica import server

    seen: list[tuple[str, str]] = []
    answer = server._Handler.do_GET

    def recording(handler):
        seen.append((handler.path, handler.headers.get("User-Agent")))
        answer(handler)

    monkeypatch.setattr(server._Handler, "do_GET", recording)
    with Replica(size=10) as site:
        result = subprocess.run(
            [NEWSARC, "crawl", site.url, "--out", str(tmp_path), "--no-throttle",
             "--max-articles", "2"],
            cwd=REPO, capture_output=True, timeout=300,
            env={**os.environ, "NEWSARC_CONTACT": CONTACT})
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert "/robots.txt" in {path for path, _ in seen}
    assert {agent for _, agent in seen} == {f"newsarc/{version('newsarc')} (+{CONTACT})"}


def test_user_agent_from_the_setting_or_without_a_contact():
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    def agent(spidercls=Spider, **overrides):
        values = {"ADDONS": defaults.ADDONS, "USER_AGENT": defaults.USER_AGENT,
                  "NEWSARC_VERSION": "1.2.3", **overrides}
        return get_crawler(spidercls, values).settings["USER_AGENT"]

    assert agent(NEWSARC_CONTACT="") == "newsarc/1.2.3"
    assert agent(NEWSARC_CONTACT=CONTACT) == f"newsarc/1.2.3 (+{CONTACT})"

    class Explicit(Spider):  # a User-Agent set above the project's is kept as given
        name = "explicit"
        custom_settings = {"USER_AGENT": "someone-else/1"}

    assert agent(Explicit, NEWSARC_CONTACT=CONTACT) == "someone-else/1"
