"""What a page says about itself: canonical URL, headline, outlet, authors, section.

Pages of any markup state their own metadata in a few standard places: ``<link
rel=canonical>``, Open Graph and ``article:`` meta tags, schema.org JSON-LD
(``NewsArticle``, ``Article``, ``ReportageNewsArticle``) and the visible headline.  The
unknown-template path rests on these, not on class names; the profile path uses them where
the CMS's own header is silent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from difflib import SequenceMatcher
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

_ARTICLE_TYPES = frozenset({"newsarticle", "article", "reportagenewsarticle", "blogposting",
                            "analysisnewsarticle", "opinionnewsarticle", "reviewnewsarticle"})
# Headings, and elements named as titles (case as written: "tit", "Tit", "subj", "headline").
_HEADING_XPATH = etree.XPath(
    "//h1|//h2|//h3|//h4|//h5|//*[@itemprop='headline' or contains(@class, 'tit')"
    " or contains(@class, 'Tit') or contains(@class, 'subj') or contains(@class, 'headline')"
    " or contains(@id, 'tit') or contains(@id, 'Tit') or contains(@id, 'subj')]")
_WORD_RE = re.compile(r"\w+")
_TITLE_SEPARATORS = (" - ", " | ", " : ", " :: ", " < ", " > ", " — ", " – ", " #")
_MAX_HEADLINE = 300
# Tried only where a run of spaces starts: linear on long runs.
_TITLE_RE = re.compile(r"(?<!\s)\s*(?:기자|특파원|인턴기자|객원기자|논설위원|선임기자)$")


def squeeze(text: str) -> str:
    """Runs of whitespace (no-break spaces included) as one space, and none at the ends.

    ``str.split`` splits on exactly what a ``\\s+`` regular expression matches in a string,
    three times as fast: it runs on every line of every body.
    """
    return " ".join(text.split())


def meta(tree: HtmlElement, *names: str) -> str | None:
    """The first non-empty ``content`` of a meta tag named (name, property or itemprop)
    one of ``names``, in the order given."""
    for name in names:
        for value in tree.xpath("//meta[@property=$n or @name=$n or @itemprop=$n]/@content",
                                n=name):
            if value.strip():
                return squeeze(value)
    return None


def canonical_url(tree: HtmlElement) -> str | None:
    """The URL the page names as its own: its canonical link, else og:url."""
    for href in tree.xpath("//link[@rel='canonical']/@href"):
        if href.strip():
            return href.strip()
    return meta(tree, "og:url")


def json_ld_articles(tree: HtmlElement) -> list[dict[str, Any]]:
    """The article objects of the page's JSON-LD blocks (malformed blocks are ignored)."""
    found = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):  # RecursionError: arrays nested a thousand deep
            continue
        found.extend(o for o in _objects(data) if _is_article(o))
    return found


def _objects(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _objects(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        yield from _objects(data.get("@graph"), depth + 1)


def _is_article(obj: dict[str, Any]) -> bool:
    kinds = obj.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds)


def declares_article(tree: HtmlElement) -> bool:
    """True when the page says it is an article (og:type, article: meta or JSON-LD)."""
    return (meta(tree, "og:type") or "").lower() == "article" or bool(
        meta(tree, "article:published_time")) or bool(json_ld_articles(tree))


def outlet_names(tree: HtmlElement, known: tuple[str, ...] = ()) -> list[str]:
    """Names the page gives its outlet: og:site_name, JSON-LD publisher, the part of
    ``<title>`` after the headline, and ``known`` (the profile's)."""
    names = list(known)
    for value in (meta(tree, "og:site_name", "application-name", "twitter:site"),
                  *(_name_of(a.get("publisher")) for a in json_ld_articles(tree))):
        if value:
            names.append(value.lstrip("@"))
    title = squeeze(" ".join(tree.xpath("//title//text()")))
    for separator in _TITLE_SEPARATORS:
        if separator in title:
            names.append(title.rsplit(separator, 1)[1].strip())
    return [n for n in dict.fromkeys(squeeze(n) for n in names) if 1 < len(n) <= 40]


def _name_of(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return squeeze(value) if isinstance(value, str) else None


def json_ld_value(tree: HtmlElement, key: str) -> str | None:
    """A text value (``headline``, ``articleSection``) of the page's JSON-LD article."""
    for article in json_ld_articles(tree):
        value = _name_of(article.get(key))
        if value:
            return value
    return None


def meta_authors(tree: HtmlElement) -> list[str]:
    """Author names the page's meta tags and JSON-LD give, URLs and outlet names left out."""
    names: list[str] = []
    for article in json_ld_articles(tree):
        authors = article.get("author")
        for author in authors if isinstance(authors, list) else [authors]:
            if name := _name_of(author):
                names.append(name)
    value = meta(tree, "article:author", "author", "byl", "dable:author", "sailthru.author")
    if value and "://" not in value and "@" not in value:
        names.extend(re.split(r"\s*[/,·]\s*", value))
    outlets = set(outlet_names(tree))
    names = [_TITLE_RE.sub("", squeeze(n)) for n in names]
    return [n for n in dict.fromkeys(names) if n and n not in outlets and len(n) <= 40]


def reference_title(tree: HtmlElement, outlets: list[str]) -> str | None:
    """The headline as the page's metadata states it: og:title, JSON-LD headline or
    ``<title>``, with an outlet-name suffix removed."""
    raw = (meta(tree, "og:title", "twitter:title") or json_ld_value(tree, "headline")
           or squeeze(" ".join(tree.xpath("//title//text()"))))
    return strip_outlet(raw, outlets) if raw else None


def strip_outlet(title: str, outlets: list[str]) -> str:
    """``title`` without a trailing `` - outlet`` (or ``| : < #``) suffix."""
    for separator in _TITLE_SEPARATORS:
        head, sep, tail = title.rpartition(separator)
        if sep and head.strip() and (tail.strip() in outlets or len(tail.strip()) <= 12):
            return head.strip()
    return title.strip()


def visible_headline(tree: HtmlElement, reference: str | None,
                     exclude: HtmlElement | None = None) -> str | None:
    """The headline as the page shows it: the heading that best matches the metadata's
    title (a visible title keeps its quotes and tags where og:title rewrites them).

    Without metadata, the first ``h1`` (else ``h2``) outside the body.  A heading counts
    when its words mostly agree with the reference; else the reference itself is used.
    """
    best, best_score = None, 0.0
    for node in _HEADING_XPATH(tree):
        if exclude is not None and inside(node, exclude):
            continue
        text = squeeze(node.text_content())
        if not 4 <= len(text) <= _MAX_HEADLINE:
            continue
        if reference is None:
            return text if node.tag in ("h1", "h2") else None
        if text == reference:
            return text
        score = _similarity(text, reference)
        if score > best_score:
            best, best_score = text, score
    if best is not None and best_score >= 0.8:
        return best
    return reference


def _similarity(text: str, reference: str) -> float:
    """How much of the reference's words the text shows, penalized for extra words."""
    a, b = _WORD_RE.findall(text), _WORD_RE.findall(reference)
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, "".join(a), "".join(b), autojunk=False).ratio()


def inside(node: HtmlElement, container: HtmlElement) -> bool:
    """True when ``node`` is ``container`` or lies within it."""
    return any(ancestor is container for ancestor in node.iterancestors()) or node is container


_SUBTITLE_NAME_RE = re.compile(
    r"(?:^|[\s_-])(?:sub[_-]?tit\w*|stit\w*|sub[_-]?title\w*|subtitle\w*|sub[_-]?subject|"
    r"sub[_-]?head\w*|deck|dek)(?:$|[\s_-])", re.IGNORECASE)
_SUBTITLE_MAX = 400


def subtitle_element(tree: HtmlElement) -> HtmlElement | None:
    """The deck under the headline on a page of unknown markup: an element named as a
    subtitle (``sub_title``, ``stit``, ``deck``) or marked ``alternativeHeadline``."""
    for node in tree.iter():
        if not isinstance(node.tag, str) or node.tag in ("meta", "script", "style", "body"):
            continue
        name = f"{node.get('id', '')} {node.get('class', '')}"
        if (_SUBTITLE_NAME_RE.search(name) or node.get("itemprop") == "alternativeHeadline"):
            text = squeeze(node.text_content())
            if 4 <= len(text) <= _SUBTITLE_MAX:
                return node
    return None


def lines_of(node: HtmlElement) -> str:
    """An element's text with its line breaks kept as newlines, blank lines dropped."""
    parts = [node.text or ""]
    for child in node.iterdescendants():
        if child.tag == "br":
            parts.append("\n")
        elif isinstance(child.tag, str) and child.text:
            parts.append(child.text)
        parts.append(child.tail or "")
    lines = (squeeze(line) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)
