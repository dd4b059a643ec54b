"""Extraction on every page the replica renders: bodies and metadata exact, no boilerplate."""

import dataclasses

import pytest

from archive.schema import validation_errors
from crawler.extract import Skip, extract
from newsarc.replica import render
from newsarc.replica.content import build_site, sample_article

ROOT = "http://127.0.0.1:8000"
SITE = build_site()
BOILERPLATE = ("크게보기", "저작권법", "취재본부", "기자 |", "관련기사", "기상청", "대표/발행인")


def expected(art, *, print_view=False):
    """The record the page must give; the print view shows no subtitle, section or photos."""
    return {
        "id": art.id,
        "url": f"{ROOT}/news/article.html?no={art.id}",
        "site": "뉴미디어타임즈",
        "title": art.title,
        "subtitle": None if print_view else art.subtitle,
        "section": None if print_view else art.section.name,
        "published": art.published.isoformat(),
        "modified": art.modified.isoformat() if art.modified else None,
        "authors": [{"name": r.name, "email": r.email} for r in art.reporters],
        "body": "\n\n".join(art.paragraphs),
        "images": [] if print_view else [
            {"url": ROOT + p.path, "caption": p.caption} for p in art.photos
        ],
        "language": "ko",
    }


def forbidden_in_body(art):
    strings = list(BOILERPLATE)
    strings += [r.email for r in art.reporters if r.email]
    strings += [p.caption for p in art.photos if p.caption]
    strings += [SITE.articles[n].title for n in art.related if n in SITE.articles]
    return strings


def check(page, art, url=None, **kwargs):
    record = extract(page, url or f"{ROOT}/news/article.html?no={art.id}&sc_code=S1N1#c")
    assert not isinstance(record, Skip), record
    want = expected(art, **kwargs)
    assert {k: record[k] for k in want} == want
    for string in forbidden_in_body(art):
        assert string not in record["body"], string
    assert validation_errors(record) == []
    return record


def test_replica_covers_every_template_generation():
    kinds = {(a.template, a.signature_inside) for a in SITE.articles.values()}
    assert kinds == {(t, s) for t in ("arv_001", "arv_005", "old") for s in (True, False)}


@pytest.mark.parametrize("art", sorted(SITE.articles.values(), key=lambda a: a.id),
                         ids=lambda a: f"{a.template}-{a.id}")
def test_desktop_and_mobile_pages_are_exact(art):
    check(render.article_page(SITE, art), art)
    check(render.mobile_article_page(SITE, art), art,
          url=f"{ROOT}/mobile/article.html?no={art.id}")


def test_print_view_is_exact():
    for art in list(SITE.articles.values())[:30]:
        check(render.print_page(SITE, art), art,
              url=f"{ROOT}/news/article_print.html?no={art.id}", print_view=True)


@pytest.mark.parametrize("template", ["arv_001", "arv_005", "old"])
@pytest.mark.parametrize("inside", [True, False])
def test_the_real_sample_article_in_every_generation(template, inside):
    art = dataclasses.replace(sample_article(SITE), template=template, signature_inside=inside)
    record = check(render.article_page(SITE, art), art)
    assert record["body"].startswith("이재용 삼성전자 회장은 미국 동부(뉴욕과 워싱턴) 일정을")
    assert record["body"].endswith("[출처=삼성전자]")
    assert record["published"] == "2024-06-14T07:40:01+09:00"
    assert record["authors"] == [{"name": "안용운", "email": "csijak@naver.com"}]
    assert "csijak@naver.com" not in record["body"]


def test_soft_404_and_list_pages_give_no_record():
    assert extract(render.soft_404(), f"{ROOT}/news/article.html?no=1").reason.startswith(
        "soft-404")
    assert isinstance(extract(render.list_all_page(SITE, 1), f"{ROOT}/news/article.html?no=1"),
                      Skip)
    assert isinstance(extract(render.home_page(SITE), f"{ROOT}/"), Skip)


@pytest.mark.parametrize("mend", [
    lambda page: page,
    lambda page: '<?xml version="1.0" encoding="utf-8"?>\n' + page,  # bytes path declines
    lambda page: page.replace("</p>", "\x0b</p>", 1),  # a character lxml refuses
])
def test_bytes_and_their_text_give_the_same_record(mend):
    """UTF-8 bytes are handed to the parser as they are, text as text: whichever way a
    page comes in, the record is the same, page for page."""
    for art in sorted(SITE.articles.values(), key=lambda a: a.id)[:60]:
        page = mend(render.article_page(SITE, art))
        url = f"{ROOT}/news/article.html?no={art.id}"
        record = extract(page.encode("utf-8"), url)
        assert not isinstance(record, Skip), record
        assert record == extract(page, url)
