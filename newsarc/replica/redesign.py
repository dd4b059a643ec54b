"""A redesigned article skin: the same articles and URLs, markup no profile was written for.

Outlets on mediaOn relaunch: a new skin renames every class and rebuilds the page around
HTML5 elements, while the URLs and the content stay.  ``newsarc replica --skin redesign``
(:func:`newsarc.replica.content.build_site` with ``skin="redesign"``) serves article pages
in this skin, so the crawler's whole-page fallback and the extractor's handling of other
byline and date forms can be tested against a site whose pages moved:

- ``<article class="story">`` with ``<header class="story-head">``: section link, ``<h1>``,
  deck, then the dates first (``<time datetime=…>입력 2024-06-14 07:40</time>``, no seconds)
  and the reporters after them (``<span class="author">``, e-mail as a mailto link);
- ``<div class="story-body">`` of ``<p>`` paragraphs, photos as
  ``<figure><img><figcaption>`` with a zoom button; the first paragraph opens with the lead
  ``[뉴미디어타임즈=홍길동 기자]`` and the last one is the reporter's signature;
- the copyright line, share tools, related stories and the comment box after the body;
- ``og:*``, ``article:published_time`` / ``article:modified_time``, a canonical link and a
  JSON-LD ``NewsArticle`` in the head;
- the site chrome (masthead with the weather strip, section menu, most-read rail, the
  footer with every bureau) under new class names.

List pages, feeds and the rest keep the old skin, as they do after a partial relaunch.
"""

from __future__ import annotations

import json
import random
from datetime import datetime

from newsarc.replica.content import Article, Photo, Site, outlet
from newsarc.replica.render import (
    DEFAULT_BASE,
    LOGO,
    article_href,
    bureau_lines,
    esc,
    weather,
    writer_href,
)

STYLESHEET = "/data/skin/layout/2/r01/css/story.css"
SCRIPT = "/data/skin/layout/2/r01/js/story.js"


def visible_date(dt: datetime) -> str:
    """The redesign's visible date: ``2024-06-14 07:40`` (minutes only)."""
    return dt.strftime("%Y-%m-%d %H:%M")


def lead(art: Article) -> str:
    """The lead the redesign puts before the first paragraph: ``[뉴미디어타임즈=홍길동 기자] ``."""
    names = "·".join(r.name for r in art.reporters)
    return f"[{outlet()['name']}={names} 기자] "


def json_ld(art: Article, base: str) -> str:
    """The JSON-LD NewsArticle of the head (``</`` escaped so no text can close the script)."""
    url = f"{base}{article_href(art.id)}"
    authors = []
    for rep in art.reporters:
        person: dict[str, str] = {"@type": "Person", "name": rep.name}
        if rep.email:
            person["email"] = rep.email
        authors.append(person)
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": art.title,
        "datePublished": art.published.isoformat(),
        "dateModified": (art.modified or art.published).isoformat(),
        "author": authors,
        "publisher": {"@type": "Organization", "name": outlet()["name"],
                      "logo": {"@type": "ImageObject", "url": f"{base}{LOGO}"}},
        "articleSection": art.section.name,
    }
    if art.photos:
        data["image"] = [f"{base}{p.path}" for p in art.photos]
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("</", "<\\/")


def _head(art: Article, base: str) -> str:
    url = f"{base}{article_href(art.id)}"
    name = outlet()["name"]
    image = (f'<meta property="og:image" content="{esc(base + art.photos[0].path)}">\n'
             if art.photos else "")
    modified = (f'<meta property="article:modified_time" '
                f'content="{art.modified.isoformat()}">\n' if art.modified else "")
    return (
        '<!DOCTYPE html>\n<html lang="ko">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(art.title)} | {esc(name)}</title>\n"
        f'<link rel="canonical" href="{esc(url)}">\n'
        f'<meta property="og:type" content="article">\n'
        f'<meta property="og:site_name" content="{esc(name)}">\n'
        f'<meta property="og:title" content="{esc(art.title)}">\n'
        f'<meta property="og:url" content="{esc(url)}">\n{image}'
        f'<meta property="article:section" content="{esc(art.section.name)}">\n'
        f'<meta property="article:published_time" content="{art.published.isoformat()}">\n'
        f"{modified}"
        f'<script type="application/ld+json">\n{json_ld(art, base)}\n</script>\n'
        f'<link rel="stylesheet" href="{STYLESHEET}">\n'
        f'<script src="{SCRIPT}" defer></script>\n</head>\n'
    )


def _masthead(site: Site) -> str:
    """Weather strip, logo, search and the section menu, renamed."""
    sky, temp = weather(site)
    menu = "".join(
        f'<a href="/news/section_list_all.html?sec_no={s.no}">{esc(s.name)}</a>'
        for s in site.sections
    )
    return (
        '<div class="masthead">\n<div class="wx-strip">'
        f'{sky} 수원 {temp}℃ <small>기상청 제공</small>'
        '<a href="/member/login.html">로그인</a></div>\n'
        f'<a class="brand" href="/"><img src="{LOGO}" alt="{esc(outlet()["name"])}"></a>'
        '<form class="find" action="/news/search_result.html" method="get">'
        '<input type="search" name="search" aria-label="검색어"><button>검색</button></form>\n'
        f'<nav class="sections">{menu}<a href="/news/article_list_all.html">전체기사</a></nav>\n'
        "</div>\n"
    )


def _rail(site: Site) -> str:
    """The most-read box of the right column."""
    pool = site._newest()[:60]
    rng = random.Random(f"most:{site.seed}:{site.generation}")
    picks = rng.sample(pool, min(10, len(pool)))
    items = "".join(f'<li><a href="{article_href(a.id)}">{esc(a.title)}</a></li>'
                    for a in picks)
    return (f'<aside class="rail">\n<section class="ranking"><h2>많이 본 뉴스</h2>'
            f"<ol>{items}</ol></section>\n</aside>\n")


def _colophon() -> str:
    """The footer: publisher, registration, contact, every bureau, officer, copyright."""
    f = outlet()
    lines = "".join(f"<p>{line}</p>\n" for line in bureau_lines())
    return (
        '<footer class="colophon">\n'
        f"<p>대표/발행인 : {esc(f['publisher'])} | 등록번호 : {esc(f['registration'])} | "
        f"등록일 : {esc(f['registered'])} | 제보 메일 : {esc(f['tip_email'])} | "
        f"연락처 : {esc(f['phone'])}</p>\n{lines}"
        f"<p>청소년보호책임자 : {esc(f['youth_protection_officer'])} "
        f"후원계좌 : {esc(f['donation_account'])}</p>\n"
        f"<p><small>{esc(f['copyright'])}</small></p>\n"
        f"<p>powered by {esc(f['powered_by'])}</p>\n</footer>\n"
    )


def _figure(photo: Photo, title: str) -> str:
    cap = f"<figcaption>{esc(photo.caption)}</figcaption>" if photo.caption else ""
    return (f'<figure><img src="{photo.path}" alt="{esc(photo.caption or title)}" '
            f'loading="lazy"><button type="button" class="enlarge">크게보기</button>'
            f"{cap}</figure>")


def _mail(email: str) -> str:
    return f'<a href="mailto:{esc(email)}">{esc(email)}</a>'


def _story_head(art: Article) -> str:
    deck = f'<p class="deck">{esc(art.subtitle)}</p>' if art.subtitle else ""
    times = (f'<time datetime="{art.published.isoformat()}">입력 '
             f"{visible_date(art.published)}</time>")
    if art.modified:
        times += (f' <time datetime="{art.modified.isoformat()}">수정 '
                  f"{visible_date(art.modified)}</time>")
    authors = " ".join(
        f'<span class="author"><a href="{esc(writer_href(r.name))}">{esc(r.name)} 기자</a>'
        + (f" {_mail(r.email)}" if r.email else "") + "</span>"
        for r in art.reporters
    )
    return (
        '<header class="story-head">'
        f'<a class="kicker" href="/news/section_list_all.html?sec_no={art.section.no}">'
        f"{esc(art.section.name)}</a><h1>{esc(art.title)}</h1>{deck}"
        f'<div class="story-meta">{times} {authors}</div></header>'
    )


def _story_body(art: Article) -> str:
    """The paragraphs with photos before theirs, the lead first, the signature last."""
    photos: dict[int, list[Photo]] = {}
    for photo in art.photos:
        photos.setdefault(photo.position, []).append(photo)
    parts = []
    for i, text in enumerate(art.paragraphs):
        parts += [_figure(p, art.title) for p in photos.get(i, [])]
        parts.append(f"<p>{esc(lead(art) + text if i == 0 else text)}</p>")
    sign = ", ".join(f"{esc(r.name)} 기자" + (f" {_mail(r.email)}" if r.email else "")
                     for r in art.reporters)
    parts.append(f"<p>{sign}</p>")
    return '<div class="story-body">\n' + "\n".join(parts) + "\n</div>"


def _more(site: Site, art: Article) -> str:
    items = "".join(f'<li><a href="{article_href(n)}">{esc(site.articles[n].title)}</a></li>'
                    for n in art.related if n in site.articles)
    return (f'<section class="story-more"><h2>관련기사</h2><ul>{items}</ul></section>\n'
            if items else "")


def _talk() -> str:
    return ('<section class="story-talk" id="comment"><h2>댓글 <span>0</span></h2>'
            '<form action="/member/login.html" method="get"><textarea name="cmt" '
            'placeholder="로그인 후 댓글을 남길 수 있습니다."></textarea>'
            "<button>등록</button></form><p>등록된 댓글이 없습니다.</p></section>\n")


def story(site: Site, art: Article, chrome: bool = True) -> str:
    """``<article class="story">``: head, body, copyright, and with ``chrome`` the tools,
    related stories and the comment box."""
    extra = ""
    if chrome:
        extra = (f'<div class="story-tools"><a href="#" class="to-facebook">페이스북</a>'
                 f'<a href="#" class="to-kakao">카카오톡</a><a href="/news/article_print.html'
                 f'?no={art.id}">프린트</a></div>\n{_more(site, art)}{_talk()}')
    return (f'<article class="story" data-no="{art.id}">\n{_story_head(art)}\n'
            f"{_story_body(art)}\n"
            f'<p class="story-rights">{esc(outlet()["copyright"])}</p>\n{extra}</article>\n')


def article_page(site: Site, art: Article, base: str = DEFAULT_BASE) -> str:
    """The desktop article page in the redesign."""
    return (f"{_head(art, base)}<body class=\"story-page\">\n<div class=\"frame\">\n"
            f"{_masthead(site)}<main class=\"columns\">\n{story(site, art)}{_rail(site)}"
            f"</main>\n{_colophon()}</div>\n</body>\n</html>\n")


def mobile_article_page(site: Site, art: Article, base: str = DEFAULT_BASE) -> str:
    """The mobile view in the redesign: the same story, a slim masthead and footer."""
    f = outlet()
    return (f"{_head(art, base)}<body class=\"story-page m\">\n"
            f'<div class="m-masthead"><a href="/"><img src="{LOGO}" alt="{esc(f["name"])}">'
            '</a><a href="/member/login.html">로그인</a></div>\n'
            f"<main>\n{story(site, art)}</main>\n"
            f'<footer class="m-colophon"><p>대표/발행인 : {esc(f["publisher"])} | 등록번호 : '
            f'{esc(f["registration"])} | 연락처 : {esc(f["phone"])}</p>'
            f"<p><small>{esc(f['copyright'])}</small></p></footer>\n</body>\n</html>\n")


def print_page(site: Site, art: Article, base: str = DEFAULT_BASE) -> str:
    """The print view in the redesign: the story alone."""
    return (f"{_head(art, base)}<body class=\"story-print\" onload=\"window.print();\">\n"
            f"{story(site, art, chrome=False)}</body>\n</html>\n")
