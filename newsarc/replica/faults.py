"""The replica's ``--faults`` mode: the failures a crawler meets over years, reproducibly.

A crawler that runs unattended meets servers that error, stall or cut connections, pages
in legacy Korean encodings, broken HTML, empty or binary answers, huge pages and gzip
bombs.  This module decides which request of the replica meets which fault.

Every decision is keyed on the request target (path and query) and on how many times that
target was requested before, never on randomness or the clock: the same crawl meets the
same faults every time, and a crawler that retries gets past every transient fault.  Only
the faults in :data:`PERMANENT` never heal.

Which live articles carry faults is a function of the content model (:func:`faults_for`),
so tests compute their expectations from the site they serve.
"""

from __future__ import annotations

import hashlib
import random
import zlib
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from newsarc.replica.content import Site

# Faults on live articles, in the order they are handed out (see faults_for).
HTTP_500 = "http-500"  # 500 on the first request
HTTP_502 = "http-502"  # 502 on the first request
HTTP_503 = "http-503"  # 503 with Retry-After: 1 on the first request
HTTP_429 = "http-429"  # 429 with Retry-After: 1 on the first two requests
HTTP_500_PERMANENT = "http-500-permanent"  # 500 on every request: a real failure
CUT = "cut-connection"  # status, headers, half the body, then the socket closes
STALL = "stall"  # the first answer waits past the crawler's timeout
EMPTY = "empty-200"  # 200 with an empty body, first request
BINARY = "binary-200"  # 200 text/html with binary bytes, first request
CHARSET_HEADER = "charset-header"  # CP949 bytes, charset=euc-kr in Content-Type only
CHARSET_META = "charset-meta"  # CP949 bytes, declared only in a <meta http-equiv>
CHARSET_NONE = "charset-none"  # CP949 bytes, declared nowhere
UNCLOSED = "unclosed-tags"  # </p> and </li> dropped, an inline element never closed
NESTED_BODY = "nested-body"  # a second <body> inside the page
ARTICLE_FAULTS: tuple[str, ...] = (
    HTTP_500, HTTP_502, HTTP_503, HTTP_429, HTTP_500_PERMANENT, CUT, STALL, EMPTY, BINARY,
    CHARSET_HEADER, CHARSET_META, CHARSET_NONE, UNCLOSED, NESTED_BODY,
)

# Faults at URLs that hold no live article, linked from the home page.
REDIRECT_LOOP = "redirect-loop"  # article URL -> /news/loop.html?n=1 -> n=2 -> n=1 ...
HUGE_PAGE = "huge-page"  # 20 MB of HTML with its Content-Length
GZIP_BOMB = "gzip-bomb"  # a small gzip body that inflates past any sane size cap
EXTRA_FAULTS: tuple[str, ...] = (REDIRECT_LOOP, HUGE_PAGE, GZIP_BOMB)
EXTRA_OFFSET = 101  # their article numbers: the newest live number + 101, 102, 103

PERMANENT = frozenset({HTTP_500_PERMANENT, REDIRECT_LOOP, HUGE_PAGE, GZIP_BOMB})
# How many first requests of a target a transient fault hits; permanent ones hit all.
TIMES = {HTTP_500: 1, HTTP_502: 1, HTTP_503: 1, HTTP_429: 2, CUT: 1, STALL: 1, EMPTY: 1,
         BINARY: 1}
RETRY_AFTER = "1"  # seconds, on 503 and 429
LOOP_PATH = "/news/loop.html"
HUGE_BYTES = 20 * 1024 * 1024
BOMB_BYTES = 64 * 1024 * 1024  # inflated size: 4x newsarc's 16 MB DOWNLOAD_MAXSIZE

# List pages the spider walks: transient errors on their first request(s).
LIST_FAULTS: dict[str, str] = {
    "/news/article_list_all.html?page=2": HTTP_503,
    "/news/article_list_all.html?page=3": HTTP_500,
    "/news/section_list_all.html?page=1&sec_no=S1N2": HTTP_429,
    "/news/section_list_all.html?page=1&sec_no=S1N4": HTTP_502,
}


def target_key(target: str) -> str:
    """A request target with its query parameters sorted: the key faults are looked up by."""
    parts = urlsplit(target)
    query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query,
                                                             keep_blank_values=True)))
    return f"{parts.path}?{query}" if query else parts.path


def faults_for(site: Site) -> dict[int, str]:
    """Live article number -> its fault: one article per kind of :data:`ARTICLE_FAULTS`.

    Drawn with a private generator seeded by the site, among the generated articles (the
    real sample article stays clean), so tests can compute the same map.
    """
    candidates = sorted(i for i in site.articles if i != site.sample_id)
    rng = random.Random(f"{site.seed}:faults:{site.size}:{site.generation}")
    chosen = rng.sample(candidates, min(len(candidates), len(ARTICLE_FAULTS)))
    return dict(zip(chosen, ARTICLE_FAULTS, strict=False))


def extra_faults(site: Site) -> dict[int, str]:
    """Article numbers above the live range -> the fault served there (no article)."""
    top = max(site.articles)
    return {top + EXTRA_OFFSET + i: kind for i, kind in enumerate(EXTRA_FAULTS)}


def permanent_failures(site: Site) -> dict[str, str]:
    """Request targets that never succeed -> their fault: what a crawl must list as failed."""
    numbers = {n: k for n, k in faults_for(site).items() if k in PERMANENT}
    numbers.update(extra_faults(site))
    return {f"/news/article.html?no={n}": kind for n, kind in sorted(numbers.items())}


def fault_at(site: Site, target: str, count: int) -> str | None:
    """The fault the `count`-th request (1-based) of `target` meets, or None."""
    key = target_key(target)
    kind = LIST_FAULTS.get(key) or _article_fault(site, key) or _loop_fault(key)
    if kind is None:
        return None
    times = TIMES.get(kind, 0)
    return kind if times == 0 or count <= times else None


def _article_fault(site: Site, key: str) -> str | None:
    parts = urlsplit(key)
    if parts.path != "/news/article.html":
        return None
    raw = dict(parse_qsl(parts.query)).get("no", "")
    if not raw.isdigit():
        return None
    number = int(raw)
    return faults_for(site).get(number) or extra_faults(site).get(number)


def _loop_fault(key: str) -> str | None:
    return REDIRECT_LOOP if urlsplit(key).path == LOOP_PATH else None


def loop_location(key: str) -> str:
    """Where a loop URL redirects: the article entry to n=1, then n=1 and n=2 to each other."""
    parts = urlsplit(key)
    if parts.path != LOOP_PATH:
        return f"{LOOP_PATH}?n=1"
    n = dict(parse_qsl(parts.query)).get("n", "1")
    return f"{LOOP_PATH}?n={2 if n == '1' else 1}"


def home_links(site: Site) -> str:
    """Links the home page carries in faults mode, so the crawl meets every extra fault."""
    items = "".join(f'<li><a href="/news/article.html?no={n}">{kind}</a></li>'
                    for n, kind in extra_faults(site).items())
    return f'<div class="fault_links"><ul>{items}</ul></div>\n'


# --- bodies ---------------------------------------------------------------------------------

def to_cp949(html: str, kind: str) -> tuple[bytes, str]:
    """An article page as a legacy Korean site serves it: CP949 bytes and a Content-Type.

    Characters CP949 lacks become numeric character references, as such sites write them.
    """
    utf8_meta = '<meta charset="utf-8">\n'
    if kind == CHARSET_META:
        html = html.replace(utf8_meta, '<meta http-equiv="Content-Type" '
                                       'content="text/html; charset=euc-kr">\n', 1)
    else:
        html = html.replace(utf8_meta, "", 1)
    content_type = "text/html; charset=euc-kr" if kind == CHARSET_HEADER else "text/html"
    return html.encode("cp949", errors="xmlcharrefreplace"), content_type


def break_html(html: str, kind: str) -> str:
    """Broken but recoverable markup: what old editors and skins leave behind."""
    if kind == NESTED_BODY:
        return html.replace('<div id="wrap">', '<div id="wrap">\n<body class="article">', 1)
    html = html.replace("</p>", "").replace("</li>", "")
    return html.replace('<div id="news_body_area"', '<font color="#222"><div id="news_body_area"',
                        1)


def binary_body(key: str) -> bytes:
    """4 KiB of bytes that look like a JPEG or a zip, not like a page; same for a key."""
    seed = hashlib.sha256(key.encode("utf-8")).digest()
    return b"".join(hashlib.sha256(seed + bytes([i])).digest() for i in range(128))


@lru_cache(maxsize=1)
def huge_page() -> bytes:
    """20 MB of valid HTML: one list of items, as a runaway CMS page might be."""
    head = b'<!DOCTYPE html>\n<html lang="ko"><head><meta charset="utf-8"></head><body><ul>\n'
    tail = b"</ul></body></html>\n"
    line = "<li>끝없이 이어지는 목록 항목입니다 (a runaway page)</li>\n".encode()
    count = (HUGE_BYTES - len(head) - len(tail)) // len(line)
    body = head + line * count
    return body + b" " * (HUGE_BYTES - len(body) - len(tail)) + tail


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """A gzip body of about 64 KB that inflates to 64 MB of HTML-looking filler."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    chunk = b"<p>" + b" " * (1024 * 1024 - 7) + b"</p>\n"
    parts = [compressor.compress(b"<html><body>")]
    parts += [compressor.compress(chunk) for _ in range(BOMB_BYTES // len(chunk))]
    parts.append(compressor.flush())
    return b"".join(parts)
