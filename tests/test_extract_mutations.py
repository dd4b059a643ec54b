"""Extraction of replica article pages re-dressed the ways editors and mediaOn skins do.

``tests/dressing.py`` rebuilds a replica page's article block with another skin's class
names, other byline leads (``[뉴미디어타임즈=홍길동 기자]``,
``(서울=뉴미디어타임즈) 홍길동 기자 =``, …), signatures (기자 / 특파원 / 인턴기자, zero to two
e-mails, as text or mailto links, with ``|`` ``·`` ``/`` ``=`` ``▶`` separators, inside the
body or after it), captions (figcaption, div, table, span), paragraphs (``<p>``, ``<div>``,
``<br>`` runs), wrapper divs, no-break and full-width spaces, a header without e-mail, and
dates in other forms and orders.

Whatever the dress, ``extract`` must return the reporter's paragraphs exactly, with no
lead, signature, e-mail, caption, zoom label, copyright or footer text in the body, and the
metadata the page shows: title, published and modified (without seconds where the page
shows none), the first reporter's name and e-mail (from the signature when the header has
none).  Each family of dresses has its own property, so a failure names the form the
extractor misses; the last property combines them all.  The first tests check the dresser
itself: its plain dress is the replica's markup, and every dressed page shows what it
claims.  The redesigned replica skin (``build_site(skin="redesign")``) is extracted last.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.schema import validation_errors
from crawler.extract import Skip, extract
from newsarc.replica import redesign, render
from newsarc.replica.content import Article, build_site, outlet

from . import dressing
from .dressing import Dress

SITE = build_site()
REDESIGNED = build_site(skin="redesign")
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _articles() -> list[Article]:
    """Single-reporter articles of every shape that matters here, and the real sample."""
    chosen: dict[tuple, Article] = {}
    for art in sorted(SITE.articles.values(), key=lambda a: a.id):
        if len(art.reporters) != 1:
            continue
        shape = (art.reporters[0].email is None, art.modified is None,
                 tuple(p.caption is None for p in art.photos), len(art.paragraphs) < 4)
        chosen.setdefault(shape, art)
    chosen[("sample",)] = SITE.articles[SITE.sample_id]
    return sorted(chosen.values(), key=lambda a: a.id)


ARTICLES = _articles()
WITH_PHOTOS = [a for a in ARTICLES if any(p.caption for p in a.photos)]
WITH_EMAIL = [a for a in ARTICLES if a.reporters[0].email]
EDITED = [a for a in ARTICLES if a.modified]


class Dressed:
    """A dressed page and what it must give (a plain class: hypothesis prints the short
    repr, the article and the dress fields that differ from the replica's, not the page)."""

    def __init__(self, art: Article, dress: Dress) -> None:
        self.art = art
        self.dress = dress
        self.html = dressing.dress_page(SITE, art, dress)
        self.url = dressing.article_url(art)

    def __repr__(self) -> str:
        changed = {f.name: getattr(self.dress, f.name) for f in dataclasses.fields(Dress)
                   if getattr(self.dress, f.name) != f.default}
        return f"Dressed(art={self.art.id}, {changed})"


FALSE_FIRST = st.sampled_from((False, True))  # the replica's own value first: shrinks to it
FAMILIES: dict[str, dict[str, st.SearchStrategy]] = {
    "lead": {"lead": st.sampled_from(dressing.LEADS), "space": st.sampled_from(dressing.SPACES),
             "bar": st.sampled_from(dressing.BARS)},
    "role": {"role": st.sampled_from(dressing.ROLES)},
    "signature": {"signature": st.sampled_from(dressing.SIGNATURES),
                  "sig_separator": st.sampled_from(dressing.SIG_SEPARATORS),
                  "sig_emails": st.integers(0, 2), "sig_mailto": FALSE_FIRST,
                  "bar": st.sampled_from(dressing.BARS), "space": st.sampled_from(dressing.SPACES)},
    "header_email": {"header_email": st.just(False),
                     "signature": st.sampled_from(dressing.SIGNATURES),
                     "sig_separator": st.sampled_from(dressing.SIG_SEPARATORS),
                     "sig_emails": st.integers(0, 2), "sig_mailto": FALSE_FIRST},
    "caption": {"caption": st.sampled_from(dressing.CAPTIONS),
                "zoom": st.sampled_from((True, False))},
    "paragraphs": {"paragraphs": st.sampled_from(dressing.PARAGRAPHS),
                   "inner_wrappers": st.integers(0, 2), "outer_wrappers": st.integers(0, 1)},
    "skin": {"skin": st.sampled_from(dressing.SKINS), "inner_wrappers": st.integers(0, 1),
             "outer_wrappers": st.integers(0, 1)},
    "dates": {"date_format": st.sampled_from(list(dressing.DATE_FORMATS)),
              "date_layout": st.sampled_from(dressing.DATE_LAYOUTS),
              "published_label": st.sampled_from(dressing.PUBLISHED_LABELS),
              "modified_label": st.sampled_from(dressing.MODIFIED_LABELS)},
}
POOLS = {"signature": WITH_EMAIL, "header_email": WITH_EMAIL, "caption": WITH_PHOTOS,
         "dates": EDITED}


@st.composite
def dressed(draw: st.DrawFn, *families: str) -> Dressed:
    """A page of a drawn article, dressed in the given families (all when none are named);
    every other field keeps the replica's markup."""
    names = families or tuple(FAMILIES)
    pool = POOLS.get(names[0], ARTICLES) if len(names) == 1 else ARTICLES
    art = draw(st.sampled_from(pool))
    fields: dict[str, Any] = {}
    if len(names) > 1:  # combined: the header keeps its e-mail or not
        fields["header_email"] = draw(st.sampled_from((True, False)))
    for name in names:
        for field, strategy in FAMILIES[name].items():
            if field not in fields:
                fields[field] = draw(strategy)
    return Dressed(art, Dress(**fields))


def leaks(body: str, case: Dressed) -> list[str]:
    return [s for s in dressing.forbidden(case.art, case.dress) if s in body]


def check(case: Dressed) -> dict[str, Any]:
    """Everything the record must say about the dressed page; boilerplate first, since a
    leak is the clearer message."""
    record = extract(case.html, case.url)
    assert not isinstance(record, Skip), record
    assert validation_errors(record) == []
    want = dressing.expected(case.art, case.dress)
    assert leaks(record["body"], case) == []
    assert record["body"] == want["body"]
    assert record["title"] == want["title"]
    assert record["published"] == want["published"]
    assert record["modified"] == want["modified"]
    assert record["authors"][:1] == [want["first_author"]]
    return record


# --- the dresser ---------------------------------------------------------------------------

def _text(html: str, xpath: str) -> str:
    nodes = lxml.html.document_fromstring(html).xpath(xpath)
    return " ".join(" ".join(n.text_content() for n in nodes).split())


@pytest.mark.parametrize("art", ARTICLES, ids=lambda a: str(a.id))
def test_the_plain_dress_is_the_replicas_markup(art):
    """Dressed plainly, a page shows what the replica renders: header items, body text,
    photos, and in the same places."""
    plain = dressing.dress_page(SITE, art, Dress())
    replica = render.article_page(SITE, dressing.base_article(art))
    for xpath in ("//ul[@class='art_info']", "//div[@id='news_body_area']",
                  "//div[@class='arv_001_01']", "//body"):
        assert _text(plain, xpath) == _text(replica, xpath), xpath
    for xpath in ("//div[@id='news_body_area']//img/@src",
                  "//div[@id='news_body_area']//figcaption"):
        tree, mine = (lxml.html.document_fromstring(p) for p in (replica, plain))
        assert [str(x) if isinstance(x, str) else x.text for x in tree.xpath(xpath)] == \
            [str(x) if isinstance(x, str) else x.text for x in mine.xpath(xpath)]


def test_the_plain_dress_extracts_exactly():
    """The baseline of every property: undressed, each article gives its truth."""
    for art in ARTICLES:
        check(Dressed(art, Dress()))


@PROPERTY
@given(dressed())
def test_dressed_pages_show_what_they_claim(case):
    """The page holds each paragraph, the lead, the signature, every caption and the dates
    in the dressed forms (so a failing property is the extractor's, not the dresser's)."""
    art, dress = case.art, case.dress
    root = lxml.html.document_fromstring(case.html)
    body = root.xpath("//div[@id='news_body_area'] | //div[@class='news_detail']")
    assert len(body) == 1
    text = body[0].text_content()
    page = root.text_content()
    first = dressing.lead_text(art, dress) + art.paragraphs[0]
    assert first in text
    for para in art.paragraphs[1:]:
        assert para in text
    for photo in art.photos:
        assert len(body[0].xpath(".//img[@src=$s]", s=photo.path)) == 1
        if photo.caption:
            assert photo.caption in text
    sig = dressing.signature_text(art, dress)
    assert (sig in text.replace(first, "")) == (dress.signature == "inside")
    assert sig in page
    assert page.count(outlet()["copyright"]) == 2  # after the body, and in the footer
    assert dressing.date_text(art.published, dress) in page
    if art.modified:
        assert dressing.date_text(art.modified, dress) in page
    for email in dressing.signature_emails(art, dress):
        assert email in page
        mailto = root.xpath("//a[@href=$h]", h=f"mailto:{email}")
        assert bool(mailto) == dress.sig_mailto
    header = root.xpath("//ul[@class='art_info' or @class='info']")[0].text_content()
    email = art.reporters[0].email
    assert (email is not None and email in header) == (dress.header_email and bool(email))
    assert f"{art.reporters[0].name}{dress.space}{dress.role}" in header


# --- the properties ------------------------------------------------------------------------

@PROPERTY
@given(dressed("lead"))
def test_byline_leads_are_cut_from_the_first_paragraph(case):
    check(case)


@PROPERTY
@given(dressed("role"))
def test_correspondents_and_interns_are_reporters(case):
    check(case)


@PROPERTY
@given(dressed("signature"))
def test_signatures_stay_out_of_the_body(case):
    check(case)


@PROPERTY
@given(dressed("header_email"))
def test_the_email_comes_from_the_signature_when_the_header_has_none(case):
    check(case)


@PROPERTY
@given(dressed("caption"))
def test_captions_stay_out_of_the_body(case):
    check(case)


@PROPERTY
@given(dressed("paragraphs"))
def test_paragraph_markup_and_wrappers_keep_the_body(case):
    check(case)


@PROPERTY
@given(dressed("skin"))
def test_other_mediaon_skins_keep_the_body_and_metadata(case):
    check(case)


@PROPERTY
@given(dressed("dates"))
def test_dates_in_other_forms_and_orders(case):
    check(case)


@PROPERTY
@given(dressed())
def test_all_dresses_combined(case):
    check(case)


# --- the redesigned skin -------------------------------------------------------------------

def _redesign_cases() -> list[Article]:
    """One redesigned article per template and signature place, edited ones, and the sample."""
    chosen: dict[tuple, Article] = {}
    for art in sorted(REDESIGNED.articles.values(), key=lambda a: a.id):
        chosen.setdefault((art.template, art.modified is None, len(art.reporters),
                           art.reporters[0].email is None), art)
    chosen[("sample",)] = REDESIGNED.articles[REDESIGNED.sample_id]
    return sorted(chosen.values(), key=lambda a: a.id)


REDESIGN_CASES = _redesign_cases()
VIEWS = {"desktop": (render.article_page, "news/article.html"),
         "mobile": (render.mobile_article_page, "mobile/article.html"),
         "print": (render.print_page, "news/article_print.html")}


def _redesigned_record(art: Article, view: str) -> dict[str, Any]:
    page_of, path = VIEWS[view]
    page = page_of(REDESIGNED, art)
    assert 'class="story"' in page
    record = extract(page, f"{dressing.ROOT}/{path}?no={art.id}")
    assert not isinstance(record, Skip), record
    return record


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("art", REDESIGN_CASES, ids=lambda a: str(a.id))
def test_the_redesigned_replica_falls_back_and_stays_exact(art, view):
    """A relaunched skin no profile knows: the whole-page fallback must still give the
    title, the publication date, the reporters and the clean body (no lead, signature,
    caption or chrome)."""
    record = _redesigned_record(art, view)
    assert validation_errors(record) == []
    assert record["extraction"]["method"] == "fallback"
    body = "\n\n".join(art.paragraphs)
    chrome = ["크게보기", "저작권법", "취재본부", "기상청", "대표/발행인", "관련기사",
              "많이 본 뉴스", "댓글", redesign.lead(art).strip()]
    chrome += [r.email for r in art.reporters if r.email]
    chrome += [p.caption for p in art.photos if p.caption]
    assert [s for s in chrome if s in record["body"] and s not in body] == []
    assert record["body"] == body
    assert record["title"] == art.title
    assert record["published"] == art.published.isoformat()
    assert record["authors"] == [{"name": r.name, "email": r.email} for r in art.reporters]


@pytest.mark.parametrize("art", REDESIGN_CASES, ids=lambda a: str(a.id))
def test_the_redesigned_replica_gives_modified_only_for_edited_articles(art):
    """The redesign's JSON-LD gives ``dateModified`` equal to ``datePublished`` on articles
    never edited (as schema.org publishers commonly do); only an edit is a modification:
    ``article:modified_time`` and the visible 수정 time appear on edited articles alone."""
    record = _redesigned_record(art, "desktop")
    assert record["modified"] == (art.modified.isoformat() if art.modified else None)
