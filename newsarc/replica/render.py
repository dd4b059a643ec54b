"""HTML, RSS and robots.txt of every page type, as the mediaOn CMS emits them.

The markup follows ``shared/outlet/CMS.md``: the three article skin generations
(arv_001, arv_005, the old br-separated one), the mobile and print views, the
soft-404 stub, list pages with their paging quirks, RSS 2.0 and robots.txt.
Every text is escaped with ``html.escape``; pages use root-relative links, and
the few absolute URLs (RSS, og:url) are built from the ``base`` the request came to.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime
from html import escape
from typing import Any
from urllib.parse import quote

from newsarc.replica.content import (
    DEFAULT_SKIN,
    Article,
    Photo,
    Site,
    byline_prefix,
    outlet,
    reporter_line,
    signature,
)

SKIN = "/data/skin/layout/1/m01"
STYLESHEET = f"{SKIN}/css/style.css"
SCRIPT = f"{SKIN}/js/common.js"
ADS_SCRIPT = f"{SKIN}/js/ads.js"
LOGO = "/data/design/logo/logo.png"
SOFT_404 = ("<script>window.alert('기사번호가 누락되어 있거나 잘못된 접근입니다.'); "
            "window.location='/';</script>")
DEFAULT_BASE = "http://127.0.0.1:8000"
RSS_ITEMS = 30
LEAD_CHARS = 80


def esc(text: str) -> str:
    """Escape text for element content and attribute values alike."""
    return escape(text, quote=True)


def article_href(article_id: int) -> str:
    """The canonical root-relative link to an article."""
    return f"/news/article.html?no={article_id}"


def writer_href(name: str) -> str:
    """Link to a reporter's article list (name percent-encoded as UTF-8)."""
    return f"/news/article_list_writer.html?name={quote(name)}"


def stamp(dt: datetime) -> str:
    """The CMS's article-header date format: 2024.06.14 07:40:01."""
    return dt.strftime("%Y.%m.%d %H:%M:%S")


def lead_text(art: Article, limit: int = LEAD_CHARS) -> str:
    """The opening words lists show: the body's first `limit` characters."""
    text = " ".join(art.paragraphs)
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


# ---------------------------------------------------------------- site chrome

def _head(title: str, extra: str = "", suffix: bool = True) -> str:
    """<head> every HTML page shares: title, charset, the skin's stylesheet and script."""
    full = f"{title} - {outlet()['name']}" if suffix else title
    return (
        '<!DOCTYPE html>\n<html lang="ko">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="X-UA-Compatible" content="IE=edge">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(full)}</title>\n{extra}"
        f'<link rel="stylesheet" type="text/css" href="{STYLESHEET}">\n'
        f'<script type="text/javascript" src="{SCRIPT}"></script>\n</head>\n'
    )


def _banner(no: int, cls: str) -> str:
    return (f'<div class="banner {cls}"><a href="/news/banner_click.php?no={no}" '
            f'target="_blank"><img src="/data/banner/bn_{no}.jpg" alt="배너 {no}"></a></div>')


def weather(site: Site) -> tuple[str, str]:
    """The weather strip's sky and temperature: fixed for a site and generation."""
    rng = random.Random(f"weather:{site.seed}:{site.generation}")
    temp = f"{rng.randint(12, 31)}.{rng.randint(0, 9)}"
    return rng.choice(("맑음", "구름많음", "흐림")), temp


def _header(site: Site) -> str:
    """Weather strip, login link, logo, search form, section menu and the top banner."""
    sky, temp = weather(site)
    menu = "".join(
        f'<li><a href="/news/section_list_all.html?sec_no={s.no}">{esc(s.name)}</a></li>'
        for s in site.sections
    )
    return (
        '<div id="header" class="header">\n<div class="top_bar">'
        f'<div class="weather"><span class="w_icon">{sky}'
        f'</span> 수원 {temp}℃ <span class="w_src">기상청 제공</span></div>'
        '<ul class="top_util"><li><a href="/member/login.html">로그인</a></li>'
        '<li><a href="/member/join.html">회원가입</a></li></ul></div>\n'
        f'<div class="logo_wrap"><h1 class="logo"><a href="/"><img src="{LOGO}" '
        f'alt="{esc(outlet()["name"])}"></a></h1>'
        '<form class="search_form" action="/news/search_result.html" method="get">'
        '<input type="text" name="search" title="검색어 입력">'
        '<button type="submit">검색</button></form></div>\n'
        f'<ul class="gnb menu">{menu}'
        '<li><a href="/news/article_list_all.html">전체기사</a></li></ul>\n'
        f"{_banner(1, 'banner_top')}\n</div>\n"
    )


def _most_viewed(site: Site) -> str:
    """Sidebar 많이 본 뉴스: ten recent articles linked the ways the CMS links them."""
    pool = site._newest()[:60]
    if not pool:
        return ""
    rng = random.Random(f"most:{site.seed}:{site.generation}")
    picks = rng.sample(pool, min(10, len(pool)))
    items = []
    for i, art in enumerate(picks):
        variant = i % 4
        if variant == 1:
            href = f"{article_href(art.id)}#comment"
        elif variant == 2:
            href = f"{article_href(art.id)}&sc_code={art.section.no}&page=2"
        elif variant == 3:
            href = f"/mobile/article.html?no={art.id}"
        else:
            href = article_href(art.id)
        items.append(f'<li><span class="num">{i + 1}</span><a href="{esc(href)}">'
                     f"{esc(art.title)}</a></li>")
    for number in deleted_but_linked(site):
        items.append(f'<li><span class="num">{len(items) + 1}</span>'
                     f'<a href="{esc(article_href(number))}">삭제된 기사</a></li>')
    return f'<div class="side_box most_view"><h3>많이 본 뉴스</h3><ol>{"".join(items)}</ol></div>'


def deleted_but_linked(site: Site) -> list[int]:
    """Missing ids the sidebar still links (a cached ranking outlives deleted articles), so a
    crawl meets the CMS's soft-404 stub the way it does on the live site."""
    return sorted(site.missing)[-2:]


def _sidebar(site: Site) -> str:
    return (f'<div id="aside" class="side">\n{_most_viewed(site)}\n'
            f"{_banner(11, 'side_banner')}\n{_banner(12, 'side_banner')}\n</div>\n")


def bureau_lines() -> list[str]:
    """The bureau addresses, grouped into lines as the real footer does."""
    facts = outlet()
    bureaus = [f"{esc(b['name'])} : {esc(b['address'])}" for b in facts["bureaus"]]
    lines, start = [], 0
    for count in facts["bureau_lines"]:
        lines.append(" | ".join(bureaus[start:start + count]))
        start += count
    return lines


def footer_html() -> str:
    """The long footer: publisher, registration, contact, every bureau, officer, copyright."""
    f = outlet()
    first, *rest = bureau_lines()
    return (
        '<div id="footer" class="footer">\n<div class="ft_menu"><a href="/">회사소개</a>'
        '<a href="/">개인정보처리방침</a><a href="/">청소년보호정책</a></div>\n'
        '<div class="ft_info">\n'
        f"<p>대표/발행인 : {esc(f['publisher'])} | 등록번호 : {esc(f['registration'])} | "
        f"등록일 : {esc(f['registered'])} | 제보 메일 : {esc(f['tip_email'])} | "
        f"연락처 : {esc(f['phone'])} | {first}</p>\n"
        f"<p>청소년보호책임자 : {esc(f['youth_protection_officer'])} "
        f"후원계좌 : {esc(f['donation_account'])}</p>\n"
        + "".join(f"<p>{line}</p>\n" for line in rest)
        + f'<p class="copyright">{esc(f["copyright"])}</p>\n'
        f'<p class="powered">powered by {esc(f["powered_by"])}</p>\n</div>\n</div>\n'
    )


def _chrome(site: Site) -> tuple[str, str]:
    """(header, sidebar + footer) for a site, built once per site."""
    cached = site._cache.get("chrome")
    if cached is None:
        cached = (_header(site), _sidebar(site) + footer_html())
        site._cache["chrome"] = cached
    return cached


def _page(site: Site, title: str, main: str, extra_head: str = "",
          suffix: bool = True) -> str:
    """A full desktop page: head, header, main column, sidebar, footer."""
    header, tail = _chrome(site)
    return (f"{_head(title, extra_head, suffix)}<body>\n<div id=\"wrap\">\n{header}"
            f'<div id="container">\n<div id="content">\n{main}\n</div>\n{tail}'
            "</div>\n</div>\n</body>\n</html>\n")


# ---------------------------------------------------------------- article body

def _redesign() -> Any:
    """The redesigned skin's module, imported late: it builds on this one."""
    from newsarc.replica import redesign

    return redesign


def _figure(photo: Photo, title: str) -> str:
    """arv_001's photo: a figure with a zoom link and an optional figcaption."""
    cap = f"<figcaption>{esc(photo.caption)}</figcaption>" if photo.caption else ""
    return (f'<figure class="photo"><img src="{photo.path}" alt="{esc(photo.caption or title)}" '
            f'width="640"><a class="zoom" href="{photo.path}" target="_blank">크게보기</a>'
            f"{cap}</figure>")


def _center_photo(photo: Photo, old: bool) -> str:
    """The editor's centered photo div; the old skin puts the caption before the zoom button."""
    cap = f'<div class="photo_caption">{esc(photo.caption)}</div>' if photo.caption else ""
    if old:
        zoom = ('<div class="zoom_btn"><a href="javascript:void(0);" '
                f"onclick=\"photoZoom('{photo.path}');\">크게보기</a></div>")
        return (f'<div style="text-align:center" class="photo_center">'
                f'<img src="{photo.path}" alt="" border="0">{cap}{zoom}</div>')
    return (f'<div style="text-align:center" class="photo_center"><img src="{photo.path}" '
            f'alt="{esc(photo.caption or "")}"><div class="zoom_btn"><a>크게보기</a></div>'
            f"{cap}</div>")


def _photo(art: Article, photo: Photo, template: str) -> str:
    if template == "arv_001":
        return _figure(photo, art.title)
    return _center_photo(photo, old=template == "old")


def _ad(art: Article) -> str:
    return (f'<div class="ad_box"><script async src="{ADS_SCRIPT}"></script>'
            '<ins class="adsbygoogle" style="display:block" '
            'data-ad-client="ca-pub-0000000000000000" '
            f'data-ad-slot="{7000000000 + art.id % 997}" data-ad-format="auto"></ins>'
            "<script>(adsbygoogle = window.adsbygoogle || []).push({});</script></div>")


def _related(site: Site, art: Article) -> str:
    items = "".join(
        f'<li><a href="{esc(article_href(m))}&amp;sc_code={site.articles[m].section.no}">'
        f"{esc(site.articles[m].title)}</a></li>"
        for m in art.related if m in site.articles
    )
    return f'<div class="related_box"><h4>관련기사</h4><ul>{items}</ul></div>' if items else ""


def _signature_divs(art: Article) -> str:
    """Signature and copyright as two bare divs: how some skins end #news_body_area."""
    return f"<div>{esc(signature(art))}</div>\n<div>{esc(outlet()['copyright'])}</div>"


def _texts(art: Article) -> list[str]:
    """The paragraphs as shown: the first carries the byline prefix."""
    paras = list(art.paragraphs)
    paras[0] = byline_prefix(art) + paras[0]
    return paras


def body_inner(site: Site, art: Article, template: str | None = None) -> str:
    """Inside of div#news_body_area for the article's (or the given) skin generation."""
    template = template or art.template
    photos: dict[int, list[Photo]] = {}
    for photo in art.photos:
        photos.setdefault(photo.position, []).append(photo)
    ad_after = min(1, len(art.paragraphs) - 1) if art.ad_in_body else -1
    parts: list[str] = []
    texts = _texts(art)
    for i, text in enumerate(texts):
        parts += [_photo(art, p, template) for p in photos.get(i, [])]
        if template == "arv_001":
            parts.append(f"<p>{esc(text)}</p>")
        elif template == "arv_005":
            parts.append(f"<div>{esc(text)}</div>")
            if i < len(texts) - 1:
                parts.append("<div>&nbsp;</div>")
        else:
            parts.append(esc(text) + ("<br><br>" if i < len(texts) - 1 else ""))
        if i == ad_after:
            parts.append(_ad(art))
    parts.append(_related(site, art))
    if art.signature_inside:
        parts.append(("<br><br>" if template == "old" else "") + _signature_divs(art))
    return "\n".join(p for p in parts if p)


def _writer_box(art: Article) -> str:
    """The reporter box after the body (skins that keep the signature out of it)."""
    more = "".join(f'<a class="more" href="{esc(writer_href(r.name))}">'
                   f"{esc(r.name)} 기자의 다른 기사 보기</a>" for r in art.reporters)
    return (f'<div class="writer_box"><div class="writer_name">{esc(signature(art))}</div>'
            f'<div class="copyright">{esc(outlet()["copyright"])}</div>{more}</div>')


def _info_items(art: Article, link: bool = True) -> str:
    """ul.art_info items: reporters (linked to their lists), 등록 and, if edited, 수정."""
    items = []
    for rep in art.reporters:
        text = esc(reporter_line(rep))
        items.append(f'<li><a href="{esc(writer_href(rep.name))}">{text}</a></li>'
                     if link else f"<li>{text}</li>")
    items.append(f"<li>등록 {stamp(art.published)}</li>")
    if art.modified:
        items.append(f"<li>수정 {stamp(art.modified)}</li>")
    return "".join(items)


def _art_top(art: Article) -> str:
    sub = f"<h3>{esc(art.subtitle)}</h3>" if art.subtitle else ""
    return (f'<div class="art_top"><h2>{esc(art.title)}</h2>{sub}'
            f'<ul class="art_info">{_info_items(art)}</ul></div>')


def _after_body(art: Article) -> str:
    """Reporter box (when the signature is not inside), share buttons and the comment box."""
    writer = "" if art.signature_inside else _writer_box(art) + "\n"
    return (
        f"{writer}<div class=\"share_btn\"><a href=\"#\" class=\"sns_facebook\">페이스북</a>"
        '<a href="#" class="sns_twitter">X</a><a href="#" class="sns_kakao">카카오톡</a>'
        f'<a href="/news/article_print.html?no={art.id}" class="btn_print">프린트</a></div>\n'
        '<div class="comment_box" id="comment"><h4>댓글 <span>0</span></h4>'
        '<form action="/member/login.html" method="get"><textarea name="cmt" '
        'placeholder="로그인 후 댓글을 남길 수 있습니다."></textarea>'
        '<button type="submit">등록</button></form>'
        '<p class="no_cmt">등록된 댓글이 없습니다.</p></div>'
    )


def _article_meta(art: Article, base: str) -> str:
    """og:* and article:published_time, which only the arv_005 skin emits."""
    url = f"{base}{article_href(art.id)}"
    return (f'<meta property="og:type" content="article">\n'
            f'<meta property="og:url" content="{esc(url)}">\n'
            f'<meta property="og:title" content="{esc(art.title)}">\n'
            f'<meta property="article:published_time" content="{art.published.isoformat()}">\n')


def article_page(site: Site, art: Article, base: str = DEFAULT_BASE) -> str:
    """The desktop article page in the article's skin generation."""
    if site.skin_of(art) != DEFAULT_SKIN:
        return _redesign().article_page(site, art, base)
    body_cls = "cnt_view news_body_area"
    body_id_cls = ' class="smartOutput"' if art.template == "arv_005" else ""
    body = (f'<div class="{body_cls}"><div id="news_body_area"{body_id_cls}>\n'
            f"{body_inner(site, art)}\n</div></div>")
    if art.template == "arv_005":
        nav = ('<ul class="art_top_nav"><li><a href="/">홈</a></li><li><a href="'
               f'/news/section_list_all.html?sec_no={art.section.no}">{esc(art.section.name)}'
               "</a></li></ul>")
        main = (f'<div class="arv_005_01">\n<div class="fix_art_top">{nav}{_art_top(art)}</div>\n'
                f"{body}\n{_after_body(art)}\n</div>")
        return _page(site, art.title, main, _article_meta(art, base))
    main = (f'<div class="arv_001_01">\n<div class="path_wrap"><h3>{esc(art.section.name)}</h3>'
            f"</div>\n{_art_top(art)}\n{body}\n{_after_body(art)}\n</div>")
    return _page(site, art.title, main)


def mobile_article_page(site: Site, art: Article, base: str = DEFAULT_BASE) -> str:
    """The mobile skin: news_top header and div paragraphs under div.news_detail."""
    if site.skin_of(art) != DEFAULT_SKIN:
        return _redesign().mobile_article_page(site, art, base)
    sub = f"<h4>{esc(art.subtitle)}</h4>" if art.subtitle else ""
    photos: dict[int, list[Photo]] = {}
    for photo in art.photos:
        photos.setdefault(photo.position, []).append(photo)
    parts: list[str] = []
    for i, text in enumerate(_texts(art)):
        parts += [_center_photo(p, old=False) for p in photos.get(i, [])]
        parts.append(f"<div>{esc(text)}</div>")
    parts.append(_related(site, art))
    if art.signature_inside:
        parts.append(_signature_divs(art))
    detail = "\n".join(p for p in parts if p)
    writer = "" if art.signature_inside else _writer_box(art)
    f = outlet()
    return (
        f"{_head(art.title)}<body>\n<div id=\"m_wrap\">\n<div class=\"m_header\">"
        f'<a href="/"><img src="{LOGO}" alt="{esc(f["name"])}"></a>'
        '<a class="m_login" href="/member/login.html">로그인</a></div>\n'
        '<div class="m_arv_001_01">\n<div class="news_top">'
        f'<p class="m_section">{esc(art.section.name)}</p><h3>{esc(art.title)}</h3>{sub}'
        f'<ul class="info">{_info_items(art, link=False)}</ul></div>\n'
        f'<div class="news_detail">\n{detail}\n</div>\n{writer}\n</div>\n'
        f'<div class="m_footer"><p>대표/발행인 : {esc(f["publisher"])} | 등록번호 : '
        f'{esc(f["registration"])} | 연락처 : {esc(f["phone"])}</p>'
        f'<p>청소년보호책임자 : {esc(f["youth_protection_officer"])}</p>'
        f'<p class="copyright">{esc(f["copyright"])}</p>'
        f'<p class="powered">powered by {esc(f["powered_by"])}</p></div>\n'
        "</div>\n</body>\n</html>\n"
    )


def print_page(site: Site, art: Article, base: str = DEFAULT_BASE) -> str:
    """Print view: title, info, p paragraphs, copyright; no site chrome."""
    if site.skin_of(art) != DEFAULT_SKIN:
        return _redesign().print_page(site, art, base)
    sub = f"<h3>{esc(art.subtitle)}</h3>" if art.subtitle else ""
    paras = "\n".join(f"<p>{esc(t)}</p>" for t in _texts(art))
    return (
        f'{_head(art.title)}<body class="print" onload="window.print();">\n'
        f'<div class="print_wrap">\n<h2>{esc(art.title)}</h2>{sub}\n'
        f'<ul class="art_info">{_info_items(art, link=False)}</ul>\n'
        f'<div class="print_body">\n{paras}\n</div>\n'
        f'<div class="copyright">{esc(outlet()["copyright"])}</div>\n</div>\n'
        "</body>\n</html>\n"
    )


def soft_404() -> str:
    """What the CMS answers (HTTP 200) for a missing or deleted article number."""
    return SOFT_404


def not_found_page(site: Site) -> str:
    """The 404 page for paths the CMS does not know (with the usual chrome)."""
    main = ('<div class="error"><h2>404 Not Found</h2><p>요청하신 페이지를 찾을 수 없습니다.</p>'
            '<a href="/">홈으로</a></div>')
    return _page(site, "페이지를 찾을 수 없습니다", main)


def login_page(site: Site) -> str:
    """The member pages: a login form (robots.txt keeps crawlers out of /member/)."""
    main = ('<div class="member_login"><h2>로그인</h2><form action="/member/login.html" '
            'method="post"><input type="text" name="user_id" title="아이디">'
            '<input type="password" name="user_pw" title="비밀번호">'
            '<button type="submit">로그인</button></form></div>')
    return _page(site, "로그인", main)


# ---------------------------------------------------------------- lists

def last_page(total: int, page_size: int) -> int:
    """Number of the last list page (1 for an empty list)."""
    return max(1, -(-total // page_size))


def resolve_page(raw: int | str | None, last: int) -> int:
    """The page the CMS serves: 1 when absent, else the last page for garbage or out-of-range."""
    if raw is None or raw == "":
        return 1
    try:
        page = int(str(raw).strip())
    except ValueError:
        return last
    return page if 1 <= page <= last else last


def _paging(href: Callable[[int], str], page: int, last: int | None) -> str:
    """div.btn_pagenum: a block of ten page numbers, current `a.on`, prev/next block links.

    `last` None means endless (search): there is always a next block.
    """
    first = (page - 1) // 10 * 10 + 1
    end = first + 9 if last is None else min(first + 9, last)
    parts = []
    if first > 1:
        parts.append(f'<a class="btn_p prev" href="{esc(href(first - 1))}">이전</a>')
    for p in range(first, end + 1):
        cls = ' class="on"' if p == page else ""
        parts.append(f'<a href="{esc(href(p))}"{cls}>{p}</a>')
    if last is None or end < last:
        parts.append(f'<a class="btn_p next" href="{esc(href(end + 1))}">다음</a>')
    return f'<div class="btn_pagenum">{"".join(parts)}</div>'


def _thumb(art: Article) -> str:
    if not art.photos:
        return ""
    path = art.photos[0].path.replace("/data/photos/", "/data/cache/public/photos/", 1)
    return f'<span class="thumb"><img src="{path[:-4]}_v150.jpg" alt=""></span>'


def _list_item(art: Article) -> str:
    names = "·".join(r.name for r in art.reporters)
    return (f'<li><a href="{article_href(art.id)}">{_thumb(art)}<h2>{esc(art.title)}</h2>'
            f"<p>{esc(lead_text(art))}</p><ul class=\"art_info\">"
            f'<li class="name">{esc(names)} 기자</li>'
            f'<li class="date">{art.published:%Y-%m-%d %H:%M}</li></ul></a></li>')


def _list_block(arts: list[Article]) -> str:
    items = "\n".join(_list_item(a) for a in arts)
    return f'<div class="ara_001">\n<ul class="art_list_all">\n{items}\n</ul>\n</div>'


def _paged_list(site: Site, title: str, arts: list[Article], page: int | str | None,
                href: Callable[[int], str]) -> str:
    """A list page: heading, one page of items, paging; past the end = the last page again."""
    last = last_page(len(arts), site.page_size)
    current = resolve_page(page, last)
    chunk = arts[(current - 1) * site.page_size: current * site.page_size]
    main = (f'<div class="list_title"><h3 class="sec_title">{esc(title)}</h3></div>\n'
            f"{_list_block(chunk)}\n{_paging(href, current, last)}")
    return _page(site, title, main)


def list_all_page(site: Site, page: int | str | None = 1) -> str:
    """전체기사: every live article, newest first."""
    return _paged_list(site, "전체기사", site._newest(), page,
                       lambda p: f"/news/article_list_all.html?page={p}")


def section_list_page(site: Site, sec_no: str, page: int | str | None = 1) -> str:
    """One section's articles, newest first (an empty list for an unknown section)."""
    section = site.section(sec_no)
    title = section.name if section else "섹션"
    return _paged_list(site, title, site.in_section(sec_no), page,
                       lambda p: f"/news/section_list_all.html?sec_no={quote(sec_no)}&page={p}")


def writer_list_page(site: Site, name: str, page: int | str | None = 1) -> str:
    """One reporter's articles, newest first."""
    return _paged_list(site, f"{name} 기자", site.by_writer(name), page,
                       lambda p: f"{writer_href(name)}&page={p}")


def section_front(site: Site, sec_no: str) -> str:
    """Section front: the latest ten of the section and a link to its full list."""
    section = site.section(sec_no)
    title = section.name if section else "섹션"
    main = (f'<div class="sec_front"><div class="list_title"><h3 class="sec_title">'
            f"{esc(title)}</h3></div>\n{_list_block(site.in_section(sec_no)[:10])}\n"
            f'<a class="more" href="/news/section_list_all.html?sec_no={esc(quote(sec_no))}">'
            "더보기</a></div>")
    return _page(site, title, main)


def _search(site: Site, needle: str) -> list[Article]:
    """Articles whose title or body holds `needle`, newest first (index built once per site)."""
    if not needle:
        return []
    index = site._cache.get("search")
    if index is None:
        index = [(a, "\n".join((a.title, *a.paragraphs)).casefold())
                 for a in site._newest()]
        site._cache["search"] = index
    return [a for a, text in index if needle in text]


def search_page(site: Site, query: str, page: int | str | None = 1) -> str:
    """Search results with endless paging: every page has results and a next link."""
    arts = _search(site, query.strip().casefold()) or site._newest()
    try:
        current = max(1, int(str(page).strip()))
    except ValueError:
        current = 1
    start = (current - 1) * site.page_size
    chunk = [arts[(start + i) % len(arts)] for i in range(min(site.page_size, len(arts)))] \
        if arts else []
    main = (f'<div class="search_info"><strong>\'{esc(query)}\'</strong> 검색 결과</div>\n'
            f"{_list_block(chunk)}\n"
            + _paging(lambda p: f"/news/search_result.html?search={quote(query)}&page={p}",
                      current, None))
    return _page(site, f"{query} 검색결과", main)


def home_page(site: Site) -> str:
    """Front page: top story, latest articles, and a box per section."""
    newest = site._newest()
    top = ""
    if newest:
        art = newest[0]
        top = (f'<div class="main_top"><a href="{article_href(art.id)}">{_thumb(art)}'
               f"<h2>{esc(art.title)}</h2><p>{esc(lead_text(art, 120))}</p></a></div>")
    latest = "".join(f'<li><a href="{article_href(a.id)}">{esc(a.title)}</a></li>'
                     for a in newest[1:11])
    boxes = []
    for s in site.sections:
        items = "".join(f'<li><a href="{article_href(a.id)}">{esc(a.title)}</a></li>'
                        for a in site.in_section(s.no)[:5])
        boxes.append(f'<div class="sec_box"><h3><a href="/news/section.html?sec_no={s.no}">'
                     f"{esc(s.name)}</a></h3><ul>{items}</ul>"
                     f'<a class="more" href="/news/section_list_all.html?sec_no={s.no}">더보기</a>'
                     "</div>")
    main = (f'{top}\n<div class="main_latest"><h3>최신기사</h3><ul>{latest}</ul>'
            '<a class="more" href="/news/article_list_all.html">전체기사</a></div>\n'
            + "\n".join(boxes))
    return _page(site, outlet()["name"], main, suffix=False)


# ---------------------------------------------------------------- feeds, robots

def rss(site: Site, section: str | None = None, base: str = DEFAULT_BASE) -> str:
    """RSS 2.0 of the latest 30 articles (of one section when `section` is a sec_no)."""
    sec = site.section(section) if section else None
    arts = (site.in_section(section) if section else site._newest())[:RSS_ITEMS]
    title = f"{site.name} - {sec.name}" if sec else site.name
    items = []
    for art in arts:
        link = f"{base}{article_href(art.id)}"
        items.append(
            f"<item>\n<title>{esc(art.title)}</title>\n<link>{esc(link)}</link>\n"
            f"<description>{esc(lead_text(art, 200))}</description>\n"
            f"<pubDate>{format_datetime(art.published)}</pubDate>\n"
            f"<author>{esc('·'.join(r.name for r in art.reporters))}</author>\n"
            f"<category>{esc(art.section.name)}</category>\n"
            f'<guid isPermaLink="true">{esc(link)}</guid>\n</item>'
        )
    built = format_datetime(arts[0].published) if arts else format_datetime(site.now)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>\n'
        f"<title>{esc(title)}</title>\n<link>{esc(base)}/</link>\n"
        f"<description>{esc(site.name)} 최신기사</description>\n<language>ko</language>\n"
        f"<lastBuildDate>{built}</lastBuildDate>\n" + "\n".join(items)
        + "\n</channel>\n</rss>\n"
    )


def robots_txt() -> str:
    """robots.txt: members' pages and search results are off limits; no sitemap."""
    return "User-agent: *\nDisallow: /member/\nDisallow: /news/search_result.html\n"
