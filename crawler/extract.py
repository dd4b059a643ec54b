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
from copy import copy
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import trafilatura
from lxml import etree
from lxml.html import Element as html_element
from lxml.html import HtmlElement, HTMLParser, document_fromstring
from trafilatura.settings import Extractor
from trafilatura.xml import delete_element
from w3lib.encoding import html_to_unicode, read_bom

from archive.schema import SCHEMA_VERSION, content_hash
from archive.timeutil import KST
from crawler.profile import DEFAULT_PROFILE, Profile, load_profile
from crawler.skip import Skip
from crawler.urls import article_id, canonical_article_url, site_root

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DATE_RE = r"(\d{4})[.\-/](\d{1,2})[.\-/](\d{1,2})\.?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
_REPORTER_RE = re.compile(r"([가-힣A-Za-z]{2,20}(?:\s*[·,]\s*[가-힣A-Za-z]{2,20})*)\s*기자")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# What pages in a language come in when they are not UTF-8 (tried after UTF-8).
_LEGACY_ENCODINGS = {"ko": ("cp949",)}
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "center", "dd", "details", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "iframe", "li", "main", "nav", "ol", "p", "pre", "section", "table", "ul",
})
_XML_UNSAFE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# What makes a page's head look binary: control characters other than tab, CR, LF and form
# feed, and replacement characters (bytes that decoded to nothing).
_BINARY_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")
# A character reference that may stand for one of them (over-approximated: it only decides
# whether the parsed tree is checked at all).
_UNSAFE_REFERENCE_RE = re.compile(
    r"&#0*(?:[12]?[0-9]|3[01]|6553[45])(?![0-9])"
    r"|&#[xX]0*(?:1?[0-9a-fA-F]|[fF]{3}[eEfF])(?![0-9a-fA-F])"
)
_METADATA_XPATHS = ("headline", "subtitle", "section", "info_items")
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# trafilatura's options, built once (trafilatura reads its configuration file's values into
# every Extractor it makes: a tenth of the extraction's time when made for each page).
# The body container: fast heuristics; the whole-page fallback: trafilatura's full cascade.
_BODY_OPTIONS = Extractor(output_format="txt", comments=False, tables=True, images=False,
                          links=False, recall=True, dedup=False, fast=True)
_PAGE_OPTIONS = copy(_BODY_OPTIONS)
_PAGE_OPTIONS.fast = False
_UTF8_PARSER = HTMLParser(encoding="utf-8")  # for bytes known to be UTF-8 (see _parse)


def extract(
    page: str | bytes,
    url: str | None = None,
    *,
    content_type: str | None = None,
    profile: Profile | str | None = None,
) -> dict[str, Any] | Skip:
    """Turn one page into a schema-v1 record (``fetched_at`` left None), or a ``Skip``.

    ``page`` may be bytes (a BOM, else UTF-8 or the language's legacy encoding when the
    bytes are valid in it, else the HTTP charset or meta declaration) or text.  ``url`` is
    where the page was fetched; without it the page's canonical link or og:url is used.
    ``profile`` is a compiled profile or the name or path of one (default: the bundled
    뉴미디어타임즈 profile).  Never raises on bad input.
    """
    if not isinstance(profile, Profile):
        profile = load_profile(profile or DEFAULT_PROFILE)
    text, as_is = _decode(page, content_type, profile.language)
    problem = _precheck(text, profile)
    if problem:
        return Skip(problem)
    try:
        tree = _parse(page, text, as_is)
    except (etree.ParserError, ValueError) as exc:
        return Skip(f"unparseable HTML: {exc}")
    if _UNSAFE_REFERENCE_RE.search(text):
        _make_xml_safe(tree)
    return _extract_tree(tree, url, profile)


def _parse(page: str | bytes, text: str, as_is: bool) -> HtmlElement:
    """The page's tree; from its bytes when ``as_is`` (they are its text in UTF-8).

    libxml2 reads UTF-8 natively; a Python string reaches it in a wider encoding it
    converts first (a third of the parse).  Text that has to be mended (an XML declaration
    lxml refuses in a string, characters it refuses anywhere) is parsed as mended text.
    """
    if as_is and not _XML_DECL_RE.match(text) and not _XML_UNSAFE_RE.search(text):
        return document_fromstring(page, parser=_UTF8_PARSER)
    text = _XML_DECL_RE.sub("", text, count=1)
    if _XML_UNSAFE_RE.search(text):
        text = _xml_safe(text)  # also in tag and attribute names, which lxml rejects later
    return document_fromstring(text)


def _decode(page: str | bytes, content_type: str | None, language: str) -> tuple[str, bool]:
    """Text of a page, and whether it is the bytes decoded as UTF-8 without a change.
    Bytes: a byte-order mark, else UTF-8 if they are (nearly all) valid UTF-8, else the
    legacy encoding of the outlet's language (CP949, the superset of EUC-KR, for Korean) if
    they are valid in it, else the HTTP charset or meta declaration as Scrapy reads it,
    with undecodable bytes replaced.

    Labels are checked against the bytes because they are often wrong: EUC-KR pages
    relabelled UTF-8 by a proxy, UTF-8 pages still declaring EUC-KR after a CMS upgrade,
    or no label at all.  Valid UTF-8 with non-ASCII text is practically never anything else.
    """
    if isinstance(page, str):
        # A lone surrogate (text decoded with surrogateescape) makes lxml drop the rest of
        # the document silently.
        return _SURROGATE_RE.sub("\ufffd", page), False
    if read_bom(page)[0] is None:
        try:
            return page.decode("utf-8"), True
        except UnicodeDecodeError:
            text = page.decode("utf-8", "replace")
        broken = text.count("\ufffd")
        if broken * 50 <= len(text) - len(text.encode("ascii", "ignore")) - broken:
            return text, False  # UTF-8 with a few broken bytes: cut mid-character, or corrupted
        for encoding in _LEGACY_ENCODINGS.get(language, ()):
            try:
                return page.decode(encoding), False
            except UnicodeDecodeError:
                continue
    _encoding, text = html_to_unicode(content_type, page)
    return text, False


def _precheck(text: str, profile: Profile) -> str | None:
    """Reasons to skip a page before parsing it: empty, binary, soft-404, cut off."""
    if not text.strip():
        return "empty page"
    head = text[:4096]
    controls = len(_BINARY_RE.findall(head))
    if "\x00" in head or controls > len(head) // 20:
        return "binary data, not HTML"
    if any(marker in text for marker in profile.soft_404_markers) and len(text) < 4096:
        return "soft-404: the CMS's missing-article stub"
    if "<" not in head:
        return "not HTML: no markup"
    if profile.require_html_end and "</html" not in text[-4096:].lower():
        return "truncated HTML: the page ends before </html>"
    return None


def _xml_safe(text: str) -> str:
    """``text`` without the characters lxml parses but refuses to set again (C0 controls
    other than tab and line breaks, U+FFFE, U+FFFF).

    trafilatura rebuilds the tree it is given; one such character anywhere in the body (a
    stray control character pasted from a word processor) made it give up on the whole
    page, and an article with it was lost as "no body text".  Form feed is HTML white space
    and becomes a space; the others are invisible and go.
    """
    return _XML_UNSAFE_RE.sub(lambda m: " " if m.group(0) == "\f" else "", text)


def _make_xml_safe(tree: HtmlElement) -> None:
    """The same characters, written as character references: gone from texts and attribute
    values after parsing (names cannot hold references)."""
    for node in tree.iter():
        if node.tail and _XML_UNSAFE_RE.search(node.tail):
            node.tail = _xml_safe(node.tail)
        if not isinstance(node.tag, str):
            continue  # a comment: references are not expanded in it
        if node.text and _XML_UNSAFE_RE.search(node.text):
            node.text = _xml_safe(node.text)
        for name, value in node.attrib.items():
            if _XML_UNSAFE_RE.search(value):
                node.set(name, _xml_safe(value))


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
    # Read before the body: the whole-page fallback takes the header markup out of the tree.
    subtitle = _text_of(_first(tree, profile, "subtitle"))
    section = _section(tree, profile)
    if body_el is not None:
        images = _images(body_el, root)
        lines = _body_paragraphs(body_el, profile)
    else:
        images = _page_images(tree, root)
        lines = _page_paragraphs(tree, profile)
    authors = [a for text in info for a in _reporters_in(text)] or _byline_authors(lines, profile)
    not_body = {img["caption"] for img in images if img["caption"]} | {title}
    emails = {a["email"] for a in authors if a["email"]}
    paragraphs = _clean_paragraphs(lines, profile, not_body, emails)
    if not paragraphs:
        return Skip("no body text")
    body = "\n\n".join(paragraphs)
    return {
        "id": number,
        "url": canonical_article_url(root, number),
        "site": profile.name,
        "title": title,
        "subtitle": subtitle,
        "section": section,
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
        "extraction": {"profile": profile.key,
                       "method": "profile" if body_el is not None else "fallback"},
    }


# --- metadata ---------------------------------------------------------------------------

def _identify(url: str | None) -> tuple[int, str] | None:
    """(article number, site root) of an http(s) article URL, else None.

    Article numbers start at 1 (``no=0`` is the CMS's soft-404); a URL that does not even
    split (``http://[::1/...``, from a broken canonical link) is no article URL.
    """
    if not url:
        return None
    try:
        number = article_id(url)
        root = site_root(url)
    except ValueError:
        return None
    if number is None or number < 1:
        return None
    return number, root


def _first(tree: HtmlElement, profile: Profile, name: str) -> HtmlElement | None:
    for xpath in profile.xpaths.get(name, ()):
        found = xpath(tree)
        if found:
            return found[0]
    return None


def _text_of(element: HtmlElement | None) -> str | None:
    if element is None:
        return None
    text = _squeeze(element.text_content())
    return text or None


def _squeeze(text: str) -> str:
    """Runs of whitespace (no-break spaces included) as one space, and none at the ends.

    ``str.split`` splits on exactly what a ``\\s+`` regular expression matches in a string,
    three times as fast: it runs on every line of every body.
    """
    return " ".join(text.split())


def _meta(tree: HtmlElement, prop: str, normalize_date: bool = False) -> str | None:
    values = tree.xpath("//meta[@property=$p or @name=$p]/@content", p=prop)
    value = values[0].strip() if values else None
    if value and normalize_date:
        try:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=KST)
            return parsed.astimezone(KST).replace(microsecond=0).isoformat()
        except (ValueError, OverflowError):  # not ISO 8601; year 1 or 9999 out of KST range
            return None
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
        url = _photo_url(root, img.get("src") or img.get("data-src"))
        if url is None or _is_control(img):
            continue
        images.append({"url": url, "caption": _caption_for(img, body_el)})
    return images


def _photo_url(root: str, src: str | None) -> str | None:
    """Absolute http(s) URL of an image source; None for inline data, javascript:, mailto:,
    other schemes and sources that are no URL at all."""
    try:
        url = urljoin(root + "/", (src or "").strip())
    except ValueError:  # e.g. "http://[::1/x.jpg"
        return None
    match = re.match(r"(https?)(://[^/?#\s].*)", url, re.IGNORECASE | re.DOTALL)
    return match.group(1).lower() + match.group(2) if match else None  # "Https:" -> "https:"


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

    The prune list is the profile's ``prune_xpath``, compiled once per profile, not
    recompiled for every page.  The container is handed over marked as the article body
    (``itemprop=articleBody``), which trafilatura's first body XPath takes as it is:
    unmarked, trafilatura found no body in it, copied the tree and fell back to its slower
    "wild text" recovery, for the same paragraphs (1.8 ms a page instead of 3.1 ms).
    """
    _prune(body_el, profile.prune)
    _separate_blocks(body_el)
    body_el.tag = "div"
    body_el.attrib.clear()
    body_el.set("itemprop", "articleBody")
    document = html_element("html")
    body = html_element("body")
    body.append(body_el)
    document.append(body)
    return _trafilatura_lines(document)


def _prune(body_el: HtmlElement, xpaths: tuple[etree.XPath, ...]) -> None:
    """Remove what the profile's prune list matches, keeping the text that follows each
    node.  A removed block (photo box, ad, related box) leaves a line break behind: without
    it, the text before and after the block (in the ``<br>`` skin, paragraphs are bare text
    around the boxes) would run together into one paragraph.
    """
    for xpath in xpaths:
        for node in xpath(body_el):
            if not isinstance(node, HtmlElement) or node.getparent() is None:
                continue  # not an element, or inside a block removed already
            if node.tag in _BLOCK_TAGS:
                node.clear(keep_tail=True)
                node.tag = "br"
            else:
                delete_element(node)


def _separate_blocks(body_el: HtmlElement) -> None:
    """Put a line break between a block and bare text right before or after it.

    A browser shows ``text<div>signature</div>more`` on three lines; trafilatura would glue
    the block's text to the text around it, and a signature glued to the end of a paragraph
    is no longer a paragraph of its own that the boilerplate patterns can recognize.
    """
    for node in list(body_el.iterdescendants(*_BLOCK_TAGS)):
        parent = node.getparent()
        if parent is None:
            continue
        previous = node.getprevious()
        before = parent.text if previous is None else previous.tail
        if before and before.strip():
            node.addprevious(html_element("br"))
        if node.tail and node.tail.strip():
            br = html_element("br")
            br.tail, node.tail = node.tail, None
            node.addnext(br)


def _trafilatura_lines(document: HtmlElement, options: Extractor = _BODY_OPTIONS,
                       prune_xpath: list[str] | None = None) -> list[str]:
    text = trafilatura.extract(document, options=options, prune_xpath=prune_xpath) or ""
    return text.split("\n")


def _page_images(tree: HtmlElement, root: str) -> list[dict[str, str | None]]:
    """Fallback: photos in figures anywhere in the page (the body container is unknown)."""
    images = []
    for figure in tree.xpath("//figure[.//img]"):
        img = figure.xpath(".//img")[0]
        if url := _photo_url(root, img.get("src")):
            images.append({"url": url, "caption": _caption_for(img, tree)})
    return images


def _page_paragraphs(tree: HtmlElement, profile: Profile) -> list[str]:
    """Fallback: trafilatura on the whole page, with the outlet's chrome pruned first.

    The header markup the metadata was read from (headline, subtitle, section, the info
    items with reporters, e-mails and dates) is taken out too: it is in the record already.
    """
    for name in _METADATA_XPATHS:
        for xpath in profile.xpaths.get(name, ()):
            for node in xpath(tree):
                if isinstance(node, HtmlElement) and node.getparent() is not None:
                    node.drop_tree()
    return _trafilatura_lines(tree, _PAGE_OPTIONS, list(profile.page_prune) or None)


@lru_cache(maxsize=32)
def _unanchored(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A profile's start-of-paragraph pattern, matching anywhere: its leading ``^`` dropped,
    and the leading ``\\s*`` after it (the match becomes a space among spaces anyway).
    Without a leading ``\\s*``, which matches everywhere, Python's ``re`` skips quickly to
    where the pattern can start: a search of every line costs half as much."""
    return re.compile(pattern.pattern.removeprefix("^").removeprefix(r"\s*"), pattern.flags)


def _clean_paragraphs(lines: list[str], profile: Profile, not_body: set[str],
                      emails: set[str]) -> list[str]:
    """The reporter's paragraphs: no byline prefix, signature, copyright, captions or footer.

    ``not_body`` holds texts known to be elsewhere in the record (captions, the headline);
    a line holding one of the reporters' ``emails`` is a signature or contact line, even
    one the signature pattern misses (cut short, or names joined in an unusual way).
    """
    paragraphs: list[str] = []
    for line in lines:
        text = _squeeze(line)
        # The prefix opens the first paragraph the CMS wrote, which need not be the first
        # line left here, nor even the start of a line (text glued to it when markup between
        # them was lost): it is never the reporter's text, wherever it is.
        text = _squeeze(_unanchored(profile.byline_prefix).sub(" ", text))
        if not text:
            continue
        if profile.ends_body(text):
            break
        # trafilatura writes list items as "- item": a signature in a <li> is still one.
        bare = text[2:] if text.startswith("- ") else text
        if bare in not_body or profile.is_boilerplate(text) or (
                bare is not text and profile.is_boilerplate(bare)):
            continue
        if any(email in text for email in emails):
            continue
        paragraphs.append(text)
    return paragraphs
