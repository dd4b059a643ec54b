"""The replica of the outlet's mediaOn site: content model, markup, HTTP behaviour."""

from __future__ import annotations

import http.client
import io
import json
import math
import re
import time
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pytest
from lxml import html as lxml_html
from PIL import Image

from newsarc.replica import render
from newsarc.replica.content import (
    KST,
    Article,
    build_site,
    byline_prefix,
    outlet,
    sample_article,
    signature,
)
from newsarc.replica.server import Replica

from .conftest import NEWSARC, run

SIZE = 60
SHARED_SAMPLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "outlet" / \
    "sample-article.txt"
SAMPLE_FIRST = (
    "이재용 삼성전자 회장은 미국 동부(뉴욕과 워싱턴) 일정을 마친 뒤 미국 서부에서 글로벌 IT 산업을 "
    "주도하고 있는 메타, 아마존, 퀄컴 등 IT∙AI∙반도체 분야의 주요 빅테크 기업 CEO들과 잇따라 "
    "만나며 약 2주간에 걸친 미국 출장 일정을 마무리했다."
)


@pytest.fixture(scope="module")
def replica():
    with Replica(size=SIZE) as r:
        yield r


@pytest.fixture(scope="module")
def default_site():
    return build_site()


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET without raising on 304/404, returning (status, lower-cased headers, body)."""
    try:
        with urlopen(Request(url, headers=headers or {}), timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def page(replica: Replica, target: str) -> str:
    status, headers, body = fetch(replica.url + target)
    assert status == 200, target
    assert "charset=utf-8" in headers["content-type"]
    assert int(headers["content-length"]) == len(body)
    return body.decode("utf-8")


def list_ids(doc: str) -> list[int]:
    tree = lxml_html.fromstring(doc)
    hrefs = tree.xpath("//div[@class='ara_001']/ul[@class='art_list_all']/li/a/@href")
    return [int(re.fullmatch(r"/news/article\.html\?no=(\d+)", h).group(1)) for h in hrefs]


def body_texts(doc: str, art: Article) -> list[str]:
    """The paragraphs as the article's skin lays them out in #news_body_area."""
    body = lxml_html.fromstring(doc).get_element_by_id("news_body_area")
    if art.template == "arv_001":
        return [p.text_content() for p in body.xpath("./p")]
    if art.template == "arv_005":
        texts = [d.text_content() for d in body.xpath("./div[not(@class)]")]
        texts = [t for t in texts if t != "\xa0"]
        return texts[:-2] if art.signature_inside else texts
    runs = [t.strip() for t in body.xpath("./text()") if t.strip()]
    return runs


# ------------------------------------------------------------------ content model

def test_build_is_deterministic():
    assert build_site(SIZE) == build_site(SIZE)
    assert build_site(SIZE, 2) == build_site(SIZE, 2)
    assert build_site(SIZE, seed=1) != build_site(SIZE)


def test_default_site_shape(default_site):
    site = default_site
    arts = list(site.articles.values())
    assert len(arts) >= 200
    assert len(site.sections) >= 6 and len(site.reporters) >= 8
    assert any(r.email is None for r in site.reporters)
    assert 990 <= min(site.articles) <= 1010
    span = max(site.articles) - min(site.articles) + 1
    assert span == len(site.articles) + len(site.missing)
    assert 0.03 < len(site.missing) / span < 0.15
    assert all(min(site.articles) < m < max(site.articles) for m in site.missing)
    assert {a.template for a in arts} == {"arv_001", "arv_005", "old"}
    assert {a.signature_inside for a in arts} == {True, False}
    assert 0.15 < sum(a.modified is not None for a in arts) / len(arts) < 0.45
    assert any(len(a.reporters) == 2 for a in arts)
    assert any(a.related for a in arts) and any(a.ad_in_body for a in arts)
    assert any(len(a.photos) == 2 for a in arts) and any(not a.photos for a in arts)


def test_ids_grow_with_time_and_dates_are_kst(default_site):
    arts = sorted(default_site.articles.values(), key=lambda a: a.id)
    assert [a.published for a in arts] == sorted(a.published for a in arts)
    for art in arts:
        assert art.published.utcoffset() == KST.utcoffset(None)
        assert art.published.microsecond == 0
        assert art.modified is None or art.modified > art.published
    assert arts[0].published.year == 2021 and arts[-1].published.year == 2024


def test_text_is_normalised_and_varied(default_site):
    arts = list(default_site.articles.values())
    paras = [p for a in arts for p in a.paragraphs]
    assert all(p == " ".join(p.split()) and p for p in paras)
    assert all(3 <= len(a.paragraphs) <= 20 for a in arts)
    joined = "\n".join(paras)
    for needle in ("&", "<", '"', "'", "▲", "[사진=", "AI"):
        assert needle in joined, needle
    assert any("&" in a.title for a in arts) and any('"' in a.title for a in arts)
    assert all(re.fullmatch(r"/data/photos/\d{6}\d{2}/art_\d+_[0-9a-f]+\.jpg", p.path)
               for a in arts for p in a.photos)
    for art in arts:
        for photo in art.photos:
            assert photo.path.split("/")[3] == (
                f"{art.published:%Y%m}{art.published.isocalendar().week:02d}")


def test_latest_is_newest_first(default_site):
    latest = default_site.latest()
    keys = [(a.published, a.id) for a in latest]
    assert keys == sorted(keys, reverse=True)
    assert len(latest) == len(default_site.articles)


def test_sample_article_model():
    for size in (SIZE, 240):
        site = build_site(size)
        art = sample_article(site)
        assert art.paragraphs[0] == SAMPLE_FIRST
        assert art.paragraphs[-1] == "[출처=삼성전자]"
        assert art.published.isoformat() == "2024-06-14T07:40:01+09:00"
        assert [(r.name, r.email) for r in art.reporters] == [("안용운", "csijak@naver.com")]
        assert art.section.name == "경제" and art.template == "arv_001"
        assert len(art.photos) == 1 and art.photos[0].caption
        assert art.photos[0].path.startswith("/data/photos/20240624/")
        ids = sorted(site.articles)
        neighbours = [site.articles[i] for i in ids[ids.index(art.id) - 1: ids.index(art.id) + 2]]
        assert [a.published for a in neighbours] == sorted(a.published for a in neighbours)


def _sample_file_paragraphs(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "크게보기")
    end = next(i for i, line in enumerate(lines) if line.strip().startswith("안용운 기자 "))
    paras = [" ".join(line.split()) for line in lines[start + 1:end] if line.strip()]
    prefix = "뉴미디어타임즈 안용운 기자 | "
    assert paras[0].startswith(prefix)
    return [paras[0][len(prefix):]] + paras[1:]


@pytest.mark.skipif(not SHARED_SAMPLE.exists(), reason="shared/outlet/sample-article.txt absent")
def test_sample_article_matches_shared_dump():
    text = SHARED_SAMPLE.read_text(encoding="utf-8")
    art = sample_article(build_site(SIZE))
    assert art.title == text.splitlines()[0].strip()
    assert list(art.paragraphs) == _sample_file_paragraphs(text)
    facts = outlet()
    assert facts["copyright"] in text
    for bureau in facts["bureaus"]:
        assert f"{bureau['name']} : {bureau['address']}" in text


def test_generation_evolves_as_a_superset():
    for g in (1, 2, 3):
        old, new = build_site(SIZE, g - 1), build_site(SIZE, g)
        assert set(old.articles) <= set(new.articles)
        added = sorted(set(new.articles) - set(old.articles))
        assert len(added) == 5
        assert min(added) > max(old.articles)
        assert all(new.articles[i].published > max(a.published for a in old.articles.values())
                   for i in added)
        assert old.missing <= new.missing and 1 <= len(new.missing - old.missing) <= 2
        edited = [i for i in old.articles if old.articles[i] != new.articles[i]]
        assert len(edited) == 3
        for i in edited:
            before, after = old.articles[i], new.articles[i]
            assert after.modified is not None and after.modified > before.last_modified
            assert after.paragraphs != before.paragraphs
            assert len(after.paragraphs) == len(before.paragraphs)
            assert (after.title, after.published) == (before.title, before.published)
        assert new.sample_id == old.sample_id


# ------------------------------------------------------------------ HTTP: articles

def test_soft_404_for_gaps_and_garbage(replica):
    site = replica.site
    targets = [f"/news/article.html?no={m}" for m in sorted(site.missing)[:3]]
    targets += ["/news/article.html?no=abc", "/news/article.html",
                f"/news/article.html?no={max(site.articles) + 50}",
                f"/mobile/article.html?no={min(site.missing)}"]
    assert site.missing
    for target in targets:
        status, _, body = fetch(replica.url + target)
        assert status == 200
        assert body.decode("utf-8") == (
            "<script>window.alert('기사번호가 누락되어 있거나 잘못된 접근입니다.'); "
            "window.location='/';</script>")


def test_article_markup_per_template(replica):
    site = replica.site
    seen = set()
    for art in site.latest():
        doc = page(replica, f"/news/article.html?no={art.id}")
        tree = lxml_html.fromstring(doc)
        root = "arv_005_01" if art.template == "arv_005" else "arv_001_01"
        top = "div[@class='art_top']"
        if root == "arv_005_01":
            top = f"div[@class='fix_art_top']/{top}"
        assert tree.xpath(f"//div[@class='{root}']/{top}/h2")[0].text_content() == art.title
        texts = body_texts(doc, art)
        assert texts[0] == byline_prefix(art) + art.paragraphs[0]
        assert texts[1:] == list(art.paragraphs[1:])
        body = tree.get_element_by_id("news_body_area")
        assert ("smartOutput" in (body.get("class") or "")) == (art.template == "arv_005")
        inner = render.body_inner(site, art)
        assert ("<div>&nbsp;</div>" in inner) == (art.template == "arv_005")
        assert ("<br><br>" in inner) == (art.template == "old")
        assert ("<p>" in inner) == (art.template == "arv_001")
        inside = [d.text_content() for d in body.xpath("./div[not(@class)]")][-2:]
        sig = [signature(art), outlet()["copyright"]]
        if art.signature_inside:
            assert inside == sig
        else:
            box = tree.xpath("//div[@class='writer_box']")[0]
            assert signature(art) in box.text_content()
            assert outlet()["copyright"] in box.text_content()
        assert ("og:url" in doc) == (art.template == "arv_005")
        assert len(body.xpath(".//img")) == len(art.photos)
        assert doc.count("크게보기") == len(art.photos)
        assert bool(body.xpath(".//div[@class='related_box']")) == bool(art.related)
        assert bool(body.xpath(".//ins[@class='adsbygoogle']")) == art.ad_in_body
        info = tree.xpath("//ul[@class='art_info']/li")
        assert info[len(art.reporters)].text_content() == f"등록 {art.published:%Y.%m.%d %H:%M:%S}"
        seen.add((art.template, art.signature_inside))
    assert len(seen) >= 5


def test_article_chrome(replica):
    art = sample_article(replica.site)
    doc = page(replica, f"/news/article.html?no={art.id}&sc_code=S1N2&page=2")
    assert f"<title>{art.title} - 뉴미디어타임즈</title>" in doc
    for needle in ("기상청 제공", "많이 본 뉴스", "/news/banner_click.php?no=", render.STYLESHEET,
                   render.SCRIPT, render.LOGO, "/member/login.html", "powered by mediaOn",
                   "/news/section_list_all.html?sec_no=S1N1", 'name="search"', 'id="comment"'):
        assert needle in doc, needle
    text = lxml_html.fromstring(doc).text_content()
    for bureau in outlet()["bureaus"]:
        assert f"{bureau['name']} : {bureau['address']}" in text
    assert "청소년보호책임자 : 안용운" in text
    assert "#comment" in doc and "&amp;sc_code=" in doc and "/mobile/article.html?no=" in doc
    assert "뉴미디어타임즈 안용운 기자 | " + SAMPLE_FIRST in text


def test_html_escaping_round_trips(replica):
    site = replica.site
    art = next(a for a in site.latest() if "&" in a.title or "<" in a.title or '"' in a.title)
    tree = lxml_html.fromstring(page(replica, f"/news/article.html?no={art.id}"))
    assert tree.xpath("//div[@class='art_top']/h2")[0].text_content() == art.title
    assert tree.findtext(".//title") == f"{art.title} - 뉴미디어타임즈"
    tricky = next(a for a in site.latest() if any("<" in p for p in a.paragraphs))
    doc = page(replica, f"/news/article.html?no={tricky.id}")
    assert body_texts(doc, tricky)[1:] == list(tricky.paragraphs[1:])


def test_mobile_and_print_views(replica):
    for art in replica.site.latest()[:10]:
        mobile = lxml_html.fromstring(page(replica, f"/mobile/article.html?no={art.id}"))
        assert mobile.xpath("//div[@class='m_arv_001_01']/div[@class='news_top']/h3")[0] \
            .text_content() == art.title
        if art.subtitle:
            assert mobile.xpath("//div[@class='news_top']/h4")[0].text_content() == art.subtitle
        divs = [d.text_content() for d in
                mobile.xpath("//div[@class='news_detail']/div[not(@class)]")]
        assert divs[0] == byline_prefix(art) + art.paragraphs[0]
        assert divs[1:len(art.paragraphs)] == list(art.paragraphs[1:])
        printed = page(replica, f"/news/article_print.html?no={art.id}")
        tree = lxml_html.fromstring(printed)
        assert tree.xpath("//div[@class='print_wrap']/h2")[0].text_content() == art.title
        assert [p.text_content() for p in tree.xpath("//div[@class='print_body']/p")][1:] == \
            list(art.paragraphs[1:])
        assert "많이 본 뉴스" not in printed and outlet()["copyright"] in printed


def test_conditional_requests(replica):
    art = next(a for a in replica.site.latest() if a.modified)
    url = f"{replica.url}/news/article.html?no={art.id}"
    status, headers, _ = fetch(url)
    assert status == 200
    assert parsedate_to_datetime(headers["last-modified"]) == art.modified
    assert headers["etag"].startswith('"')
    status, _, body = fetch(url, {"If-Modified-Since": headers["last-modified"]})
    assert status == 304 and body == b""
    status, _, _ = fetch(url, {"If-None-Match": headers["etag"]})
    assert status == 304
    status, _, _ = fetch(url, {"If-Modified-Since": "Mon, 01 Jan 2018 00:00:00 GMT"})
    assert status == 200
    status, _, _ = fetch(url, {"If-None-Match": '"other"',
                               "If-Modified-Since": headers["last-modified"]})
    assert status == 200


# ------------------------------------------------------------------ HTTP: lists, feeds, misc

def test_every_article_reachable_from_lists_once(replica):
    site = replica.site
    last = math.ceil(len(site.articles) / site.page_size)
    seen: list[int] = []
    for n in range(1, last + 1):
        seen += list_ids(page(replica, f"/news/article_list_all.html?page={n}"))
    assert len(seen) == len(set(seen)) == len(site.articles)
    assert set(seen) == set(site.articles)
    assert seen == [a.id for a in site.latest()]


def test_list_paging_past_the_end_repeats_last_page(replica):
    site = replica.site
    last = math.ceil(len(site.articles) / site.page_size)
    last_doc = page(replica, f"/news/article_list_all.html?page={last}")
    for raw in (last + 1, 999, 0, -3, "abc"):
        assert page(replica, f"/news/article_list_all.html?page={raw}") == last_doc
    first = lxml_html.fromstring(page(replica, "/news/article_list_all.html"))
    assert first.xpath("//div[@class='btn_pagenum']/a[@class='on']")[0].text == "1"
    tree = lxml_html.fromstring(last_doc)
    assert not tree.xpath("//a[contains(@class, 'next')]")
    item = tree.xpath("//ul[@class='art_list_all']/li/a")[0]
    assert item.xpath("./h2") and item.xpath("./p")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", item.xpath(".//li[@class='date']")[0].text)
    assert item.xpath(".//li[@class='name']")[0].text.endswith(" 기자")


def test_paging_blocks_of_ten():
    site = build_site(600)
    tree = lxml_html.fromstring(render.list_all_page(site, 13))
    links = tree.xpath("//div[@class='btn_pagenum']/a[not(@class) or @class='on']")
    numbers = [a.text for a in links]
    assert numbers == [str(n) for n in range(11, 21)]
    assert tree.xpath("//a[@class='on']")[0].text == "13"
    assert tree.xpath("//a[@class='btn_p next']/@href") == ["/news/article_list_all.html?page=21"]


def test_section_lists(replica):
    site = replica.site
    collected: list[int] = []
    for section in site.sections:
        expected = [a.id for a in site.latest() if a.section == section]
        got: list[int] = []
        pages = max(1, math.ceil(len(expected) / site.page_size))
        for n in range(1, pages + 1):
            got += list_ids(page(replica, f"/news/section_list_all.html?sec_no={section.no}"
                                          f"&page={n}"))
        assert got == expected
        collected += got
        front = page(replica, f"/news/section.html?sec_no={section.no}")
        assert list_ids(front) == expected[:10]
        assert f'href="/news/section_list_all.html?sec_no={section.no}"' in front
    assert sorted(collected) == sorted(site.articles)


def test_writer_lists(replica):
    site = replica.site
    rep = site.reporters[0]
    expected = [a.id for a in site.latest() if rep in a.reporters]
    got = list_ids(page(replica, render.writer_href(rep.name)))
    assert got == expected[:site.page_size] and got


def test_search_pages_never_end(replica):
    for n in (1, 7, 500):
        doc = page(replica, f"/news/search_result.html?search=%EC%8B%9C&page={n}")
        assert list_ids(doc)
        assert lxml_html.fromstring(doc).xpath("//a[@class='btn_p next']")


def test_rss_feeds(replica):
    site = replica.site
    for target, expected in [
        ("/data/rss/news.xml", site.latest()[:30]),
        ("/data/rss/section_01.xml", site.in_section(site.sections[0].no)[:30]),
    ]:
        status, headers, body = fetch(replica.url + target)
        assert status == 200 and "xml" in headers["content-type"]
        channel = ET.fromstring(body).find("channel")
        items = channel.findall("item")
        assert [i.findtext("title") for i in items] == [a.title for a in expected]
        for item, art in zip(items, expected, strict=True):
            link = item.findtext("link")
            assert link == f"{replica.url}/news/article.html?no={art.id}"
            assert urlsplit(link).scheme == "http" and urlsplit(link).netloc
            assert item.findtext("pubDate").endswith("+0900")
            assert parsedate_to_datetime(item.findtext("pubDate")) == art.published
            assert item.findtext("category") == art.section.name
            assert item.findtext("author")
    assert fetch(replica.url + "/data/rss/section_99.xml")[0] == 404


def test_rss_uses_request_host(replica):
    port = urlsplit(replica.url).port
    status, _, body = fetch(f"http://localhost:{port}/data/rss/news.xml")
    assert status == 200
    link = ET.fromstring(body).find("channel/item/link").text
    assert link.startswith(f"http://localhost:{port}/news/article.html?no=")


def test_robots_txt(replica):
    status, headers, body = fetch(replica.url + "/robots.txt")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    lines = body.decode().splitlines()
    assert lines == ["User-agent: *", "Disallow: /member/", "Disallow: /news/search_result.html"]


def test_photos_are_jpegs(replica):
    art = sample_article(replica.site)
    path = art.photos[0].path
    thumb = path.replace("/data/photos/", "/data/cache/public/photos/")[:-4] + "_v150.jpg"
    for target in (path, thumb):
        status, headers, body = fetch(replica.url + target)
        assert status == 200 and headers["content-type"] == "image/jpeg"
        with Image.open(io.BytesIO(body)) as img:
            assert img.format == "JPEG" and img.size[0] > 0
    assert fetch(replica.url + path)[2] == fetch(replica.url + path)[2]
    assert fetch(replica.url + "/data/photos/20240624/art_1_abc.jpg")[0] == 404
    for target in (render.LOGO, render.STYLESHEET, render.SCRIPT):
        assert fetch(replica.url + target)[0] == 200


def test_misc_routes(replica):
    host, port = urlsplit(replica.url).hostname, urlsplit(replica.url).port
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", "/news/banner_click.php?no=7")
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 302
    assert resp.getheader("Location").startswith("https://ads.example.invalid/")
    conn.close()
    assert fetch(replica.url + "/no/such/page.html")[0] == 404
    assert "로그인" in page(replica, "/member/login.html")
    home = page(replica, "/")
    assert list(set(re.findall(r'href="/news/article\.html\?no=(\d+)"', home)))
    assert "/news/article_list_all.html?page=2" in replica.request_log


def test_head_and_keep_alive(replica):
    host, port = urlsplit(replica.url).hostname, urlsplit(replica.url).port
    conn = http.client.HTTPConnection(host, port, timeout=10)
    art = sample_article(replica.site)
    conn.request("HEAD", f"/news/article.html?no={art.id}")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.read() == b""
    length = int(resp.getheader("Content-Length"))
    conn.request("GET", f"/news/article.html?no={art.id}")
    resp = conn.getresponse()
    assert len(resp.read()) == length
    conn.close()


def test_validators_survive_a_generation_for_unchanged_articles():
    with Replica(size=SIZE) as r:
        before = {i: fetch(f"{r.url}/news/article.html?no={i}")[1] for i in r.site.articles}
        old = r.site
        r.set_generation(1)
        for i, headers in before.items():
            status, _, _ = fetch(f"{r.url}/news/article.html?no={i}",
                                 {"If-None-Match": headers["etag"],
                                  "If-Modified-Since": headers["last-modified"]})
            assert status == (304 if old.articles[i] == r.site.articles[i] else 200)


def test_generation_endpoint():
    with Replica(size=SIZE) as r:
        before = set(r.site.articles)
        req = Request(r.url + "/_replica/generation?g=1", data=b"", method="POST")
        with urlopen(req, timeout=30) as resp:
            assert resp.status == 200
        assert len(set(r.site.articles) - before) == 5 and r.site.generation == 1
        newest = max(r.site.articles)
        assert list_ids(page(r, "/news/article_list_all.html"))[0] == newest
        r.set_generation(0)
        assert set(r.site.articles) == before
        assert "/_replica/generation?g=1" in r.request_log


def test_print_and_mobile_share_the_soft_404(replica):
    bad = min(replica.site.missing)
    assert fetch(f"{replica.url}/news/article_print.html?no={bad}")[2].decode() == render.SOFT_404


def test_latency_delays_every_answer():
    """``--latency``: each answer waits, whatever is asked (the politeness benchmark)."""
    with Replica(size=5, latency=0.3) as slow:
        for path in ("/robots.txt", "/news/article.html?no=1", "/no/such/page"):
            started = time.monotonic()
            try:
                urlopen(slow.url + path, timeout=10).read()
            except HTTPError:
                pass
            assert time.monotonic() - started >= 0.3, path


@pytest.mark.parametrize("value", ["-5", "soon", "nan"])
def test_latency_must_be_milliseconds(value):
    result = run(NEWSARC, "replica", "--latency", value)
    assert result.returncode == 2
    assert "--latency: not a number of milliseconds >= 0" in result.stderr.decode()


def test_years_in_the_prose_follow_the_articles_date(default_site):
    """A measure dated some years before the article, a forecast for some years after:
    no page names as past a year after its own date (date extraction reads years in text)."""
    before = re.compile(r"(\d{4})년 \d+월 이후")
    after = re.compile(r"(\d{4})년까지")
    seen = {"before": 0, "after": 0}
    for art in default_site.articles.values():
        text = "\n".join(art.paragraphs)
        year = art.published.year
        for found in before.findall(text):
            assert year - 3 <= int(found) < year, (art.id, found)
            seen["before"] += 1
        for found in after.findall(text):
            assert year < int(found) <= year + 6, (art.id, found)
            seen["after"] += 1
    assert seen["before"] > 20 and seen["after"] > 20, seen


# --- the redesigned skin (``newsarc replica --skin redesign [--skin-newest K]``) -------------

def test_redesign_keeps_urls_and_content_and_renames_the_markup():
    """Same URLs and articles, new markup: the story block, meta tags, JSON-LD and the
    other lead; the default skin is untouched (same bytes as a site built without it)."""
    with Replica(size=SIZE, skin="redesign") as r:
        plain = build_site(SIZE)
        assert r.site.articles == plain.articles
        for art in r.site.latest()[:12] + [sample_article(r.site)]:
            doc = page(r, f"/news/article.html?no={art.id}&sc_code=S1N1")
            tree = lxml_html.fromstring(doc)
            assert not tree.xpath("//*[contains(@class, 'arv_00') or @id='news_body_area']")
            story = tree.xpath("//article[@class='story']")[0]
            assert story.xpath("./header[@class='story-head']/h1")[0].text_content() == art.title
            paras = [p.text_content() for p in story.xpath("./div[@class='story-body']/p")]
            names = "·".join(x.name for x in art.reporters)
            assert paras[0] == f"[뉴미디어타임즈={names} 기자] {art.paragraphs[0]}"
            assert paras[1:-1] == list(art.paragraphs[1:])
            assert paras[-1] == ", ".join(
                f"{x.name} 기자" + (f" {x.email}" if x.email else "") for x in art.reporters)
            assert [a.text_content() for a in story.xpath(".//span[@class='author']/a[1]")] == \
                [f"{x.name} 기자" for x in art.reporters]
            times = story.xpath(".//time")
            assert times[0].get("datetime") == art.published.isoformat()
            assert times[0].text_content() == f"입력 {art.published:%Y-%m-%d %H:%M}"
            assert len(times) == (2 if art.modified else 1)
            assert len(story.xpath(".//figure/img")) == len(art.photos)
            assert [f.text_content() for f in story.xpath(".//figcaption")] == \
                [p.caption for p in art.photos if p.caption]
            meta = {m.get("property"): m.get("content") for m in tree.xpath("//meta[@property]")}
            url = f"{r.url}/news/article.html?no={art.id}"
            assert meta["og:url"] == url and meta["og:title"] == art.title
            assert meta["article:published_time"] == art.published.isoformat()
            assert meta.get("article:modified_time") == (
                art.modified.isoformat() if art.modified else None)
            assert tree.xpath("//link[@rel='canonical']/@href") == [url]
            ld = json.loads(tree.xpath("//script[@type='application/ld+json']")[0].text)
            assert ld["@type"] == "NewsArticle" and ld["headline"] == art.title
            assert ld["datePublished"] == art.published.isoformat()
            assert [a["name"] for a in ld["author"]] == [x.name for x in art.reporters]
            assert ld["publisher"]["name"] == "뉴미디어타임즈"
            text = tree.text_content()
            for needle in ("기상청 제공", "많이 본 뉴스", "등록된 댓글이 없습니다",
                           "청소년보호책임자", outlet()["copyright"], "powered by mediaOn"):
                assert needle in text, needle
            assert all(f"{b['name']} : {b['address']}" in text for b in outlet()["bureaus"])
            for view in ("mobile/article.html", "news/article_print.html"):
                other = lxml_html.fromstring(page(r, f"/{view}?no={art.id}"))
                assert other.xpath("//article[@class='story']//h1")[0].text_content() == art.title
        lists = page(r, "/news/article_list_all.html")
        assert lists == render.list_all_page(plain, 1)


def test_redesign_on_the_newest_articles_only():
    """``skin_newest=K``: the newest K articles moved (and every later one, generation after
    generation); older ones keep their skin byte for byte, and validators tell the skins apart."""
    with Replica(size=SIZE, skin="redesign", skin_newest=4) as r:
        ids = sorted(r.site.articles)
        plain = build_site(SIZE)
        for i in ids:
            doc = page(r, f"/news/article.html?no={i}")
            if i in ids[-4:]:
                assert '<article class="story"' in doc
            else:
                assert doc == render.article_page(plain, plain.articles[i], r.url)
        moved = fetch(f"{r.url}/news/article.html?no={ids[-1]}")[1]["etag"]
        with Replica(size=SIZE) as old:
            assert fetch(f"{old.url}/news/article.html?no={ids[-1]}")[1]["etag"] != moved
            assert fetch(f"{old.url}/news/article.html?no={ids[0]}")[1]["etag"] == \
                fetch(f"{r.url}/news/article.html?no={ids[0]}")[1]["etag"]
        r.set_generation(1)
        new = sorted(set(r.site.articles) - set(ids))
        assert len(new) == 5
        for i in ids[-4:] + new:
            assert r.site.skin_of(r.site.articles[i]) == "redesign"
        assert r.site.skin_of(r.site.articles[ids[-5]]) == "default"


@pytest.mark.parametrize("args", [("--skin", "fancy"), ("--skin-newest", "3"),
                                  ("--skin", "redesign", "--skin-newest", "0")])
def test_skin_options_are_checked(args):
    result = run(NEWSARC, "replica", "--port", "0", *args, timeout=60)
    assert result.returncode == 2, result.stderr.decode()
