"""URL knowledge of the mediaOn CMS: which URLs are articles, and their canonical form.

One article is reachable under many URLs (desktop, `/mobile/`, print view, extra
parameters such as `&sc_code=` or `&page=2`, fragments like `#comment`).  The crawl
requests and records each article only under ``SITE/news/article.html?no=N``, so
Scrapy's duplicate filter sees one URL per article.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:  # replay's data type; the crawl and extraction never load replay
    from archive.replay import AliasRule

CANONICAL_ARTICLE_PATH = "/news/article.html"  # the one path an article is recorded under
ARTICLE_PATHS = frozenset(
    {CANONICAL_ARTICLE_PATH, "/mobile/article.html", "/news/article_print.html"}
)
LIST_ALL_PATH = "/news/article_list_all.html"
SECTION_LIST_PATH = "/news/section_list_all.html"
SECTION_FRONT_PATH = "/news/section.html"
RSS_PATH = "/data/rss/news.xml"
_ID_RE = re.compile(r"^[0-9]{1,12}$")  # ASCII digits only (\d also matches other scripts)
# A number that can name an article in another CMS's URL: 3 to 19 ASCII digits (int64).
_NUMBER_RE = re.compile(r"(?<![0-9])[0-9]{3,19}(?![0-9])")
# Query keys that track a visit, never part of what the URL names.
_TRACKING_RE = re.compile(r"^(?:utm_\w*|cm|fbclid|gclid|from|ref|ref_src|share|sns|mobile)$",
                          re.IGNORECASE)
_NOT_ID_KEYS = frozenset({"page", "pg", "size", "limit", "offset", "sort", "ord", "v", "ver"})
_DERIVED_ID_HEX = 13  # 52 bits: an exact integer for every JSON reader, JavaScript's included


def site_root(url: str) -> str:
    """Return ``scheme://host[:port]`` of ``url``, the base every canonical URL is built on."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) site URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def article_id(url: str) -> int | None:
    """The article number ``N`` if ``url`` is any form of a mediaOn article URL, else None."""
    parts = urlsplit(url)
    if parts.path not in ARTICLE_PATHS:
        return None
    values = parse_qs(parts.query).get("no", [])
    if not values or not _ID_RE.match(values[0]):
        return None
    return int(values[0])


def is_article_path(url: str) -> bool:
    """True when ``url`` has the path of a mediaOn article, with a valid number or not."""
    try:
        return urlsplit(url).path in ARTICLE_PATHS
    except ValueError:
        return False


def canonical_article_url(root: str, article_no: int) -> str:
    """The one URL under which the article is fetched and recorded."""
    return f"{root}{CANONICAL_ARTICLE_PATH}?no={article_no}"


def recorded_as_article(url: str) -> bool:
    """True when ``url`` has the form the crawl records an article under
    (``SITE/news/article.html?no=...``): the captures re-extraction reads."""
    return f"{CANONICAL_ARTICLE_PATH}?no=" in url


def page_url(url: str) -> str:
    """``url`` without its fragment and tracking parameters: the URL a page is recorded under
    when it is not a mediaOn article (another CMS, or a redesign with other URLs)."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING_RE.match(k)]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/",
                       urlencode(query), ""))


def page_article_id(url: str) -> int | None:
    """An id for an article URL of any scheme, or None when the URL names no article.

    The number the URL carries (a query value, else the one in its last path segment:
    ``?idxno=140476``, ``/news/190742``, ``/article/G1111061138``), as other CMSs number
    their articles too; where there is none (a slug, a date path), a stable id derived from
    the URL: the first 52 bits of its SHA-256.  A path-less URL names no article.
    """
    parts = urlsplit(page_url(url))
    for key, value in parse_qsl(parts.query):
        if (key.lower() not in _NOT_ID_KEYS and value.isascii() and value.isdigit()
                and len(value) <= 19 and int(value) > 0):
            return int(value)
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        return None
    numbers = _NUMBER_RE.findall(segments[-1])
    if numbers and int(numbers[-1]) > 0:
        return int(numbers[-1])
    digest = hashlib.sha256(page_url(url).encode("utf-8")).hexdigest()
    return int(digest[:_DERIVED_ID_HEX], 16)


def replay_aliases() -> AliasRule:
    """The mediaOn article URL family for replay: every article path names the article by
    ``no``, and the crawl records it under the canonical path only (``archive.replay``)."""
    from archive.replay import AliasRule

    return AliasRule(canonical_path=CANONICAL_ARTICLE_PATH, key="no",
                     alias_paths=ARTICLE_PATHS - {CANONICAL_ARTICLE_PATH},
                     value_pattern=_ID_RE.pattern.strip("^$"))
