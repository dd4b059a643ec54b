"""What a distributed worker takes from the shared Redis queue: newsarc's own requests for
the site, in a whitelisted form; a tampered entry is stripped or refused, and counted."""

import json
import logging
import sys

import pytest
from scrapy import Request
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler

from crawler import redisjson
from crawler.distributed import MAX_LOGGED, QueueEntries, RefusedEntry
from crawler.spiders.outlet import OutletSpider

SITE = "http://127.0.0.1:8000"
ARTICLE = f"{SITE}/news/article.html?no=5"


@pytest.fixture
def spider():
    return OutletSpider(site=SITE, out="x")


@pytest.fixture
def codec():
    return QueueEntries(SITE, stats=get_crawler(OutletSpider).stats, download_timeout=30.0)


def entry(**fields):
    """A queue entry as newsarc's worker writes it, with ``fields`` put in or changed."""
    base = {"url": ARTICLE, "callback": "parse_article", "errback": "on_error",
            "headers": {}, "method": "GET", "body": b"", "cookies": {}, "meta": {},
            "encoding": "utf-8", "priority": 0, "dont_filter": False, "flags": [],
            "cb_kwargs": {}}
    return redisjson.dumps({**base, **fields})


def decode(codec, spider, text):
    """What the worker's scheduler builds from an entry (scrapy-redis's own two steps)."""
    return request_from_dict(codec.loads(text), spider=spider)


def counts(codec, prefix):
    return {k[len(prefix):]: v for k, v in codec.stats.get_stats().items()
            if k.startswith(prefix)}


def test_newsarcs_own_requests_come_back_whole(codec, spider):
    listing = Request(f"{SITE}/news/section_list_all.html?sec_no=S1N2&page=2",
                      callback=spider.parse_list, errback=spider.on_error, priority=1,
                      meta={"is_start_request": True},
                      headers={"Referer": f"{SITE}/", "User-Agent": "newsarc/1"},
                      cb_kwargs={"path": "/news/section_list_all.html",
                                 "params": {"sec_no": "S1N2"}, "page": 2,
                                 "previous": frozenset({1, 2, 3})})
    refers_to = {"id": 5, "kind": "response", "status": 200, "warc_filename": "a.warc.gz",
                 "warc_offset": 0, "warc_length": 10, "warc_record_id": "<urn:uuid:1>",
                 "warc_date": "2026-01-01T00:00:00Z", "payload_digest": "sha1:AAA",
                 "etag": '"5-abc"', "last_modified": None, "run_id": 1}
    # A recheck, redirected once and then retried: what Scrapy leaves in its meta too.
    recheck = Request(f"{SITE}/news/article.html?no=5&x=1", callback=spider.parse_article,
                      errback=spider.on_error, priority=-1, dont_filter=True,
                      headers={"If-None-Match": '"5-abc"',
                               "If-Modified-Since": "Thu, 01 Jan 2026 00:00:00 GMT"},
                      meta={"handle_httpstatus_list": [304], "newsarc_refers_to": refers_to,
                            "retry_times": 1, "redirect_urls": [ARTICLE],
                            "redirect_times": 1, "redirect_ttl": 19, "redirect_reasons": [301],
                            "download_slot": "127.0.0.1", "download_latency": 0.1,
                            "download_timeout": 30.0, "warc": {"filename": "a"},
                            "warc_kind": "response", "warc_payload_digest": "sha1:B"})
    backs = []
    for request in (listing, recheck):
        back = decode(codec, spider, redisjson.dumps(request.to_dict(spider=spider)))
        backs.append(back)
        assert (back.url, back.method, back.priority) == (request.url, "GET", request.priority)
        assert back.callback == request.callback and back.errback == spider.on_error
        assert back.cb_kwargs == request.cb_kwargs
        for name in (b"If-None-Match", b"If-Modified-Since", b"Referer"):
            assert back.headers.get(name) == request.headers.get(name)
    assert backs[0].meta == listing.meta
    # Scrapy's download bookkeeping is left behind: the next download sets it again.
    assert backs[1].meta == {k: v for k, v in recheck.meta.items()
                             if not k.startswith(("download_", "warc"))}
    assert counts(codec, "newsarc/queue/") == {} and counts(codec, "newsarc/scope/") == {}


def test_a_proxy_lifted_caps_and_other_settings_are_dropped(codec, spider):
    text = entry(meta={"proxy": "http://127.0.0.1:9/", "download_maxsize": 0,
                       "download_warnsize": 0, "download_timeout": 100000,
                       "bindaddress": ["127.0.0.1", 0], "handle_httpstatus_all": True,
                       "dont_redirect": True, "dont_obey_robotstxt": True,
                       "allow_offsite": True, "download_slot": "x", "max_retry_times": 99},
                 headers={"Cookie": "s=1", "Host": "127.0.0.1:9", "X-Forwarded-For": "1",
                          "Referer": "http://127.0.0.1:9/", "If-None-Match": "a\r\nX: y", 1: "x"},
                 body=b"a=1", cookies={"s": "1"}, dont_filter=True, sneaky=1)
    back = decode(codec, spider, text)
    assert back.meta == {} and not back.body and not back.cookies and not back.dont_filter
    assert not any(name in back.headers for name in (b"Cookie", b"Host", b"X-Forwarded-For",
                                                     b"Referer", b"If-None-Match"))
    assert (back.url, back.callback) == (ARTICLE, spider.parse_article)
    assert counts(codec, "newsarc/queue/stripped/") == {
        "body": 1, "cookies": 1, "fields": 1, "headers": 1, "meta": 1}


def test_a_class_an_entry_names_is_never_imported(codec, spider, tmp_path, monkeypatch):
    canary = tmp_path / "newsarc_canary.py"
    marker = tmp_path / "imported"
    canary.write_text(f"from pathlib import Path\nPath({str(marker)!r}).write_text('x')\n"
                      "from scrapy import Request\n\nclass Evil(Request):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "newsarc_canary", raising=False)
    text = entry(_class="newsarc_canary.Evil")
    back = decode(codec, spider, text)
    assert type(back) is Request and back.url == ARTICLE
    assert not marker.exists() and "newsarc_canary" not in sys.modules
    assert counts(codec, "newsarc/queue/stripped/") == {"class": 1}
    # The canary is real: Scrapy's own decoding of the same entry imports it.
    assert type(request_from_dict(redisjson.loads(text), spider=spider)).__name__ == "Evil"
    assert marker.exists()


@pytest.mark.parametrize(("url", "stat"), [
    ("http://127.0.0.1:9/stolen", "newsarc/scope/port"),
    ("http://127.0.0.2:8000/news/article.html?no=5", "newsarc/scope/host"),
    ("http://localhost:8000/", "newsarc/scope/host"),
    ("http://169.254.169.254/latest/meta-data/", "newsarc/scope/host"),
    ("ftp://127.0.0.1:8000/x", "newsarc/scope/scheme"),
    ("file:///etc/passwd", "newsarc/scope/scheme"),
    ("http://[::1", "newsarc/scope/scheme"),
    ("http://127.0.0.1:99999/", "newsarc/scope/scheme"),
    ("http://127.0.0.1:8000/a b", "newsarc/queue/refused/url"),
    (SITE + "/" + "a" * 5000, "newsarc/queue/refused/url"),
    (["http://127.0.0.1:8000/"], "newsarc/queue/refused/url"),
    (None, "newsarc/queue/refused/url"),
])
def test_an_entry_for_another_site_is_refused(codec, url, stat):
    with pytest.raises(RefusedEntry) as refused:
        codec.loads(entry(url=url, callback="parse_requisite"))
    assert refused.value.stat == stat
    assert codec.stats.get_value(stat) == 1


@pytest.mark.parametrize(("text", "why"), [
    ("not json", "malformed"),
    ("[1, 2]", "malformed"),
    ("[" * 20000 + "]" * 20000, "malformed"),
    ('{"url": {"__bytes__": "abc"}}', "malformed"),
    ('{"url": {"__items__": [[[1], 2]]}}', "malformed"),
    ('{"url": {"__items__": 5}}', "malformed"),
    ('{"url": "' + "a" * 70000 + '"}', "too large"),
    (entry(method="POST"), "method"),
    (entry(method="get"), "method"),
    (entry(callback="parse"), "callback"),
    (entry(callback="_remember"), "callback"),
    (entry(callback="on_idle"), "callback"),
    (entry(callback=None), "callback"),
    (entry(errback="close"), "callback"),
    (entry(priority=10**9), "priority"),
    (entry(priority=True), "priority"),
    (entry(priority="1"), "priority"),
    (entry(priority=1.5), "priority"),
    (entry(cb_kwargs={"page": 1}), "cb_kwargs"),
    (entry(callback="parse_list", cb_kwargs={}), "cb_kwargs"),
    (entry(callback="parse_list", cb_kwargs={"path": "/admin", "params": {}, "page": 1,
                                             "previous": []}), "cb_kwargs"),
    (entry(callback="parse_list", cb_kwargs={"path": "/news/article_list_all.html",
                                             "params": {}, "page": 1,
                                             "previous": list(range(5000))}), "cb_kwargs"),
    (entry(meta=["proxy", "http://127.0.0.1:9/"]), "meta"),
    (entry(meta={"handle_httpstatus_list": [500]}), "meta"),
    (entry(meta={"retry_times": -5}), "meta"),
    (entry(meta={"redirect_times": -100}), "meta"),
    (entry(meta={"redirect_urls": ["http://127.0.0.1:9/"]}), "meta"),
    (entry(meta={"newsarc_refers_to": {"warc_record_id": "<x>\r\nWARC-Type: response"}}),
     "meta"),
    (entry(meta={"newsarc_refers_to": {"id": 6}}), "meta"),
    (entry(meta={"newsarc_refers_to": {"script": "x"}}), "meta"),
])
def test_an_entry_newsarc_never_writes_is_refused(codec, text, why):
    with pytest.raises(RefusedEntry) as refused:
        codec.loads(text)
    assert refused.value.stat == f"newsarc/queue/refused/{why}", str(refused.value)
    assert counts(codec, "newsarc/queue/") == {f"refused/{why}": 1}


def test_refusals_are_all_counted_and_their_log_is_bounded(caplog):
    crawler = get_crawler(OutletSpider)
    codec = QueueEntries(SITE, stats=crawler.stats, logger=logging.getLogger("queue-test"))
    with caplog.at_level(logging.WARNING, logger="queue-test"):
        for number in range(200):
            with pytest.raises(RefusedEntry):
                codec.loads(json.dumps({"url": f"http://127.0.0.1:9/{number}"}))
    assert crawler.stats.get_value("newsarc/scope/port") == 200
    assert len(caplog.records) == MAX_LOGGED + 1
    assert "http://127.0.0.1:9/0: another port than 8000" in caplog.records[0].getMessage()
