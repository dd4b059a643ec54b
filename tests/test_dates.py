"""Published and modified date-times from wherever a page shows them (crawler.dates)."""

import json
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml.html import document_fromstring

from archive.timeutil import KST
from crawler.dates import labelled_dates, page_dates, parse_datetime
from newsarc.replica import render
from newsarc.replica.content import build_site

REALPAGES = Path(__file__).resolve().parents[1].parent / "shared" / "realpages"
SITE = build_site()
PUB = "2024-06-14T07:40:01+09:00"
MOD = "2024-06-15T10:05:09+09:00"


def page(body: str, head: str = "") -> str:
    return (f'<html><head><meta charset="utf-8"><title>제목</title>{head}</head>'
            f"<body>{body}</body></html>")


def dates_of(html: str, **kwargs):
    return page_dates(document_fromstring(html), **kwargs)


def meta(prop: str, value: str) -> str:
    return f'<meta property="{prop}" content="{value}">'


# --- one string ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "want"), [
    ("2024.06.14 07:40:01", "2024-06-14T07:40:01+09:00"),
    ("2024-06-14 07:40", "2024-06-14T07:40:00+09:00"),
    ("2024/06/14 07:40", "2024-06-14T07:40:00+09:00"),
    ("2024년 06월 14일 07:40", "2024-06-14T07:40:00+09:00"),
    ("2024년 6월 14일 오후 3:20", "2024-06-14T15:20:00+09:00"),
    ("2024년 6월 14일 오전 12:05", "2024-06-14T00:05:00+09:00"),
    ("2024년 6월 14일 오후 12:05", "2024-06-14T12:05:00+09:00"),
    ("2018. 02. 01. 09:28", "2018-02-01T09:28:00+09:00"),
    ("2017-08-30 (수) 07:53", "2017-08-30T07:53:00+09:00"),
    ("2024.6.4 7:05:09", "2024-06-04T07:05:09+09:00"),
    ("2024-06-14T07:40:01+09:00", "2024-06-14T07:40:01+09:00"),
    ("2024-06-13T22:40:01Z", "2024-06-14T07:40:01+09:00"),
    ("2024-06-14T00:40:01.123+02:00", "2024-06-14T07:40:01+09:00"),
    ("2024-06-14T07:40", "2024-06-14T07:40:00+09:00"),  # naive: Korea time
    ("2024.06.14 07:40-08:00", "2024-06-14T07:40:00+09:00"),  # a range, not an offset
])
def test_parse_datetime_formats(text, want):
    assert parse_datetime(text) == want
    assert parse_datetime(f"[뉴미디어타임즈] 등록 {text} | 기자") == want


@pytest.mark.parametrize("text", [
    "2018-11-13", "2018.11.13", "2024년 6월 14일", "등록일 : 2021-07-02",  # no time of day
    "2024.13.01 10:00", "2024.02.30 10:00", "2024.06.14 25:00", "2024.06.14 10:61",
    "2024-06-14T24:30:00+09:00", "2024-06-14T07:40:00+25:00", "2024년 6월 14일 오후 13:20",
    "0000.01.01 10:00", "9999-12-31T23:59:59-12:00", "", "기자 홍길동", "12:30",
    "1234.05.06 07:40", "7777-01-01T10:00:00",  # ids, not dates of a news page
])
def test_no_date_time_is_none_never_an_error(text):
    assert parse_datetime(text) is None
    assert labelled_dates(f"등록 {text} 수정 {text}") == (None, None)


@pytest.mark.parametrize(("text", "want"), [
    ("[뉴미디어타임즈] 등록 2024.06.14 07:40:01", (PUB, None)),
    ("• 등록 2024.06.14 07:40:01 | 수정 2024.06.15 10:05:09", (PUB, MOD)),
    ("수정 2024.06.15 10:05:09 | 등록 2024.06.14 07:40:01", (PUB, MOD)),  # modified first
    ("김정훈 기자 | 입력 : 2024.06.14 07:40:01", (PUB, None)),  # colon after the label
    ("기사입력:2024-06-14 07:40:01 최종수정:2024-06-15 10:05:09", (PUB, MOD)),
    ("기사승인 2024. 06. 14. 07:40:01", (PUB, None)),
    ("송고 2024/06/14 07:40:01 업데이트 2024/06/15 10:05:09", (PUB, MOD)),
    ("게재 2024년 06월 14일 07:40:01", (PUB, None)),
    ("작성 2024.06.14 07:40:01  기사수정 2024.06.15 10:05:09", (PUB, MOD)),
    ("승인 2024.06.14 07:40:01", (PUB, None)),
    ("등록일시 2024.06.14 07:40:01 수정일 : 2024.06.15 10:05:09", (PUB, MOD)),
    ("입력시간 2024.06.14 07:40:01", (PUB, None)),
    ("업데이트 2024.06.15 10:05:09", (None, MOD)),
    ("2024.06.14 07:40:01", (None, None)),  # a date with no label is not labelled
    ("등록번호 : 경기, 아52943 | 등록일 : 2021-07-02", (None, None)),
])
def test_labelled_dates_any_order_any_surroundings(text, want):
    assert labelled_dates(text) == want


def test_labelled_dates_with_other_labels():
    text = "발행 2024.06.14 07:40:01 고침 2024.06.15 10:05:09 등록 2020.01.01 00:00"
    assert labelled_dates(text, ("발행",), ("고침",)) == (PUB, MOD)
    text = "발행2차 2024.06.15 10:05:09 발행 2024.06.14 07:40:01"
    assert labelled_dates(text, ("발행",), ("발행2차",)) == (PUB, MOD)  # each label whole


FORMATS = [
    "%Y.%m.%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y년 %m월 %d일 %H:%M:%S",
    "%Y. %m. %d. %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
]


@settings(max_examples=200, deadline=None)
@given(when=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31)),
       fmt=st.sampled_from(FORMATS), before=st.text(max_size=30))
def test_any_date_time_in_any_format_reads_back(when, fmt, before):
    when = when.replace(microsecond=0, tzinfo=KST)
    shown = when.strftime(fmt)
    assert parse_datetime(shown) == when.isoformat()
    assert labelled_dates(f"{before} 등록 {shown}")[0] == when.isoformat()


@settings(max_examples=200, deadline=None)
@given(when=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31)))
def test_twelve_hour_clock(when):
    when = when.replace(second=0, microsecond=0, tzinfo=KST)
    meridiem = "오후" if when.hour >= 12 else "오전"
    hour = when.hour % 12 or 12
    shown = f"{when.year}년 {when.month}월 {when.day}일 {meridiem} {hour}:{when.minute:02d}"
    assert parse_datetime(shown) == when.isoformat()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.-/: 년월일오전후TZ+등록수정입력()", max_size=80))
def test_any_text_gives_a_valid_value_or_none(text):
    for value in (parse_datetime(text), *labelled_dates(text)):
        assert value is None or datetime.fromisoformat(value).utcoffset() == timedelta(hours=9)


# --- pages: visible text ------------------------------------------------------------------

def test_header_items_of_the_cms():
    html = page('<ul class="art_info"><li><a href="/w">홍길동 기자 hong@example.com</a></li>'
                "<li>등록 2024.06.14 07:40:01</li><li>수정 2024.06.15 10:05:09</li></ul>")
    assert dates_of(html) == (PUB, MOD)


def test_label_and_date_in_separate_elements():
    html = page('<div>원문 <span class="bar">l</span> 입력 <span class="date">2024.06.14 07:40:01'
                '</span> <span class="bar">l</span> 수정 <span class="date">2024.06.15 10:05:09'
                "</span></div>")
    assert dates_of(html) == (PUB, MOD)


def test_labelled_date_in_an_unclassed_short_element():
    html = page("<h1>제목</h1><p><b>[뉴미디어타임즈]</b> 등록 2024.06.14 07:40:01</p>")
    assert dates_of(html) == (PUB, None)


def test_unlabelled_date_next_to_a_byline():
    html = page('<p><span class="newsName">머니 홍길동 기자</span>'
                '<span class="newsDate">2019/01/16 13:59</span></p>')
    assert dates_of(html) == ("2019-01-16T13:59:00+09:00", None)


def test_labelled_date_beats_an_unlabelled_one():
    html = page('<div class="top_date">2024.06.20 09:00</div>'
                '<div class="info">입력 2024.06.14 07:40:01</div>')
    assert dates_of(html) == (PUB, None)


def test_time_shown_alone_under_the_body_when_nothing_else_tells():
    html = page('<div class="body"><p>본문 문장입니다.</p></div>'
                '<div style="text-align:right">2019-01-07 16:47</div>')
    assert dates_of(html) == ("2019-01-07T16:47:00+09:00", None)


def test_a_bare_time_elsewhere_does_not_override_the_machine_value():
    html = page('<div class="gnb"><span>2024.06.20 09:00</span></div><p>본문</p>',
                meta("article:published_time", PUB))
    assert dates_of(html) == (PUB, None)


def test_a_long_paragraph_is_no_header_item():
    text = "지난 등록 2020.03.01 10:00 기준으로 집계한 결과 " + "신청자가 크게 늘었다. " * 20
    assert dates_of(page(f"<div><p>{text}</p></div>")) == (None, None)
    assert dates_of(page(f"<div><p>{text[:40]}</p></div>"))[0] == "2020-03-01T10:00:00+09:00"


def test_header_texts_come_first():
    html = page('<div class="info">등록 2020.01.01 10:00:00</div>')
    assert dates_of(html, header_texts=["홍길동 기자", "등록 2024.06.14 07:40:01"]) == (PUB, None)
    assert dates_of(html, header_texts=[]) == ("2020-01-01T10:00:00+09:00", None)


def test_date_only_is_no_date_time():
    html = page('<div class="date">입력 2018.11.13</div>',
                '<meta itemprop="datePublished" content="2018-11-13">'
                + meta("article:published_time", "2018-11-13"))
    assert dates_of(html) == (None, None)


def test_impossible_dates_are_none():
    html = page('<div class="info">등록 2024.13.14 07:40 | 수정 2024.06.14 25:00</div>',
                meta("article:published_time", "2024-02-30T10:00:00+09:00"))
    assert dates_of(html) == (None, None)


# --- pages: what is not the article's date ------------------------------------------------

BODY = ('<div id="body"><p>지난 등록 2020.03.01 10:00 기준으로 집계했다.</p>'
        '<p class="date">2020.03.02 11:00</p><time datetime="2020-03-03T12:00:00+09:00">'
        "3일</time></div>")


def test_never_a_date_from_the_body():
    tree = document_fromstring(page(f"<h1>제목</h1>{BODY}"))
    body = tree.get_element_by_id("body")
    assert page_dates(tree)[0] is not None  # the body holds dates ...
    assert page_dates(tree, exclude=body) == (None, None)  # ... which are never taken
    tree = document_fromstring(page(f'<div class="info">등록 2024.06.14 07:40:01</div>{BODY}'))
    assert page_dates(tree, exclude=tree.get_element_by_id("body")) == (PUB, None)
    assert page_dates(tree, ["홍길동 기자"], exclude=tree.get_element_by_id("body")) == (PUB, None)


def related(n: int, cls: str = "date", label: str = "") -> str:
    items = "".join(f'<li><a href="/news/article.html?no={i}">다른 기사 {i}</a>'
                    f'<span class="{cls}">{label}2024-05-{i + 1:02d} 08:{i:02d}</span></li>'
                    for i in range(n))
    return f'<div class="box"><h3>최신 기사</h3><ul>{items}</ul></div>'


def test_a_list_of_other_articles_is_ignored():
    header = '<p class="byline">홍길동 기자 <span class="date">2024.06.14 07:40:01</span></p>'
    assert dates_of(page(related(5) + header + related(5))) == (PUB, None)
    assert dates_of(page(related(5, label="등록 ") + header)) == (PUB, None)
    assert dates_of(page(related(5))) == (None, None)
    assert dates_of(page(related(1)))[0] == "2024-05-01T08:00:00+09:00"  # one item: no list


@pytest.mark.parametrize("mark", [
    '<time datetime="2024-05-0{d}T08:00:00+09:00">{d}시간 전</time>',
    '<span itemprop="datePublished" content="2024-05-0{d}T08:00:00+09:00"></span>',
])
def test_machine_values_in_a_list_of_articles_are_ignored(mark):
    items = [f'<li><a href="/n/{d}">기사 {d}</a>{mark.format(d=d)}</li>' for d in range(1, 6)]
    assert dates_of(page(f"<ul>{''.join(items)}</ul>")) == (None, None)
    assert dates_of(page(f"<ul>{items[0]}</ul>"))[0] == "2024-05-01T08:00:00+09:00"


def test_an_element_showing_many_dates_is_a_list():
    many = " ".join(f"2024.05.{d:02d} 08:00" for d in range(1, 8))
    assert dates_of(page(f'<div class="date_list">{many}</div>')) == (None, None)


def test_comments_and_footers_are_ignored():
    html = page('<div class="comment_box"><p class="info">등록 2024.06.20 10:00</p></div>'
                '<div id="footer"><p class="info">업데이트 2024.06.21 10:00</p></div>'
                '<footer><p class="info">등록 2024.06.22 10:00</p></footer>')
    assert dates_of(html) == (None, None)


def test_scripts_are_ignored():
    html = page('<div class="info"><script>var d = "등록 2024.06.20 10:00";</script>홍길동</div>')
    assert dates_of(html) == (None, None)


# --- pages: machine-readable values -------------------------------------------------------

@pytest.mark.parametrize("head", [
    meta("article:published_time", "2024-06-14T07:40:01+09:00"),
    meta("article:published_time", "2024-06-13T22:40:01Z"),
    meta("article:published_time", "2024-06-14T07:40:01"),  # naive: Korea time
    meta("og:published_time", "2024-06-14T00:40:01+02:00"),
    '<meta name="pubdate" content="2024-06-14 07:40:01">',
    '<meta name="DC.date.issued" content="2024-06-14T07:40:01+09:00">',
    '<meta itemprop="datePublished" content="2024-06-14T07:40:01+09:00">',
])
def test_meta_published(head):
    assert dates_of(page("<p>본문</p>", head)) == (PUB, None)


def test_meta_modified_and_itemprop_on_any_element():
    html = page('<span itemprop="dateModified" datetime="2024-06-15T01:05:09Z">어제</span>',
                meta("article:published_time", PUB))
    assert dates_of(html) == (PUB, MOD)
    html = page("<p>본문</p>", meta("article:published_time", PUB)
                + meta("article:modified_time", MOD))
    assert dates_of(html) == (PUB, MOD)


def test_time_element():
    html = page('<time datetime="2024-06-14T07:40:01+09:00">6월 14일</time>'
                '<time class="updated" datetime="2024-06-15T10:05:09+09:00">6월 15일</time>')
    assert dates_of(html) == (PUB, MOD)


def ld(data) -> str:
    text = data if isinstance(data, str) else json.dumps(data)
    return f'<script type="application/ld+json">{text}</script>'


@pytest.mark.parametrize("data", [
    {"@type": "NewsArticle", "datePublished": PUB, "dateModified": MOD},
    [{"@type": "BreadcrumbList"}, {"@type": "Article", "datePublished": PUB,
                                   "dateModified": "2024-06-15T01:05:09Z"}],
    {"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage"}, {"@type": "ReportageNewsArticle", "datePublished": PUB,
                               "dateModified": MOD}]},
    {"@type": "WebPage", "datePublished": "2020-01-01T00:00:00+09:00",
     "mainEntity": {"@type": ["NewsArticle"], "datePublished": PUB, "dateModified": MOD}},
    f'{{"@type": "NewsArticle", "headline": "줄바꿈\n그대로", "datePublished": "{PUB}", '
    f'"dateModified": "{MOD}",}}',  # a raw line break and a trailing comma: not JSON
])
def test_json_ld(data):
    assert dates_of(page("<p>본문</p>", ld(data))) == (PUB, MOD)


@pytest.mark.parametrize("text", [
    "", "{", "null", "[]", '"text"', "[[[[[[[[[[[[", '{"@graph": 5}', '{"datePublished": 7}',
    '{"datePublished": "2018-11-13"}', "[" * 100000 + "]" * 100000,
])
def test_broken_json_ld_never_raises(text):
    assert dates_of(page("<p>본문</p>", ld(text))) == (None, None)


def test_header_texts_and_a_machine_value_in_the_body():
    html = page('<div id="body"><time datetime="2024-06-14T07:40:59+09:00">오늘</time></div>')
    tree = document_fromstring(html)
    header = ["등록 2024.06.14 07:40"]
    assert page_dates(tree, header) == ("2024-06-14T07:40:59+09:00", None)
    body = tree.get_element_by_id("body")
    assert page_dates(tree, header, exclude=body) == ("2024-06-14T07:40:00+09:00", None)


# --- which value wins ---------------------------------------------------------------------

def test_machine_value_adds_seconds_when_it_agrees_to_the_minute():
    html = page('<div class="info">승인 2024.06.14 07:40</div>',
                meta("article:published_time", "2024-06-13T22:40:01Z"))
    assert dates_of(html) == (PUB, None)


def test_shown_value_wins_when_they_disagree():
    html = page('<ul class="info"><li>승인 2017.08.30 07:53</li></ul>',
                meta("article:published_time", "2017-08-30T07:52:39+09:00"))
    assert dates_of(html) == ("2017-08-30T07:53:00+09:00", None)


def test_shown_seconds_are_kept():
    html = page('<div class="info">등록 2024.06.14 07:40:01</div>',
                meta("article:published_time", "2024-06-14T07:40:59+09:00"))
    assert dates_of(html) == (PUB, None)


def test_machine_value_alone_is_used_and_refined_by_another():
    html = page("<p>본문</p>", meta("article:published_time", "2024-06-14T07:40+09:00")
                + ld({"@type": "NewsArticle", "datePublished": PUB}))
    assert dates_of(html) == (PUB, None)


def test_unlabelled_shown_value_confirmed_by_the_machine_value_is_preferred():
    html = page('<div class="clock_time">2024.06.20 09:00</div>'
                '<p class="writer">홍길동 기자 2024.06.14 07:40</p>',
                meta("article:published_time", PUB))
    assert dates_of(html) == (PUB, None)


# --- the replica and real pages -----------------------------------------------------------

def test_every_replica_page_gives_its_dates_exactly():
    for art in SITE.articles.values():
        want = (art.published.isoformat(), art.modified.isoformat() if art.modified else None)
        for html in (render.article_page(SITE, art), render.mobile_article_page(SITE, art),
                     render.print_page(SITE, art)):
            tree = document_fromstring(html)
            body = tree.xpath("//*[@id='news_body_area'] | //div[@class='news_detail']")
            assert page_dates(tree) == want, art.id
            assert page_dates(tree, exclude=body[0] if body else None) == want, art.id


def test_replica_list_pages_have_no_article_date():
    for html in (render.list_all_page(SITE, 1), render.home_page(SITE)):
        assert dates_of(html) == (None, None)


def real_pages():
    if not REALPAGES.is_dir():
        return [pytest.param(None, id="realpages-missing")]
    return [pytest.param(p, id=p.stem) for p in sorted(REALPAGES.glob("*/*.html"))]


def decoded(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp949", "replace")


@pytest.mark.parametrize("path", real_pages())
def test_real_pages_of_unknown_templates(path):
    if path is None:
        pytest.skip("../shared/realpages is not there")
    truth = json.loads((REALPAGES / "truth" / f"{path.stem}.json").read_text())
    published, modified = page_dates(document_fromstring(decoded(path)))
    minute = lambda value: value and value[:16]  # noqa: E731 - truth is to the minute
    assert minute(published) == minute(truth["published"])
    assert minute(modified) == minute(truth.get("modified"))


# --- hostile input ------------------------------------------------------------------------

HOSTILE = {
    "digits and dots": "2024." * 200_000,
    "digits": "1" * 1_000_000,
    "dates without times": "2018. 02. 01. " * 75_000,
    "labels": "등록 2024.06.14 " * 65_000,
    "almost ISO": "2024-06-14T" * 90_000,
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_megabyte_of_digits_in_linear_time(text):
    start = time.perf_counter()
    parse_datetime(text)
    labelled_dates(text)
    html = page(f'<div class="info">{text}</div><p>{text}</p>', meta("date", text))
    dates_of(html)
    assert time.perf_counter() - start < 2


def test_huge_and_deep_markup_in_linear_time():
    wide = page('<div class="info">' + '<span class="date">1</span>' * 100_000 + "</div>")
    deep = page('<div class="date">' * 250 + "등록 2024.06.14 07:40:01" + "</div>" * 250)
    start = time.perf_counter()
    assert dates_of(wide) == (None, None)
    assert dates_of(deep) == (PUB, None)
    assert time.perf_counter() - start < 2
