"""An article's published and modified date-times, from wherever its page shows them.

Two kinds of source are read:

- visible text: the header's info items when the caller knows them, else the page's
  date-bearing elements (info/byline/date classes, ``<time>``, and short elements whose text
  holds a label such as 등록 or 수정 followed by a date-time);
- machine-readable values: meta tags (``article:published_time`` and kin), ``itemprop``
  attributes, ``<time datetime>`` and JSON-LD.

The visible text decides the minute (it is what readers and the newsroom see; machine values
are often a CMS's internal save time, seconds or minutes off); a machine value adds the
seconds only when it agrees with it to the minute.  A value without a time of day is never
made into a date-time, and an impossible date is no date: nothing here invents a value.

Every pattern is bounded (no nested quantifiers), and the page is walked a fixed number of
times, so hostile pages (megabytes of digits, deep nesting) cost linear time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache, partial
from typing import Any

from lxml.html import HtmlElement

from archive.timeutil import KST
from crawler.pagemeta import squeeze

__all__ = ["MODIFIED_LABELS", "PUBLISHED_LABELS", "labelled_dates", "page_dates",
           "parse_datetime"]

PUBLISHED_LABELS = ("기사입력", "기사승인", "등록", "입력", "승인", "게재", "작성", "송고")
MODIFIED_LABELS = ("최종수정", "기사수정", "업데이트", "수정")

# A shown date-time: 2024.06.14 07:40:01, 2024-06-14 07:40, 2024/06/14, 2024년 6월 14일
# 오후 3:20, 2018. 02. 01. 09:28, an optional weekday "(수)". Every repeat is bounded.
_DATE = (
    r"(?<![\d.])(\d{4})\s{0,2}(?:[.\-/]|년)\s{0,2}(\d{1,2})\s{0,2}(?:[.\-/]|월)\s{0,2}"
    r"(\d{1,2})(?![\d])(?:\s{0,2}일|\.)?"
)
# An offset counts only in the ISO form ("T" before the time): "07:40-08:00" is a range.
_TIME = (
    r"(?:\s{0,2}\([^()\d]{1,3}\))?(\s{1,3}|T)(?:(오전|오후|AM|PM|am|pm)\s{0,2})?"
    r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?(?![\d:])"
)
_DATETIME_RE = re.compile(_DATE + _TIME)
_DAY_RE = re.compile(r"(?<!\d)\d{4}\s{0,2}(?:[.\-/]|년)\s{0,2}\d{1,2}\s{0,2}(?:[.\-/]|월)")
# Text that is a date-time and nothing else (digits, separators, weekday, AM/PM).
_BARE_RE = re.compile(r"[\d\s.\-/:년월일화수목금토()오전후APMapm]{10,40}")
_ISO_RE = re.compile(
    r"\s{0,20}(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?"
    r"\s{0,3}(Z|[+-]\d{2}:?\d{2})?\s{0,20}",
    re.IGNORECASE,
)
# What a class or id of a date-bearing element contains (substring, lower case).
_DATE_CLASS_RE = re.compile(r"date|time|info|byline|writer|reg|upd")
# Regions whose dates are never the article's: comments, footers, lists of other articles.
_SKIP_CLASS_RE = re.compile(r"comment|reply|cmt|footer|related|popular|rank")
# Never a date shown for the article (a form is not here: some CMSs wrap the whole page in one).
_SKIP_TAGS = frozenset({"script", "style", "noscript", "textarea", "template", "footer",
                        "select", "option", "button"})
_MODIFIED_CLASS_RE = re.compile(r"upd|modif|edit")
_SHORT = 200  # characters of text in a header item; more is a paragraph or a region
_LIST_ITEMS = 3  # siblings each holding a date-time: a list of articles, not a header
_JSON_DEPTH = 20
_MAX_DEPTH = 1024

_PUBLISHED_META = frozenset({
    "article:published_time", "og:published_time", "og:article:published_time",
    "pubdate", "publishdate", "publish_date", "date", "dc.date", "dc.date.issued",
    "dcterms.issued", "dcterms.created", "datepublished", "sailthru.date",
})
_MODIFIED_META = frozenset({
    "article:modified_time", "og:modified_time", "og:updated_time",
    "og:article:modified_time", "dc.date.modified", "dcterms.modified", "datemodified",
})
_JSON_KEY_RE = {
    "datePublished": re.compile(r'"datePublished"\s{0,5}:\s{0,5}"([^"]{1,60})"'),
    "dateModified": re.compile(r'"dateModified"\s{0,5}:\s{0,5}"([^"]{1,60})"'),
}


@dataclass(frozen=True)
class _Stamp:
    """A date-time and whether its source gave the seconds (else they are an unknown 00)."""

    when: datetime
    seconds: bool

    def minute(self) -> datetime:
        return self.when.replace(second=0)

    def iso(self) -> str:
        return self.when.isoformat()


# --- text ---------------------------------------------------------------------------------

def parse_datetime(text: str) -> str | None:
    """The first date-time in ``text`` as ISO 8601 Korea time with seconds, else None.

    Reads ISO 8601 values (``Z`` or another offset converted to +09:00; naive ones taken as
    Korea time) and the shown formats (``2024.06.14 07:40``, ``2024년 6월 14일 오후 3:20``
    ...).  A date without a time, or an impossible one, gives None.
    """
    stamp = _machine_stamp(text) or _first_stamp(text)
    return stamp.iso() if stamp else None


def _first_stamp(text: str) -> _Stamp | None:
    match = _DATETIME_RE.search(text)
    return _stamp(match.groups()) if match else None


def labelled_dates(text: str, published_labels: Iterable[str] = PUBLISHED_LABELS,
                   modified_labels: Iterable[str] = MODIFIED_LABELS,
                   ) -> tuple[str | None, str | None]:
    """(published, modified) from labelled dates in one text, e.g. ``수정 … | 등록 …``.

    A date right after a label (colon or not) belongs to that label, in whatever order the
    labels come; the first of each kind counts.
    """
    published, modified = _labelled(squeeze(text), tuple(published_labels),
                                    tuple(modified_labels))
    return (published.iso() if published else None, modified.iso() if modified else None)


def _stamp(groups: tuple[str | None, ...]) -> _Stamp | None:
    """A _Stamp from the regex groups (y, mo, d, separator, meridiem, h, mi, s, offset),
    None if impossible."""
    y, mo, d, separator, meridiem, h, mi, s, zone = groups
    hour = int(h or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            return None  # "오후 13:00" names no hour
        hour = hour % 12 + (12 if meridiem in ("오후", "PM", "pm") else 0)
    return _iso_stamp((y, mo, d, str(hour), mi, s, zone if separator == "T" else None))


def _all_stamps(text: str) -> list[_Stamp | None]:
    return [_stamp(m.groups()) for m in _DATETIME_RE.finditer(text)]


@lru_cache(maxsize=16)
def _labelled_re(published: tuple[str, ...], modified: tuple[str, ...]) -> re.Pattern[str]:
    """Label (등록, or 등록일시 and the like), then the date-time.  The date must follow
    at once, so of two labels one of which begins the other only one can match."""
    alternatives = "|".join(re.escape(label) for label in {*published, *modified} if label)
    suffix = "(?:일시|일자|시각|시간|일)?"
    return re.compile(f"({alternatives}){suffix}[\\s:：]{{0,4}}" + _DATE + _TIME)


def _labelled(text: str, published_labels: tuple[str, ...], modified_labels: tuple[str, ...],
              ) -> tuple[_Stamp | None, _Stamp | None]:
    if not published_labels and not modified_labels:
        return None, None
    found: dict[bool, _Stamp | None] = {}
    for match in _labelled_re(published_labels, modified_labels).finditer(text):
        is_modified = match.group(1) in modified_labels
        if is_modified not in found:
            found[is_modified] = _stamp(match.groups()[1:])
    return found.get(False), found.get(True)


def _machine_stamp(value: str) -> _Stamp | None:
    """An ISO 8601 value with a time of day; ``2018-11-13`` alone is no date-time."""
    match = _ISO_RE.fullmatch(value[:200])
    return _iso_stamp(match.groups()) if match else None


def _iso_stamp(groups: tuple[str | None, ...]) -> _Stamp | None:
    """A _Stamp from ISO 8601 groups (y, mo, d, h, mi, s, zone); naive means Korea time."""
    y, mo, d, h, mi, s, zone = groups
    offset = timedelta(0) if zone and zone.upper() == "Z" else None
    if zone and offset is None:
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = -offset if zone[0] == "-" else offset
    try:
        zone_info = KST if offset is None else timezone(offset)
        when = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0),
                        tzinfo=zone_info).astimezone(KST)
    except (ValueError, OverflowError):  # month 13, offset 25:00; a shift past year 9999
        return None
    if not 1900 <= when.year <= 2199:
        return None
    return _Stamp(when, s is not None)


def _value_stamp(value: str) -> _Stamp | None:
    """A machine value: ISO 8601 first, else a shown format some CMSs put in meta tags."""
    return _machine_stamp(value) or _first_stamp(value[:200])


# --- page ---------------------------------------------------------------------------------

def page_dates(
    tree: HtmlElement,
    header_texts: Iterable[str] = (),
    *,
    exclude: HtmlElement | None = None,
    published_labels: Iterable[str] = PUBLISHED_LABELS,
    modified_labels: Iterable[str] = MODIFIED_LABELS,
) -> tuple[str | None, str | None]:
    """(published, modified) of the article on a parsed page, ISO 8601 Korea time, or None.

    ``header_texts`` (texts of the profile's header info items) are read first; then the
    page's date-bearing elements outside ``exclude`` (the body: a date in the article's
    text is something it reports, not when it was written), comments, footers and lists of
    other articles.  The shown value decides the minute; a machine value agreeing with it
    to the minute adds the seconds; a machine value alone is used when nothing is shown.
    """
    pub_labels, mod_labels = tuple(published_labels), tuple(modified_labels)
    header = [squeeze(text) for text in header_texts]
    shown_pub, shown_mod = _labelled(" | ".join(header), pub_labels, mod_labels)
    plain, bare = _plain(header), []
    trusted: Callable[[HtmlElement], bool] = partial(_outside, exclude=exclude)
    if shown_pub is None and shown_mod is None and not plain:
        scan = _Scan(tree, exclude)
        shown_pub, shown_mod, plain, bare = scan.shown(pub_labels, mod_labels)
        trusted = scan.trusted
    machine_pub, machine_mod = _machine(tree, trusted)
    if shown_pub is None and plain:
        shown_pub = _pick_plain(plain, machine_pub)
    elif shown_pub is None and bare and not machine_pub:
        shown_pub = bare[0]  # a time shown on its own, e.g. under the body
    published = _combine(shown_pub, machine_pub)
    modified = _combine(shown_mod, machine_mod)
    return (published.iso() if published else None, modified.iso() if modified else None)


def _plain(texts: Iterable[str]) -> list[_Stamp]:
    """The date-time of each text showing exactly one (several: which one is unknowable)."""
    found = []
    for text in texts:
        stamps = _all_stamps(text)
        if len(stamps) == 1 and stamps[0] is not None:
            found.append(stamps[0])
    return found


def _combine(shown: _Stamp | None, machine: list[_Stamp]) -> _Stamp | None:
    """Most precise consistent value: the shown one, with a machine value's seconds when
    they agree to the minute; the first machine value when nothing is shown."""
    if shown is None:
        if not machine:
            return None
        first = machine[0]
        finer = [m for m in machine if m.seconds and m.minute() == first.minute()]
        return finer[0] if not first.seconds and finer else first
    if shown.seconds:
        return shown
    return next((m for m in machine if m.seconds and m.minute() == shown.minute()), shown)


def _pick_plain(plain: list[_Stamp], machine: list[_Stamp]) -> _Stamp:
    """Among unlabelled shown dates, the one a machine value confirms, else the first."""
    minutes = {m.minute() for m in machine}
    return next((p for p in plain if p.minute() in minutes), plain[0])


@dataclass(slots=True)
class _Node:
    element: HtmlElement
    parent: int  # index in the walk, -1 for the root
    blocked: bool = False  # inside the body, a comment box, a footer, a script, a list
    chars: int = 0  # characters of text in the subtree (scripts and styles not counted)
    days: int = 0  # text nodes in the subtree holding a date (with or without time)
    stamps: int = 0  # text nodes in the subtree holding a date-time
    marks: int = 0  # machine-readable date-times in the subtree (<time>, itemprop)
    pieces: list[str] | None = None  # the subtree's texts, last first, while it is short
    dated_kinds: dict[Any, int] | None = None  # children holding one or two date-times


def _walk(tree: HtmlElement) -> list[_Node]:
    """Elements in document order with their parent's index; one pass, no recursion."""
    nodes: list[_Node] = []
    stack: list[tuple[Any, int]] = [(tree, -1)]
    while stack:
        element, parent = stack.pop()
        nodes.append(_Node(element, parent, pieces=[]))
        index = len(nodes) - 1
        stack.extend((child, index) for child in reversed(element))
    return nodes


def _measure(nodes: list[_Node], exclude: HtmlElement | None) -> None:
    """Text, its size and its date counts for every subtree, children before parents.

    What is inside the body, a comment box, a footer or a script is left out of its
    ancestors' texts (an ancestor must not show a date the body holds).  Texts are kept
    only while a subtree is short, so the pass stays linear however deep or wide the page.
    """
    for node in reversed(nodes):
        element = node.element
        node.blocked = element is exclude or _skipped(element)
        if not node.blocked:
            _add_text(node, element.text)
            node.marks += _marked(element)
        if node.parent < 0:
            continue
        parent = nodes[node.parent]
        _add_text(parent, element.tail)
        if node.blocked:
            continue
        parent.chars += node.chars
        parent.days += node.days
        parent.stamps += node.stamps
        parent.marks += node.marks
        if parent.pieces is not None and node.pieces is not None:
            parent.pieces.append(_text(node))
        _cap(parent)
        if _dated(node):
            kinds = parent.dated_kinds = parent.dated_kinds or {}
            kind = _kind(element)
            kinds[kind] = kinds.get(kind, 0) + 1


def _add_text(node: _Node, text: str | None) -> None:
    if not text:
        return
    # Indentation is no text: a header item written over many lines is still short.
    node.chars += len(text.strip())
    if node.pieces is not None:
        node.pieces.append(text)
    _cap(node)
    if _DAY_RE.search(text):
        node.days += 1
        node.stamps += _DATETIME_RE.search(text) is not None


def _marked(element: HtmlElement) -> bool:
    if element.tag == "time" and element.get("datetime"):
        return True
    return element.get("itemprop") in ("datePublished", "dateModified")


def _dated(node: _Node) -> bool:
    """Whether a subtree shows a date-time or two, as an item of a list of articles does."""
    return 0 < node.stamps + node.marks and node.stamps <= 2 and node.marks <= 2


def _cap(node: _Node) -> None:
    if node.chars > _SHORT:
        node.pieces = None  # too long for a header item: its text is never needed


def _text(node: _Node) -> str:
    """A short subtree's text, pieces spaced (a tag between date and time separates them)."""
    return squeeze(" ".join(reversed(node.pieces or ())))


def _kind(element: HtmlElement) -> Any:
    """What makes siblings items of one list: the tag for list items, else tag and class."""
    if element.tag in ("li", "tr", "dd", "dt", "article"):
        return element.tag
    return (element.tag, element.get("class"))


def _mark_blocked(nodes: list[_Node]) -> None:
    """Parents before children: what lies inside a region whose dates are not the
    article's (a blocked element, a list of articles) is blocked too."""
    for node in nodes:
        if node.parent >= 0 and not node.blocked:
            parent = nodes[node.parent]
            node.blocked = parent.blocked or _listed(node, parent)


def _listed(node: _Node, parent: _Node) -> bool:
    """Whether ``node`` is one of several alike siblings each showing a date-time."""
    if not parent.dated_kinds or not _dated(node):
        return False
    return parent.dated_kinds.get(_kind(node.element), 0) >= _LIST_ITEMS


def _skipped(element: HtmlElement) -> bool:
    if not isinstance(element.tag, str):
        return True  # a comment or processing instruction
    if element.tag in _SKIP_TAGS:
        return True
    return bool(_SKIP_CLASS_RE.search(_names(element)))


def _names(element: HtmlElement) -> str:
    return f"{element.get('class', '')} {element.get('id', '')}".lower()


class _Scan:
    """One linear scan of a page: every element, its subtree's text while short, its date
    counts, and whether it lies in a region whose dates are not the article's."""

    def __init__(self, tree: HtmlElement, exclude: HtmlElement | None) -> None:
        self.nodes = _walk(tree)
        _measure(self.nodes, exclude)
        _mark_blocked(self.nodes)
        self.blocked = {node.element: node.blocked for node in self.nodes}

    def trusted(self, element: HtmlElement) -> bool:
        """Whether a machine value on ``element`` (itemprop, <time>) may be the article's."""
        return not self.blocked.get(element, True)

    def shown(self, pub_labels: tuple[str, ...], mod_labels: tuple[str, ...],
              ) -> tuple[_Stamp | None, _Stamp | None, list[_Stamp], list[_Stamp]]:
        """Labelled (published, modified) from the page's short elements; the unlabelled
        date-times of date elements (used when no label is found); and those of elements
        showing nothing but a date-time (used when nothing else tells the time)."""
        published = modified = None
        plain: list[_Stamp] = []
        bare: list[_Stamp] = []
        for node in self.nodes:
            if node.blocked or not node.days or node.pieces is None or node.stamps >= _LIST_ITEMS:
                continue
            text = _text(node)
            pub, mod = _labelled(text, pub_labels, mod_labels)
            published, modified = published or pub, modified or mod
            if pub is None and mod is None and _date_bearing(node.element):
                plain += _plain((text,))
            elif pub is None and mod is None and len(node.element) == 0:
                bare += [s for s in _plain((text,)) if _BARE_RE.fullmatch(text)]
        return published, modified, plain, bare


def _date_bearing(element: HtmlElement) -> bool:
    return element.tag == "time" or bool(_DATE_CLASS_RE.search(_names(element)))


# --- machine-readable values --------------------------------------------------------------

def _machine(tree: HtmlElement, trusted: Callable[[HtmlElement], bool],
             ) -> tuple[list[_Stamp], list[_Stamp]]:
    """Published and modified values from meta tags, itemprop, JSON-LD and <time>, in
    that order of trust; ``trusted`` tells whether an element in the page may hold them."""
    published: list[_Stamp] = []
    modified: list[_Stamp] = []
    values = (*_meta_values(tree, trusted), *_json_ld_values(tree), *_time_values(tree, trusted))
    for is_modified, value in values:
        stamp = _value_stamp(value)
        if stamp is not None:
            (modified if is_modified else published).append(stamp)
    return published, modified


def _time_values(tree: HtmlElement, trusted: Callable[[HtmlElement], bool],
                 ) -> Iterator[tuple[bool, str]]:
    for element in tree.iter("time"):
        value = element.get("datetime")
        if value and element.get("itemprop") is None and trusted(element):
            yield bool(_MODIFIED_CLASS_RE.search(_names(element))), value


def _outside(element: HtmlElement, exclude: HtmlElement | None) -> bool:
    """Whether ``element`` is outside the body, comments, footers and scripts (used when
    the header texts made a scan of the page needless)."""
    node: HtmlElement | None = element
    for _ in range(_MAX_DEPTH):
        if node is None:
            return True
        if node is exclude or _skipped(node):
            return False
        node = node.getparent()
    return False  # deeper than any parser nests a real page: not trusted


def _meta_values(tree: HtmlElement, trusted: Callable[[HtmlElement], bool],
                 ) -> Iterator[tuple[bool, str]]:
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        value = element.get("content")
        if value and key in _PUBLISHED_META:
            yield False, value
        elif value and key in _MODIFIED_META:
            yield True, value
    for element in tree.xpath("//*[@itemprop='datePublished' or @itemprop='dateModified']"):
        value = element.get("content") or element.get("datetime")
        if value and (element.tag == "meta" or trusted(element)):
            yield element.get("itemprop") == "dateModified", value


def _json_ld_values(tree: HtmlElement) -> Iterator[tuple[bool, str]]:
    """datePublished / dateModified of JSON-LD objects, articles first (a WebPage or a
    breadcrumb may carry dates of their own); a regex reads JSON that does not parse."""
    for script in tree.xpath("//script[contains(@type, 'ld+json')]"):
        text = script.text or ""
        try:
            data = json.loads(text, strict=False)
        except (ValueError, RecursionError):
            for key, pattern in _JSON_KEY_RE.items():
                for match in pattern.finditer(text):
                    yield key == "dateModified", match.group(1)
            continue
        items = list(_json_objects(data))
        for item in sorted(items, key=lambda item: not _is_article(item)):
            for key in _JSON_KEY_RE:
                value = item.get(key)
                if isinstance(value, str):
                    yield key == "dateModified", value


def _is_article(item: dict[str, Any]) -> bool:
    """NewsArticle, Article, ReportageNewsArticle, BlogPosting's kin: any type naming one."""
    kinds = item.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(kind, str) and "Article" in kind for kind in kinds)


def _json_objects(data: Any) -> Iterator[dict[str, Any]]:
    """Objects in a JSON-LD document (top level, lists, ``@graph``, nested values such as
    ``mainEntity``), breadth first and to a bounded depth."""
    queue: list[tuple[Any, int]] = [(data, 0)]
    for item, depth in queue:
        if depth > _JSON_DEPTH:
            continue
        if isinstance(item, list):
            queue.extend((x, depth + 1) for x in item)
        elif isinstance(item, dict):
            yield item
            queue.extend((x, depth + 1) for x in item.values() if isinstance(x, list | dict))
