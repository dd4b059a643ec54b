"""URL knowledge of the mediaOn CMS: which URLs are articles, and their canonical form.

One article is reachable under many URLs (desktop, `/mobile/`, print view, extra
parameters such as `&sc_code=` or `&page=2`, fragments like `#comment`).  The crawl
requests and records each article only under ``SITE/news/article.html?no=N``, so
Scrapy's duplicate filter sees one URL per article.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

ARTICLE_PATHS = frozenset(
    {"/news/article.html", "/mobile/article.html", "/news/article_print.html"}
)
LIST_ALL_PATH = "/news/article_list_all.html"
SECTION_LIST_PATH = "/news/section_list_all.html"
SECTION_FRONT_PATH = "/news/section.html"
RSS_PATH = "/data/rss/news.xml"
_ID_RE = re.compile(r"^[0-9]{1,12}$")  # ASCII digits only (\d also matches other scripts)


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


def canonical_article_url(root: str, article_no: int) -> str:
    """The one URL under which the article is fetched and recorded."""
    return f"{root}/news/article.html?no={article_no}"


def canonicalize(url: str, root: str | None = None) -> str | None:
    """Canonical article URL for any article URL form, or None when ``url`` is no article."""
    number = article_id(url)
    if number is None:
        return None
    return canonical_article_url(root or site_root(url), number)
