"""Re-dress replica article pages the ways editors and mediaOn skins do (for extraction tests).

A replica article page is rendered, parsed with lxml, and its article block (the skin's
root div: header, body container, signature, share and comment boxes) is replaced by one
built here from the same :class:`~newsarc.replica.content.Article` and a :class:`Dress`:
another skin's class names, other byline leads, signatures, captions, paragraph markup,
wrappers, spaces and date forms.  The site chrome (header, sidebar, footer) stays the
replica's.  :func:`expected` says what a clean extraction of the dressed page gives: the
same paragraphs, and the metadata as the page shows it (a date shown without seconds has
none; an e-mail shown nowhere is unknown).

The plain :class:`Dress` is the replica's own arv_001 markup, which
``tests/test_extract_mutations.py`` checks, so each field is one change against the CMS.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

import lxml.html

from newsarc.replica import render
from newsarc.replica.content import Article, Photo, Site, outlet

ROOT = "http://127.0.0.1:8000"
SKINS = ("arv_001", "arv_005", "m_arv_001")
PARAGRAPHS = ("p", "div", "div_spaced", "br")
LEADS = ("pipe", "bracket_eq", "paren_seoul", "bracket_dash", "none")
ROLES = ("기자", "특파원", "인턴기자")
SPACES = (" ", "\xa0", "\u3000")  # in bylines: a space, a no-break space, a full-width space
BARS = ("|", "｜")
SIGNATURES = ("inside", "writer_box", "after")
SIG_SEPARATORS = (" ", " | ", " · ", " / ", " = ", " ▶ ")
CAPTIONS = ("figure", "div", "table", "span")
DATE_FORMATS = {  # name: (strftime format, shows seconds)
    "dots": ("%Y.%m.%d %H:%M:%S", True),
    "dots_min": ("%Y.%m.%d %H:%M", False),
    "dashes_min": ("%Y-%m-%d %H:%M", False),
    "slashes": ("%Y/%m/%d %H:%M:%S", True),
    "korean": ("%Y년 %m월 %d일 %H:%M", False),
}
DATE_LAYOUTS = ("items", "modified_first", "one_item", "prefixed", "with_reporter")
PUBLISHED_LABELS = ("등록", "입력")
MODIFIED_LABELS = ("수정", "최종수정")
_WRAPPER_CLASSES = ("view_con", "article_txt", "", "txt_area")


@dataclass(frozen=True)
class Dress:
    """How one article page is dressed; every default is the replica's arv_001 markup."""

    skin: str = "arv_001"  # root class and header structure: arv_001_01, arv_005_01, m_arv_001_01
    paragraphs: str = "p"  # <p>, <div>, <div> with &nbsp; spacer divs, or text with <br><br>
    inner_wrappers: int = 0  # extra divs between the body container and the paragraphs
    outer_wrappers: int = 0  # extra divs around the body container
    lead: str = "pipe"  # the byline lead opening the first paragraph (see lead_text)
    role: str = "기자"  # the reporter's title, in the header, the lead and the signature
    space: str = " "  # the space between name and title (and around the lead's marks)
    bar: str = "|"  # the bar of the pipe lead and of " | " signature separators
    header_email: bool = True  # the header's reporter item shows the e-mail
    signature: str = "inside"  # inside the container, in a writer box after it, or bare after
    sig_separator: str = " "  # between "NAME 기자" and each e-mail of the signature
    sig_emails: int = 1  # e-mails in the signature: 0, 1 (the reporter's) or 2 (and another)
    sig_mailto: bool = False  # e-mails of the signature as <a href="mailto:…"> links
    caption: str = "figure"  # photo markup: figure/figcaption, div, table or span caption
    zoom: bool = True  # a 크게보기 zoom control in the photo block
    date_format: str = "dots"  # see DATE_FORMATS
    date_layout: str = "items"  # see DATE_LAYOUTS
    published_label: str = "등록"
    modified_label: str = "수정"


def esc(text: str) -> str:
    return escape(text, quote=True)


def second_email(email: str) -> str:
    """The other address a reporter gives in a two-address signature."""
    return f"{email.split('@', 1)[0]}.news@gmail.com"


def signature_emails(art: Article, dress: Dress) -> list[str]:
    """The e-mails the dressed signature shows (none for a reporter without one)."""
    email = art.reporters[0].email
    if not email or dress.sig_emails == 0:
        return []
    return [email, second_email(email)][: dress.sig_emails]


def lead_text(art: Article, dress: Dress) -> str:
    """The byline lead the first paragraph opens with."""
    name, sp, role = art.reporters[0].name, dress.space, dress.role
    site = outlet()["name"]
    return {
        "pipe": f"{site}{sp}{name}{sp}{role}{sp}{dress.bar} ",
        "bracket_eq": f"[{site}={name}{sp}{role}]{sp}",
        "paren_seoul": f"(서울={site}){sp}{name}{sp}{role}{sp}={sp}",
        "bracket_dash": f"[{site}]{sp}{name}{sp}{role}{sp}={sp}",
        "none": "",
    }[dress.lead]


def _separator(dress: Dress) -> str:
    return dress.sig_separator.replace("|", dress.bar)


def signature_text(art: Article, dress: Dress) -> str:
    """The signature as a reader sees it: ``홍길동 기자 | hong@example.com``."""
    rep = art.reporters[0]
    return f"{rep.name}{dress.space}{dress.role}" + "".join(
        _separator(dress) + e for e in signature_emails(art, dress))


def _signature_html(art: Article, dress: Dress) -> str:
    rep = art.reporters[0]
    out = esc(f"{rep.name}{dress.space}{dress.role}")
    for email in signature_emails(art, dress):
        shown = f'<a href="mailto:{esc(email)}">{esc(email)}</a>' if dress.sig_mailto \
            else esc(email)
        out += esc(_separator(dress)) + shown
    return out


def date_text(dt: datetime, dress: Dress) -> str:
    return dt.strftime(DATE_FORMATS[dress.date_format][0])


def shown(dt: datetime | None, dress: Dress) -> str | None:
    """A date as the page shows it, ISO 8601: without seconds where the format has none."""
    if dt is None:
        return None
    if not DATE_FORMATS[dress.date_format][1]:
        dt = dt.replace(second=0)
    return dt.isoformat()


def expected_email(art: Article, dress: Dress) -> str | None:
    """The first reporter's e-mail if the page shows it anywhere (header or signature)."""
    email = art.reporters[0].email
    if email and (dress.header_email or signature_emails(art, dress)):
        return email
    return None


def expected(art: Article, dress: Dress) -> dict[str, Any]:
    """What a clean extraction of the dressed page gives."""
    return {
        "title": art.title,
        "published": shown(art.published, dress),
        "modified": shown(art.modified, dress),
        "first_author": {"name": art.reporters[0].name, "email": expected_email(art, dress)},
        "body": "\n\n".join(art.paragraphs),
    }


def forbidden(art: Article, dress: Dress) -> list[str]:
    """Strings (whitespace squeezed) that must not be in the body: lead, signature, e-mails,
    captions, zoom label, copyright, footer and header chrome."""
    strings = ["크게보기", "저작권법", "무단 전재", "취재본부", "기상청", "대표/발행인",
               "다른 기사 보기"]
    strings += [" ".join(lead_text(art, dress).split()), " ".join(
        signature_text(art, dress).split())]
    strings += signature_emails(art, dress) + [e for r in art.reporters if (e := r.email)]
    strings += [p.caption for p in art.photos if p.caption]
    body = "\n\n".join(art.paragraphs)
    return [s for s in strings if s and s not in body]


# --- markup -------------------------------------------------------------------------------

def _zoom(photo: Photo, dress: Dress, cls: str = "") -> str:
    if not dress.zoom:
        return ""
    attr = f' class="{cls}"' if cls else ""
    return f'<a{attr} href="{photo.path}" target="_blank">크게보기</a>'


def photo_html(art: Article, photo: Photo, dress: Dress) -> str:
    """One photo block in the dress's caption form."""
    cap = photo.caption
    alt = esc(cap or art.title)
    if dress.caption == "figure":
        fig = f"<figcaption>{esc(cap)}</figcaption>" if cap else ""
        return (f'<figure class="photo"><img src="{photo.path}" alt="{alt}" width="640">'
                f"{_zoom(photo, dress, 'zoom')}{fig}</figure>")
    if dress.caption == "div":
        div = f'<div style="color:#666;font-size:13px">{esc(cap)}</div>' if cap else ""
        return (f'<div style="text-align:center"><img src="{photo.path}" alt="">'
                f"{_zoom(photo, dress)}{div}</div>")
    if dress.caption == "table":
        row = f"<tr><td>{esc(cap)}</td></tr>" if cap else ""
        return (f'<table align="center" style="margin:0 auto"><tbody><tr><td>'
                f'<img src="{photo.path}" alt="">{_zoom(photo, dress)}</td></tr>{row}'
                "</tbody></table>")
    if dress.caption == "span":
        span = f'<br><span style="color:#777">{esc(cap)}</span>' if cap else ""
        return (f'<p style="text-align:center"><img src="{photo.path}" alt="">'
                f"{_zoom(photo, dress)}{span}</p>")
    raise ValueError(dress.caption)


def _blocks(dress: Dress, texts: list[str]) -> list[str]:
    """Texts (already escaped HTML) as the dress's paragraphs, one string each."""
    if dress.paragraphs == "p":
        return [f"<p>{t}</p>" for t in texts]
    return [f"<div>{t}</div>" for t in texts]


def body_html(art: Article, dress: Dress) -> str:
    """The inside of the body container: photos, paragraphs, and an inside signature."""
    photos: dict[int, list[Photo]] = {}
    for photo in art.photos:
        photos.setdefault(photo.position, []).append(photo)
    texts = [esc(t) for t in art.paragraphs]
    texts[0] = esc(lead_text(art, dress)) + texts[0]
    tail = [_signature_html(art, dress), esc(outlet()["copyright"])] \
        if dress.signature == "inside" else []
    parts: list[str] = []
    if dress.paragraphs == "br":
        for i, text in enumerate(texts):
            parts += [photo_html(art, p, dress) for p in photos.get(i, [])]
            parts.append(text + ("<br><br>" if i < len(texts) - 1 else ""))
        if tail:
            parts.append("<br><br>" + "<br>".join(tail))
        inner = "\n".join(parts)
    else:
        for i, block in enumerate(_blocks(dress, texts)):
            parts += [photo_html(art, p, dress) for p in photos.get(i, [])]
            parts.append(block)
            if dress.paragraphs == "div_spaced" and i < len(texts) - 1:
                parts.append("<div>&nbsp;</div>")
        parts += [f"<div>{t}</div>" for t in tail]  # as the CMS ends #news_body_area
        inner = "\n".join(parts)
    for i in range(dress.inner_wrappers):
        cls = _WRAPPER_CLASSES[i % len(_WRAPPER_CLASSES)]
        inner = (f'<div class="{cls}">' if cls else "<div>") + f"\n{inner}\n</div>"
    return inner


def _after_container(art: Article, dress: Dress) -> str:
    """The signature and copyright after the container (writer box or bare divs)."""
    sig, rights = _signature_html(art, dress), esc(outlet()["copyright"])
    if dress.signature == "writer_box":
        name = art.reporters[0].name
        return (f'<div class="writer_box"><div class="writer_name">{sig}</div>'
                f'<div class="copyright">{rights}</div><a class="more" href="'
                f'{esc(render.writer_href(name))}">{esc(name)} 기자의 다른 기사 보기</a></div>')
    if dress.signature == "after":
        return f"<div>{sig}</div>\n<div>{rights}</div>"
    return ""


def _reporter_item(art: Article, dress: Dress) -> str:
    rep = art.reporters[0]
    text = esc(f"{rep.name}{dress.space}{dress.role}")
    if dress.header_email and rep.email:
        text += f" {esc(rep.email)}"
    return text


def info_items(art: Article, dress: Dress) -> str:
    """The header's info items: reporter, published and modified dates in the dress's layout."""
    rep = art.reporters[0]
    reporter = f'<a href="{esc(render.writer_href(rep.name))}">{_reporter_item(art, dress)}</a>'
    pub = f"{dress.published_label} {date_text(art.published, dress)}"
    mod = f"{dress.modified_label} {date_text(art.modified, dress)}" if art.modified else None
    layout = dress.date_layout
    if layout == "with_reporter":
        return "<li>" + " | ".join([reporter, esc(pub)] + ([esc(mod)] if mod else [])) + "</li>"
    items = [f"<li>{reporter}</li>"]
    if layout == "items":
        dates = [pub] + ([mod] if mod else [])
    elif layout == "modified_first":
        dates = ([mod] if mod else []) + [pub]
    elif layout == "one_item":
        dates = [" | ".join(([mod] if mod else []) + [pub])]
    elif layout == "prefixed":
        dates = [f"[{outlet()['name']}] {pub}"] + ([mod] if mod else [])
    else:
        raise ValueError(layout)
    return "".join(items) + "".join(f"<li>{esc(d)}</li>" for d in dates)


def article_block(site: Site, art: Article, dress: Dress) -> str:
    """The skin's root div for the dressed article (share and comment boxes left out)."""
    sub = art.subtitle
    sec = esc(art.section.name)
    container_id = ' id="news_body_area"' + (' class="smartOutput"'
                                              if dress.skin == "arv_005" else "")
    if dress.skin == "m_arv_001":
        container = f'<div class="news_detail">\n{body_html(art, dress)}\n</div>'
    else:
        container = (f'<div class="cnt_view news_body_area"><div{container_id}>\n'
                     f"{body_html(art, dress)}\n</div></div>")
    for i in range(dress.outer_wrappers):
        container = f'<div class="art_body_{i}">{container}</div>'
    after = _after_container(art, dress)
    items = info_items(art, dress)
    if dress.skin == "m_arv_001":
        head = (f'<div class="news_top"><p class="m_section">{sec}</p><h3>{esc(art.title)}</h3>'
                + (f"<h4>{esc(sub)}</h4>" if sub else "") + f'<ul class="info">{items}</ul></div>')
        return f'<div class="m_arv_001_01">\n{head}\n{container}\n{after}\n</div>'
    top = (f'<div class="art_top"><h2>{esc(art.title)}</h2>'
           + (f"<h3>{esc(sub)}</h3>" if sub else "") + f'<ul class="art_info">{items}</ul></div>')
    if dress.skin == "arv_005":
        nav = ('<ul class="art_top_nav"><li><a href="/">홈</a></li><li><a href="'
               f'/news/section_list_all.html?sec_no={art.section.no}">{sec}</a></li></ul>')
        return (f'<div class="arv_005_01">\n<div class="fix_art_top">{nav}{top}</div>\n'
                f"{container}\n{after}\n</div>")
    return (f'<div class="arv_001_01">\n<div class="path_wrap"><h3>{sec}</h3></div>\n{top}\n'
            f"{container}\n{after}\n</div>")


def base_article(art: Article) -> Article:
    """The article as the page around the dressed block is rendered: arv_001 (no article
    meta tags in the head, which would restate dates the dress may show otherwise), no ad,
    no related box, the signature inside (no writer box to remove)."""
    return dataclasses.replace(art, template="arv_001", ad_in_body=False, related=(),
                               signature_inside=True)


def dress_page(site: Site, art: Article, dress: Dress) -> str:
    """The replica's page of ``art`` with its article block re-dressed (parse, replace,
    serialize with lxml); the share buttons and comment box are kept after the body."""
    tree = lxml.html.document_fromstring(render.article_page(site, base_article(art)))
    old = tree.xpath("//div[@class='arv_001_01']")[0]
    new = lxml.html.fragment_fromstring(article_block(site, art, dress))
    for keep in old.xpath("./div[@class='share_btn'] | ./div[@class='comment_box']"):
        new.append(copy.deepcopy(keep))
    new.tail = old.tail
    old.getparent().replace(old, new)
    return "<!DOCTYPE html>\n" + lxml.html.tostring(tree, encoding="unicode")


def article_url(art: Article) -> str:
    return f"{ROOT}/news/article.html?no={art.id}"
