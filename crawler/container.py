"""Where the article text sits on a page of unknown markup.

A redesign of the outlet, or a page of another CMS, has no container the profile names.
The page itself says where its text is in two ways: markup that declares it
(``itemprop="articleBody"``, which schema.org markup puts on the body), and, failing that,
the shape of news prose: an article is the one element holding most of the page's
sentences as its own paragraphs, while menus, lists of other headlines and footers hold
short lines without sentence endings.  Scoring elements by the sentence text of their
paragraphs, as readability does, finds that element; chrome around it never wins.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

# Text that ends like a sentence in Korean news prose (…다. …요. …까?) or a quotation.
_SENTENCE_END_RE = re.compile(r"(?:[다요죠까음함됨임]|니다)[.?!]?[\"'”’)]?\s*$|[.?!][\"'”’)]?\s*$")
_PARAGRAPH_TAGS = frozenset({"p", "div", "td", "li", "dd", "span", "font", "section",
                             "article", "blockquote", "b", "strong"})
_SKIP_TAGS = frozenset({"script", "style", "noscript", "iframe", "form", "select", "option",
                        "button", "nav", "header", "footer", "aside", "textarea", "template"})
_CONTAINER_TAGS = frozenset({"div", "article", "section", "td", "main", "dd", "dl", "span",
                             "font", "body"})
# Markup that names a list of other articles, comments or chrome: its text is not the body.
_NOT_BODY_RE = re.compile(
    r"(?:^|[\s_-])(?:comment|reply|footer|header|gnb|lnb|snb|nav|menu|side|aside|banner|"
    r"rank|popular|best|hot|most|related|relation|recommend|list|tag|keyword|share|sns|"
    r"copyright|foot|util|breadcrumb|ad|ads|advert)(?:$|[\s_-]|[0-9])",
    re.IGNORECASE)
_WIDEN_LEVELS = 3
_WIDEN_SHARE = 1.25  # an ancestor with a quarter more prose holds more of the article
_MIN_SCORE = 120  # characters of sentence text: less is a teaser or a caption, not an article


def declared_body(tree: HtmlElement) -> HtmlElement | None:
    """The element the page marks as the article body (schema.org microdata), if any."""
    for node in tree.iterfind(".//*[@itemprop]"):
        if "articlebody" in node.get("itemprop", "").lower().split():
            return node
    return None


def find_body(tree: HtmlElement, min_score: float = 120) -> HtmlElement | None:
    """The element holding the article's paragraphs, or None when the page has no prose.

    Each text block (an element's own text, and the text after each ``<br>`` or inline
    child) scores its length when it ends like a sentence; its parent gets the score and
    its grandparent half of it.  The best-scoring container, pulled up to an ancestor that
    holds markedly more of the same prose (paragraphs split across sibling wrappers), wins.
    A declared ``articleBody`` wins when it holds prose at all.  ``min_score`` is the least
    sentence text an article holds (less is a teaser or a caption); a caller that knows the
    page is an article may lower it.
    """
    scores: dict[HtmlElement, float] = {}
    totals: dict[HtmlElement, float] = {}  # all sentence text inside an element
    for node in tree.iter():
        if not isinstance(node.tag, str) or node.tag in _SKIP_TAGS or _hidden(node):
            continue
        for text, owner in _blocks(node):
            score = _block_score(text)
            if not score:
                continue
            parent = owner if owner.tag in _CONTAINER_TAGS else owner.getparent()
            if parent is None:
                continue
            scores[parent] = scores.get(parent, 0.0) + score
            grand = parent.getparent()
            if grand is not None:
                scores[grand] = scores.get(grand, 0.0) + score / 2
            for holder in (parent, *parent.iterancestors()):
                totals[holder] = totals.get(holder, 0.0) + score
    declared = declared_body(tree)
    if declared is not None and totals.get(declared, 0.0) >= min(min_score, _MIN_SCORE):
        return declared
    best = max((n for n in scores if not _named_not_body(n)), key=scores.__getitem__,
               default=None)
    if best is None or totals[best] < min_score:
        return None
    return _widen(best, totals)


def _widen(best: HtmlElement, totals: dict[HtmlElement, float]) -> HtmlElement:
    """``best``, or the nearest ancestor holding markedly more prose: an article split into
    sibling containers (by an ad, a photo box) is one article."""
    for _level in range(_WIDEN_LEVELS):
        parent = best.getparent()
        if (parent is None or parent.tag in ("body", "html") or _named_not_body(parent)
                or totals.get(parent, 0.0) < totals[best] * _WIDEN_SHARE):
            break
        best = parent
    return best


def _blocks(node: HtmlElement) -> list[tuple[str, HtmlElement]]:
    """Texts a node contributes directly: its own text if it is a paragraph-like element,
    and the tails of its children (text after a ``<br>``, an image or an inline tag)."""
    blocks = []
    if node.tag in _PARAGRAPH_TAGS and node.text and node.text.strip():
        blocks.append((_own_text(node), node))
    for child in node:
        if child.tail and child.tail.strip():
            blocks.append((child.tail, node))
    return blocks


def _own_text(node: HtmlElement) -> str:
    """The text of a paragraph with its inline children (links, bold), not nested blocks."""
    parts = [node.text or ""]
    for child in node:
        if isinstance(child.tag, str) and child.tag in ("a", "b", "strong", "em", "i", "u",
                                                         "span", "font", "sup", "sub"):
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def _block_score(text: str) -> float:
    text = text.strip()
    if len(text) < 8 or not _SENTENCE_END_RE.search(text):
        return 0.0
    return float(min(len(text), 1000))


def _hidden(node: HtmlElement) -> bool:
    style = node.get("style", "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style or node.get("hidden") is not None


def _named_not_body(node: HtmlElement) -> bool:
    name = f"{node.get('id', '')} {node.get('class', '')}"
    return bool(name.strip()) and bool(_NOT_BODY_RE.search(name)) and "body" not in name.lower()


_PHOTO_BOX_TEXT = 300  # characters: a box with a photo and no more text is a photo with caption
# What a body container of unknown markup holds besides the text: ads, photo boxes, related
# links, share buttons, the reporter box, hidden elements (read by no reader).
_PRUNE_RE = re.compile(
    r"(?:^|[\s_-])(?:ad|ads|adsbygoogle|advert\w*|banner|caption|photo\w*|img\w*|image\w*|"
    r"pic|figure|related|relation|recommend|share|sns|social|reporter|writer|byline|"
    r"journalist|profile|copyright|keyword\w*|tags?|comment\w*|btn\w*|button|subscribe\w*|"
    r"more|other|hidden|blind|sr-only|screen_out)(?:$|[\s_-]|[0-9])",
    re.IGNORECASE)
_PRUNE_TAGS = ("script", "style", "ins", "iframe", "noscript", "figure", "figcaption", "form",
               "button", "select", "textarea", "object", "embed", "video", "audio", "aside",
               "nav")


def prune_unknown(body: HtmlElement) -> list[HtmlElement]:
    """Boxes inside a body container of unknown markup that are not the article's text,
    in document order: elements named as ads, captions, photo, related, share or reporter
    boxes, hidden ones, and photo boxes (an image with little text around it)."""
    found = []
    for node in body.iterdescendants():
        if not isinstance(node.tag, str):
            continue
        if node.tag in _PRUNE_TAGS or _hidden(node):
            found.append(node)
            continue
        name = f"{node.get('id', '')} {node.get('class', '')}".strip()
        if name and _PRUNE_RE.search(name) and "body" not in name.lower():
            found.append(node)
        elif node.tag in ("table", "div", "dl", "p", "center") and is_photo_box(node):
            found.append(node)
    return found


def photo_boxes(body: HtmlElement) -> list[HtmlElement]:
    """Photo boxes in a body container that no class names: a table holding an image and
    no more text than a caption, or a paragraph that opens with an image (editors paste
    photos so; their captions are image metadata, not text)."""
    return [n for n in body.iterdescendants("table", "p", "div", "center")
            if is_photo_box(n)]


def is_photo_box(node: HtmlElement) -> bool:
    """True for a table with an image and caption-sized text, or a block that opens with an
    image and holds no more text than a caption, in no paragraph of its own."""
    if node.find(".//img") is None:
        return False
    text = node.text_content().strip()
    if len(text) >= _PHOTO_BOX_TEXT:
        return False
    if node.tag == "table":
        return True
    first = next((c for c in node if isinstance(c.tag, str)), None)
    opens_with_image = not (node.text or "").strip() and first is not None and (
        first.tag == "img" or (first.tag == "a" and first.find("img") is not None
                               and not (first.text or "").strip()))
    return opens_with_image and node.find(".//p") is None and not _blank_line(node)


def _blank_line(node: HtmlElement) -> bool:
    """True when two line breaks follow each other in ``node``: a paragraph break, after
    which comes text, not a caption."""
    for br in node.iterdescendants("br"):
        following = br.getnext()
        if following is not None and following.tag == "br" and not (br.tail or "").strip():
            return True
    return False


def link_lines(body: HtmlElement) -> list[HtmlElement]:
    """Links that stand alone on a line of the text (a related-article link set between
    line breaks, or a paragraph that is only a link): never the reporter's prose."""
    found = []
    for link in body.iterdescendants("a"):
        href = link.get("href", "").strip().lower()
        if not href or href.startswith(("mailto:", "#", "javascript:")):
            continue
        if not link.text_content().strip():
            continue
        if _alone_before(link) and _alone_after(link):
            found.append(link)
    return found


def _alone_before(node: HtmlElement) -> bool:
    previous = node.getprevious()
    if previous is None:
        parent = node.getparent()
        return not (parent.text or "").strip() and parent.tag in _LINE_PARENTS
    return previous.tag in _LINE_BREAKS and not (previous.tail or "").strip()


def _alone_after(node: HtmlElement) -> bool:
    if (node.tail or "").strip():
        return False
    following = node.getnext()
    return following.tag in _LINE_BREAKS if following is not None else (
        node.getparent().tag in _LINE_PARENTS)


_LINE_BREAKS = frozenset({"br", "p", "div", "hr", "table", "ul", "ol", "h1", "h2", "h3", "h4"})
_LINE_PARENTS = frozenset({"p", "div", "li", "td", "dd", "section", "article", "blockquote"})
