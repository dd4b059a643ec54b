"""Article extraction: one HTML page of a mediaOn outlet in, one clean record (or a skip) out.

The page is parsed once with lxml.  Metadata comes from the CMS's own header markup
(headline, ``ul.art_info``, breadcrumb), which is exact where generic heuristics guess.
The body container (``#news_body_area``, or ``div.news_detail`` on mobile) is cut out of
that tree, photos are read off it, the profile's prune list removes photos, ads, related
boxes and reporter boxes, and trafilatura separates the text of what is left.  A last pass
over the paragraphs removes what markup cannot: the byline prefix, the signature and the
copyright line (the CMS writes them as plain paragraphs on some skins) and the footer.

When no known container is found (a template generation this code was not written for),
trafilatura runs on the whole page with the profile's chrome pruned, and the same
paragraph pass removes byline, signature, copyright and footer text.

``extract`` is the one public entry point: the spider, ``newsarc extract`` and re-extraction
from WARC files all go through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import trafilatura
from lxml import etree
from lxml.html import Element as html_element
from lxml.html import HtmlElement, document_fromstring
from trafilatura.htmlprocessing import prune_unwanted_nodes
from w3lib.encoding import html_to_unicode

from archive.schema import SCHEMA_VERSION, content_hash
from archive.timeutil import KST
from crawler.profile import DEFAULT_PROFILE, Profile, load_profile
from crawler.urls import article_id, canonical_article_url, site_root

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DATE_RE = r"(\d{4})[.\-/](\d{1,2})[.\-/](\d{1,2})\.?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
_REPORTER_RE = re.compile(r"([가-힣A-Za-z]{2,20}(?:\s*[·,]\s*[가-힣A-Za-z]{2,20})*)\s*기자")
_SPACE_RE = re.compile(r"\s+")
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_TRAFILATURA_OPTIONS: dict[str, Any] = {
    "output_format": "txt",
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "favor_recall": True,
    "deduplicate": False,
    "fast": True,
}


@dataclass(frozen=True)
class Skip:
    """A page that yields no record, and why (counted in the crawl summary)."""

    reason: str


def extract(
    page: str | bytes,
    url: str | None = None,
    *,
    content_type: str | None = None,
    profile: Profile | str | None = None,
) -> dict[str, Any] | Skip:
    """Turn one page into a schema-v1 record (``fetched_at`` left None), or a ``Skip``.

    ``page`` may be bytes (decoded like Scrapy does: HTTP charset, BOM, meta, then
    detection) or text.  ``url`` is where the page was fetched; without it the page's
    canonical link or og:url is used.  ``profile`` is a compiled profile or the name or
    path of one (default: the bundled 뉴미디어타임즈 profile).  Never raises on bad input.
    """
    if not isinstance(profile, Profile):
        profile = load_profile(profile or DEFAULT_PROFILE)
    text = _decode(page, content_type)
    problem = _precheck(text, profile)
    if problem:
        return Skip(problem)
    try:
        tree = document_fromstring(_XML_DECL_RE.sub("", text, count=1))
    except (etree.ParserError, ValueError) as exc:
        return Skip(f"unparseable HTML: {exc}")
    return _extract_tree(tree, url, profile)


def _decode(page: str | bytes, content_type: str | None) -> str:
    if isinstance(page, str):
        return page
    _encoding, text = html_to_unicode(content_type, page)
    return text


def _precheck(text: str, profile: Profile) -> str | None:
    """Reasons to skip a page before parsing it: empty, binary, soft-404, cut off."""
    if not text.strip():
        return "empty page"
    head = text[:4096]
    controls = sum(1 for ch in head if ch < " " and ch not in "\t\r\n\f") + head.count("\ufffd")
    if "\x00" in head or controls > len(head) // 20:
        return "binary data, not HTML"
    if any(marker in text for marker in profile.soft_404_markers) and len(text) < 4096:
        return "soft-404: the CMS's missing-article stub"
    if "<" not in head:
        return "not HTML: no markup"
    if profile.require_html_end and "</html" not in text[-4096:].lower():
        return "truncated HTML: the page ends before </html>"
    return None


def _extract_tree(tree: HtmlElement, url: str | None, profile: Profile) -> dict[str, Any] | Skip:
    url = url or _meta_url(tree)
    title = _title(tree, profile)
    body_el = _first(tree, profile, "body")
    if body_el is None and title is None:
        return Skip("not an article page: no headline and no body")
    if body_el is None and _first(tree, profile, "not_article") is not None:
        return Skip("not an article page: a list page")
    identity = _identify(url)
    if identity is None:
        return Skip("no article number: the URL is not an article URL (pass --url)")
    number, root = identity
    if title is None:
        return Skip("no headline")
    info = _info_texts(tree, profile)
    published = _labelled_date(info, profile.published_labels) or _meta(
        tree, "article:published_time", normalize_date=True
    )
    if body_el is None and published is None:
        return Skip("not an article page: no body container and no date")
    if body_el is not None:
        images = _images(body_el, root)
        lines = _body_paragraphs(body_el, profile)
    else:
        images = _page_images(tree, root)
        lines = _page_paragraphs(tree, profile)
    authors = [a for text in info for a in _reporters_in(text)] or _byline_authors(lines, profile)
    not_body = {img["caption"] for img in images if img["caption"]} | {title}
    paragraphs = _clean_paragraphs(lines, profile, not_body)
    if not paragraphs:
        return Skip("no body text")
    body = "\n\n".join(paragraphs)
    return {
        "id": number,
        "url": canonical_article_url(root, number),
        "site": profile.name,
        "title": title,
        "subtitle": _text_of(_first(tree, profile, "subtitle")),
        "section": _section(tree, profile),
        "published": published,
        "modified": _labelled_date(info, profile.modified_labels),
        "authors": authors,
        "body": body,
        "images": images,
        "language": profile.language,
        "fetched_at": None,
        "content_hash": content_hash(body),
        "version": 1,
        "schema_version": SCHEMA_VERSION,
    }


# --- metadata ---------------------------------------------------------------------------

def _identify(url: str | None) -> tuple[int, str] | None:
    """(article number, site root) of an http(s) article URL, else None."""
    number = article_id(url) if url else None
    if number is None or url is None:
        return None
    try:
        return number, site_root(url)
    except ValueError:
        return None


def _first(tree: HtmlElement, profile: Profile, name: str) -> HtmlElement | None:
    for xpath in profile.xpaths.get(name, ()):
        found = xpath(tree)
        if found:
            return found[0]
    return None


def _text_of(element: HtmlElement | None) -> str | None:
    if element is None:
        return None
    text = _SPACE_RE.sub(" ", element.text_content().replace("\xa0", " ")).strip()
    return text or None


def _meta(tree: HtmlElement, prop: str, normalize_date: bool = False) -> str | None:
    values = tree.xpath("//meta[@property=$p or @name=$p]/@content", p=prop)
    value = values[0].strip() if values else None
    if value and normalize_date:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=KST)
        return parsed.astimezone(KST).replace(microsecond=0).isoformat()
    return value or None


def _meta_url(tree: HtmlElement) -> str | None:
    links = tree.xpath("//link[@rel='canonical']/@href")
    return (links[0].strip() if links else None) or _meta(tree, "og:url")


def _title(tree: HtmlElement, profile: Profile) -> str | None:
    title = _text_of(_first(tree, profile, "headline"))
    if title:
        return title
    raw = _meta(tree, "og:title") or _text_of(next(iter(tree.xpath("//title")), None))
    if not raw:
        return None
    for suffix in profile.title_suffixes:
        if raw.endswith(suffix):
            return raw[: -len(suffix)].strip() or None
    return raw


def _info_texts(tree: HtmlElement, profile: Profile) -> list[str]:
    """Texts of the header's info items: reporters, 등록 and 수정 dates."""
    for xpath in profile.xpaths.get("info_items", ()):
        items = xpath(tree)
        if items:
            return [_text_of(item) or "" for item in items]
    return []


def _labelled_date(info: list[str], labels: tuple[str, ...]) -> str | None:
    """``등록 2024.06.14 07:40:01`` -> ``2024-06-14T07:40:01+09:00`` (the CMS shows Korea time)."""
    text = " | ".join(info)
    for label in labels:
        match = re.search(re.escape(label) + r"\s*:?\s*" + _DATE_RE, text)
        if match:
            y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
            try:
                return datetime(y, mo, d, h, mi, s, tzinfo=KST).isoformat()
            except ValueError:
                return None
    return None


def _section(tree: HtmlElement, profile: Profile) -> str | None:
    return _text_of(_first(tree, profile, "section")) or _meta(tree, "article:section")


def _reporters_in(text: str) -> list[dict[str, str | None]]:
    match = _REPORTER_RE.search(text)
    if not match:
        return []
    email = _EMAIL_RE.search(text)
    names = [n.strip() for n in re.split(r"[·,]", match.group(1)) if n.strip()]
    return [{"name": n, "email": email.group(0) if email else None} for n in names]


def _byline_authors(lines: list[str], profile: Profile) -> list[dict[str, str | None]]:
    """Fallback when the header names nobody: the body's byline prefix, emails from signatures."""
    firsts = [line.strip() for line in lines if line.strip()][:3]
    byline = next((m for m in map(profile.byline_prefix.match, firsts) if m), None)
    authors = _reporters_in(byline.group(0)) if byline else []
    for author in authors:
        for line in lines:
            if line.strip().startswith(author["name"]) and (email := _EMAIL_RE.search(line)):
                author["email"] = email.group(0)
    return authors


# --- body -------------------------------------------------------------------------------

def _images(body_el: HtmlElement, root: str) -> list[dict[str, str | None]]:
    """Photos in the body with their captions; zoom icons and tracking pixels are not photos."""
    images = []
    for img in body_el.iter("img"):
        src = (img.get("src") or img.get("data-src") or "").strip()
        if not src or src.startswith("data:") or _is_control(img):
            continue
        images.append({"url": urljoin(root + "/", src), "caption": _caption_for(img, body_el)})
    return images


def _is_control(img: HtmlElement) -> bool:
    for node in (img, img.getparent()):
        if node is not None and re.search(r"zoom|btn|icon", node.get("class", "") + " "
                                          + (img.get("src") or ""), re.IGNORECASE):
            return True
    return False


def _caption_for(img: HtmlElement, body_el: HtmlElement) -> str | None:
    """The caption of the photo container around ``img`` (figure, or a photo div)."""
    node = img.getparent()
    while node is not None and node is not body_el:
        cls = node.get("class", "")
        if node.tag == "figure" or "photo" in cls or "img" in cls:
            found = node.xpath(".//figcaption|.//*[contains(@class, 'caption')]")
            return _text_of(found[0]) if found else None
        node = node.getparent()
    return None


def _body_paragraphs(body_el: HtmlElement, profile: Profile) -> list[str]:
    """trafilatura on the body container alone, pruned of what the profile lists.

    The prune list is the profile's ``prune_xpath``, compiled once per profile and applied
    with trafilatura's own pruning (tail text kept), not recompiled for every page.
    """
    prune_unwanted_nodes(body_el, list(profile.prune))
    body_el.tag = "div"
    document = html_element("html")
    body = html_element("body")
    body.append(body_el)
    document.append(body)
    return _trafilatura_lines(document)


def _trafilatura_lines(document: HtmlElement, **options: Any) -> list[str]:
    text = trafilatura.extract(document, **{**_TRAFILATURA_OPTIONS, **options}) or ""
    return text.split("\n")


def _page_images(tree: HtmlElement, root: str) -> list[dict[str, str | None]]:
    """Fallback: photos in figures anywhere in the page (the body container is unknown)."""
    images = []
    for figure in tree.xpath("//figure[.//img]"):
        img = figure.xpath(".//img")[0]
        if src := (img.get("src") or "").strip():
            images.append({"url": urljoin(root + "/", src), "caption": _caption_for(img, tree)})
    return images


def _page_paragraphs(tree: HtmlElement, profile: Profile) -> list[str]:
    """Fallback: trafilatura on the whole page, with the outlet's chrome pruned first."""
    return _trafilatura_lines(tree, prune_xpath=list(profile.page_prune) or None, fast=False)


def _clean_paragraphs(lines: list[str], profile: Profile, not_body: set[str]) -> list[str]:
    """The reporter's paragraphs: no byline prefix, signature, copyright, captions or footer.

    ``not_body`` holds texts known to be elsewhere in the record (captions, the headline).
    """
    paragraphs: list[str] = []
    for line in lines:
        text = _SPACE_RE.sub(" ", line.replace("\xa0", " ")).strip()
        if not paragraphs and text:
            text = profile.byline_prefix.sub("", text, count=1).strip()
        if not text:
            continue
        if profile.ends_body(text):
            break
        if profile.is_boilerplate(text) or text in not_body:
            continue
        paragraphs.append(text)
    return paragraphs
