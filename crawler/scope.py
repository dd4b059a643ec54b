"""Scope: the crawler fetches the configured site and nothing else.

Scrapy's own offsite filter allows a domain's subdomains on any port and leaves the rest
to the other middlewares.  An archiver that runs unattended needs a harder line, so this
downloader middleware, first in the chain, refuses every request — link, redirect, page
requisite, retry — that is not ``http(s)`` on exactly the site's host and port, and every
response that came from a private, loopback or link-local address when the configured site
is not itself such an address (a public name that resolves inward, as in DNS rebinding).
Each refusal is logged and counted (``newsarc/scope/<kind>``) in the run's statistics.

It sits nearest the downloader (order 960, above the WARC middleware's 950), so a request
is checked last, after every other middleware had its say, and an inward response is
refused before it is archived or extracted.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

ALLOWED_SCHEMES = ("http", "https")


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, lower-cased, default ports filled in."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES or not parts.hostname:
            return None
        port = parts.port or _default_port(scheme)
    except ValueError:  # a bad port or a broken [IPv6] address
        return None
    return scheme, parts.hostname.lower(), port


def refusal(url: str, site: tuple[str, str, int]) -> tuple[str, str] | None:
    """(kind, reason) when ``url`` is not on the ``site`` (an ``origin``), else None: the
    one definition of scope, for requests on their way out and for queued ones coming in."""
    target = origin(url)
    if target is None:
        return "scheme", "not an http(s) URL"
    if target[1] != site[1]:
        return "host", f"another host than {site[1]}"
    if target[2] != site[2]:
        return "port", f"another port than {site[2]}"
    return None


@lru_cache(maxsize=1024)  # asked for every response, of the few addresses a crawl meets
def is_inward(host: str) -> bool:
    """True for hosts that point into the machine or its private network."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return (address.is_private or address.is_loopback or address.is_link_local
            or address.is_reserved or address.is_unspecified or address.is_multicast)


class ScopeMiddleware:
    """Refuses whatever is not the configured site (see the module docstring)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.site: tuple[str, str, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ScopeMiddleware:
        if not crawler.settings.getbool("NEWSARC_SCOPE"):
            raise NotConfigured("scope checks are off")
        return cls(crawler)

    def _site(self) -> tuple[str, str, int] | None:
        if self.site is None:
            root = getattr(self.crawler.spider, "root", None)
            self.site = origin(root) if root else None
        return self.site

    def process_request(self, request: Request) -> None:
        site = self._site()
        if site is None:
            return
        refused = refusal(request.url, site)
        if refused is not None:
            self._refuse(request, *refused)

    def process_response(self, request: Request, response: Response) -> Response:
        site = self._site()
        address = getattr(response, "ip_address", None)
        if site and address is not None and not is_inward(site[1]) \
                and is_inward(str(address)):
            self._refuse(request, "inward", f"{site[1]} answered from inward address {address}")
        return response

    def _refuse(self, request: Request, kind: str, reason: str) -> None:
        self.crawler.stats.inc_value(f"newsarc/scope/{kind}")
        self.crawler.spider.logger.warning("refused %s: %s", request.url, reason)
        raise IgnoreRequest(f"out of scope ({reason}): {request.url}")
