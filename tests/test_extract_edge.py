"""Extraction on pages the replica does not serve: bad input, unknown templates, profiles."""

import gzip

import pytest

from crawler.extract import Skip, extract
from crawler.profile import PROFILE_DIR, load_profile
from crawler.skip import SkipKind

URL = "http://127.0.0.1:8000/news/article.html?no=4321"
PARAGRAPHS = [
    "경기도는 올해 하반기부터 도내 모든 시군에서 청년 기본소득 신청을 온라인으로 받는다고 밝혔다.",
    "도 관계자는 \"신청 절차가 간소화되면 더 많은 청년이 혜택을 받을 수 있을 것\"이라고 말했다.",
    "신청은 다음 달 1일부터 경기도 누리집에서 할 수 있다.",
]
COPYRIGHT = (
    "뉴미디어타임즈 모든 콘텐츠(영상,기사,사진)는 저작권법의 보호를 받는 바, "
    "무단 전재, 복사, 배포 등을 금합니다."
)
FOOTER = "대표/발행인 : 최인철 | 등록번호 : 경기, 아52943 | 수원취재본부 : 수원시 팔달구"


def unknown_template_page() -> str:
    """A skin generation the extractor was not written for: no known container at all."""
    paragraphs = "".join(
        f"<p>{'뉴미디어타임즈 김하늘 기자 | ' if i == 0 else ''}{text}</p>"
        for i, text in enumerate(PARAGRAPHS)
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>청년 기본소득 온라인 신청 시작 - 뉴미디어타임즈</title>
<meta property="article:published_time" content="2024-03-05T09:10:11+09:00">
</head><body><div class="top_menu"><a href="/">홈</a> 기상청 제공 맑음 12℃</div>
<article class="view_2025"><h1>청년 기본소득 온라인 신청 시작</h1>
<div class="text_area">{paragraphs}<p>김하늘 기자 sky@example.com</p><p>{COPYRIGHT}</p></div>
</article><div class="footer_wrap"><p>{FOOTER}</p><p>{COPYRIGHT}</p></div></body></html>"""


def test_unknown_template_falls_back_and_still_removes_boilerplate():
    record = extract(unknown_template_page(), URL)
    assert not isinstance(record, Skip), record
    assert record["body"] == "\n\n".join(PARAGRAPHS)
    assert record["title"] == "청년 기본소득 온라인 신청 시작"
    assert record["published"] == "2024-03-05T09:10:11+09:00"
    assert record["authors"] == [{"name": "김하늘", "email": "sky@example.com"}]
    for boilerplate in ("저작권법", "취재본부", "기자 |", "sky@example.com", "기상청"):
        assert boilerplate not in record["body"]


@pytest.mark.parametrize(
    ("page", "kind", "reason"),
    [
        (b"", SkipKind.EMPTY, "empty page"),
        (b"   \n\t ", SkipKind.EMPTY, "empty page"),
        (gzip.compress(b"<html>" * 500), SkipKind.BINARY, "binary data"),
        (bytes(range(256)) * 20, SkipKind.BINARY, "binary data"),
        ("<script>window.alert('기사번호가 누락되어 있거나 잘못된 접근입니다.'); "
         "window.location='/';</script>", SkipKind.SOFT_404, "soft-404"),
        ("just some words, no markup at all", SkipKind.NOT_HTML, "not HTML"),
    ],
)
def test_bad_input_is_a_clear_skip(page, kind, reason):
    result = extract(page, URL)
    assert isinstance(result, Skip)
    assert result.kind is kind
    assert result.reason.startswith(reason)


def test_truncated_page_is_skipped_not_half_recorded():
    page = unknown_template_page()
    result = extract(page[: len(page) // 2], URL)
    assert isinstance(result, Skip)
    assert result.kind is SkipKind.TRUNCATED and result.retryable
    assert result.reason.startswith("truncated HTML")


def test_page_without_body_text():
    page = ('<html><head><title>x - 뉴미디어타임즈</title></head><body>'
            '<div class="arv_001_01"><div class="art_top"><h2>제목만 있는 기사</h2></div>'
            '<div id="news_body_area"><div>&nbsp;</div></div></div></body></html>')
    result = extract(page, URL)
    assert result == Skip(SkipKind.NO_BODY, "no body text")


def test_list_page_is_not_an_article():
    page = ('<html><body><div class="ara_001"><ul class="art_list_all"><li>'
            '<a href="/news/article.html?no=1"><h2>제목</h2></a></li></ul></div></body></html>')
    assert extract(page, "http://127.0.0.1:8000/news/article_list_all.html?page=1") == Skip(
        SkipKind.NOT_ARTICLE, "not an article page: no headline and no body")


def test_article_number_comes_from_canonical_link_when_no_url_given():
    page = unknown_template_page().replace(
        "</head>", '<link rel="canonical" href="http://127.0.0.1:8000/news/article.html?no=55">'
        "</head>")
    record = extract(page)
    assert record["id"] == 55
    assert record["url"] == "http://127.0.0.1:8000/news/article.html?no=55"
    assert isinstance(extract(unknown_template_page()), Skip)


def test_euc_kr_bytes_are_decoded_from_the_declared_charset():
    page = unknown_template_page().replace('charset="utf-8"', 'charset="euc-kr"')
    record = extract(page.encode("cp949"), URL)
    assert record["body"] == "\n\n".join(PARAGRAPHS)


def test_another_outlet_is_a_profile_file(tmp_path):
    text = (PROFILE_DIR / f"{load_profile().key}.toml").read_text(encoding="utf-8")
    other = text.replace("뉴미디어타임즈", "경기일보통신")
    path = tmp_path / "gyeonggi.toml"
    path.write_text(other, encoding="utf-8")
    profile = load_profile(str(path))
    page = unknown_template_page().replace("뉴미디어타임즈", "경기일보통신")
    record = extract(page, URL, profile=profile)
    assert record["site"] == "경기일보통신"
    assert record["title"] == "청년 기본소득 온라인 신청 시작"
    assert record["body"] == "\n\n".join(PARAGRAPHS)


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown outlet profile"):
        load_profile("no-such-outlet")


def test_whitespace_is_squeezed_exactly_as_a_regular_expression_would():
    """Paragraphs are normalized with ``str.split`` (three times as fast as ``\\s+``): it
    must treat every code point as the expression does, no-break and ideographic spaces,
    line and paragraph separators included."""
    import re
    import sys

    from crawler.pagemeta import squeeze as _squeeze

    space = re.compile(r"\s+")
    spaces = [chr(c) for c in range(sys.maxunicode + 1)
              if c not in range(0xD800, 0xE000) and space.fullmatch(chr(c))]
    assert {"\xa0", "\u3000", "\u2028", "\x1c"} <= set(spaces)
    assert spaces == [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    words = "가나다라마바사아자차카타파하" * 20
    text = "".join(f"{w}{s}{s}" for w, s in zip(words[:len(spaces)], spaces, strict=True))
    assert _squeeze(" \xa0" + text) == space.sub(" ", text).strip()


def test_byline_prefix_after_leading_spaces_or_mid_line_is_removed():
    from crawler.extract import _clean_paragraphs
    from crawler.profile import load_profile

    profile = load_profile("newmediatimes")
    lines = ["  \u3000뉴미디어타임즈 김하늘 기자 | 첫 문단이다.",
             "사진 설명이 붙은 문장 [경기] 뉴미디어타임즈 김하늘 기자 | 둘째 문단이다."]
    paragraphs, _authors = _clean_paragraphs(lines, profile, set(), [], [])
    assert paragraphs == ["첫 문단이다.", "사진 설명이 붙은 문장 둘째 문단이다."]
