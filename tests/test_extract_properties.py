"""Property-based tests of ``crawler.extract.extract`` (hypothesis).

Replica pages are parsed with lxml, mutated (elements deleted, duplicated, reordered or
truncated, picked by index over ``tree.iter()``), serialized, sometimes re-encoded (CP949 /
EUC-KR with the meta charset changed or removed, UTF-8 with a BOM, UTF-16) or cut at an
arbitrary byte offset, and extracted.  On every input:

- ``extract`` never raises;
- it returns a record valid against the JSON Schema, or a ``Skip`` with a reason;
- a record's body holds no boilerplate: zoom label, copyright line, bureau addresses,
  byline prefix, the reporter's e-mail, a caption, a related-article title, ...

Where a mutation leaves the body container and its paragraphs alone (sidebar, footer,
header or reporter box deleted, duplicated or reordered; photos, ads, related box or
signature inside the body deleted, duplicated or moved; any re-encoding; stray control
characters anywhere) the body must still equal the true paragraphs exactly.  Arbitrary
bytes, arbitrary text and pages put together from the CMS's parts (with broken dates,
URLs and image sources) must give valid records or skips.  The tests at the end pin the
bugs these properties found.

Runs are deterministic (``derandomize=True``, no example database); set
``NEWSARC_PROPERTY_EXAMPLES`` to run more examples per property and
``NEWSARC_PROPERTY_RANDOM=1`` to draw new ones.  ``bench/fuzz_extract.py`` reuses the
strategies below for a long fuzz run.
"""

from __future__ import annotations

import copy
import os
import re
from html import escape as html_escape
from typing import Any

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.schema import validation_errors
from crawler.extract import Skip, extract
from crawler.skip import SkipKind
from crawler.urls import ARTICLE_PATHS
from newsarc.replica import render
from newsarc.replica.content import Article, build_site, outlet, signature

ROOT = "http://127.0.0.1:8000"
SITE = build_site()
BOILERPLATE = ("크게보기", "저작권법", "취재본부", "기자 |", "관련기사", "기상청", "대표/발행인")
EXAMPLES = int(os.environ.get("NEWSARC_PROPERTY_EXAMPLES", "200"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("NEWSARC_PROPERTY_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- the pages ----------------------------------------------------------------------------

class Case:
    """One rendered replica page and what extraction must give for it (a plain class, so
    that hypothesis reports a failing case by its short repr, not the whole page)."""

    def __init__(self, kind: str, art: Article, html: str, url: str) -> None:
        self.kind = kind  # "desktop" | "mobile" | "print"
        self.art = art
        self.html = html
        self.url = url

    def __repr__(self) -> str:
        return f"Case({self.kind!r}, art={self.art.id}, template={self.art.template!r})"

    @property
    def body(self) -> str:
        return "\n\n".join(self.art.paragraphs)

    @property
    def container_xpath(self) -> str:
        return {"desktop": "//div[@id='news_body_area']",
                "mobile": "//div[contains(@class, 'news_detail')]",
                "print": "//div[contains(@class, 'print_body')]"}[self.kind]

    @property
    def headline_xpath(self) -> str:
        return {"desktop": "//div[contains(@class, 'art_top')]//h2",
                "mobile": "//div[contains(@class, 'news_top')]//h3",
                "print": "//div[contains(@class, 'print_wrap')]/h2"}[self.kind]


def _articles() -> list[Article]:
    """One article of every shape the replica renders, and the real sample article."""
    chosen: dict[tuple, Article] = {}
    for art in sorted(SITE.articles.values(), key=lambda a: a.id):
        shape = (art.template, art.signature_inside, bool(art.related), art.ad_in_body,
                 any(p.caption for p in art.photos), len(art.reporters) > 1,
                 any(r.email is None for r in art.reporters))
        chosen.setdefault(shape, art)
    chosen[("sample",)] = SITE.articles[SITE.sample_id]
    return sorted(chosen.values(), key=lambda a: a.id)


def _cases() -> list[Case]:
    cases = []
    for i, art in enumerate(_articles()):
        cases.append(Case("desktop", art, render.article_page(SITE, art),
                          f"{ROOT}/news/article.html?no={art.id}&sc_code=S1N1"))
        cases.append(Case("mobile", art, render.mobile_article_page(SITE, art),
                          f"{ROOT}/mobile/article.html?no={art.id}"))
        if i % 4 == 0:
            cases.append(Case("print", art, render.print_page(SITE, art),
                              f"{ROOT}/news/article_print.html?no={art.id}"))
    return cases


CASES = _cases()


def forbidden_in_body(art: Article) -> list[str]:
    """Strings a body must never hold: boilerplate, e-mails, captions, related titles."""
    strings = list(BOILERPLATE)
    strings += [r.email for r in art.reporters if r.email]
    strings += [p.caption for p in art.photos if p.caption]
    strings += [SITE.articles[n].title for n in art.related if n in SITE.articles]
    return strings


def leaks(record: dict[str, Any] | Skip, art: Article) -> list[str]:
    """The forbidden strings a record's body holds (none for a skip)."""
    if isinstance(record, Skip):
        return []
    return [s for s in forbidden_in_body(art) if s in record["body"]]


def problems(record: Any) -> list[str]:
    """What is wrong with an extraction result whatever the input: a skip without a reason,
    a record that breaks the schema, or something that is neither."""
    if isinstance(record, Skip):
        return [] if isinstance(record.reason, str) and record.reason.strip() else ["no reason"]
    if isinstance(record, dict):
        return validation_errors(record)
    return [f"neither a record nor a Skip: {type(record).__name__}"]


# --- tree mutations -----------------------------------------------------------------------

def parse(html: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(html)


def serialize(tree: lxml.html.HtmlElement) -> str:
    return "<!DOCTYPE html>\n" + lxml.html.tostring(tree, encoding="unicode")


def elements(tree: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return [el for el in tree.iter() if isinstance(el.tag, str)]


def _detach(el: lxml.html.HtmlElement) -> None:
    """Take ``el`` out of the tree, leaving its tail text where it was."""
    el.drop_tree()
    el.tail = None


def apply(tree: lxml.html.HtmlElement, op: str, el: lxml.html.HtmlElement, a: int, b: int,
          keep_tail: bool = False) -> None:
    """Apply one mutation to ``el`` (never the root).  ``a`` and ``b`` are free integers.

    delete: the element and its subtree go (its tail text stays, as with ``drop_tree``);
    duplicate: a deep copy follows it (with its tail unless ``keep_tail``);
    reorder: it moves to sibling position ``a`` (its tail with it unless ``keep_tail``);
    truncate: its children from ``a`` on go, its text is cut at ``b``.
    """
    parent = el.getparent()
    if parent is None:
        return
    if op == "delete":
        el.drop_tree()
    elif op == "duplicate":
        twin = copy.deepcopy(el)
        if keep_tail:
            twin.tail = None
        el.addnext(twin)
    elif op == "reorder":
        position = a % len(parent)
        if keep_tail:
            _detach(el)
            parent.insert(min(position, len(parent)), el)
        else:
            parent.insert(position, el)
    elif op == "truncate":
        del el[a % (len(el) + 1):]
        if el.text:
            el.text = el.text[: b % (len(el.text) + 1)]
    else:  # pragma: no cover
        raise ValueError(op)


OPS = ("delete", "duplicate", "reorder", "truncate")


def _ancestors_or_self(el: lxml.html.HtmlElement) -> set[lxml.html.HtmlElement]:
    found = set()
    while el is not None:
        found.add(el)
        el = el.getparent()
    return found


_BOX_CLASS = re.compile(r"related|photo|zoom|caption|ad_|adsbygoogle")


def intact_targets(tree: lxml.html.HtmlElement, case: Case) -> list[lxml.html.HtmlElement]:
    """Elements whose deletion, duplication or reordering leaves the body text alone.

    The page chrome (everything neither inside nor around the body container and the
    headline) and, inside the container, the boxes the body is cut free of: photos,
    captions, zoom controls, ads, related boxes, signature and copyright.
    """
    container = tree.xpath(case.container_xpath)[0]
    headline = tree.xpath(case.headline_xpath)[0]
    around = _ancestors_or_self(container) | _ancestors_or_self(headline)
    inside = set(container.iter()) | set(headline.iter())
    chrome = [el for el in elements(tree) if el not in around and el not in inside]
    texts = {signature(case.art), outlet()["copyright"]}
    boxes = [
        el for el in container.iterdescendants()
        if isinstance(el.tag, str) and (
            el.tag in ("figure", "figcaption", "script", "ins")
            or _BOX_CLASS.search(el.get("class", ""))
            or (el.text_content().strip() in texts and not len(el)))
    ]
    return chrome + boxes


@st.composite
def mutated_pages(draw, max_ops: int = 4) -> tuple[str, Case, list[tuple]]:
    """A replica page with 1..max_ops arbitrary mutations: (html, case, ops applied)."""
    case = draw(st.sampled_from(CASES))
    tree = parse(case.html)
    done = []
    for _ in range(draw(st.integers(1, max_ops))):
        els = elements(tree)
        index = draw(st.integers(0, len(els) - 1))
        op = draw(st.sampled_from(OPS))
        a, b = draw(st.integers(0, 50)), draw(st.integers(0, 400))
        apply(tree, op, els[index], a, b)
        done.append((op, els[index].tag, els[index].get("class"), a, b))
    return serialize(tree), case, done


@st.composite
def intact_mutated_pages(draw, max_ops: int = 4) -> tuple[str, Case, list[tuple]]:
    """A replica page with 1..max_ops mutations that leave the body text alone."""
    case = draw(st.sampled_from(CASES))
    tree = parse(case.html)
    done = []
    for _ in range(draw(st.integers(1, max_ops))):
        targets = intact_targets(tree, case)
        if not targets:
            break
        el = targets[draw(st.integers(0, len(targets) - 1))]
        op = draw(st.sampled_from(("delete", "duplicate", "reorder")))
        a = draw(st.integers(0, 50))
        apply(tree, op, el, a, 0, keep_tail=True)
        done.append((op, el.tag, el.get("class"), a))
    return serialize(tree), case, done


# Characters lxml parses but will not set again; a browser shows none of them.
STRAY = ("\x01", "\x08", "\x0b", "\x1b", "\x1f", "\ufffe", "\uffff", "&#1;", "&#x1F;",
         "&#65535;", "&#xfffe;", "&#11;", "&#x000b;")
_MARK = "\ue000"


@st.composite
def stray_character_pages(draw, max_chars: int = 4) -> tuple[str, Case, list[str]]:
    """A replica page with control characters (raw or as character references) put into
    texts anywhere, the body's paragraphs and the byline included."""
    case = draw(st.sampled_from(CASES))
    tree = parse(case.html)
    slots = [(el, attr) for el in elements(tree) for attr in ("text", "tail")
             if (getattr(el, attr) or "").strip()]
    for _ in range(draw(st.integers(1, max_chars))):
        el, attr = slots[draw(st.integers(0, len(slots) - 1))]
        value = getattr(el, attr)
        at = draw(st.integers(0, len(value)))
        setattr(el, attr, value[:at] + _MARK + value[at:])
    page = serialize(tree)
    chars = [draw(st.sampled_from(STRAY)) for _ in range(page.count(_MARK))]
    for char in chars:
        page = page.replace(_MARK, char, 1)
    return page, case, chars


# --- encodings ----------------------------------------------------------------------------

# (codec the page is written in, errors, labels the meta tag or the HTTP header may give)
ENCODINGS = {
    "utf-8": ("xmlcharrefreplace", ("utf-8", "UTF8", None)),
    "utf-8-sig": ("xmlcharrefreplace", ("utf-8", "euc-kr", None)),
    "cp949": ("xmlcharrefreplace",
              ("euc-kr", "cp949", "ks_c_5601-1987", "x-windows-949", "utf-8", None)),
    "euc-kr": ("xmlcharrefreplace", ("euc-kr", "EUC-KR", "utf-8", None)),
    "utf-16": ("xmlcharrefreplace", ("utf-16", "utf-8", None)),
}


def set_meta_charset(tree: lxml.html.HtmlElement, label: str | None, style: str) -> None:
    """Change the page's declared charset to ``label`` (``None``: remove the declaration)."""
    for meta in tree.xpath("//meta[@charset] | //meta[@http-equiv]"):
        if meta.get("charset") is not None or "charset" in meta.get("content", "").lower():
            meta.drop_tree()
    if label is None:
        return
    head = tree.find("head")
    if head is None:
        head = lxml.html.Element("head")
        tree.insert(0, head)
    if style == "http-equiv":
        meta = lxml.html.Element("meta", {"http-equiv": "Content-Type",
                                          "content": f"text/html; charset={label}"})
    else:
        meta = lxml.html.Element("meta", {"charset": label})
    head.insert(0, meta)


@st.composite
def encoded_pages(draw, tree_for=None) -> tuple[bytes | str, str | None, Case, tuple]:
    """A replica page as bytes in another encoding, its meta charset changed or removed,
    with or without an HTTP Content-Type header: (page, content_type, case, what was done)."""
    case = draw(st.sampled_from(CASES))
    tree = parse(case.html)
    codec = draw(st.sampled_from(sorted(ENCODINGS)))
    errors, labels = ENCODINGS[codec]
    meta = draw(st.sampled_from(labels))
    set_meta_charset(tree, meta, draw(st.sampled_from(("charset", "http-equiv"))))
    header_label = draw(st.sampled_from((None, "", meta, *labels)))
    content_type = None if header_label is None else (
        "text/html" if header_label == "" else f"text/html; charset={header_label}")
    text = serialize(tree)
    if codec == "utf-8" and draw(st.booleans()):
        return "\ufeff" + text, None, case, ("str with BOM", meta)  # text with a BOM
    page = text.encode(codec, errors)
    return page, content_type, case, (codec, meta, content_type)


# --- properties ---------------------------------------------------------------------------

def run(page: str | bytes, url: str | None, content_type: str | None = None) -> Any:
    return extract(page, url, content_type=content_type)


def check_general(record: Any, art: Article) -> None:
    assert problems(record) == [], problems(record)
    assert leaks(record, art) == [], leaks(record, art)


def check_exact(record: Any, case: Case) -> None:
    assert not isinstance(record, Skip), record
    assert problems(record) == [], problems(record)
    assert record["body"] == case.body
    assert leaks(record, case.art) == []


def test_unmutated_pages_round_trip_through_lxml():
    for case in CASES:
        check_exact(run(serialize(parse(case.html)), case.url), case)


@PROPERTY
@given(mutated_pages())
def test_mutated_pages_never_raise_nor_leak_boilerplate(sample):
    page, case, _ops = sample
    check_general(run(page, case.url), case.art)


@PROPERTY
@given(intact_mutated_pages())
def test_mutations_outside_the_body_keep_the_body_exact(sample):
    page, case, _ops = sample
    check_exact(run(page, case.url), case)


@PROPERTY
@given(stray_character_pages())
def test_stray_control_characters_keep_the_body_exact(sample):
    page, case, _chars = sample
    check_exact(run(page, case.url), case)


@PROPERTY
@given(encoded_pages())
def test_reencoded_pages_keep_the_body_exact(sample):
    page, content_type, case, _how = sample
    check_exact(run(page, case.url, content_type), case)


@PROPERTY
@given(st.sampled_from(CASES), st.sampled_from(("utf-8", "cp949")), st.data())
def test_pages_cut_at_any_byte(case, codec, data):
    page = case.html.replace('charset="utf-8"', f'charset="{codec}"')
    page = page.encode(codec, "xmlcharrefreplace")
    offset = data.draw(st.integers(0, len(page)))
    cut = page[:offset]
    if data.draw(st.booleans()):
        cut += b"</body></html>"  # closed again: the parser sees a short, well-ended page
    check_general(run(cut, case.url), case.art)


@PROPERTY
@given(mutated_pages(max_ops=2), st.sampled_from(("utf-8-sig", "cp949", "euc-kr")),
       st.sampled_from(("euc-kr", None, "utf-8")))
def test_mutated_and_reencoded(sample, codec, label):
    page, case, _ops = sample
    tree = parse(page)
    set_meta_charset(tree, label, "charset")
    data = serialize(tree).encode(codec, "xmlcharrefreplace")
    check_general(run(data, case.url), case.art)


# --- arbitrary input ----------------------------------------------------------------------

def _one_of_texts(*samples: str, max_size: int = 30) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(samples), st.text(max_size=max_size))


WORDS = _one_of_texts(
    "이재용 삼성전자 회장은 미국 동부 일정을 마쳤다.",
    "도 관계자는 \"신청 절차를 간소화하겠다\"고 말했다.",
    "뉴미디어타임즈 홍길동 기자 | 본문이 이어진다.", "[수원=뉴미디어타임즈 홍길동 기자 | ]",
    "홍길동 기자 hong@example.com", "홍길동·김하늘 기자", "hong@example.com", "크게보기",
    "관련기사", "대표/발행인 : 최인철 | 등록번호 : 경기, 아52943", "수원취재본부 : 수원시 팔달구",
    "뉴미디어타임즈 모든 콘텐츠(영상,기사,사진)는 저작권법의 보호를 받는 바, 무단 전재, 복사, "
    "배포 등을 금합니다.", "기상청 제공", "청소년보호책임자 : 안용운", "powered by mediaOn",
    "[사진=경기도청]", "&nbsp;", "", " ", "\x00",
    "\ufeff", "\ud800", "<", "&", "&#0;", "&#xD800;", "&#x110000;", "\u2028", "a" * 200,
)
DATES = _one_of_texts(
    "2024-06-14T07:40:01+09:00", "2024-06-14", "2024-06-14T07:40:01", "2024-06-14T07:40:01.5Z",
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "0000-00-00", "2024-W24-5",
    "20240614T074001", "2024-02-30T00:00:00", "not a date", "",
)
LABELLED = _one_of_texts(
    "등록 2024.06.14 07:40:01", "등록 2024-06-14 07:40", "입력 2024/6/1 7:05",
    "수정 2024.13.45 25:61:61", "등록 0000.00.00 00:00", "승인 9999.12.31 23:59:59",
    "수정 ٢٠٢٤.٠٦.١٤ ٠٧:٤٠", "등록 :", "홍길동 기자",
    "홍길동 기자 hong@example.com", "홍길동·김하늘 기자 team@example.com",
)
HREFS = _one_of_texts(
    "/data/photos/202406/a.jpg", "a.jpg", "//cdn.example/x.jpg", "https://cdn.example/x.jpg",
    "javascript:alert(1)", "DATA:image/png;base64,AA", "Https://cdn.example/x.jpg",
    "data:image/gif;base64,R0lGOD",
    "ftp://x/y.jpg", "mailto:a@b.c", "http://[::1/x.jpg", "http://[bad", "//[::1", " ", "",
    "/news/article.html?no=12", "http://h/news/article.html?no=7", "icon_zoom.png",
)
URLS = st.one_of(
    st.none(),
    st.sampled_from((f"{ROOT}/news/article.html?no=4321", f"{ROOT}/news/article.html?no=0",
                     f"{ROOT}/news/article.html?no=000", f"{ROOT}/news/article.html?no=٤٥",
                     f"{ROOT}/mobile/article.html?no=77#c", f"{ROOT}/news/article_print.html?no=9",
                     "http://[::1/news/article.html?no=3", "https://[bad/news/article.html?no=5",
                     "ftp://h/news/article.html?no=3", "http:///news/article.html?no=3",
                     "http://a b/news/article.html?no=5", "http://h/news/article.html?no=5\n",
                     "HTTP://H/news/article.html?no=5", "//h/news/article.html?no=5",
                     "news/article.html?no=5", f"{ROOT}/news/article_list_all.html", "")),
    st.builds("{}://{}/{}?no={}".format, st.sampled_from(("http", "https", "HTTPS", "x")),
              st.text(max_size=12), st.sampled_from(sorted(ARTICLE_PATHS)), st.text(max_size=14)),
    st.text(max_size=40),
)


@st.composite
def article_soups(draw) -> str:
    """Pages put together from the CMS's parts, each part present or not, with good and
    broken texts, dates, URLs and image sources: reaches every branch of ``extract``."""
    def maybe(text: str) -> str:  # mostly there: a page without its parts says little
        return text if draw(st.sampled_from((True, True, True, False))) else ""

    def attr(strategy: st.SearchStrategy[str]) -> str:
        return html_escape(draw(strategy), quote=True)

    head = "".join(draw(st.permutations([
        maybe(f'<meta charset="{draw(st.sampled_from(("utf-8", "euc-kr", "x-bogus", "")))}">'),
        maybe(f"<title>{html_escape(draw(WORDS))}{maybe(' - 뉴미디어타임즈')}</title>"),
        maybe(f'<meta property="og:title" content="{attr(WORDS)}">'),
        maybe(f'<meta property="og:url" content="{attr(URLS.filter(bool))}">'),
        maybe(f'<link rel="canonical" href="{attr(URLS.filter(bool))}">'),
        maybe(f'<meta property="article:published_time" content="{attr(DATES)}">'),
        maybe(f'<meta property="article:section" content="{attr(WORDS)}">'),
    ])))
    info = "".join(f"<li>{html_escape(draw(LABELLED))}</li>"
                   for _ in range(draw(st.integers(0, 4))))
    top = maybe(f'<div class="{draw(st.sampled_from(("art_top", "news_top", "fix_art_top")))}">'
                f"{maybe(f'<h2>{html_escape(draw(WORDS))}</h2>')}"
                f"{maybe(f'<h3>{html_escape(draw(WORDS))}</h3>')}"
                f'{maybe(f"<ul class=art_info>{info}</ul>")}</div>')
    blocks = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(("p", "div", "br", "figure", "photo", "img", "related",
                                     "ad", "list", "table", "nested", "odd")))
        text = html_escape(draw(WORDS))
        src = attr(HREFS)
        blocks.append({
            "p": f"<p>{text}</p>",
            "div": f"<div>{text}</div>",
            "br": f"{text}<br><br>",
            "figure": f'<figure class="photo"><img src="{src}"><a class="zoom">크게보기</a>'
                      f"{maybe(f'<figcaption>{text}</figcaption>')}</figure>",
            "photo": f'<div class="photo_center"><img src="{src}" data-src="{attr(HREFS)}">'
                     f'<div class="photo_caption">{text}</div></div>',
            "img": f'<img src="{src}">',
            "related": f'<div class="related_box"><h4>관련기사</h4><ul><li>{text}</li></ul></div>',
            "ad": '<div class="ad_box"><ins class="adsbygoogle"></ins></div>',
            "list": f"<ul><li>{text}</li><li>{html_escape(draw(WORDS))}</li></ul>",
            "table": f"<table><tr><td>{text}</td></tr></table>",
            "nested": "<div>" * 300 + text + "</div>" * 300,
            "odd": f'<p\x01x a\x0bb="{src}" \x1f=1>{text}</p\x01x><br/ ><p/>',  # broken names
        }[kind])
    container = draw(st.sampled_from((
        '<div id="news_body_area">', '<div id="news_body_area" class="smartOutput">',
        '<div class="news_detail">', '<div class="print_body">',
        '<div class="cnt_view news_body_area">', '<article><div class="text_area">',
        '<div class="btn_pagenum">', '<ul class="art_list_all"><li>', "")))
    skin = draw(st.sampled_from(("arv_001_01", "arv_005_01", "m_arv_001_01", "print_wrap", "x")))
    page = (f"<!DOCTYPE html><html><head>{head}</head><body><div class=\"{skin}\">{top}"
            f"{container}{''.join(blocks)}</div>"
            f"{maybe('<div class=writer_box>홍길동 기자 hong@example.com</div>')}</div>"
            f"{maybe('<div class=footer><p>대표/발행인 : 최인철 | 등록번호 : 경기</p></div>')}"
            "</body></html>")
    if draw(st.sampled_from((True, True, True, False))):
        return page
    # Cut somewhere, sometimes closed again.
    cut = page[: draw(st.integers(0, len(page)))]
    return cut + draw(st.sampled_from(("", "</html>", "</div></body></html>")))


@PROPERTY
@given(st.binary(max_size=3000), URLS, st.sampled_from((None, "text/html",
                                                         "text/html; charset=euc-kr")))
def test_arbitrary_bytes(page, url, content_type):
    assert problems(extract(page, url, content_type=content_type)) == []


@PROPERTY
@given(st.text(max_size=3000), URLS)
def test_arbitrary_text(page, url):
    assert problems(extract(page, url)) == []


# Mostly an article URL, so that most pages get past the URL check to the deeper code.
SOUP_URLS = st.tuples(st.sampled_from((True, True, True, False)),
                      st.sampled_from((f"{ROOT}/news/article.html?no=4321",
                                       f"{ROOT}/mobile/article.html?no=77")),
                      URLS).map(lambda t: t[1] if t[0] else t[2])


@PROPERTY
@given(article_soups(), SOUP_URLS, st.sampled_from(("str", "utf-8", "cp949")))
def test_pages_assembled_from_cms_parts(page, url, form):
    if form != "str":
        page = page.encode(form, "xmlcharrefreplace" if form == "cp949" else "surrogatepass")
    assert problems(extract(page, url)) == []


# --- the bugs the properties found --------------------------------------------------------

def _case(kind: str, **shape: Any) -> Case:
    """The first case of a kind whose article has the given attributes."""
    return next(c for c in CASES if c.kind == kind
                and all(getattr(c.art, k) == v for k, v in shape.items()))


def _minimal(head: str = "", body: str = "<p>도는 다음 달부터 신청을 받는다.</p>",
             info: str = "<li>등록 2024.06.14 07:40:01</li>") -> str:
    return (f"<html><head>{head}<title>제목 - 뉴미디어타임즈</title></head><body>"
            f'<div class="arv_001_01"><div class="art_top"><h2>제목</h2>'
            f'<ul class="art_info">{info}</ul></div><div id="news_body_area">{body}</div>'
            "</div></body></html>")


URL = f"{ROOT}/news/article.html?no=5"


def test_byline_prefix_is_removed_wherever_the_first_paragraph_ends_up():
    case = _case("print")
    tree = parse(case.html)
    first = tree.xpath("//div[contains(@class, 'print_body')]/p")[0]
    first.getparent().append(first)  # the byline paragraph last
    record = run(serialize(tree), case.url)
    assert "기자 |" not in record["body"]
    assert sorted(record["body"].split("\n\n")) == sorted(case.art.paragraphs)


def test_text_glued_to_a_removed_or_kept_block_stays_a_paragraph_of_its_own():
    # <br> skin: a photo box, then the byline paragraph, right after a paragraph's text.
    case = _case("desktop", template="old", signature_inside=True)
    tree = parse(case.html)
    container = tree.xpath(case.container_xpath)[0]
    signature_div = [d for d in container.iter("div")
                     if d.text_content().strip() == signature(case.art)][0]
    _detach(signature_div)
    container.insert(0, signature_div)  # right after the first paragraph's bare text
    check_exact(run(serialize(tree), case.url), case)


def test_whole_page_fallback_leaves_header_and_reporter_box_out():
    case = next(c for c in CASES if c.kind == "mobile" and len(c.art.reporters) > 1
                and all(r.email for r in c.art.reporters))
    tree = parse(case.html)
    tree.xpath(case.container_xpath)[0].drop_tree()
    record = run(serialize(tree), case.url)
    assert leaks(record, case.art) == []
    assert record == Skip(SkipKind.NO_BODY, "no body text")


def test_fallback_keeps_subtitle_and_section():
    page = _minimal(body="").replace('<div id="news_body_area"></div>',
                                     "<article><p>도는 다음 달부터 신청을 받는다.</p></article>")
    page = page.replace("<h2>제목</h2>", "<h2>제목</h2><h3>부제</h3>").replace(
        '<div class="art_top">', '<div class="path_wrap"><h3>정치</h3></div><div class="art_top">')
    record = run(page, URL)
    assert (record["subtitle"], record["section"]) == ("부제", "정치")
    assert record["body"] == "도는 다음 달부터 신청을 받는다."


def test_cut_co_author_signature_does_not_leak_an_email():
    case = _case("mobile", signature_inside=True)
    two = case.html.replace(
        f"<div>{signature(case.art)}</div>",
        f"<div>{signature(case.art)}, 이도</div>")  # a second name cut short
    assert leaks(run(two, case.url), case.art) == []


@pytest.mark.parametrize(("codec", "label"), [("cp949", None), ("cp949", "utf-8"),
                                              ("utf-8", "euc-kr"), ("cp949", "iso-8859-1")])
def test_mislabelled_or_unlabelled_korean_bytes(codec, label):
    case = _case("desktop", template="arv_001")
    tree = parse(case.html)
    set_meta_charset(tree, label, "charset")
    check_exact(run(serialize(tree).encode(codec, "xmlcharrefreplace"), case.url), case)


@pytest.mark.parametrize("stray", ["\x01", "&#1;", "&#xFFFF;", "\x1f"])
def test_a_stray_control_character_does_not_lose_the_article(stray):
    case = _case("desktop", template="arv_001")  # <p> paragraphs: trafilatura gave up
    at = case.html.index("기자 | ") + len("기자 | ") + 2  # in the first paragraph
    check_exact(run(case.html[:at] + stray + case.html[at:], case.url), case)


def test_a_lone_surrogate_in_text_does_not_cut_the_page_short():
    case = _case("desktop", template="arv_001")
    page = case.html.replace("<title>", "<title>\udcff", 1)
    check_exact(run(page, case.url), case)


def test_broken_canonical_link_and_article_number_zero_are_skips():
    canonical = '<link rel="canonical" href="http://[::1/news/article.html?no=3">'
    assert isinstance(run(_minimal(head=canonical), None), Skip)
    assert isinstance(run(_minimal(), f"{ROOT}/news/article.html?no=0"), Skip)
    assert isinstance(run(_minimal(), f"{ROOT}/news/article.html?no=000"), Skip)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_published_time_out_of_range_is_no_date(value):
    head = f'<meta property="article:published_time" content="{value}">'
    record = run(_minimal(head=head, info=""), URL)
    assert record["published"] is None
    assert problems(record) == []


def test_only_http_images_are_recorded():
    sources = ["javascript:alert(1)", "DATA:image/png;base64,AA", "ftp://x/y.jpg",
               "http://[::1/x.jpg", "mailto:a@b.c", "Https://cdn.example/x.jpg", "/a.jpg"]
    photos = "".join(f'<figure class="photo"><img src="{src}"></figure>' for src in sources)
    record = run(_minimal(body=photos + "<p>도는 다음 달부터 신청을 받는다.</p>"), URL)
    assert problems(record) == []
    assert [i["url"] for i in record["images"]] == [
        "https://cdn.example/x.jpg", "http://127.0.0.1:8000/a.jpg"]


def test_control_characters_in_tag_and_attribute_names():
    body = ('<p\x01x a\x01b="1" c="\x02&#1;">도는 다음 달부터 신청을 받는다.</p\x01x>'
            '<div \x01=2>끝.</div>')
    record = run(_minimal(body=body), URL)
    assert problems(record) == []
    assert record["body"] == "도는 다음 달부터 신청을 받는다.\n\n끝."
