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
from functools import lru_cache
from itertools import islice
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
from crawler import boilerplate, bylines, dates, pagemeta
from crawler.bylines import Author
from crawler.container import find_body, is_photo_box, link_lines, photo_boxes, prune_unknown
from crawler.profile import DEFAULT_PROFILE, Profile, load_profile
from crawler.skip import Skip, SkipKind
from crawler.urls import (
    article_id,
    canonical_article_url,
    is_article_path,
    page_article_id,
    page_url,
    site_root,
)

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
# Byline and date elements of unknown markup: named so, or a <time>.
_HEADER_XPATH = etree.XPath(
    "//time|//*[@class or @id][contains(translate(concat(@class, ' ', @id), "
    "'BYLINEWRTAUHODCSF', 'bylinewrtauhodcsf'), 'byline') or contains(translate(concat(@class, "
    "' ', @id), 'BYLINEWRTAUHODCSF', 'bylinewrtauhodcsf'), 'writer') or contains(translate("
    "concat(@class, ' ', @id), 'BYLINEWRTAUHODCSF', 'bylinewrtauhodcsf'), 'author') or "
    "contains(translate(concat(@class, ' ', @id), 'BYLINEWRTAUHODCSF', 'bylinewrtauhodcsf'),"
    " 'reporter') or contains(translate(concat(@class, ' ', @id), 'BYLINEWRTAUHODCSF', "
    "'bylinewrtauhodcsf'), 'info') or contains(translate(concat(@class, ' ', @id), "
    "'BYLINEWRTAUHODCSF', 'bylinewrtauhodcsf'), 'date')]")
_HEADER_TEXT_MAX = 200
_SIGNATURE_NAME_RE = re.compile(r"writer|reporter|byline|author|journalist|email|sign",
                                re.IGNORECASE)
_SIGNATURE_BLOCKS = 12
_SIGNATURE_LEVELS = 4
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# trafilatura's options, built once (trafilatura reads its configuration file's values into
# every Extractor it makes: a tenth of the extraction's time when made for each page).
_BODY_OPTIONS = Extractor(output_format="txt", comments=False, tables=True, images=False,
                          links=False, recall=True, dedup=False, fast=True)
_UTF8_PARSER = HTMLParser(encoding="utf-8")  # for bytes known to be UTF-8 (see _parse)
# Elements of a body read past this are cut: a long article has a few thousand, and
# trafilatura's XPath (//p//text(), in libxml2's C) is quadratic in them (issue 19).
_MAX_BODY_ELEMENTS = 20_000


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
        return problem
    try:
        tree = _parse(page, text, as_is)
    except (etree.ParserError, ValueError) as exc:
        return Skip(SkipKind.UNPARSEABLE, f"unparseable HTML: {exc}")
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


def _precheck(text: str, profile: Profile) -> Skip | None:
    """The skip for a page refused before parsing: empty, binary, soft-404, cut off."""
    if not text.strip():
        return Skip(SkipKind.EMPTY, "empty page")
    head = text[:4096]
    controls = len(_BINARY_RE.findall(head))
    if "\x00" in head or controls > len(head) // 20:
        return Skip(SkipKind.BINARY, "binary data, not HTML")
    if any(marker in text for marker in profile.soft_404_markers) and len(text) < 4096:
        return Skip(SkipKind.SOFT_404, "soft-404: the CMS's missing-article stub")
    if "<" not in head:
        return Skip(SkipKind.NOT_HTML, "not HTML: no markup")
    if profile.require_html_end and "</html" not in text[-4096:].lower():
        return Skip(SkipKind.TRUNCATED, "truncated HTML: the page ends before </html>")
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
    body_el = _first(tree, profile, "body")
    method = "profile" if body_el is not None else "fallback"
    outlets = pagemeta.outlet_names(tree, (profile.name,))
    if body_el is None:
        body_el = find_body(tree)
        if body_el is None and _says_article(url, tree):
            body_el = find_body(tree, 1)
    title = _title(tree, profile, outlets, None if method == "profile" else body_el)
    if body_el is None and title is None:
        return Skip(SkipKind.NOT_ARTICLE, "not an article page: no headline and no body")
    if method == "fallback" and _first(tree, profile, "not_article") is not None:
        return Skip(SkipKind.LIST_PAGE, "not an article page: a list page")
    info = _info_texts(tree, profile) or _header_texts(tree, body_el)
    published, modified = dates.page_dates(
        tree, info, exclude=body_el,
        published_labels=dict.fromkeys((*profile.published_labels, *dates.PUBLISHED_LABELS)),
        modified_labels=dict.fromkeys((*profile.modified_labels, *dates.MODIFIED_LABELS)))
    if modified is not None and modified == published:
        modified = None  # dateModified = datePublished: many pages state it of unedited articles
    identity = _identify(url, tree, published is not None or pagemeta.declares_article(tree))
    if identity is None:
        return Skip(SkipKind.NO_ARTICLE_NUMBER,
                    "no article number: the URL is not an article URL (pass --url)")
    number, page_url, cms = identity
    if title is None:
        return Skip(SkipKind.NO_HEADLINE, "no headline")
    if body_el is None:
        return Skip(SkipKind.NO_BODY, "no body text")
    _cap(body_el)
    root = site_root(page_url)
    subtitle = _text_of(_first(tree, profile, "subtitle"))
    if subtitle is None and method == "fallback":
        deck = pagemeta.subtitle_element(tree)
        if deck is not None:
            subtitle = pagemeta.lines_of(deck) or None
            _remove([deck])
    section = _section(tree, profile)
    header_authors = bylines.header_authors(info, outlets)
    for text in dict.fromkeys(_signature_texts(body_el)):
        signed = bylines.signature_authors(text, header_authors, outlets)
        if signed:
            header_authors = bylines.merge_authors(header_authors, signed)
    images = _images(body_el, root)
    lines = _body_paragraphs(body_el, profile, method == "fallback")
    not_body = {img["caption"] for img in images if img["caption"]} | {title}
    if subtitle:
        not_body.add(subtitle)
    paragraphs, authors = _clean_paragraphs(lines, profile, not_body, header_authors, outlets)
    if not paragraphs:
        return Skip(SkipKind.NO_BODY, "no body text")
    if not authors:  # meta tags often name the outlet or a desk: the visible byline wins
        authors = [{"name": n, "email": None} for n in pagemeta.meta_authors(tree)]
    body = "\n\n".join(paragraphs)
    return {
        "id": number,
        "url": canonical_article_url(root, number) if cms else page_url,
        "site": profile.name if cms or profile.name in outlets[1:] or not outlets[1:]
        else outlets[1],
        "title": title,
        "subtitle": subtitle,
        "section": section,
        "published": published,
        "modified": modified,
        "authors": authors,
        "body": body,
        "images": images,
        "language": profile.language,
        "fetched_at": None,
        "content_hash": content_hash(body),
        "version": 1,
        "schema_version": SCHEMA_VERSION,
        "extraction": {"profile": profile.key, "method": method},
    }


# --- metadata ---------------------------------------------------------------------------

def _identify(url: str | None, tree: HtmlElement,
              article_like: bool) -> tuple[int, str, bool] | None:
    """(id, URL, whether it is the CMS's article URL) of the page, else None.

    The URL it was fetched from, else the one it names as its own (canonical link, og:url).
    A mediaOn article URL gives the CMS's number (``no=0`` is the CMS's soft-404); another
    URL names an article only when the page says it is one (``article_like``: a date, or
    og:type / JSON-LD), and gives the number in it or an id derived from it.  A URL that
    does not even split (``http://[::1/...``, from a broken canonical link) names nothing.
    """
    candidates = [u for u in (url, pagemeta.canonical_url(tree)) if u]
    for candidate in candidates:
        try:
            number, root = article_id(candidate), site_root(candidate)
        except ValueError:
            continue
        if number is not None and number >= 1:
            return number, root, True
    candidates = [u for u in candidates if not is_article_path(u)]  # the CMS's, numberless
    if not article_like or not candidates:
        return None
    try:
        site_root(candidates[0])
        number = page_article_id(candidates[0])
    except ValueError:
        return None
    return (number, page_url(candidates[0]), False) if number else None


def _says_article(url: str | None, tree: HtmlElement) -> bool:
    """True when the URL is the CMS's article URL or the page declares itself an article:
    then a short text is the article's, not a teaser's."""
    for candidate in (url, pagemeta.canonical_url(tree)):
        try:
            if candidate and article_id(candidate):
                return True
        except ValueError:  # a URL that does not split names nothing
            continue
    return pagemeta.declares_article(tree)


def _first(tree: HtmlElement, profile: Profile, name: str) -> HtmlElement | None:
    for xpath in profile.xpaths.get(name, ()):
        found = xpath(tree)
        if found:
            return found[0]
    return None


def _text_of(element: HtmlElement | None) -> str | None:
    if element is None:
        return None
    text = pagemeta.squeeze(element.text_content())
    return text or None


def _title(tree: HtmlElement, profile: Profile, outlets: list[str],
           body: HtmlElement | None) -> str | None:
    """The profile's headline element, else the visible heading that matches the title the
    page's metadata states (og:title, JSON-LD, ``<title>`` without the outlet's name)."""
    title = _text_of(_first(tree, profile, "headline"))
    if title:
        return title
    names = [*outlets, *(s.strip(" -|<:") for s in profile.title_suffixes)]
    reference = pagemeta.reference_title(tree, names)
    return pagemeta.visible_headline(tree, reference, body) or None


def _info_texts(tree: HtmlElement, profile: Profile) -> list[str]:
    """Texts of the header's info items: reporters, 등록 and 수정 dates."""
    for xpath in profile.xpaths.get("info_items", ()):
        items = xpath(tree)
        if items:
            return [_text_of(item) or "" for item in items]
    return []


def _header_texts(tree: HtmlElement, body: HtmlElement | None) -> list[str]:
    """Texts of the byline and date elements of a page of unknown markup, outside its body."""
    texts = []
    for node in _HEADER_XPATH(tree):
        if body is not None and pagemeta.inside(node, body):
            continue
        text = _text_of(node)
        if text and len(text) <= _HEADER_TEXT_MAX:
            texts.append(text)
    return texts


def _signature_texts(body: HtmlElement) -> list[str]:
    """Short texts that may sign the article but may not reach the paragraphs: reporter
    boxes and the last blocks inside the body container (trafilatura drops short closing
    lines), lines around ``mailto:`` links, and the few blocks right after the container
    (the signature and reporter box follow the body on many skins)."""
    nodes = [n for n in body.iterdescendants() if isinstance(n.tag, str)
             and _SIGNATURE_NAME_RE.search(f"{n.get('id', '')} {n.get('class', '')}")]
    nodes.extend(link.getparent() for link in body.xpath(".//a[starts-with(@href, 'mailto:')]"))
    nodes.extend(list(body)[-_SIGNATURE_BLOCKS // 3:])
    node: HtmlElement | None = body
    for _level in range(_SIGNATURE_LEVELS):  # wrappers around the container: look past them
        if node is None:
            break
        nodes.extend([n for n in node.itersiblings() if isinstance(n.tag, str)][:3])
        node = node.getparent()
    texts = []
    for candidate in [n for n in nodes if isinstance(n.tag, str)][:_SIGNATURE_BLOCKS * 2]:
        # A reporter box's parts (name and e-mail, copyright, "more") are read one by one.
        for part in [candidate, *candidate.iterdescendants()][:_SIGNATURE_BLOCKS]:
            text = _text_of(part) if isinstance(part.tag, str) else None
            if text and len(text) <= _HEADER_TEXT_MAX:
                texts.append(text)
    return texts


def _section(tree: HtmlElement, profile: Profile) -> str | None:
    return (_text_of(_first(tree, profile, "section")) or pagemeta.meta(tree, "article:section")
            or pagemeta.json_ld_value(tree, "articleSection"))


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
        box = is_photo_box(node)
        if node.tag == "figure" or "photo" in cls or "img" in cls or box:
            found = node.xpath(".//figcaption|.//*[contains(@class, 'caption')]")
            if found:
                return _text_of(found[0])
            return _box_caption(node) if box else None
        node = node.getparent()
    return None


def _box_caption(box: HtmlElement) -> str | None:
    """A photo box's caption: its text without zoom labels and credits of the photo."""
    lines = [pagemeta.squeeze(t) for t in box.itertext()]
    return " ".join(t for t in lines if t and not boilerplate.is_boilerplate(t)) or None


def _cap(body_el: HtmlElement, limit: int = _MAX_BODY_ELEMENTS) -> None:
    """Cut the body after its ``limit``-th element: a hostile page, bounded."""
    cut = next(islice(body_el.iterdescendants(), limit, None), None)
    if cut is None:
        return
    node = cut
    while node is not body_el:
        parent = node.getparent()
        for later in list(node.itersiblings()):
            parent.remove(later)
        node = parent
    cut.getparent().remove(cut)


def _body_paragraphs(body_el: HtmlElement, profile: Profile, unknown: bool) -> list[str]:
    """trafilatura on the body container alone, pruned of what the profile lists, and on a
    container of ``unknown`` markup also of what such containers hold besides the text.

    The container is handed over marked as the article body (``itemprop=articleBody``),
    which trafilatura's first body XPath takes as it is: unmarked, trafilatura found no
    body in it and fell back to its slower "wild text" recovery, for the same paragraphs.
    """
    _remove(prune_unknown(body_el) + link_lines(body_el) if unknown else photo_boxes(body_el))
    _prune(body_el, profile.prune)
    # trafilatura drops comments with the text after them ("<!--end-->text" is text).
    for comment in list(body_el.iter(etree.Comment)):
        delete_element(comment)
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
    """Remove what the profile's prune list matches (see ``_remove``)."""
    for xpath in xpaths:
        _remove(xpath(body_el))


def _remove(nodes: list[Any]) -> None:
    """Remove ``nodes``, keeping the text that follows each.  A removed block (photo box,
    ad, related box) leaves a line break behind: without it, the text before and after the
    block (in the ``<br>`` skin, paragraphs are bare text around the boxes) would run
    together into one paragraph."""
    for node in nodes:
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


@lru_cache(maxsize=32)
def _unanchored(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A profile's start-of-paragraph pattern, matching anywhere: its leading ``^`` dropped,
    and the leading ``\\s*`` after it (the match becomes a space among spaces anyway).
    Without a leading ``\\s*``, which matches everywhere, Python's ``re`` skips quickly to
    where the pattern can start: a search of every line costs half as much."""
    return re.compile(pattern.pattern.removeprefix("^").removeprefix(r"\s*"), pattern.flags)


def _clean_paragraphs(lines: list[str], profile: Profile, not_body: set[str],
                      authors: list[Author], outlets: list[str]) -> tuple[list[str], list[Author]]:
    """The reporter's paragraphs, and the authors completed from bylines and signatures.

    Removed: the byline lead (the profile's prefix, or any Korean lead form before the
    first paragraph), signatures (the reporters' names and e-mails in any closing form),
    the profile's boilerplate and the common Korean news boilerplate, credits glued to a
    paragraph's end, texts known to be elsewhere in the record (``not_body``: captions, the
    headline) and everything after the footer starts.  A name or e-mail found only in a
    lead or signature fills ``authors``.
    """
    paragraphs: list[str] = []
    prefix = _unanchored(profile.byline_prefix)
    for line in lines:
        text = pagemeta.squeeze(line)
        if not paragraphs and text:
            text, lead = bylines.strip_lead(text, outlets)
            authors = bylines.merge_authors(authors, lead)
        # The profile's prefix opens the first paragraph the CMS wrote, wherever it landed.
        text = pagemeta.squeeze(prefix.sub(" ", text))
        if not text:
            continue
        if profile.ends_body(text):
            break
        # trafilatura writes list items as "- item": a signature in a <li> is still one.
        bare = text[2:] if text.startswith("- ") else text
        signed = bylines.signature_authors(bare, authors, outlets)
        if signed is not None:
            authors = bylines.merge_authors(authors, signed)
            continue
        if bare in not_body or _is_boilerplate(bare, profile):
            continue
        paragraphs.append(boilerplate.strip_trailing_credit(text))
    if paragraphs:
        last, signed = bylines.strip_trailing_signature(paragraphs[-1], authors, outlets)
        authors = bylines.merge_authors(authors, signed)
        paragraphs[-1:] = [last] if last else []
    return paragraphs, authors


def _is_boilerplate(line: str, profile: Profile) -> bool:
    if profile.keeps(line):
        return False
    return profile.is_boilerplate(line) or boilerplate.is_boilerplate(line)
