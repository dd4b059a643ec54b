"""Replay fidelity: every form of an article link the CMS prints (a related-article link
with ``&sc_code=``, ``&page=2``, ``#comment``, the mobile and print views) replays the
article it names, never another one, on a held-out site (another seed, size and
generation than the other tests' replica), in pywb and in a real browser."""

import html
import io
import json
import re
import sys
import time
import urllib.error
import urllib.request
import zipfile
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import quote

import pytest
from lxml.html import fromstring

from archive.corpus import read_records
from archive.index import update_index
from archive.replay import AliasRedirect, AliasRule, freshened_headers, fuzzy_rules
from archive.wacz import replayweb_config
from archive.warc import Exchange, WarcWriter, warc_dir
from crawler.urls import replay_aliases
from newsarc.replica.content import build_site
from newsarc.replica.server import Replica

from .conftest import NEWSARC, free_port, run, serving
from .test_replay import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REPLAYWEB,
    headline,
    replayed_frame,
    replayweb_page,
    static_site,
)

NEVER_ARCHIVED = 987654  # an article number the held-out site never had


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url: str) -> tuple[int, str | None, str]:
    """Status, Location and text of one answer, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.headers.get("Location"), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location"), error.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def held_out():
    with Replica(site=build_site(48, generation=2, seed=1234)) as server:
        yield server


@pytest.fixture(scope="module")
def held_out_archive(held_out, tmp_path_factory):
    out = tmp_path_factory.mktemp("held-out")
    result = run(NEWSARC, "crawl", held_out.url, "--out", str(out), "--no-throttle")
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    return out


@pytest.fixture(scope="module")
def titles(held_out_archive):
    """Article number -> headline, as archived."""
    return {r["id"]: r["title"] for r in read_records(held_out_archive / "articles.jsonl")}


@pytest.fixture(scope="module")
def replay(held_out_archive):
    port = free_port()
    with serving(NEWSARC, "replay", str(held_out_archive), "--port", str(port), port=port):
        yield f"http://127.0.0.1:{port}"


def test_the_mediaon_rule_names_every_article_path():
    rule = replay_aliases()
    assert rule.canonical_path == "/news/article.html" and rule.key == "no"
    assert rule.alias_paths == {"/mobile/article.html", "/news/article_print.html"}
    assert rule.value("http://h/news/article_print.html?no=12&x=1") == "12"
    assert rule.value("http://h/news/article_list_all.html?no=12") is None
    assert rule.value("http://h/mobile/article.html?no=12a") is None
    assert rule.canonical_url("https://h:8/mobile/article.html?no=12&page=2", "12") == (
        "https://h:8/news/article.html?no=12")


def test_every_link_form_answers_with_its_own_article(held_out, titles, replay):
    """Without a browser: each form lands on the canonical capture (a redirect keeps to the
    capture asked for), and a number never archived is pywb's not-found in every form."""
    site = held_out.url
    for number in sorted(titles)[::6]:
        for form in (f"/news/article.html?no={number}&sc_code=S1&page=2",
                     f"/news/article.html?page=2&no={number}",
                     f"/mobile/article.html?no={number}",
                     f"/news/article_print.html?no={number}"):
            status, location, _ = get(f"{replay}/archive/{site}{form}")
            assert status == 302, form
            assert location.endswith(f"/{site}/news/article.html?no={number}"), location
            status, _, page = get(replay + location)
            assert status == 200 and headline(page) == titles[number], form
    for form in (f"/news/article.html?no={NEVER_ARCHIVED}",
                 f"/news/article.html?no={NEVER_ARCHIVED}&sc_code=S1&page=2",
                 f"/mobile/article.html?no={NEVER_ARCHIVED}",
                 f"/news/article_print.html?no={NEVER_ARCHIVED}",
                 "/news/article.html?sc_code=S1", "/mobile/article.html"):
        status, location, page = get(f"{replay}/archive/{site}{form}")
        assert status == 404 and location is None, form
        assert headline(page) == "", form


def test_a_redirect_goes_to_the_capture_nearest_the_time_asked_for(tmp_path):
    """Two crawls a generation apart: a mobile link asked for at either crawl's time goes
    to that crawl's capture of the article, and without a time to the latest."""
    with Replica(site=build_site(20, generation=0, seed=99)) as server:
        for generation in (0, 1):
            if generation:
                time.sleep(1.1)  # capture times have one-second resolution
                server.set_generation(generation)
            result = run(NEWSARC, "crawl", server.url, "--out", str(tmp_path), "--no-throttle",
                         "--mode", "full")
            assert result.returncode == 0, result.stderr.decode()[-3000:]
        stamps: dict[int, set[str]] = {}
        for line in (tmp_path / "indexes" / "index.cdxj").read_text().splitlines():
            url = json.loads(line.split(" ", 2)[2])["url"]
            if "/news/article.html?no=" in url:
                stamps.setdefault(int(url.rsplit("=", 1)[1]), set()).add(line.split()[1])
        number, times = next((n, sorted(t)) for n, t in sorted(stamps.items()) if len(t) > 1)
        port = free_port()
        with serving(NEWSARC, "replay", str(tmp_path), "--port", str(port), port=port):
            base = f"http://127.0.0.1:{port}/archive"
            mobile = f"{server.url}/mobile/article.html?no={number}"
            for asked, landed in ((times[0], times[0]), (times[-1], times[-1]),
                                  ("", times[-1])):
                status, location, _ = get(f"{base}/{asked}{'/' if asked else ''}{mobile}")
                assert status == 302, asked
                assert location == (f"/archive/{landed}/{server.url}"
                                    f"/news/article.html?no={number}"), asked


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by .ci/run")
def test_a_reader_following_links_in_replayed_pages_reads_the_article_named(
        held_out, titles, replay):
    """In Chromium: from several archived articles, click their related-article links,
    their most-read links (plain, ``#comment``, ``&sc_code=…&page=2``, mobile) and the
    print button; each lands on the article the link names, and a deleted article's link
    on the CMS's own not-found stub, never on another article."""
    from playwright.sync_api import sync_playwright

    site = held_out.site
    with_related = [a.id for a in site.articles.values()
                    if any(m in site.articles for m in a.related)][:4]
    assert len(with_related) == 4
    kinds: dict[str, int] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()

            def open_article(number: int) -> None:
                page.goto(f"{replay}/archive/{held_out.url}/news/article.html?no={number}",
                          wait_until="load", timeout=60_000)
                assert page.inner_text("div.art_top h2").strip() == titles[number]

            def follow(number: int, selector: str, index: int) -> tuple[str, str]:
                """Click the ``index``-th link matching ``selector`` on article ``number``;
                the href it had and the headline it lands on."""
                open_article(number)
                link = page.locator(selector).nth(index)
                href = link.get_attribute("href")
                with page.expect_navigation(wait_until="load", timeout=60_000):
                    link.click()
                heads = page.locator("div.art_top h2")
                return href, heads.first.inner_text().strip() if heads.count() else ""

            for number in with_related:
                related = [m for m in site.articles[number].related if m in site.articles]
                for i, target in enumerate(related):
                    href, landed = follow(number, "div.related_box a", i)
                    assert "&sc_code=" in href
                    assert landed == titles[target], (number, href)
                    assert page.url.endswith(f"/news/article.html?no={target}"), page.url
                    kinds["related"] = kinds.get("related", 0) + 1
                href, landed = follow(number, "a.btn_print", 0)
                assert "article_print.html" in href and landed == titles[number]
                assert page.url.endswith(f"/news/article.html?no={number}"), page.url
                kinds["print"] = kinds.get("print", 0) + 1
            alerts: list[str] = []
            page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
            open_article(with_related[0])
            links = page.locator("div.most_view a")
            texts = [links.nth(i).inner_text().strip() for i in range(links.count())]
            for i, text in enumerate(texts):
                href, landed = follow(with_related[0], "div.most_view a", i)
                kind = ("comment" if href.endswith("#comment") else "page=2" if "&page=2" in href
                        else "mobile" if "/mobile/" in href else "plain")
                if text == "삭제된 기사":  # a deleted article: the CMS's stub, as archived
                    page.wait_for_timeout(500)
                    assert any("기사번호" in alert for alert in alerts), (href, alerts)
                    assert landed not in titles.values(), (href, landed)
                    kind = "deleted"
                else:
                    named = int(re.search(r"[?&]no=([0-9]+)", href)[1])
                    assert landed == text == titles[named], (href, landed)
                    assert f"/news/article.html?no={named}" in page.url, page.url
                kinds[kind] = kinds.get(kind, 0) + 1
                alerts.clear()
            for form in (f"/news/article.html?no={NEVER_ARCHIVED}&sc_code=S1",
                         f"/mobile/article.html?no={NEVER_ARCHIVED}"):
                response = page.goto(f"{replay}/archive/{held_out.url}{form}",
                                     wait_until="load", timeout=60_000)
                assert response.status == 404
                assert page.locator("div.art_top h2").count() == 0
        finally:
            browser.close()
    assert {"related", "print", "comment", "page=2", "mobile", "plain", "deleted"} <= set(kinds)


def mobile_headline(page: str) -> str:
    return fromstring(page).xpath("string(//div[@class='news_top']/h3)").strip()


def _capture(writer: WarcWriter, url: str) -> None:
    """Fetch ``url`` from the replica and record the exchange, as a crawl of the mobile
    view (another tool's, imported) would have."""
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read()
        headers = [(k, v) for k, v in response.headers.items()
                   if k.lower() not in ("content-length", "transfer-encoding",
                                        "content-encoding")]
    host = url.split("/")[2]
    writer.write_exchange(Exchange(
        url=url, method="GET", request_headers=[("Host", host)], status=200,
        response_headers=[*headers, ("Content-Length", str(len(body)))], body=body))


def test_a_captured_mobile_page_replays_as_itself_and_never_as_another(held_out, tmp_path):
    """An archive holding mobile views only (no desktop capture to redirect to): pywb's
    own fuzzy matching, with the rules, keys on ``no``: a decorated mobile link replays
    that article's mobile capture, an uncaptured number is not-found (pywb's default
    rules would answer both with whichever mobile capture comes first)."""
    numbers = sorted(held_out.site.articles)[:3]
    captured, other = numbers[:2], numbers[2]
    writer = WarcWriter(warc_dir(tmp_path), {"software": "test"})
    for number in captured:
        _capture(writer, f"{held_out.url}/mobile/article.html?no={number}")
    writer.close()
    update_index(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}/archive/{held_out.url}"
    with serving(NEWSARC, "replay", str(tmp_path), "--port", str(port), port=port):
        for number in captured:
            title = held_out.site.articles[number].title
            for form in (f"/mobile/article.html?no={number}",
                         f"/mobile/article.html?no={number}&sc_code=S1&page=2"):
                status, _, page = get(base + quote(form, safe="/?=&"))
                assert status == 200 and mobile_headline(page) == title, form
        for form in (f"/mobile/article.html?no={other}", "/mobile/article.html?page=2",
                     f"/news/article.html?no={captured[0]}&page=2"):
            status, _, page = get(base + form)
            assert status == 404 and mobile_headline(page) == "", form


def test_rules_are_generic_data():
    rule = AliasRule(canonical_path="/view", key="id", alias_paths=frozenset({"/m/view"}))
    entries = fuzzy_rules([rule])
    assert [e["fuzzy_lookup"]["match"] for e in entries] == [
        r"^[^/?]*\)/view\?(?:.*&)?id=([0-9]+)(?:&|$)", r"^[^/?]*\)/view(?:\?|$)()",
        r"^[^/?]*\)/m/view\?(?:.*&)?id=([0-9]+)(?:&|$)", r"^[^/?]*\)/m/view(?:\?|$)()"]


def _replayweb_answer(page, url: str) -> str:
    """The headline ReplayWeb.page shows for ``url``, or "not found" for its not-found
    page (``replayed_frame``, reloading as it does)."""
    from playwright.sync_api import Error as PlaywrightError

    def shown(frame) -> str | None:
        try:
            if frame.query_selector("div.art_top h2"):
                return frame.inner_text("div.art_top h2").strip()
            if "Archived Page Not Found" in frame.inner_text("body"):
                return "not found"
        except PlaywrightError:  # the frame navigated meanwhile
            pass
        return None

    return replayed_frame(page, url, shown=shown)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by .ci/run")
@pytest.mark.skipif(REPLAYWEB is None, reason="make test fetches ReplayWeb.page from npm")
def test_replayweb_page_replays_link_forms_with_the_embedding_config(
        held_out, held_out_archive, titles, tmp_path):
    """The WACZ in ReplayWeb.page 2.5.3.  Alone, it shows a link with ``#comment`` as its
    article, and every other form it was not captured under as not found (never another
    article).  With ``replayweb_config`` in the embedding page, the decorated, mobile and
    print forms show the article they name, and a number never archived stays not found."""
    from playwright.sync_api import sync_playwright

    wacz, config_file = tmp_path / "archive.wacz", tmp_path / "replayweb.json"
    result = run(NEWSARC, "wacz", str(held_out_archive), "--out", str(wacz),
                 "--replayweb-config", str(config_file))
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    config = json.loads(config_file.read_text(encoding="utf-8"))
    assert config == replayweb_config(held_out_archive, [replay_aliases()])
    numbers = sorted(titles)[1::17]
    site = held_out.url
    alone = {f"{site}/news/article.html?no={numbers[0]}#comment": titles[numbers[0]],
             f"{site}/news/article.html?no={numbers[0]}&sc_code=S1&page=2": "not found",
             f"{site}/mobile/article.html?no={numbers[0]}": "not found",
             f"{site}/news/article.html?no={NEVER_ARCHIVED}": "not found"}
    embedded = {f"{site}/mobile/article.html?no={NEVER_ARCHIVED}": "not found",
                f"{site}/news/article.html?no={NEVER_ARCHIVED}&page=2": "not found"}
    for number in numbers:
        embedded.update({f"{site}/news/article.html?no={number}&sc_code=S1&page=2": titles[number],
                         f"{site}/mobile/article.html?no={number}": titles[number],
                         f"{site}/news/article_print.html?no={number}": titles[number]})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for name, expected, extra in (("alone", alone, None), ("embedded", embedded, config)):
                site_dir = replayweb_page(tmp_path / name, wacz, next(iter(expected)))
                template = (site_dir / "index.html").read_text(encoding="utf-8")
                for i, url in enumerate(expected):
                    text = template.replace(f'url="{next(iter(expected))}"',
                                            f'url="{html.escape(url)}"')
                    if extra is not None:
                        text = text.replace("<replay-web-page ", "<replay-web-page config=\""
                                            f"{html.escape(json.dumps(extra))}\" ")
                    (site_dir / f"view{i}.html").write_text(text, encoding="utf-8")
                context = browser.new_context()
                try:
                    page = context.new_page()
                    page.on("dialog", lambda dialog: dialog.dismiss())
                    with static_site(site_dir) as root:
                        for i, (url, want) in enumerate(expected.items()):
                            page.goto(f"{root}/view{i}.html", wait_until="load",
                                      timeout=60_000)
                            assert _replayweb_answer(page, url) == want, (name, url)
                finally:
                    context.close()
        finally:
            browser.close()


def test_replay_app_takes_rules_or_none(held_out_archive):
    """In a process of its own: pywb patches the standard library with gevent on import."""
    code = ("import sys; from pathlib import Path; from archive.replay import AliasRedirect, "
            "replay_app; from crawler.urls import replay_aliases; "
            "from pywb.apps.frontendapp import FrontEndApp; archive = Path(sys.argv[1]); "
            "plain, layered = replay_app(archive), replay_app(archive, [replay_aliases()]); "
            "print(type(plain).__name__, type(layered).__name__, type(layered.app).__name__)")
    result = run(sys.executable, "-c", code, str(held_out_archive))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert result.stdout.decode().split() == ["FrontEndApp", "AliasRedirect", "FrontEndApp"]


def test_the_redirect_layer_decides_by_captures():
    """Its own capture first, then the canonical one's nearest time, then pywb."""
    captures = {"http://h:1/mobile/article.html?no=7": "20240101000000",
                "http://h:1/news/article.html?no=5": "20250101000000"}
    asked: list[tuple[str, str | None]] = []

    def captured(url: str, stamp: str | None) -> str | None:
        asked.append((url, stamp))
        return captures.get(url)

    def pywb(environ, start_response):
        start_response("200 OK", [])
        return [b"pywb"]

    layer = AliasRedirect(pywb, [replay_aliases()], captured)

    def call(path: str, query: str = "") -> tuple[str, dict[str, str]]:
        answer: dict[str, object] = {}
        layer({"PATH_INFO": path, "QUERY_STRING": query},
              lambda status, headers: answer.update(status=status, headers=dict(headers)))
        return answer["status"], answer["headers"]

    assert call("/archive/2025mp_/http://h:1/mobile/article.html", "no=5&page=2") == (
        "302 Found", {"Location": "/archive/20250101000000mp_/http://h:1/news/article.html?no=5",
                      "Content-Length": "0"})
    assert asked[-1] == ("http://h:1/news/article.html?no=5", "2025")
    assert call("/archive/http:/h:1/news/article.html", "page=2&no=5")[1]["Location"] == (
        "/archive/20250101000000/http://h:1/news/article.html?no=5")
    assert call("/archive/h:1/news/article_print.html", "no=5")[0] == "302 Found"
    assert call("/archive/http://h:1/mobile/article.html", "no=7")[0] == "200 OK"
    assert call("/archive/http://h:1/mobile/article.html", "no=8")[0] == "200 OK"
    asked.clear()
    for path, query in (("/archive/http://h:1/news/article.html", "no=5"),
                        ("/archive/http://h:1/news/article_list_all.html", "no=5"),
                        ("/archive/http://h:1/mobile/article.html", "no=x"),
                        ("/other/http://h:1/mobile/article.html", "no=5")):
        assert call(path, query)[0] == "200 OK"
    assert asked == [], "the canonical form and other URLs go to pywb without a lookup"


@pytest.fixture(scope="module")
def rechecked(tmp_path_factory):
    """Two crawls of one site into one archive, the second a generation later and
    rechecking every article: unchanged ones answer 304 (archived as server-not-modified
    revisits), edited ones 200 with their new text.  (server, archive, articles as first
    crawled.)"""
    out = tmp_path_factory.mktemp("rechecked")
    with Replica(site=build_site(20, generation=0, seed=4321)) as server:
        first = dict(server.site.articles)
        for extra in ([], ["--recheck-days", "36500"]):
            if extra:
                time.sleep(1.1)  # capture times have one-second resolution
                server.set_generation(1)
            result = run(NEWSARC, "crawl", server.url, "--out", str(out), "--no-throttle",
                         *extra)
            assert result.returncode == 0, result.stderr.decode()[-3000:]
        yield server, out, first


def _article_captures(archive) -> dict[int, list[dict[str, str]]]:
    """Article number -> its canonical URL's index lines (timestamp added), oldest first."""
    captures: dict[int, list[dict[str, str]]] = {}
    for line in (archive / "indexes" / "index.cdxj").read_text().splitlines():
        _, stamp, fields = line.split(" ", 2)
        entry = {**json.loads(fields), "timestamp": stamp}
        if "/news/article.html?no=" in entry["url"]:
            captures.setdefault(int(entry["url"].rsplit("=", 1)[1]), []).append(entry)
    return {n: sorted(c, key=lambda e: e["timestamp"]) for n, c in captures.items()}


def _unchanged_and_edited(rechecked) -> tuple[int, int]:
    """An article whose newest capture is a 304 revisit, and one edited between crawls."""
    server, archive, first = rechecked
    captures = _article_captures(archive)
    unchanged = [n for n, c in sorted(captures.items()) if len(c) == 2
                 and c[-1]["mime"] == "warc/revisit" and c[-1]["status"] == "304"]
    edited = [n for n, c in sorted(captures.items()) if n in first
              and first[n].paragraphs != server.site.articles[n].paragraphs
              and [e["status"] for e in c] == ["200", "200"]]
    assert unchanged and edited, captures
    return unchanged[0], edited[0]


def _body_text(page: str) -> str:
    return " ".join(fromstring(page).xpath("string(//*[@id='news_body_area'])").split())


def _memento(url: str) -> tuple[int, str, str]:
    """Status, Memento-Datetime and text of a replay answer."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return (response.status, response.headers.get("Memento-Datetime", ""),
                response.read().decode())


def test_a_not_modified_recheck_replays_the_unchanged_page(rechecked):
    """pywb alone replays a server-not-modified revisit as an empty 304.  Replayed, the
    newest capture and the revisit's own time show the article as first captured, with
    a 200, dated at the revisit (not a redirect to the older capture); an article edited
    between the crawls shows its new text, and its old text at the first crawl's time."""
    server, archive, first = rechecked
    unchanged, edited = _unchanged_and_edited(rechecked)
    captures = _article_captures(archive)
    revisit = captures[unchanged][-1]["timestamp"]
    article = first[unchanged]
    port = free_port()
    with serving(NEWSARC, "replay", str(archive), "--port", str(port), port=port):
        base = f"http://127.0.0.1:{port}/archive"
        url = f"{server.url}/news/article.html?no={unchanged}"
        for asked in (url, f"{revisit}/{url}", f"{revisit}mp_/{url}"):
            status, memento, page = _memento(f"{base}/{asked}")
            assert status == 200 and headline(page) == article.title, asked
            assert " ".join(article.paragraphs[-1].split()) in _body_text(page), asked
            assert memento == format_datetime(
                datetime.strptime(revisit, "%Y%m%d%H%M%S").replace(tzinfo=UTC),
                usegmt=True), asked
        old, new = first[edited].paragraphs, server.site.articles[edited].paragraphs
        before, after = next((" ".join(a.split()), " ".join(b.split()))
                             for a, b in zip(old, new, strict=True) if a != b)
        assert after.startswith(before)  # an edit appends to a paragraph
        added = after[len(before):].strip()
        url = f"{server.url}/news/article.html?no={edited}"
        stamps = [e["timestamp"] for e in captures[edited]]
        for asked, edit_shown in ((url, True), (f"{stamps[0]}/{url}", False),
                                  (f"{stamps[1]}/{url}", True)):
            status, _, page = _memento(f"{base}/{asked}")
            text = _body_text(page)
            assert status == 200 and headline(page) == first[edited].title, asked
            assert before in text and (added in text) == edit_shown, asked


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by .ci/run")
@pytest.mark.skipif(REPLAYWEB is None, reason="make test fetches ReplayWeb.page from npm")
def test_replayweb_page_shows_a_rechecked_article_at_its_full_capture(rechecked, tmp_path):
    """The WACZ in ReplayWeb.page 2.5.3: its page list opens an article at its full
    capture (``pages.jsonl``), which shows.  Its service worker, like pywb's loader,
    replays a server-not-modified revisit as an empty 304 (a documented limit, outside
    newsarc: the WACZ holds the exact records); when this test fails there, ReplayWeb.page
    resolves such revisits and docs/archive.md's replay section can say so."""
    from playwright.sync_api import sync_playwright

    server, archive, first = rechecked
    unchanged, _ = _unchanged_and_edited(rechecked)
    full, revisit = (e["timestamp"] for e in _article_captures(archive)[unchanged])
    wacz = tmp_path / "archive.wacz"
    result = run(NEWSARC, "wacz", str(archive), "--out", str(wacz))
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    url = f"{server.url}/news/article.html?no={unchanged}"
    listed = {json.loads(line)["url"]: json.loads(line)["ts"] for line in
              zipfile.ZipFile(wacz).read("pages/pages.jsonl").decode().splitlines()[1:]}
    assert "".join(c for c in listed[url] if c.isdigit())[:14] == full
    site_dir = replayweb_page(tmp_path, wacz, url)
    index = site_dir / "index.html"
    index.write_text(index.read_text(encoding="utf-8").replace(
        "<replay-web-page ", f'<replay-web-page ts="{full}" '), encoding="utf-8")
    with static_site(site_dir) as root, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{root}/index.html", wait_until="load", timeout=60_000)
            frame = replayed_frame(page, url)
            assert frame.url.endswith(f"/{full}mp_/{url}")
            assert frame.inner_text("div.art_top h2").strip() == first[unchanged].title
            prefix = frame.url[:-len(f"{full}mp_/{url}")]
            controlled = next(f for f in page.frames if "/replay/?" in f.url)
            answers = {}
            for stamp in (full, revisit):  # asked from a page the service worker controls
                answers[stamp] = controlled.evaluate(
                    "async u => { const r = await fetch(u); return [r.status, "
                    "(await r.text()).length]; }", f"{prefix}{stamp}mp_/{url}")
            assert answers[full][0] == 200 and answers[full][1] > 1000
            assert answers[revisit] == [304, 0]
        finally:
            browser.close()


def test_a_304_updates_the_stored_headers_as_a_cache_does():
    """Each field the 304 sends replaces all the stored values of that field where the
    first stood; fields of the payload (``Content-*``) and the connection stay stored."""
    stored = [("Content-Type", "text/html"), ("Date", "Mon, 01 Jan 2024"),
              ("Set-Cookie", "a=1"), ("Server", "Apache"), ("set-cookie", "b=2"),
              ("Content-Encoding", "gzip"), ("Content-Length", "4851")]
    not_modified = [("Date", "Tue, 02 Jan 2024"), ("Set-Cookie", "c=3"), ("ETag", '"v2"'),
                    ("Content-Length", "0"), ("Content-Type", "text/plain"),
                    ("Connection", "close"), ("Keep-Alive", "timeout=5")]
    assert freshened_headers(stored, not_modified) == [
        ("Content-Type", "text/html"), ("Date", "Tue, 02 Jan 2024"), ("Set-Cookie", "c=3"),
        ("Server", "Apache"), ("Content-Encoding", "gzip"), ("Content-Length", "4851"),
        ("ETag", '"v2"')]
    assert freshened_headers(stored, []) == stored


def test_the_not_modified_loader_fails_loudly_on_a_pywb_it_does_not_fit(rechecked):
    """In a process of its own (pywb patches the standard library with gevent on import):
    replay's app carries the loader; an app without pywb's loaders is refused by name."""
    code = ("import sys; from pathlib import Path; from archive.replay import replay_app, "
            "resolve_not_modified; app = replay_app(Path(sys.argv[1])); "
            "loaders = app.warcserver.fixed_routes['archive'].resource_loaders; "
            "print(type(loaders[0].resolve_loader).__name__)\n"
            "try: resolve_not_modified(object())\n"
            "except RuntimeError as error: print(error)")
    result = run(sys.executable, "-c", code, str(rechecked[1]))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert result.stdout.decode().splitlines() == [
        "NotModifiedLoader", "this pywb has no WARCPathLoader.resolve_loader for collection "
        "'archive': archive/replay.py resolve_not_modified needs updating for it"]


def test_another_tools_not_modified_revisit_replays_its_page(tmp_path):
    """A 304 revisit as other tools write it (an imported WARC): its digest is the 304's
    empty payload's and it has no ``WARC-Refers-To-Date``; it replays the capture of its
    URL before it, dated at the recheck, with the 304's ``Date``."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    url, body = "http://example.test/page", b"<html><body><h2>Unchanged</h2></body></html>"
    warc_dir(tmp_path).mkdir(parents=True)
    with (warc_dir(tmp_path) / "other.warc.gz").open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warc_record(
            url, "response", payload=io.BytesIO(body),
            http_headers=StatusAndHeaders("200 OK", [
                ("Content-Type", "text/html"), ("Content-Length", str(len(body))),
                ("Date", "Mon, 01 Jan 2024 00:00:00 GMT")], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2024-01-01T00:00:00Z"}))
        revisit = writer.create_revisit_record(
            url, "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", url, "-",
            http_headers=StatusAndHeaders("304 Not Modified", [
                ("Date", "Tue, 02 Jan 2024 00:00:00 GMT")], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2024-01-02T00:00:00Z"})
        revisit.rec_headers.remove_header("WARC-Refers-To-Date")
        writer.write_record(revisit)
    update_index(tmp_path)
    port = free_port()
    with serving(NEWSARC, "replay", str(tmp_path), "--port", str(port), port=port):
        for asked in (url, f"20240102000000/{url}"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/archive/{asked}",
                                        timeout=30) as response:
                assert response.status == 200, asked
                assert response.headers["Memento-Datetime"] == "Tue, 02 Jan 2024 00:00:00 GMT"
                assert response.headers["X-Archive-Orig-Date"] == response.headers[
                    "Memento-Datetime"]
                assert b"<h2>Unchanged</h2>" in response.read(), asked
